package e2e

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// TestGetSigningCertificate: each pool has its own self-signed X.509
// certificate (base64 DER, as AWS answers), the same on every call; an
// unknown pool is ResourceNotFoundException.
func TestGetSigningCertificate(t *testing.T) {
	srv := startServer(t, "")
	idp := newIDP(srv.URL)
	ctx := t.Context()
	certOf := func(poolID string) (*x509.Certificate, string) {
		t.Helper()
		out, err := idp.GetSigningCertificate(ctx, &cip.GetSigningCertificateInput{UserPoolId: aws.String(poolID)})
		if err != nil {
			t.Fatal(err)
		}
		der, err := base64.StdEncoding.DecodeString(aws.ToString(out.Certificate))
		if err != nil {
			t.Fatalf("certificate is not base64: %v", err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatalf("certificate is not X.509 DER: %v", err)
		}
		return c, aws.ToString(out.Certificate)
	}
	var pools []string
	for _, name := range []string{"saml-a", "saml-b"} {
		p, err := idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		pools = append(pools, aws.ToString(p.UserPool.Id))
	}
	a, rawA := certOf(pools[0])
	if err := a.CheckSignature(a.SignatureAlgorithm, a.RawTBSCertificate, a.Signature); err != nil {
		t.Fatalf("not self-signed: %v", err)
	}
	key, ok := a.PublicKey.(*rsa.PublicKey)
	if !ok || key.N.BitLen() != 2048 || a.Subject.CommonName != "urn:amazon:cognito:sp:"+pools[0] || time.Now().Before(a.NotBefore) || time.Now().After(a.NotAfter) ||
		a.NotAfter.Sub(a.NotBefore) < 9*365*24*time.Hour || a.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		t.Fatalf("certificate: %+v", a)
	}
	if _, again := certOf(pools[0]); again != rawA {
		t.Fatal("the certificate changed between calls")
	}
	if b, _ := certOf(pools[1]); b.SerialNumber.Cmp(a.SerialNumber) == 0 || b.Subject.CommonName != "urn:amazon:cognito:sp:"+pools[1] {
		t.Fatal("two pools share a certificate")
	}
	_, err := idp.GetSigningCertificate(ctx, &cip.GetSigningCertificateInput{UserPoolId: aws.String("us-east-1_missing")})
	wantAPIError(t, err, "ResourceNotFoundException", "User pool us-east-1_missing does not exist.")
}
