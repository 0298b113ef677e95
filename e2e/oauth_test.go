package e2e

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

const (
	callbackURL = "http://localhost/callback"
	signedOut   = "http://localhost/signed-out"
	apiScope    = "https://api.example.com/notes.read"
)

// oauthEnv is a server with a pool set up for OAuth: a public web client
// (code + PKCE), a confidential machine client (client_credentials with a
// resource server's scope) and a user.
type oauthEnv struct {
	srv                  *server
	idp                  *cip.Client
	https                *http.Client // trusts the local CA
	port                 string
	poolID, webClient    string
	m2mClient, m2mSecret string
	issuer               string
}

func setupOAuth(t *testing.T) *oauthEnv {
	t.Helper()
	return setupOAuthArgs(t)
}

// setupOAuthArgs is setupOAuth with more server arguments.
func setupOAuthArgs(t *testing.T, args ...string) *oauthEnv {
	t.Helper()
	srv := startServer(t, "", append([]string{"--tls", "auto"}, args...)...)
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	env := &oauthEnv{srv: srv, port: port, idp: newIDP("http://127.0.0.1:" + port)}
	env.https, _ = trustCA(t, srv.DataDir)
	ctx := t.Context()
	pool, err := env.idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("oauth-users"),
		AutoVerifiedAttributes: []ciptypes.VerifiedAttributeType{ciptypes.VerifiedAttributeTypeEmail}})
	if err != nil {
		t.Fatal(err)
	}
	env.poolID = aws.ToString(pool.UserPool.Id)
	env.issuer = srv.URL + "/" + env.poolID
	if _, err := env.idp.CreateResourceServer(ctx, &cip.CreateResourceServerInput{UserPoolId: aws.String(env.poolID),
		Identifier: aws.String("https://api.example.com"), Name: aws.String("notes API"),
		Scopes: []ciptypes.ResourceServerScopeType{{ScopeName: aws.String("notes.read"), ScopeDescription: aws.String("read notes")}}}); err != nil {
		t.Fatal(err)
	}
	web, err := env.idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(env.poolID), ClientName: aws.String("web"),
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []ciptypes.OAuthFlowType{ciptypes.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid", "email", "profile"}, CallbackURLs: []string{callbackURL}, LogoutURLs: []string{signedOut},
		SupportedIdentityProviders: []string{"COGNITO"}})
	if err != nil {
		t.Fatal(err)
	}
	env.webClient = aws.ToString(web.UserPoolClient.ClientId)
	m2m, err := env.idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(env.poolID), ClientName: aws.String("m2m"),
		GenerateSecret: true, AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []ciptypes.OAuthFlowType{ciptypes.OAuthFlowTypeClientCredentials},
		AllowedOAuthScopes: []string{apiScope}})
	if err != nil {
		t.Fatal(err)
	}
	env.m2mClient, env.m2mSecret = aws.ToString(m2m.UserPoolClient.ClientId), aws.ToString(m2m.UserPoolClient.ClientSecret)
	if _, err := env.idp.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(env.poolID), Username: aws.String("alice"),
		MessageAction: ciptypes.MessageActionTypeSuppress, UserAttributes: []ciptypes.AttributeType{
			{Name: aws.String("email"), Value: aws.String("alice@example.com")}, {Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.idp.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(env.poolID), Username: aws.String("alice"),
		Password: aws.String("Alice-Passw0rd!"), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	return env
}

// browser is a cookie-keeping client that does not follow redirects.
func (e *oauthEnv) browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Transport: e.https.Transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
var formAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)

// get fetches a URL and returns the response and its body.
func fetch(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// submit posts a page's form with fields (the CSRF token added), relative to base.
func submit(t *testing.T, c *http.Client, base, page string, fields url.Values) (*http.Response, string) {
	t.Helper()
	m := formAction.FindStringSubmatch(page)
	tok := csrfField.FindStringSubmatch(page)
	if m == nil || tok == nil {
		t.Fatalf("no form with a CSRF token in:\n%s", page)
	}
	fields.Set("_csrf", html.UnescapeString(tok[1]))
	res, err := c.PostForm(base+html.UnescapeString(m[1]), fields)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// signIn follows an authorization URL through the managed login page and
// returns the callback URL the server redirected to.
func (e *oauthEnv) signIn(t *testing.T, b *http.Client, authURL, username, password string) *url.URL {
	t.Helper()
	res, _ := fetch(t, b, authURL)
	if res.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %d", res.StatusCode)
	}
	loc := res.Header.Get("Location")
	if strings.HasPrefix(loc, callbackURL) {
		u, _ := url.Parse(loc)
		return u // an existing session
	}
	origin := e.srv.URL
	res, page := fetch(t, b, origin+loc)
	if res.StatusCode != 200 || !strings.Contains(page, `<label for="password">`) {
		t.Fatalf("login page: %d\n%s", res.StatusCode, page)
	}
	res, page = submit(t, b, origin, page, url.Values{"username": {username}, "password": {password}})
	if res.StatusCode != http.StatusFound {
		t.Fatalf("sign in: %d\n%s", res.StatusCode, page)
	}
	u, err := url.Parse(res.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(u.String(), callbackURL) {
		t.Fatalf("sign-in redirect %q", res.Header.Get("Location"))
	}
	return u
}

func jwtClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(raw, &m)
	return m
}

// TestOAuthDiscoveryCodePKCERefreshRevokeLogout drives the whole
// authorization-code flow with golang.org/x/oauth2 and coreos/go-oidc over
// https with the local CA: discovery, PKCE, the managed login page,
// token, id token (nonce, at_hash) verification, userInfo, a second
// authorize within the session, refresh, revoke and logout.
func TestOAuthDiscoveryCodePKCERefreshRevokeLogout(t *testing.T) {
	e := setupOAuth(t)
	ctx := oidc.ClientContext(t.Context(), e.https)
	provider, err := oidc.NewProvider(ctx, e.issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	var disco struct {
		Authorization string   `json:"authorization_endpoint"`
		Token         string   `json:"token_endpoint"`
		UserInfo      string   `json:"userinfo_endpoint"`
		Revocation    string   `json:"revocation_endpoint"`
		EndSession    string   `json:"end_session_endpoint"`
		PKCE          []string `json:"code_challenge_methods_supported"`
		Grants        []string `json:"grant_types_supported"`
		AuthMethods   []string `json:"token_endpoint_auth_methods_supported"`
	}
	if err := provider.Claims(&disco); err != nil {
		t.Fatal(err)
	}
	if disco.Authorization != e.issuer+"/oauth2/authorize" || disco.Revocation != e.issuer+"/oauth2/revoke" || disco.EndSession != e.issuer+"/logout" ||
		strings.Join(disco.PKCE, ",") != "S256" || !strings.Contains(strings.Join(disco.Grants, ","), "client_credentials") ||
		strings.Join(disco.AuthMethods, ",") != "client_secret_basic,client_secret_post" {
		t.Fatalf("discovery document: %+v", disco)
	}
	cfg := oauth2.Config{ClientID: e.webClient, Endpoint: provider.Endpoint(), RedirectURL: callbackURL, Scopes: []string{oidc.ScopeOpenID, "email"}}
	verifier := oauth2.GenerateVerifier()
	authURL := cfg.AuthCodeURL("st-123", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n-456"))

	b := e.browser(t)
	cb := e.signIn(t, b, authURL, "alice", "Alice-Passw0rd!")
	if cb.Query().Get("state") != "st-123" || cb.Query().Get("code") == "" {
		t.Fatalf("callback %s", cb)
	}
	tok, err := cfg.Exchange(ctx, cb.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	idTok, err := provider.Verifier(&oidc.Config{ClientID: e.webClient}).Verify(ctx, rawID)
	if err != nil {
		t.Fatalf("id token: %v", err)
	}
	if idTok.Nonce != "n-456" {
		t.Fatalf("nonce %q", idTok.Nonce)
	}
	if err := idTok.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Fatalf("at_hash: %v", err)
	}
	ac := jwtClaims(t, tok.AccessToken)
	if ac["scope"] != "openid email" || ac["client_id"] != e.webClient || ac["username"] != "alice" || ac["token_use"] != "access" {
		t.Fatalf("access token claims %v", ac)
	}
	info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userInfo: %v", err)
	}
	if info.Email != "alice@example.com" || info.Subject != idTok.Subject {
		t.Fatalf("userInfo %+v", info)
	}

	// Within the session a second authorization skips the form.
	v2 := oauth2.GenerateVerifier()
	res, _ := fetch(t, b, cfg.AuthCodeURL("st-2", oauth2.S256ChallengeOption(v2)))
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusFound || !strings.HasPrefix(loc, callbackURL+"?code=") {
		t.Fatalf("second authorize: %d %s", res.StatusCode, loc)
	}

	// Refresh, then revoke the refresh token: refreshing fails after.
	refreshed, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if jwtClaims(t, refreshed.AccessToken)["scope"] != "openid email" || refreshed.Extra("id_token") == nil {
		t.Fatalf("refreshed tokens lost the grant's scopes: %v", jwtClaims(t, refreshed.AccessToken))
	}
	res, err = e.https.PostForm(disco.Revocation, url.Values{"token": {tok.RefreshToken}, "client_id": {e.webClient}})
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("revoke: %v %v", err, res.StatusCode)
	}
	res.Body.Close()
	_, err = cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("refresh after revoke: %v", err)
	}
	if _, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
		t.Fatal("userInfo accepted an access token of a revoked sign-in")
	}

	// Logout ends the session: the next authorization shows the form.
	res, _ = fetch(t, b, disco.EndSession+"?client_id="+e.webClient+"&logout_uri="+url.QueryEscape(signedOut))
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != signedOut {
		t.Fatalf("logout: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	res, _ = fetch(t, b, cfg.AuthCodeURL("st-3", oauth2.S256ChallengeOption(v2)))
	if loc := res.Header.Get("Location"); !strings.Contains(loc, "/login?") {
		t.Fatalf("authorize after logout went to %s", loc)
	}
}

// TestOAuthClientCredentials gets a machine token with a resource server's
// scope: no id token, sub is the client id, the scope is granted.
func TestOAuthClientCredentials(t *testing.T) {
	e := setupOAuth(t)
	ctx := context.WithValue(t.Context(), oauth2.HTTPClient, e.https)
	cc := clientcredentials.Config{ClientID: e.m2mClient, ClientSecret: e.m2mSecret, TokenURL: e.issuer + "/oauth2/token", Scopes: []string{apiScope}}
	tok, err := cc.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := jwtClaims(t, tok.AccessToken)
	if c["sub"] != e.m2mClient || c["client_id"] != e.m2mClient || c["scope"] != apiScope || c["token_use"] != "access" || tok.Extra("id_token") != nil {
		t.Fatalf("client_credentials token: %v", c)
	}
	// Post-style authentication works too.
	cc.AuthStyle = oauth2.AuthStyleInParams
	if _, err := cc.Token(ctx); err != nil {
		t.Fatalf("client_secret_post: %v", err)
	}
}

// oauthPost posts a form to the token or revoke endpoint.
func oauthPost(t *testing.T, c *http.Client, u string, form url.Values, basicUser, basicPass string) (int, map[string]string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicUser != "" {
		req.SetBasicAuth(basicUser, basicPass)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]string
	json.NewDecoder(res.Body).Decode(&body)
	return res.StatusCode, body, res.Header
}

// TestOAuthErrors checks RFC 6749's error cases: shown (not redirected) for
// a bad client or redirect URI, redirected with state otherwise, and JSON
// from the token endpoint.
func TestOAuthErrors(t *testing.T) {
	e := setupOAuth(t)
	authz := e.issuer + "/oauth2/authorize"
	token := e.issuer + "/oauth2/token"
	b := e.browser(t)
	q := func(kv ...string) string {
		v := url.Values{"response_type": {"code"}, "client_id": {e.webClient}, "redirect_uri": {callbackURL}, "state": {"s1"},
			"code_challenge": {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())}, "code_challenge_method": {"S256"}}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				v.Del(kv[i])
			} else {
				v.Set(kv[i], kv[i+1])
			}
		}
		return authz + "?" + v.Encode()
	}
	// Not redirected: unknown client, foreign or near-miss redirect URIs.
	for name, u := range map[string]string{
		"unknown client":     q("client_id", "nosuchclient"),
		"open redirect":      q("redirect_uri", "https://evil.example/callback"),
		"near-miss redirect": q("redirect_uri", callbackURL+"/"),
		"missing redirect":   q("redirect_uri", ""),
	} {
		res, body := fetch(t, b, u)
		if res.StatusCode != 400 || res.Header.Get("Location") != "" || !strings.Contains(body, "error") {
			t.Errorf("%s: %d Location=%q", name, res.StatusCode, res.Header.Get("Location"))
		}
	}
	// Redirected with the state.
	for name, c := range map[string]struct{ url, code string }{
		"scope not allowed": {q("scope", "openid phone"), "invalid_scope"},
		"implicit disabled": {q("response_type", "token", "code_challenge", "", "code_challenge_method", ""), "unauthorized_client"},
		"unknown type":      {q("response_type", "id_token"), "unsupported_response_type"},
		"PKCE missing":      {q("code_challenge", "", "code_challenge_method", ""), "invalid_request"},
		"PKCE plain":        {q("code_challenge_method", "plain"), "invalid_request"},
		"prompt none":       {q("prompt", "none"), "login_required"},
		"oversized state":   {q("state", strings.Repeat("x", 3000)), ""},
	} {
		res, _ := fetch(t, b, c.url)
		loc, _ := url.Parse(res.Header.Get("Location"))
		if c.code == "" { // too long to echo: shown, not redirected
			if res.StatusCode != 400 || res.Header.Get("Location") != "" {
				t.Errorf("%s: %d %s", name, res.StatusCode, loc)
			}
			continue
		}
		lq := loc.Query()
		if loc.Fragment != "" {
			lq, _ = url.ParseQuery(loc.Fragment)
		}
		if res.StatusCode != 302 || !strings.HasPrefix(loc.String(), callbackURL) || lq.Get("error") != c.code || lq.Get("state") != "s1" {
			t.Errorf("%s: %d %s, want error=%s", name, res.StatusCode, loc, c.code)
		}
	}

	// A real code, then the token endpoint's errors.
	verifier := oauth2.GenerateVerifier()
	cb := e.signIn(t, b, q("code_challenge", oauth2.S256ChallengeFromVerifier(verifier), "scope", "openid"), "alice", "Alice-Passw0rd!")
	code := cb.Query().Get("code")
	good := url.Values{"grant_type": {"authorization_code"}, "client_id": {e.webClient}, "code": {code}, "redirect_uri": {callbackURL}, "code_verifier": {verifier}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range good {
			f[kk] = vv
		}
		f.Set(k, v)
		return f
	}
	if st, body, _ := oauthPost(t, e.https, token, with("code_verifier", oauth2.GenerateVerifier()), "", ""); st != 400 || body["error"] != "invalid_grant" {
		t.Errorf("wrong verifier: %d %v", st, body)
	}
	// The failed attempt consumed the code; a correct one now finds it gone.
	if st, body, _ := oauthPost(t, e.https, token, good, "", ""); st != 400 || body["error"] != "invalid_grant" {
		t.Errorf("code after a failed redemption: %d %v", st, body)
	}
	cb = e.signIn(t, b, q("code_challenge", oauth2.S256ChallengeFromVerifier(verifier), "scope", "openid", "state", "s2"), "alice", "Alice-Passw0rd!")
	good.Set("code", cb.Query().Get("code"))
	if st, body, _ := oauthPost(t, e.https, token, with("redirect_uri", "http://localhost/other"), "", ""); st != 400 || body["error"] != "invalid_grant" {
		t.Errorf("redirect_uri mismatch: %d %v", st, body)
	}
	cb = e.signIn(t, b, q("code_challenge", oauth2.S256ChallengeFromVerifier(verifier), "scope", "openid", "state", "s3"), "alice", "Alice-Passw0rd!")
	good.Set("code", cb.Query().Get("code"))
	st, body, _ := oauthPost(t, e.https, token, good, "", "")
	if st != 200 || body["access_token"] == "" {
		t.Fatalf("good redemption: %d %v", st, body)
	}
	if st, body, _ := oauthPost(t, e.https, token, good, "", ""); st != 400 || body["error"] != "invalid_grant" {
		t.Errorf("reused code: %d %v", st, body)
	}
	// The replay revoked what the code had produced.
	req, _ := http.NewRequest("GET", e.issuer+"/oauth2/userInfo", nil)
	req.Header.Set("Authorization", "Bearer "+body["access_token"])
	if res, err := e.https.Do(req); err != nil || res.StatusCode != 401 {
		t.Errorf("access token of a replayed code still accepted: %v %v", err, res.StatusCode)
	}

	for name, c := range map[string]struct {
		form       url.Values
		user, pass string
		status     int
		code       string
	}{
		"wrong secret (basic)":  {url.Values{"grant_type": {"client_credentials"}}, e.m2mClient, "wrong-secret", 401, "invalid_client"},
		"wrong secret (post)":   {url.Values{"grant_type": {"client_credentials"}, "client_id": {e.m2mClient}, "client_secret": {"nope"}}, "", "", 400, "invalid_client"},
		"no secret":             {url.Values{"grant_type": {"client_credentials"}, "client_id": {e.m2mClient}}, "", "", 400, "invalid_client"},
		"unknown client":        {url.Values{"grant_type": {"client_credentials"}, "client_id": {"nosuch"}}, "", "", 400, "invalid_client"},
		"two auth methods":      {url.Values{"grant_type": {"client_credentials"}, "client_secret": {e.m2mSecret}}, e.m2mClient, e.m2mSecret, 400, "invalid_request"},
		"scope not allowed":     {url.Values{"grant_type": {"client_credentials"}, "scope": {"https://api.example.com/notes.write"}}, e.m2mClient, e.m2mSecret, 400, "invalid_scope"},
		"flow not allowed":      {url.Values{"grant_type": {"client_credentials"}, "client_id": {e.webClient}}, "", "", 400, "unauthorized_client"},
		"unsupported grant":     {url.Values{"grant_type": {"password"}, "client_id": {e.webClient}}, "", "", 400, "unsupported_grant_type"},
		"missing grant":         {url.Values{"client_id": {e.webClient}}, "", "", 400, "invalid_request"},
		"bad refresh token":     {url.Values{"grant_type": {"refresh_token"}, "client_id": {e.webClient}, "refresh_token": {"garbage-garbage-garbage-garbage-garbage"}}, "", "", 400, "invalid_grant"},
		"code flow not allowed": {url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}, e.m2mClient, e.m2mSecret, 400, "unauthorized_client"},
	} {
		st, body, h := oauthPost(t, e.https, token, c.form, c.user, c.pass)
		if st != c.status || body["error"] != c.code {
			t.Errorf("%s: %d %v, want %d %s", name, st, body, c.status, c.code)
		}
		if st == 401 && !strings.HasPrefix(h.Get("WWW-Authenticate"), "Basic") {
			t.Errorf("%s: 401 without WWW-Authenticate", name)
		}
	}
	// Malformed: JSON body, oversized body.
	req, _ = http.NewRequest("POST", token, strings.NewReader(`{"grant_type":"client_credentials"}`))
	req.Header.Set("Content-Type", "application/json")
	if res, err := e.https.Do(req); err != nil || res.StatusCode != 400 {
		t.Errorf("JSON body: %v %v", err, res.StatusCode)
	}
	big := url.Values{"grant_type": {"client_credentials"}, "pad": {strings.Repeat("a", 100<<10)}}
	if st, body, _ := oauthPost(t, e.https, token, big, e.m2mClient, e.m2mSecret); st != 400 || body["error"] != "invalid_request" {
		t.Errorf("oversized body: %d %v", st, body)
	}

	// CSRF: a login form posted without the token is refused and signs no one in.
	res, page := fetch(t, b, e.srv.URL+e.issuer[len(e.srv.URL):]+"/login?"+strings.SplitN(q(), "?", 2)[1])
	if res.StatusCode != 200 {
		t.Fatalf("login page %d", res.StatusCode)
	}
	action := html.UnescapeString(formAction.FindStringSubmatch(page)[1])
	res, err := e.browser(t).PostForm(e.srv.URL+action, url.Values{"username": {"alice"}, "password": {"Alice-Passw0rd!"}})
	if err != nil || res.StatusCode != 403 || res.Header.Get("Location") != "" {
		t.Errorf("login without CSRF token: %v %d", err, res.StatusCode)
	}
	// Wrong password: the form again, with the API's message.
	res, page = submit(t, b, e.srv.URL, page, url.Values{"username": {"alice"}, "password": {"wrong"}})
	if res.StatusCode != 400 || !strings.Contains(page, "Incorrect username or password.") {
		t.Errorf("wrong password: %d", res.StatusCode)
	}
	// Userinfo without or with a bad token.
	req, _ = http.NewRequest("GET", e.issuer+"/oauth2/userInfo", nil)
	req.Header.Set("Authorization", "Bearer not-a-token")
	if res, err := e.https.Do(req); err != nil || res.StatusCode != 401 || !strings.Contains(res.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("userInfo with a bad token: %v %v", err, res.StatusCode)
	}
	// Logout to an unregistered URL is refused.
	res, _ = fetch(t, b, e.issuer+"/logout?client_id="+e.webClient+"&logout_uri="+url.QueryEscape("https://evil.example/"))
	if res.StatusCode != 400 || res.Header.Get("Location") != "" {
		t.Errorf("logout open redirect: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
}

// TestOAuthDomain serves a prefix domain by Host over https: the name is
// allowed, gets a certificate from the local CA, and its endpoints answer at
// AWS's paths.
func TestOAuthDomain(t *testing.T) {
	e := setupOAuth(t)
	ctx := t.Context()
	if _, err := e.idp.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: aws.String(e.poolID), Domain: aws.String("notes-app")}); err != nil {
		t.Fatal(err)
	}
	d, err := e.idp.DescribeUserPoolDomain(ctx, &cip.DescribeUserPoolDomainInput{Domain: aws.String("notes-app")})
	if err != nil || aws.ToString(d.DomainDescription.UserPoolId) != e.poolID || d.DomainDescription.Status != ciptypes.DomainStatusTypeActive {
		t.Fatalf("describe domain: %v %+v", err, d)
	}
	if _, err := e.idp.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: aws.String(e.poolID), Domain: aws.String("my-aws-app")}); err == nil {
		t.Fatal("a domain with a reserved word was accepted")
	}
	host := "notes-app.auth.us-east-1.amazoncognito.com"
	tr := e.https.Transport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, "127.0.0.1:"+e.port)
	}
	client := &http.Client{Transport: tr}
	ccfg := clientcredentials.Config{ClientID: e.m2mClient, ClientSecret: e.m2mSecret, TokenURL: "https://" + host + ":" + e.port + "/oauth2/token"}
	tok, err := ccfg.Token(context.WithValue(ctx, oauth2.HTTPClient, client))
	if err != nil {
		t.Fatalf("token endpoint on the domain: %v", err)
	}
	if jwtClaims(t, tok.AccessToken)["iss"] != e.issuer {
		t.Fatalf("iss %v", jwtClaims(t, tok.AccessToken)["iss"])
	}
	// An unknown name under the same suffix is not served.
	req, _ := http.NewRequest("GET", "https://other.auth.us-east-1.amazoncognito.com:"+e.port+"/oauth2/token", nil)
	tr2 := tr.Clone()
	tr2.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} // the certificate is not what is tested here
	if res, err := (&http.Client{Transport: tr2}).Do(req); err != nil || res.StatusCode != 403 {
		t.Fatalf("unknown domain: %v %v", err, res.StatusCode)
	}
	if _, err := e.idp.DeleteUserPoolDomain(ctx, &cip.DeleteUserPoolDomainInput{UserPoolId: aws.String(e.poolID), Domain: aws.String("notes-app")}); err != nil {
		t.Fatal(err)
	}
}

// outboxCode is a user's latest code in the pool's outbox, read the way a
// developer would (`cognate outbox -user U -code POOL`); "" if none arrives.
func outboxCode(srvURL, poolID, username string) string {
	for range 50 {
		out, err := exec.Command(binary, "outbox", "-endpoint", srvURL, "-user", username, "-code", poolID).Output()
		if code := strings.TrimSpace(string(out)); err == nil && code != "" {
			return code
		}
		time.Sleep(100 * time.Millisecond)
	}
	return ""
}

// code is outboxCode for the env's pool, failing the test when none came.
func (e *oauthEnv) code(t *testing.T, username string) string {
	t.Helper()
	c := outboxCode("http://127.0.0.1:"+e.port, e.poolID, username)
	if c == "" {
		t.Fatalf("no code for %s in the outbox", username)
	}
	return c
}
