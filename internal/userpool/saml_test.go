package userpool

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// idpMetadata is an identity provider's metadata with one signing
// certificate and HTTP-Redirect sign-on and logout endpoints.
const idpMetadata = `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example/metadata">
<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>MIIBfake</X509Certificate></X509Data></KeyInfo></KeyDescriptor>
<SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/slo"/>
<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/sso"/>
</IDPSSODescriptor></EntityDescriptor>`

func TestSAMLProviderDetails(t *testing.T) {
	e := newEnv(t)
	pool := e.pool(t)
	create := func(name string, d map[string]string) (*cip.CreateIdentityProviderOutput, error) {
		return e.api.CreateIdentityProvider(e.ctx, &cip.CreateIdentityProviderInput{UserPoolId: aws.String(pool), ProviderName: aws.String(name),
			ProviderType: types.IdentityProviderTypeTypeSaml, ProviderDetails: d})
	}
	out, err := create("File", map[string]string{"MetadataFile": idpMetadata, "IDPInit": "true", "SSORedirectBindingURI": "https://evil.example"})
	if err != nil {
		t.Fatal(err)
	}
	d := out.IdentityProvider.ProviderDetails
	if d["SSORedirectBindingURI"] != "https://idp.example/sso" || d["SLORedirectBindingURI"] != "https://idp.example/slo" || d["IDPInit"] != "true" {
		t.Fatalf("described details: %v", d)
	}
	for _, c := range []struct {
		details map[string]string
		msg     string
	}{
		{map[string]string{}, "exactly one of MetadataURL and MetadataFile"},
		{map[string]string{"MetadataURL": "https://a.example/md", "MetadataFile": idpMetadata}, "exactly one of MetadataURL and MetadataFile"},
		{map[string]string{"MetadataURL": "ftp://a.example/md"}, "http or https URL"},
		{map[string]string{"MetadataFile": "<EntityDescriptor/>"}, "not valid SAML metadata"},
		{map[string]string{"MetadataFile": strings.Replace(idpMetadata, "HTTP-Redirect\" Location=\"https://idp.example/sso", "HTTP-POST\" Location=\"https://idp.example/sso", 1)}, "no HTTP-Redirect SingleSignOnService"},
		{map[string]string{"MetadataFile": strings.Replace(idpMetadata, "<X509Certificate>MIIBfake</X509Certificate>", "", 1)}, "no signing certificate"},
		{map[string]string{"MetadataURL": "https://a.example/md", "IDPInit": "yes"}, "IDPInit must be true or false"},
		{map[string]string{"MetadataURL": "https://a.example/md", "RequestSigningAlgorithm": "rsa-sha1"}, "rsa-sha256"},
		{map[string]string{"MetadataURL": "https://a.example/md", "EncryptedResponses": "yes"}, "EncryptedResponses must be true or false"},
		{map[string]string{"MetadataURL": "https://a.example/md", "client_id": "x"}, "not a SAML provider detail"},
	} {
		_, err := create("Bad", c.details)
		wantErr(t, err, "InvalidParameterException", "")
		if !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%v: %v, want %q", c.details, err, c.msg)
		}
	}
	if _, err := e.api.DescribeIdentityProvider(e.ctx, &cip.DescribeIdentityProviderInput{UserPoolId: aws.String(pool), ProviderName: aws.String("Bad")}); err == nil {
		t.Fatal("a refused provider was stored")
	}
	// EncryptedResponses: described with the certificate to encrypt to.
	if _, err := create("Enc", map[string]string{"MetadataURL": "https://a.example/md", "EncryptedResponses": "true", "ActiveEncryptionCertificate": "x"}); err != nil {
		t.Fatal(err)
	}
	_, cert, err := e.svc.SAMLSigningCertificate(e.ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := e.api.DescribeIdentityProvider(e.ctx, &cip.DescribeIdentityProviderInput{UserPoolId: aws.String(pool), ProviderName: aws.String("Enc")})
	if err != nil || enc.IdentityProvider.ProviderDetails["ActiveEncryptionCertificate"] != base64.StdEncoding.EncodeToString(cert.Raw) {
		t.Fatalf("ActiveEncryptionCertificate: %v %v", err, enc)
	}
}

func TestSAMLSigningCertificateIsKeptPerPool(t *testing.T) {
	e := newEnv(t)
	a, b := e.pool(t), e.pool(t)
	key, cert, err := e.svc.SAMLSigningCertificate(e.ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) || cert.Subject.CommonName != "urn:amazon:cognito:sp:"+a || key.N.BitLen() != 2048 {
		t.Fatalf("certificate %v does not belong to the key or the pool", cert.Subject)
	}
	if cert.NotAfter.Sub(cert.NotBefore) < 9*365*24*time.Hour {
		t.Fatalf("validity %v, want about 10 years", cert.NotAfter.Sub(cert.NotBefore))
	}
	_, again, err := e.svc.SAMLSigningCertificate(e.ctx, a)
	if err != nil || !again.Equal(cert) {
		t.Fatalf("second call made another certificate: %v", err)
	}
	_, other, err := e.svc.SAMLSigningCertificate(e.ctx, b)
	if err != nil || other.Equal(cert) {
		t.Fatalf("two pools share a certificate: %v", err)
	}
	it, err := e.store.GetItem(e.ctx, itemSAMLSigningKey, a, e.clock.Now())
	if err != nil || strings.Contains(string(it.Data), "PRIVATE") || len(it.Data) < 100 {
		t.Fatalf("stored key item: %v", err)
	}
	if _, _, err := e.svc.SAMLSigningCertificate(e.ctx, "us-east-1_Missing"); err == nil {
		t.Fatal("a certificate for a pool that does not exist")
	}
}
