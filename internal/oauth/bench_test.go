package oauth

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/secret"
	"github.com/cognate-dev/cognate/internal/store"
	"github.com/cognate-dev/cognate/internal/store/sqlite"
	"github.com/cognate-dev/cognate/internal/tokens"
	"github.com/cognate-dev/cognate/internal/userpool"
	"github.com/cognate-dev/cognate/internal/uuid"
)

// benchEnv is the authorization server over a real user pool service and
// SQLite store, behind an httptest server.
type benchEnv struct {
	srv       *Server
	keys      *tokens.KeyRing
	http      *httptest.Server
	poolID    string
	web, m2m  string
	m2mSecret string
}

func call(b *testing.B, h http.Handler, op string, in any) map[string]any {
	b.Helper()
	body, _ := json.Marshal(in)
	r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
	r.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService."+op)
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 {
		b.Fatalf("%s: %d %s", op, w.Code, w.Body)
	}
	var out map[string]any
	json.Unmarshal(w.Body.Bytes(), &out)
	return out
}

func newBenchEnv(b *testing.B) *benchEnv {
	log := slog.New(slog.DiscardHandler)
	st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "db"), log)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	sealer, _ := secret.NewSealer(make([]byte, 32))
	keys := tokens.NewKeyRing(st, sealer, tokens.KeyRingOptions{})
	revs := tokens.NewRevocations(st, tokens.RevocationsOptions{})
	var base string
	issuer := func(id string) string { return tokens.Issuer(base, "us-east-1", id, false) }
	pools, err := userpool.New(userpool.Config{Store: st, Sealer: sealer, Keys: keys, Revocations: revs, Issuer: issuer, Sender: &userpool.LogSender{Logger: log}, Limits: userpool.Limits{SourceRate: -1}})
	if err != nil {
		b.Fatal(err)
	}
	e := &benchEnv{keys: keys, srv: New(Options{Pools: pools, Store: st, Sealer: sealer, Issuer: issuer})}
	h := pools.Handler()
	e.poolID = call(b, h, "CreateUserPool", map[string]any{"PoolName": "bench"})["UserPool"].(map[string]any)["Id"].(string)
	call(b, h, "CreateResourceServer", map[string]any{"UserPoolId": e.poolID, "Identifier": "api", "Name": "api",
		"Scopes": []map[string]string{{"ScopeName": "read", "ScopeDescription": "read"}}})
	web := call(b, h, "CreateUserPoolClient", map[string]any{"UserPoolId": e.poolID, "ClientName": "web", "AllowedOAuthFlowsUserPoolClient": true,
		"AllowedOAuthFlows": []string{"code"}, "AllowedOAuthScopes": []string{"openid", "email"}, "CallbackURLs": []string{"https://app.example/cb"}})
	e.web = web["UserPoolClient"].(map[string]any)["ClientId"].(string)
	m2m := call(b, h, "CreateUserPoolClient", map[string]any{"UserPoolId": e.poolID, "ClientName": "m2m", "GenerateSecret": true,
		"AllowedOAuthFlowsUserPoolClient": true, "AllowedOAuthFlows": []string{"client_credentials"}, "AllowedOAuthScopes": []string{"api/read"}})
	e.m2m = m2m["UserPoolClient"].(map[string]any)["ClientId"].(string)
	e.m2mSecret = m2m["UserPoolClient"].(map[string]any)["ClientSecret"].(string)
	call(b, h, "AdminCreateUser", map[string]any{"UserPoolId": e.poolID, "Username": "alice", "MessageAction": "SUPPRESS",
		"UserAttributes": []map[string]string{{"Name": "email", "Value": "alice@example.com"}}})
	t := Target{PoolID: e.poolID, Prefix: "/" + e.poolID, Path: "/oauth2/token"}
	e.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.srv.Serve(w, r, t, http.NotFoundHandler()) }))
	b.Cleanup(e.http.Close)
	base = e.http.URL
	return e
}

func post(b *testing.B, c *http.Client, u string, form url.Values, user, pass string) {
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	res, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		b.Fatalf("token endpoint: %d", res.StatusCode)
	}
}

// BenchmarkTokenEndpoint measures /oauth2/token over loopback HTTP against
// the bare signing the grant must do, in the same run:
// authorization_code signs an id and an access token (and seals a refresh
// token); client_credentials signs one access token.
func BenchmarkTokenEndpoint(b *testing.B) {
	e := newBenchEnv(b)
	ctx := b.Context()
	claims := map[string]any{"sub": "x", "iss": e.srv.issuer(e.poolID), "exp": time.Now().Add(time.Hour).Unix(), "scope": "openid email",
		"token_use": "access", "client_id": e.web, "username": "alice", "jti": uuid.New()}
	b.Run("bare-sign-two-tokens", func(b *testing.B) {
		for b.Loop() {
			e.keys.Sign(ctx, e.poolID, store.KeyUseID, claims)
			e.keys.Sign(ctx, e.poolID, store.KeyUseAccess, claims)
		}
	})
	b.Run("authorization_code", func(b *testing.B) {
		c := e.http.Client()
		for b.Loop() {
			code, err := e.srv.newCode(ctx, e.poolID, codeState{ClientID: e.web, RedirectURI: "https://app.example/cb", Username: "alice",
				Scopes: []string{"openid", "email"}, AuthTime: time.Now().Unix(), OriginJTI: uuid.New()})
			if err != nil {
				b.Fatal(err)
			}
			post(b, c, e.http.URL+"/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "client_id": {e.web}, "code": {code},
				"redirect_uri": {"https://app.example/cb"}}, "", "")
		}
	})
	b.Run("bare-sign-one-token", func(b *testing.B) {
		for b.Loop() {
			e.keys.Sign(ctx, e.poolID, store.KeyUseAccess, claims)
		}
	})
	b.Run("client_credentials", func(b *testing.B) {
		c := e.http.Client()
		for b.Loop() {
			post(b, c, e.http.URL+"/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"api/read"}}, e.m2m, e.m2mSecret)
		}
	})
}
