package e2e

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
	"golang.org/x/oauth2"
)

// SAML attribute names crewjam/saml's IdP asserts (eduPerson / LDAP OIDs).
const (
	oidMail      = "urn:oid:0.9.2342.19200300.100.1.3"
	oidGivenName = "urn:oid:2.5.4.42"
)

// samlIdP is a SAML 2.0 identity provider in the test process (crewjam/saml's
// IdP). It knows the pool as a service provider from the pool's own SP
// metadata, and signs its user in silently, as an IdP does for a user with
// a session there.
type samlIdP struct {
	srv    *httptest.Server
	idp    *saml.IdentityProvider
	sps    map[string]*saml.EntityDescriptor
	nameID string
	// form makes the IdP ask who signs in (a page with a Username field)
	// unless its session cookie is there; otherwise it signs nameID in.
	form bool
}

func (p *samlIdP) GetServiceProvider(_ *http.Request, id string) (*saml.EntityDescriptor, error) {
	if sp, ok := p.sps[id]; ok {
		return sp, nil
	}
	return nil, os.ErrNotExist
}

func (p *samlIdP) GetSession(w http.ResponseWriter, r *http.Request, _ *saml.IdpAuthnRequest) *saml.Session {
	if !p.form {
		return p.session(p.nameID)
	}
	if c, err := r.Cookie("corp_idp"); err == nil && strings.Contains(c.Value, "@") {
		return p.session(c.Value)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(w, `<!doctype html><html lang="en"><head><title>Corp sign-in</title></head><body><h1>Corp identity provider</h1>`+
		`<form method="post" action="/signin"><input type="hidden" name="next" value="`+html.EscapeString(r.URL.RequestURI())+`">`+
		`<label>Username <input name="username"></label> <button>Sign in to Corp</button></form></body></html>`)
	return nil
}

// signin is the IdP's own sign-in form: it starts an IdP session and goes
// back to the single sign-on request.
func (p *samlIdP) signin(w http.ResponseWriter, r *http.Request) {
	next := r.FormValue("next")
	if !strings.HasPrefix(next, "/sso?") || !strings.Contains(r.FormValue("username"), "@") {
		http.Error(w, "bad sign-in", http.StatusBadRequest)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: "corp_idp", Value: r.FormValue("username"), Path: "/", HttpOnly: true})
	http.Redirect(w, r, next, http.StatusFound)
}

func (p *samlIdP) session(nameID string) *saml.Session {
	now := time.Now()
	return &saml.Session{ID: "s-" + nameID, CreateTime: now, ExpireTime: now.Add(time.Hour), NameID: nameID,
		NameIDFormat: string(saml.EmailAddressNameIDFormat), UserName: strings.Split(nameID, "@")[0], UserEmail: nameID, UserGivenName: "Erin"}
}

// testWriter sends the IdP's log to the test's.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// startSAMLIdP starts the IdP for the pool whose SP metadata is spMetadata.
func startSAMLIdP(t *testing.T, spMetadata []byte) *samlIdP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(42), Subject: pkix.Name{CommonName: "corp idp"},
		NotBefore: time.Now().Add(-24 * time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	var sp saml.EntityDescriptor
	if err := xml.Unmarshal(spMetadata, &sp); err != nil {
		t.Fatalf("SP metadata: %v\n%s", err, spMetadata)
	}
	p := &samlIdP{sps: map[string]*saml.EntityDescriptor{sp.EntityID: &sp}, nameID: "erin@corp.example"}
	mux := http.NewServeMux()
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	base, _ := url.Parse(p.srv.URL)
	p.idp = &saml.IdentityProvider{Key: key, Certificate: cert, MetadataURL: *base.JoinPath("metadata"), SSOURL: *base.JoinPath("sso"),
		ServiceProviderProvider: p, SessionProvider: p, Logger: log.New(testWriter{t}, "corp idp: ", 0)}
	mux.HandleFunc("/metadata", p.idp.ServeMetadata)
	mux.HandleFunc("/sso", p.idp.ServeSSO)
	mux.HandleFunc("POST /signin", p.signin)
	return p
}

// unsolicited is an IdP-initiated response for the service provider spID
// (the pool's entity ID unless a test wants another audience), made with
// idp (p.idp, or a copy with another clock); mutate may change its XML.
func (p *samlIdP) unsolicited(t *testing.T, idp *saml.IdentityProvider, spID, nameID, relay string, mutate func([]byte) []byte) url.Values {
	t.Helper()
	req, err := idp.NewIdpInitiatedRequest(httptest.NewRequest(http.MethodGet, "/init", nil), spID, relay)
	if err != nil {
		t.Fatal(err)
	}
	if err := (saml.DefaultAssertionMaker{}).MakeAssertion(req, p.session(nameID)); err != nil {
		t.Fatal(err)
	}
	form, err := req.PostBinding()
	if err != nil {
		t.Fatal(err)
	}
	resp := form.SAMLResponse
	if mutate != nil {
		raw, _ := base64.StdEncoding.DecodeString(resp)
		resp = base64.StdEncoding.EncodeToString(mutate(raw))
	}
	return url.Values{"SAMLResponse": {resp}, "RelayState": {form.RelayState}}
}

var samlFormField = func(name string) string { return `name="` + name + `" value="([^"]*)"` }

// setupSAML gives e's pool the SAML provider Corp (metadata by URL from an
// IdP in the test process, identifier corp.example, email and given_name
// mapped from SAML attribute names) and lets the web client use it.
func setupSAML(t *testing.T, e *oauthEnv) *samlIdP {
	t.Helper()
	ctx := t.Context()
	// The pool's SP metadata, where AWS serves it: the entity ID, the ACS
	// URL and the signing certificate GetSigningCertificate would return.
	res, err := e.https.Get(e.issuer + "/saml2/metadata")
	if err != nil {
		t.Fatal(err)
	}
	md, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Contains(md, []byte(`entityID="urn:amazon:cognito:sp:`+e.poolID+`"`)) ||
		!bytes.Contains(md, []byte(`Location="`+e.issuer+`/saml2/idpresponse"`)) || !bytes.Contains(md, []byte(`X509Certificate xmlns="http://www.w3.org/2000/09/xmldsig#">MII`)) {
		t.Fatalf("SP metadata: %d\n%s", res.StatusCode, md)
	}
	idp := startSAMLIdP(t, md)
	if _, err := e.idp.CreateIdentityProvider(ctx, &cip.CreateIdentityProviderInput{UserPoolId: aws.String(e.poolID), ProviderName: aws.String("Corp"),
		ProviderType: ciptypes.IdentityProviderTypeTypeSaml, IdpIdentifiers: []string{"corp.example"},
		ProviderDetails:  map[string]string{"MetadataURL": idp.srv.URL + "/metadata"},
		AttributeMapping: map[string]string{"email": oidMail, "given_name": oidGivenName}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.idp.UpdateUserPoolClient(ctx, &cip.UpdateUserPoolClientInput{UserPoolId: aws.String(e.poolID), ClientId: aws.String(e.webClient),
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []ciptypes.OAuthFlowType{ciptypes.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid", "email", "profile"}, CallbackURLs: []string{callbackURL}, LogoutURLs: []string{signedOut},
		SupportedIdentityProviders: []string{"COGNITO", "Corp"}}); err != nil {
		t.Fatal(err)
	}
	return idp
}

// TestSAMLFederation runs SAML sign-in as Cognito does it with an HTTP
// client: SP-initiated (authorize → AuthnRequest by HTTP-Redirect → the
// IdP's form POSTed to /saml2/idpresponse → code → tokens with the mapped
// attributes and identities), IdP-initiated once IDPInit allows it, and a
// tampered signature, a wrong audience, an expired assertion and a replayed
// one each refused with its reason and no user created.
func TestSAMLFederation(t *testing.T) {
	e := setupOAuth(t)
	ctx := t.Context()
	idp := setupSAML(t, e)
	plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	// A provider from a metadata file is described with its endpoints;
	// metadata that is not SAML is refused.
	res, _ := plain.Get(idp.srv.URL + "/metadata")
	file, _ := io.ReadAll(res.Body)
	res.Body.Close()
	fp, err := e.idp.CreateIdentityProvider(ctx, &cip.CreateIdentityProviderInput{UserPoolId: aws.String(e.poolID), ProviderName: aws.String("CorpFile"),
		ProviderType: ciptypes.IdentityProviderTypeTypeSaml, ProviderDetails: map[string]string{"MetadataFile": string(file), "RequestSigningAlgorithm": "rsa-sha256"}})
	if err != nil || fp.IdentityProvider.ProviderDetails["SSORedirectBindingURI"] != idp.srv.URL+"/sso" {
		t.Fatalf("metadata-file provider: %v %+v", err, fp)
	}
	_, err = e.idp.CreateIdentityProvider(ctx, &cip.CreateIdentityProviderInput{UserPoolId: aws.String(e.poolID), ProviderName: aws.String("Broken"),
		ProviderType: ciptypes.IdentityProviderTypeTypeSaml, ProviderDetails: map[string]string{"MetadataFile": "<html>not metadata</html>"}})
	var inv *ciptypes.InvalidParameterException
	if !errors.As(err, &inv) {
		t.Fatalf("bad metadata file: %v", err)
	}

	verifier := oauth2.GenerateVerifier()
	params := url.Values{"response_type": {"code"}, "client_id": {e.webClient}, "redirect_uri": {callbackURL}, "scope": {"openid email profile"},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}}
	authorize := func(b *http.Client, kv ...string) url.Values {
		t.Helper()
		v := url.Values{}
		for k, vs := range params {
			v[k] = vs
		}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		res, _ := fetch(t, b, e.issuer+"/oauth2/authorize?"+v.Encode())
		sso, _ := url.Parse(res.Header.Get("Location"))
		if res.StatusCode != 302 || !strings.HasPrefix(sso.String(), idp.srv.URL+"/sso?") || sso.Query().Get("SAMLRequest") == "" || sso.Query().Get("RelayState") == "" {
			t.Fatalf("not sent to the SAML provider: %d %s", res.StatusCode, sso)
		}
		// The IdP answers with the auto-submitting HTTP-POST form.
		res, page := fetch(t, plain, sso.String())
		action := html.UnescapeString(regexpFind(t, `<form method="post" action="([^"]+)"`, page))
		if res.StatusCode != 200 || action != e.issuer+"/saml2/idpresponse" {
			t.Fatalf("IdP: %d action %q", res.StatusCode, action)
		}
		return url.Values{"SAMLResponse": {html.UnescapeString(regexpFind(t, samlFormField("SAMLResponse"), page))},
			"RelayState": {html.UnescapeString(regexpFind(t, samlFormField("RelayState"), page))}}
	}
	post := func(b *http.Client, form url.Values) *http.Response {
		t.Helper()
		res, err := b.PostForm(e.issuer+"/saml2/idpresponse", form)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	callback := func(res *http.Response) url.Values {
		t.Helper()
		cb, _ := url.Parse(res.Header.Get("Location"))
		if res.StatusCode != 302 || !strings.HasPrefix(cb.String(), callbackURL) {
			t.Fatalf("idpresponse: %d %s", res.StatusCode, cb)
		}
		return cb.Query()
	}
	redeem := func(code string) map[string]any {
		t.Helper()
		st, body, _ := oauthPost(t, e.https, e.issuer+"/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "client_id": {e.webClient},
			"code": {code}, "redirect_uri": {callbackURL}, "code_verifier": {verifier}}, "", "")
		if st != 200 {
			t.Fatalf("token: %d %v", st, body)
		}
		return jwtClaims(t, body["id_token"])
	}
	refused := func(q url.Values, reason string) {
		t.Helper()
		if q.Get("error") != "invalid_request" || q.Get("code") != "" || !strings.Contains(q.Get("error_description"), "Invalid samlResponse or relayState from identity provider: "+reason) {
			t.Errorf("want refusal %q, got %v", reason, q)
		}
	}
	noUser := func(nameID string) {
		t.Helper()
		_, err := e.idp.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(e.poolID), Username: aws.String("Corp_" + nameID)})
		var nf *ciptypes.UserNotFoundException
		if !errors.As(err, &nf) {
			t.Errorf("user Corp_%s: %v, want UserNotFoundException", nameID, err)
		}
	}

	// SP-initiated, by identifier; the state comes back, and the tokens name the SAML identity.
	b := e.browser(t)
	form := authorize(b, "idp_identifier", "corp.example", "state", "saml-1")
	q := callback(post(b, form))
	if q.Get("state") != "saml-1" || q.Get("code") == "" {
		t.Fatalf("callback: %v", q)
	}
	id := redeem(q.Get("code"))
	ids, _ := id["identities"].([]any)
	first, _ := func() (map[string]any, bool) {
		if len(ids) != 1 {
			return nil, false
		}
		m, ok := ids[0].(map[string]any)
		return m, ok
	}()
	if id["cognito:username"] != "Corp_erin@corp.example" || id["email"] != "erin@corp.example" || id["given_name"] != "Erin" ||
		first["providerName"] != "Corp" || first["providerType"] != "SAML" || first["userId"] != "erin@corp.example" {
		t.Fatalf("id token: %v", id)
	}
	u, err := e.idp.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(e.poolID), Username: aws.String("Corp_erin@corp.example")})
	if err != nil || u.UserStatus != ciptypes.UserStatusTypeExternalProvider {
		t.Fatalf("federated user: %v %v", err, u)
	}
	// The same response again: its RelayState was used up.
	if res := post(b, form); res.StatusCode != 400 {
		t.Fatalf("replayed SP-initiated response: %d", res.StatusCode)
	}
	// A second sign-in within the managed-login session skips the IdP.
	v := url.Values{}
	for k, vs := range params {
		v[k] = vs
	}
	if res, _ := fetch(t, b, e.issuer+"/oauth2/authorize?"+v.Encode()); res.StatusCode != 302 || !strings.HasPrefix(res.Header.Get("Location"), callbackURL+"?code=") {
		t.Fatalf("session reuse: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	// A response to one sign-in's request does not complete another's.
	stale := authorize(e.browser(t), "identity_provider", "Corp")
	fresh := authorize(e.browser(t), "identity_provider", "Corp")
	refused(callback(post(e.browser(t), url.Values{"SAMLResponse": stale["SAMLResponse"], "RelayState": fresh["RelayState"]})),
		"the response does not answer this sign-in's request")

	// A provider with RequestSigningAlgorithm gets signed AuthnRequests
	// (HTTP-Redirect: SigAlg and Signature), which the IdP verifies against
	// the certificate of the pool's SP metadata.
	if _, err := e.idp.UpdateUserPoolClient(ctx, &cip.UpdateUserPoolClientInput{UserPoolId: aws.String(e.poolID), ClientId: aws.String(e.webClient),
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []ciptypes.OAuthFlowType{ciptypes.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid", "email", "profile"}, CallbackURLs: []string{callbackURL}, LogoutURLs: []string{signedOut},
		SupportedIdentityProviders: []string{"COGNITO", "Corp", "CorpFile"}}); err != nil {
		t.Fatal(err)
	}
	sb := e.browser(t)
	v = url.Values{"identity_provider": {"CorpFile"}}
	for k, vs := range params {
		v[k] = vs
	}
	res, _ = fetch(t, sb, e.issuer+"/oauth2/authorize?"+v.Encode())
	sso, _ := url.Parse(res.Header.Get("Location"))
	if sso.Query().Get("SigAlg") != dsig.RSASHA256SignatureMethod || sso.Query().Get("Signature") == "" {
		t.Fatalf("AuthnRequest not signed: %s", sso)
	}
	res, page := fetch(t, plain, sso.String())
	if res.StatusCode != 200 {
		t.Fatalf("IdP refused the signed request: %d %s", res.StatusCode, page)
	}
	signed := url.Values{"SAMLResponse": {html.UnescapeString(regexpFind(t, samlFormField("SAMLResponse"), page))},
		"RelayState": {html.UnescapeString(regexpFind(t, samlFormField("RelayState"), page))}}
	if id := redeem(callback(post(sb, signed)).Get("code")); id["cognito:username"] != "CorpFile_erin@corp.example" {
		t.Fatalf("signed-request sign-in: %v", id)
	}

	// IdP-initiated: the RelayState carries the authorize parameters; refused until IDPInit.
	spID := "urn:amazon:cognito:sp:" + e.poolID
	relay := url.Values{"identity_provider": {"Corp"}, "client_id": {e.webClient}, "redirect_uri": {callbackURL}, "response_type": {"code"},
		"scope": {"openid email"}, "code_challenge": params["code_challenge"], "code_challenge_method": {"S256"}}.Encode()
	refused(callback(post(e.browser(t), idp.unsolicited(t, idp.idp, spID, "ivy@corp.example", relay, nil))), "IdP-initiated sign-in is not enabled for Corp")
	noUser("ivy@corp.example")
	if _, err := e.idp.UpdateIdentityProvider(ctx, &cip.UpdateIdentityProviderInput{UserPoolId: aws.String(e.poolID), ProviderName: aws.String("Corp"),
		ProviderDetails: map[string]string{"MetadataURL": idp.srv.URL + "/metadata", "IDPInit": "true"}}); err != nil {
		t.Fatal(err)
	}
	unsolicited := idp.unsolicited(t, idp.idp, spID, "ivy@corp.example", relay, nil)
	q = callback(post(e.browser(t), unsolicited))
	if id := redeem(q.Get("code")); id["cognito:username"] != "Corp_ivy@corp.example" {
		t.Fatalf("IdP-initiated id token: %v", id)
	}
	// Replayed: the assertion ID is in the store.
	refused(callback(post(e.browser(t), unsolicited)), "the assertion was already used")

	// Tampered after signing: the attribute no longer matches the signature.
	// (The IdP encrypts assertions to the key the SP metadata advertises, as
	// in the sign-ins above; this one it only signs, so the text is there to
	// change.)
	encrypting := idp.sps[spID]
	signOnly := *encrypting
	signOnly.SPSSODescriptors = append([]saml.SPSSODescriptor(nil), encrypting.SPSSODescriptors...)
	for i := range signOnly.SPSSODescriptors {
		var kds []saml.KeyDescriptor
		for _, kd := range signOnly.SPSSODescriptors[i].KeyDescriptors {
			if kd.Use != "encryption" {
				kds = append(kds, kd)
			}
		}
		signOnly.SPSSODescriptors[i].KeyDescriptors = kds
	}
	idp.sps[spID] = &signOnly
	tampered := idp.unsolicited(t, idp.idp, spID, "tess@corp.example", relay, func(x []byte) []byte {
		if !bytes.Contains(x, []byte("tess@corp.example")) {
			t.Fatalf("the assertion is not in the clear:\n%s", x)
		}
		return bytes.ReplaceAll(x, []byte("tess@corp.example"), []byte("root@corp.example"))
	})
	idp.sps[spID] = encrypting
	refused(callback(post(e.browser(t), tampered)), "the signature does not verify against the provider's metadata")
	noUser("root@corp.example")
	noUser("tess@corp.example")

	// Made for another service provider: the audience is not this pool's.
	other := *idp.sps[spID]
	other.EntityID = "urn:amazon:cognito:sp:us-east-1_Other"
	idp.sps[other.EntityID] = &other
	refused(callback(post(e.browser(t), idp.unsolicited(t, idp.idp, other.EntityID, "olga@corp.example", relay, nil))), "the audience is not "+spID)
	noUser("olga@corp.example")

	// Issued an hour ago: expired.
	old := *idp.idp
	old.Clock = dsig.NewFakeClockAt(time.Now().Add(-time.Hour))
	refused(callback(post(e.browser(t), idp.unsolicited(t, &old, spID, "otto@corp.example", relay, nil))), "the assertion has expired")
	noUser("otto@corp.example")

	// EncryptedResponses: an assertion in the clear is refused, an encrypted one accepted.
	if _, err := e.idp.UpdateIdentityProvider(ctx, &cip.UpdateIdentityProviderInput{UserPoolId: aws.String(e.poolID), ProviderName: aws.String("Corp"),
		ProviderDetails: map[string]string{"MetadataURL": idp.srv.URL + "/metadata", "IDPInit": "true", "EncryptedResponses": "true"}}); err != nil {
		t.Fatal(err)
	}
	idp.sps[spID] = &signOnly
	clear := idp.unsolicited(t, idp.idp, spID, "pia@corp.example", relay, nil)
	idp.sps[spID] = encrypting
	refused(callback(post(e.browser(t), clear)), "the provider requires encrypted assertions (EncryptedResponses)")
	noUser("pia@corp.example")
	q = callback(post(e.browser(t), idp.unsolicited(t, idp.idp, spID, "eve@corp.example", relay, nil)))
	if id := redeem(q.Get("code")); id["cognito:username"] != "Corp_eve@corp.example" {
		t.Fatalf("encrypted assertion: %v", id)
	}

	// Not a SAML response at all, and a GET: clear errors, no redirect.
	if res := post(e.browser(t), url.Values{"SAMLResponse": {"bm90IFhNTA=="}, "RelayState": {relay}}); res.StatusCode != 302 {
		t.Fatalf("garbage response: %d", res.StatusCode)
	}
	if res, _ := fetch(t, e.browser(t), e.issuer+"/saml2/idpresponse"); res.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET idpresponse: %d", res.StatusCode)
	}
	if res := post(e.browser(t), url.Values{"RelayState": {relay}}); res.StatusCode != 400 {
		t.Fatalf("no SAMLResponse: %d", res.StatusCode)
	}
}

// TestBrowserSAMLSignIn: oidc-client-ts in headless Chromium signs in
// through the managed login's "Continue with Corp" button: the SAML IdP's
// own sign-in page, its auto-submitted HTTP-POST form to /saml2/idpresponse,
// then the app's callback with the tokens (email mapped from the SAML
// attribute). Screenshots go to SCREENSHOT_DIR (COGNATE_SCREENSHOTS=DIR keeps them).
func TestBrowserSAMLSignIn(t *testing.T) {
	requireChromium(t)
	requireNode(t)
	e := setupOAuth(t)
	ctx := t.Context()
	bundle := filepath.Join(repoRoot(), "e2e", "node", "node_modules", "oidc-client-ts", "dist", "browser", "oidc-client-ts.min.js")
	if _, err := os.Stat(bundle); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("oidc-client-ts is required in CI (cd e2e/node && npm ci): %v", err)
		}
		t.Skipf("oidc-client-ts not installed (cd e2e/node && npm ci): %v", err)
	}
	idp := setupSAML(t, e)
	idp.form = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	appURL := "http://" + ln.Addr().String()
	client, err := e.idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(e.poolID), ClientName: aws.String("spa"),
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []ciptypes.OAuthFlowType{ciptypes.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid", "email", "profile"}, CallbackURLs: []string{appURL + "/callback.html"},
		SupportedIdentityProviders: []string{"COGNITO", "Corp"}})
	if err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf(appPage, e.issuer, aws.ToString(client.UserPoolClient.ClientId))
	app := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oidc-client-ts.min.js" {
			w.Header().Set("Content-Type", "text/javascript")
			http.ServeFile(w, r, bundle)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(page))
	})}}
	app.Start()
	defer app.Close()
	spki, err := runCLI(t, ctx, "", "ca", "--data", e.srv.DataDir, "--spki")
	if err != nil {
		t.Fatal(err)
	}
	shots := os.Getenv("COGNATE_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	runBrowserTest(t, "saml.test.js", "APP_URL="+appURL, "IDP_URL="+idp.srv.URL, "CA_SPKI="+strings.TrimSpace(spki), "SCREENSHOT_DIR="+shots)
	for _, name := range []string{"saml-provider-button", "saml-idp-sign-in", "saml-signed-in-app"} {
		if _, err := os.Stat(filepath.Join(shots, name+".png")); err != nil {
			t.Errorf("screenshot %s missing: %v", name, err)
		}
	}
	u, err := e.idp.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(e.poolID), Username: aws.String("Corp_gwen@corp.example")})
	if err != nil || u.UserStatus != ciptypes.UserStatusTypeExternalProvider {
		t.Fatalf("the browser's SAML user: %v %v", err, u)
	}
}

// TestSAMLReplayRefusedOnAnotherNode: two nodes on one PostgreSQL store,
// reached through the pool's domain (one ACS URL for both). An IdP-initiated
// assertion accepted by node A is refused by node B: used assertion IDs
// live in the store.
func TestSAMLReplayRefusedOnAnotherNode(t *testing.T) {
	storeURL := postgresURL(t)
	key := make([]byte, 32)
	rand.Read(key)
	env := []string{"COGNATE_SERVER_KEY=" + hex.EncodeToString(key)}
	a := startServerEnv(t, "", env, "--store", storeURL)
	b := startServerEnv(t, "", env, "--store", storeURL)
	api := newIDP(a.URL)
	ctx := t.Context()
	pool, err := api.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("cluster-saml")})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	const domain = "saml-cluster.auth.us-east-1.amazoncognito.com"
	if _, err := api.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: aws.String(poolID), Domain: aws.String("saml-cluster")}); err != nil {
		t.Fatal(err)
	}
	// requests go to a node's address with the domain as Host.
	do := func(node *server, method, path string, form url.Values) *http.Response {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, node.URL+path, body)
		req.Host = domain
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := do(a, http.MethodGet, "/saml2/metadata", nil)
	md, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Contains(md, []byte(`Location="http://`+domain+`/saml2/idpresponse"`)) {
		t.Fatalf("SP metadata on the domain: %d\n%s", res.StatusCode, md)
	}
	idp := startSAMLIdP(t, md)
	if _, err := api.CreateIdentityProvider(ctx, &cip.CreateIdentityProviderInput{UserPoolId: aws.String(poolID), ProviderName: aws.String("Corp"),
		ProviderType: ciptypes.IdentityProviderTypeTypeSaml, ProviderDetails: map[string]string{"MetadataURL": idp.srv.URL + "/metadata", "IDPInit": "true"},
		AttributeMapping: map[string]string{"email": oidMail}}); err != nil {
		t.Fatal(err)
	}
	c, err := api.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("web"), GenerateSecret: true,
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []ciptypes.OAuthFlowType{ciptypes.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid", "email"}, CallbackURLs: []string{callbackURL}, SupportedIdentityProviders: []string{"Corp"}})
	if err != nil {
		t.Fatal(err)
	}
	relay := url.Values{"identity_provider": {"Corp"}, "client_id": {aws.ToString(c.UserPoolClient.ClientId)}, "redirect_uri": {callbackURL},
		"response_type": {"code"}, "scope": {"openid email"}}.Encode()
	form := idp.unsolicited(t, idp.idp, "urn:amazon:cognito:sp:"+poolID, "nina@corp.example", relay, nil)
	cb, _ := url.Parse(do(a, http.MethodPost, "/saml2/idpresponse", form).Header.Get("Location"))
	if !strings.HasPrefix(cb.String(), callbackURL) || cb.Query().Get("code") == "" {
		t.Fatalf("node A: %s", cb)
	}
	cb, _ = url.Parse(do(b, http.MethodPost, "/saml2/idpresponse", form).Header.Get("Location"))
	if cb.Query().Get("error") != "invalid_request" || !strings.Contains(cb.Query().Get("error_description"), "the assertion was already used") {
		t.Fatalf("node B accepted the replay: %s", cb)
	}
}
