package userpool

import (
	"context"
	"encoding/base64"
	"net/url"
	"slices"
	"strings"

	"github.com/crewjam/saml"
	"github.com/crewjam/saml/samlsp"
)

// SAML identity providers: ProviderDetails as AWS documents them
// (MetadataURL or MetadataFile, IDPInit, IDPSignout, EncryptedResponses,
// RequestSigningAlgorithm); a metadata file is parsed when stored and its
// single sign-on endpoints are described as SSORedirectBindingURI and
// SLORedirectBindingURI, as AWS's describe response shows them, and a
// provider with EncryptedResponses is described with the
// ActiveEncryptionCertificate its IdP encrypts assertions to. The sign-in
// itself is package oauth's (/saml2/idpresponse).

// maxMetadataFile bounds MetadataFile (AWS's ProviderDetails values are
// limited to 131,072 characters).
const maxMetadataFile = 131072

// samlDetailKeys are the ProviderDetails keys a SAML provider takes; the
// describe-only ones are computed and never taken from the caller.
var samlDetailKeys = []string{"MetadataURL", "MetadataFile", "IDPInit", "IDPSignout", "EncryptedResponses", "RequestSigningAlgorithm"}

// validateSAMLDetails checks SAML ProviderDetails and adds the endpoints a
// metadata file names.
func validateSAMLDetails(d map[string]string) error {
	for k := range d {
		switch {
		case slices.Contains(samlDetailKeys, k):
		case k == "SSORedirectBindingURI" || k == "SLORedirectBindingURI" || k == "ActiveEncryptionCertificate":
			delete(d, k) // describe-only: recomputed below
		default:
			return invalidParameter("ProviderDetails %s is not a SAML provider detail", k)
		}
	}
	if (d["MetadataURL"] == "") == (d["MetadataFile"] == "") {
		return invalidParameter("ProviderDetails must have exactly one of MetadataURL and MetadataFile for SAML providers")
	}
	for _, k := range []string{"IDPInit", "IDPSignout", "EncryptedResponses"} {
		if v, ok := d[k]; ok && v != "true" && v != "false" {
			return invalidParameter("ProviderDetails %s must be true or false", k)
		}
	}
	if v, ok := d["RequestSigningAlgorithm"]; ok && v != "rsa-sha256" {
		return invalidParameter("ProviderDetails RequestSigningAlgorithm must be rsa-sha256")
	}
	if u := d["MetadataURL"]; u != "" {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || len(u) > 2048 {
			return invalidParameter("ProviderDetails MetadataURL must be an http or https URL")
		}
		return nil
	}
	if len(d["MetadataFile"]) > maxMetadataFile {
		return invalidParameter("ProviderDetails MetadataFile must be at most %d characters", maxMetadataFile)
	}
	ed, err := ParseSAMLMetadata([]byte(d["MetadataFile"]))
	if err != nil {
		return invalidParameter("ProviderDetails MetadataFile is not valid SAML metadata: %s", err.Error())
	}
	if sso := SAMLEndpoint(ed, false); sso != "" {
		d["SSORedirectBindingURI"] = sso
	}
	if slo := SAMLEndpoint(ed, true); slo != "" {
		d["SLORedirectBindingURI"] = slo
	}
	return nil
}

// ParseSAMLMetadata parses an identity provider's metadata document and
// checks it can be used: an IDPSSODescriptor with an HTTP-Redirect single
// sign-on endpoint and a signing certificate.
func ParseSAMLMetadata(data []byte) (*saml.EntityDescriptor, error) {
	ed, err := samlsp.ParseMetadata(data)
	if err != nil {
		return nil, err
	}
	if SAMLEndpoint(ed, false) == "" {
		return nil, errString("it names no HTTP-Redirect SingleSignOnService")
	}
	for _, idp := range ed.IDPSSODescriptors {
		for _, kd := range idp.KeyDescriptors {
			if (kd.Use == "" || kd.Use == "signing") && len(kd.KeyInfo.X509Data.X509Certificates) > 0 {
				return ed, nil
			}
		}
	}
	return nil, errString("it has no signing certificate")
}

type errString string

func (e errString) Error() string { return string(e) }

// SAMLEndpoint is the HTTP-Redirect single sign-on (or, with logout, single
// logout) endpoint of an identity provider's metadata.
func SAMLEndpoint(ed *saml.EntityDescriptor, logout bool) string {
	for _, idp := range ed.IDPSSODescriptors {
		eps := idp.SingleSignOnServices
		if logout {
			eps = idp.SingleLogoutServices
		}
		for _, ep := range eps {
			if ep.Binding == saml.HTTPRedirectBinding {
				return ep.Location
			}
		}
	}
	return ""
}

// SAMLProvider is a SAML identity provider as the authorization server uses it.
type SAMLProvider struct {
	// Name is the provider's name (the user name prefix).
	Name string
	// MetadataURL is where the metadata is fetched from, when not inline.
	MetadataURL string
	// MetadataFile is the metadata document, when given inline.
	MetadataFile string
	// IDPInit allows IdP-initiated sign-in (unsolicited responses).
	IDPInit bool
	// SignRequests signs AuthnRequests (RequestSigningAlgorithm rsa-sha256).
	SignRequests bool
	// EncryptedResponses requires assertions encrypted to the pool's certificate.
	EncryptedResponses bool
	// AttributeMapping maps user pool attributes to SAML attribute names.
	AttributeMapping map[string]string
}

// SAMLProviderByName loads a SAML provider of a pool; ok is false for a
// provider of another type.
func (s *Service) SAMLProviderByName(ctx context.Context, poolID, name string) (*SAMLProvider, bool, error) {
	r, err := s.provider(ctx, poolID, name)
	if err != nil {
		return nil, false, err
	}
	if r.Type != "SAML" {
		return nil, false, nil
	}
	return &SAMLProvider{Name: r.Name, MetadataURL: r.Details["MetadataURL"], MetadataFile: r.Details["MetadataFile"],
		IDPInit: strings.EqualFold(r.Details["IDPInit"], "true"), SignRequests: r.Details["RequestSigningAlgorithm"] != "",
		EncryptedResponses: strings.EqualFold(r.Details["EncryptedResponses"], "true"),
		AttributeMapping:   r.AttributeMapping}, true, nil
}

// describeSAML adds what AWS computes to a SAML provider's description:
// ActiveEncryptionCertificate when EncryptedResponses is on. Cognate's SP
// decrypts with the pool's one key pair (userpool/saml_cert.go), so that is
// the pool's SAML certificate (base64 DER), the one its SP metadata
// advertises for encryption; AWS keeps a separate one per provider.
func (s *Service) describeSAML(ctx context.Context, out *identityProviderType) {
	if out.ProviderType != "SAML" || !strings.EqualFold(out.ProviderDetails["EncryptedResponses"], "true") {
		return
	}
	if _, cert, err := s.SAMLSigningCertificate(ctx, out.UserPoolId); err == nil {
		out.ProviderDetails["ActiveEncryptionCertificate"] = base64.StdEncoding.EncodeToString(cert.Raw)
	}
}
