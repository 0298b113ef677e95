package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/cognate-dev/cognate/internal/awsjson"
	"github.com/cognate-dev/cognate/internal/store"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// Federation with SAML 2.0 identity providers, as Cognito does it. The
// pool is the service provider, entity ID urn:amazon:cognito:sp:POOL:
//
//   - SP-initiated: /oauth2/authorize with identity_provider (or
//     idp_identifier) naming a SAML provider sends the browser to the
//     provider's HTTP-Redirect SingleSignOnService with an AuthnRequest
//     (signed when the provider has RequestSigningAlgorithm) and an opaque
//     RelayState that stands for the original request in the store.
//   - The provider POSTs the response to /saml2/idpresponse (HTTP-POST
//     binding). It must be signed by a certificate of the provider's
//     metadata, answer that AuthnRequest (InResponseTo), be addressed to
//     this ACS URL, name the pool's entity ID as audience and be within its
//     time conditions; every assertion ID is recorded in the store until the
//     assertion expires, so a replay is refused on every node.
//   - IdP-initiated (only for providers with IDPInit "true"): an unsolicited
//     response whose RelayState carries the authorize parameters
//     (client_id, redirect_uri, response_type, identity_provider, scope...).
//   - The user is PROVIDER_NameID (or the native user linked to it) with
//     the identities attribute and the attributes AttributeMapping maps from
//     SAML attribute names; then a code (or tokens) as for OIDC.
//
// /saml2/metadata serves the pool's SP metadata: entity ID, ACS URL and the
// signing certificate (GetSigningCertificate's).

const (
	kindSAMLRequest   = "saml-request"
	itemSAMLAssertion = "saml-assertion-used"
	// maxSAMLForm bounds the POST to /saml2/idpresponse: AWS accepts
	// assertions of up to 100,000 characters, and the form carries the
	// RelayState too.
	maxSAMLForm = 256 << 10
	// maxSAMLResponse is AWS's limit on the SAMLResponse parameter.
	maxSAMLResponse = 100000
	// maxMetadataBytes bounds a metadata document fetched from MetadataURL.
	maxMetadataBytes = 1 << 20
	// samlInvalid is the error description Cognito gives for a response it refuses.
	samlInvalid = "Invalid samlResponse or relayState from identity provider"
)

// SPEntityID is the SAML entity ID (audience) of a pool, as AWS's.
func SPEntityID(poolID string) string { return "urn:amazon:cognito:sp:" + poolID }

// samlState is what a RelayState sent to a provider stands for.
type samlState struct {
	Query     string `json:"q"`
	Provider  string `json:"p"`
	RequestID string `json:"i"`
}

// metadataCache keeps metadata fetched from MetadataURL for a few minutes.
type metadataCache struct {
	mu sync.Mutex
	m  map[string]cachedMetadata
}

type cachedMetadata struct {
	ed      *saml.EntityDescriptor
	expires time.Time
}

func (s *Server) samlMetadata(ctx context.Context, p *userpool.SAMLProvider) (*saml.EntityDescriptor, error) {
	if p.MetadataFile != "" {
		return userpool.ParseSAMLMetadata([]byte(p.MetadataFile))
	}
	now := s.now()
	s.samlMeta.mu.Lock()
	if c, ok := s.samlMeta.m[p.MetadataURL]; ok && now.Before(c.expires) {
		s.samlMeta.mu.Unlock()
		return c.ed, nil
	}
	s.samlMeta.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.MetadataURL, nil)
	if err != nil {
		return nil, fmt.Errorf("metadata request: %w", err)
	}
	c := s.httpClient
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	res, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch metadata: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch metadata: status %d", res.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, maxMetadataBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read metadata: %w", err)
	}
	if len(data) > maxMetadataBytes {
		return nil, errors.New("metadata document too large")
	}
	ed, err := userpool.ParseSAMLMetadata(data)
	if err != nil {
		return nil, fmt.Errorf("metadata from %s: %w", p.MetadataURL, err)
	}
	s.samlMeta.mu.Lock()
	if s.samlMeta.m == nil || len(s.samlMeta.m) > 1000 {
		s.samlMeta.m = map[string]cachedMetadata{}
	}
	s.samlMeta.m[p.MetadataURL] = cachedMetadata{ed: ed, expires: now.Add(5 * time.Minute)}
	s.samlMeta.mu.Unlock()
	return ed, nil
}

// serviceProvider is the pool as a SAML service provider, reached at the
// request's host; p (nil for the metadata document) is the identity provider.
func (s *Server) serviceProvider(ctx context.Context, r *http.Request, t Target, p *userpool.SAMLProvider) (*saml.ServiceProvider, error) {
	key, cert, err := s.pools.SAMLSigningCertificate(ctx, t.PoolID)
	if err != nil {
		return nil, err
	}
	base := BaseURL(r, t)
	acs, err := url.Parse(base + "/saml2/idpresponse")
	if err != nil {
		return nil, fmt.Errorf("ACS URL: %w", err)
	}
	md, _ := url.Parse(base + "/saml2/metadata")
	sp := &saml.ServiceProvider{EntityID: SPEntityID(t.PoolID), Key: key, Certificate: cert, AcsURL: *acs, MetadataURL: *md,
		AuthnNameIDFormat: saml.UnspecifiedNameIDFormat, AssertionConsumerServiceBindings: []string{saml.HTTPPostBinding},
		ReplayCache: replayCache{s: s, ctx: ctx, poolID: t.PoolID}}
	if p != nil {
		ed, err := s.samlMetadata(ctx, p)
		if err != nil {
			return nil, err
		}
		sp.IDPMetadata = ed
		if p.SignRequests {
			sp.SignatureMethod = dsig.RSASHA256SignatureMethod
		}
	}
	return sp, nil
}

// replayCache records accepted assertion IDs in the store (shared by every node).
type replayCache struct {
	s      *Server
	ctx    context.Context
	poolID string
}

// Consume records an assertion ID until it expires, refusing one seen before.
func (c replayCache) Consume(id string, until time.Time) error {
	now := c.s.Now()
	// Keep it past the clock skew the time checks allow, so no replay
	// slips in between the record's expiry and the assertion's.
	err := c.s.st.CreateItem(c.ctx, store.Item{Kind: itemSAMLAssertion, Key: c.poolID + "|" + hashID(id), PoolID: c.poolID,
		Data: []byte{}, ExpiresAt: until.Add(saml.MaxClockSkew), CreatedAt: now, UpdatedAt: now})
	if errors.Is(err, store.ErrAlreadyExists) {
		return saml.ErrAssertionReplayed
	}
	if err != nil {
		return fmt.Errorf("record assertion: %w", err)
	}
	return nil
}

// federateSAML starts SP-initiated sign-in through a SAML provider.
func (s *Server) federateSAML(w http.ResponseWriter, r *http.Request, req *Request) {
	ctx := r.Context()
	prov, ok, err := s.pools.SAMLProviderByName(ctx, req.Target.PoolID, req.Provider)
	if err != nil || !ok {
		redirectError(w, r, req.RedirectURI, req.State, "invalid_request", "identity provider "+req.Provider+" does not exist", req.Fragment())
		return
	}
	sp, err := s.serviceProvider(ctx, r, req.Target, prov)
	if err != nil {
		s.log.WarnContext(ctx, "SAML provider metadata unusable", "provider", prov.Name, "err", err)
		redirectError(w, r, req.RedirectURI, req.State, "server_error", "the identity provider's metadata could not be read", req.Fragment())
		return
	}
	ar, err := sp.MakeAuthenticationRequest(sp.GetSSOBindingLocation(saml.HTTPRedirectBinding), saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		s.log.ErrorContext(ctx, "SAML AuthnRequest", "err", err)
		redirectError(w, r, req.RedirectURI, req.State, "server_error", "", req.Fragment())
		return
	}
	raw, _ := json.Marshal(samlState{Query: req.Query.Encode(), Provider: prov.Name, RequestID: ar.ID})
	relay := randomToken(32)
	id := hashID(relay)
	if err := s.st.PutSession(ctx, store.Session{ID: id, PoolID: req.Target.PoolID, Kind: kindSAMLRequest,
		Data: s.sealer.Seal(raw, []byte("saml|"+id)), ExpiresAt: s.Now().Add(FederationTTL)}); err != nil {
		s.log.ErrorContext(ctx, "store SAML request", "err", err)
		redirectError(w, r, req.RedirectURI, req.State, "server_error", "", req.Fragment())
		return
	}
	u, err := ar.Redirect(relay, sp)
	if err != nil {
		s.log.ErrorContext(ctx, "SAML redirect", "err", err)
		redirectError(w, r, req.RedirectURI, req.State, "server_error", "", req.Fragment())
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// samlResponse serves POST /saml2/idpresponse.
func (s *Server) samlResponse(w http.ResponseWriter, r *http.Request, t Target) {
	ctx := r.Context()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		errorPage(w, http.StatusMethodNotAllowed, "invalid_request", "The SAML assertion endpoint accepts POST (HTTP-POST binding) only.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxSAMLForm)
	if err := r.ParseForm(); err != nil {
		errorPage(w, http.StatusBadRequest, "invalid_request", "The SAML response could not be read.")
		return
	}
	relay, resp := r.PostForm.Get("RelayState"), r.PostForm.Get("SAMLResponse")
	if resp == "" || len(resp) > maxSAMLResponse || len(r.PostForm["SAMLResponse"]) > 1 || len(r.PostForm["RelayState"]) > 1 {
		errorPage(w, http.StatusBadRequest, "invalid_request", samlInvalid+": a single SAMLResponse of at most 100,000 characters is required.")
		return
	}
	var (
		orig       url.Values
		requestIDs []string
		started    string // the provider an SP-initiated request went to
	)
	if relay != "" && len(relay) <= 512 {
		id := hashID(relay)
		if sess, err := s.st.TakeSession(ctx, id, s.Now()); err == nil {
			raw, err := s.sealer.Open(sess.Data, []byte("saml|"+id))
			var st samlState
			if sess.Kind != kindSAMLRequest || sess.PoolID != t.PoolID || err != nil || json.Unmarshal(raw, &st) != nil {
				errorPage(w, http.StatusBadRequest, "invalid_request", samlInvalid+".")
				return
			}
			orig, _ = url.ParseQuery(st.Query)
			requestIDs, started = []string{st.RequestID}, st.Provider
		}
	}
	if orig == nil {
		// IdP-initiated: the RelayState carries the authorize parameters.
		q, err := url.ParseQuery(relay)
		if err != nil || q.Get("client_id") == "" {
			errorPage(w, http.StatusBadRequest, "invalid_request", samlInvalid+": the RelayState is neither a sign-in in progress nor authorize parameters (it may have expired or been used).")
			return
		}
		orig = q
	}
	req, perr := s.ParseAuthorize(ctx, t, orig)
	if perr != nil {
		s.fail(w, r, req, perr)
		return
	}
	refuse := func(reason string) {
		redirectError(w, r, req.RedirectURI, req.State, "invalid_request", samlInvalid+": "+reason, req.Fragment())
	}
	if req.Provider == "" {
		refuse("the RelayState names no identity_provider or idp_identifier")
		return
	}
	if started != "" && started != req.Provider {
		refuse("the response is not from the provider the sign-in went to")
		return
	}
	prov, ok, err := s.pools.SAMLProviderByName(ctx, t.PoolID, req.Provider)
	if err != nil || !ok {
		refuse(req.Provider + " is not a SAML identity provider of this user pool")
		return
	}
	if started == "" && !prov.IDPInit {
		refuse("IdP-initiated sign-in is not enabled for " + prov.Name + " (IDPInit)")
		return
	}
	sp, err := s.serviceProvider(ctx, r, t, prov)
	if err != nil {
		s.log.WarnContext(ctx, "SAML provider metadata unusable", "provider", prov.Name, "err", err)
		redirectError(w, r, req.RedirectURI, req.State, "server_error", "the identity provider's metadata could not be read", req.Fragment())
		return
	}
	if prov.EncryptedResponses && !encryptedOnly(resp) {
		refuse("the provider requires encrypted assertions (EncryptedResponses) and this one is not encrypted")
		return
	}
	// An SP-initiated response must answer its AuthnRequest; only an
	// IdP-initiated one may be unsolicited.
	sp.AllowIDPInitiated = started == ""
	assertion, err := sp.ParseResponse(r, requestIDs)
	if err != nil {
		reason, detail := samlReason(err, t.PoolID)
		s.log.WarnContext(ctx, "SAML response refused", "pool", t.PoolID, "provider", prov.Name, "reason", reason, "err", detail)
		refuse(reason)
		return
	}
	if assertion.Subject == nil || assertion.Subject.NameID == nil || strings.TrimSpace(assertion.Subject.NameID.Value) == "" {
		refuse("the assertion has no NameID")
		return
	}
	nameID := strings.TrimSpace(assertion.Subject.NameID.Value)
	if len(nameID) > 128 {
		refuse("the NameID is longer than 128 characters")
		return
	}
	si, err := s.pools.FederatedSignIn(ctx, t.PoolID, req.Client.ClientID, prov.Name, "SAML", nameID, samlAttributes(prov.AttributeMapping, assertion))
	if err != nil {
		s.log.WarnContext(ctx, "federated sign-in failed", "provider", prov.Name, "err", err)
		// A trigger's refusal goes back as for OIDC providers (federation.go).
		if ae := (*awsjson.Error)(nil); errors.As(err, &ae) && strings.Contains(ae.Type, "Lambda") {
			redirectError(w, r, req.RedirectURI, req.State, "invalid_request", ae.Message, req.Fragment())
			return
		}
		redirectError(w, r, req.RedirectURI, req.State, "invalid_request", "sign-in through the identity provider failed", req.Fragment())
		return
	}
	sess := &Session{PoolID: t.PoolID, Username: si.Username, Sub: si.Sub, AuthTime: si.AuthTime.Unix()}
	if err := s.sessions.Start(w, r, t, sess); err != nil {
		s.log.ErrorContext(ctx, "start login session", "err", err)
		redirectError(w, r, req.RedirectURI, req.State, "server_error", "", req.Fragment())
		return
	}
	s.Complete(w, r, req, sess)
}

// encryptedOnly reports whether a base64 SAMLResponse carries its
// assertions encrypted only: an EncryptedAssertion and no Assertion in the
// clear. (A response that does not parse is left to ParseResponse to refuse.)
func encryptedOnly(resp string) bool {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(resp))
	if err != nil {
		return true
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil || doc.Root() == nil {
		return true
	}
	enc, plain := 0, 0
	for _, el := range doc.Root().ChildElements() {
		switch el.Tag {
		case "EncryptedAssertion":
			enc++
		case "Assertion":
			plain++
		}
	}
	return enc > 0 && plain == 0
}

// samlReason says, for the client, why a response was refused; detail is
// the library's full reason, for the log.
func samlReason(err error, poolID string) (reason string, detail error) {
	var ire *saml.InvalidResponseError
	if errors.As(err, &ire) && ire.PrivateErr != nil {
		err = ire.PrivateErr
	}
	switch {
	case errors.Is(err, saml.ErrAssertionReplayed):
		return "the assertion was already used", err
	case errors.Is(err, saml.ErrInvalidSignature), errors.Is(err, saml.ErrUntrustedCertificate):
		return "the signature does not verify against the provider's metadata", err
	case errors.Is(err, saml.ErrAudienceMismatch):
		return "the audience is not " + SPEntityID(poolID), err
	case errors.Is(err, saml.ErrExpired):
		return "the assertion has expired", err
	case errors.Is(err, saml.ErrNotYetValid):
		return "the assertion is not valid yet", err
	case errors.Is(err, saml.ErrRequestIDMismatch):
		return "the response does not answer this sign-in's request", err
	case errors.Is(err, saml.ErrDestinationMismatch):
		return "the response is addressed to another endpoint", err
	case errors.Is(err, saml.ErrIssuerMismatch):
		return "the issuer is not the provider of the metadata", err
	case errors.Is(err, saml.ErrCertificateNotValidNow):
		return "the provider's signing certificate is expired", err
	}
	var bad saml.ErrBadStatus
	if errors.As(err, &bad) {
		return "the provider answered " + truncate(bad.Status, 128), err
	}
	return "the response could not be verified", err
}

// samlAttributes maps assertion attributes to user pool attributes: each
// AttributeMapping value is a SAML attribute Name. An attribute with several
// values is kept as "[v1, v2]" (Cognito's form for multi-valued attributes
// such as groups).
func samlAttributes(mapping map[string]string, a *saml.Assertion) map[string]string {
	vals := map[string][]string{}
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			for _, v := range at.Values {
				vals[at.Name] = append(vals[at.Name], v.Value)
			}
		}
	}
	out := map[string]string{}
	for attr, name := range mapping {
		if attr == "username" {
			continue
		}
		switch vs := vals[name]; len(vs) {
		case 0:
		case 1:
			out[attr] = vs[0]
		default:
			out[attr] = "[" + strings.Join(vs, ", ") + "]"
		}
	}
	return out
}

// samlMetadataDoc serves GET /saml2/metadata: the pool's SP metadata.
func (s *Server) samlMetadataDoc(w http.ResponseWriter, r *http.Request, t Target) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET")
		errorPage(w, http.StatusMethodNotAllowed, "invalid_request", "The SAML metadata endpoint accepts GET only.")
		return
	}
	sp, err := s.serviceProvider(r.Context(), r, t, nil)
	if err != nil {
		var ae *awsjson.Error
		if errors.As(err, &ae) && ae.Type == "ResourceNotFoundException" {
			errorPage(w, http.StatusNotFound, "invalid_request", "No such user pool.")
			return
		}
		s.log.ErrorContext(r.Context(), "SAML metadata", "err", err)
		errorPage(w, http.StatusInternalServerError, "server_error", "The metadata could not be made.")
		return
	}
	md := sp.Metadata()
	// The signing certificate is published even though AuthnRequestsSigned
	// stays false (only providers with RequestSigningAlgorithm get signed
	// requests): an IdP needs it to verify those.
	for i := range md.SPSSODescriptors {
		d := &md.SPSSODescriptors[i]
		d.KeyDescriptors = append([]saml.KeyDescriptor{{Use: "signing", KeyInfo: saml.KeyInfo{X509Data: saml.X509Data{
			X509Certificates: []saml.X509Certificate{{Data: base64.StdEncoding.EncodeToString(sp.Certificate.Raw)}}}}}}, d.KeyDescriptors...)
	}
	out, err := xml.MarshalIndent(md, "", "  ")
	if err != nil {
		errorPage(w, http.StatusInternalServerError, "server_error", "The metadata could not be made.")
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Header().Set("Cache-Control", "max-age=300")
	w.Write([]byte(xml.Header))
	w.Write(out)
}
