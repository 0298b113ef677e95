package httpapi

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// remoteIssuer is an OpenID provider on a loopback port: discovery and JWKS.
type remoteIssuerSrv struct {
	url       string
	jwksCalls atomic.Int32
}

func newRemoteIssuer(t *testing.T) *remoteIssuerSrv {
	ri := &remoteIssuerSrv{}
	key := testRSA()
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": ri.url, "jwks_uri": ri.url + "/jwks", "authorization_endpoint": ri.url + "/auth",
			"id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, _ *http.Request) {
		ri.jwksCalls.Add(1)
		b64 := base64.RawURLEncoding.EncodeToString
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
			"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes())}}})
	})
	ri.url = newBackend(t, mux.ServeHTTP)
	return ri
}

// sign makes an RS256 token with kid k1.
func (ri *remoteIssuerSrv) sign(t *testing.T, claims map[string]any) string {
	b64 := base64.RawURLEncoding.EncodeToString
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "kid": "k1", "typ": "JWT"})
	c, _ := json.Marshal(claims)
	in := b64(h) + "." + b64(c)
	sum := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(nil, testRSA(), crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + b64(sig)
}

func TestRemoteIssuer(t *testing.T) {
	ri := newRemoteIssuer(t)
	inv := newInvoker(map[string]fnFunc{"f": echo})
	s := &Snapshot{
		Routes:       map[string]*Route{"r": {RouteKey: "GET /x", Target: "integrations/i", AuthorizationType: AuthJWT, AuthorizerID: "a", AuthorizationScopes: []string{"read"}}},
		Integrations: map[string]*Integration{"i": integ("f", "2.0")},
		Authorizers: map[string]*Authorizer{"a": {Name: "remote", AuthorizerType: AuthorizerJWT,
			JWTConfiguration: &JWTConfiguration{Issuer: ri.url, Audience: []string{"api://notes"}}}},
	}
	g := New(Options{Functions: inv})
	if err := g.Load(deployed("abc123", s), 1); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	claims := func(extra map[string]any) map[string]any {
		c := map[string]any{"iss": ri.url, "sub": "u1", "aud": "api://notes", "exp": now + 3600, "iat": now, "scope": "read write"}
		for k, v := range extra {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	for _, c := range []struct {
		name   string
		token  string
		status int
	}{
		{"valid", ri.sign(t, claims(nil)), 200},
		{"aud list", ri.sign(t, claims(map[string]any{"aud": []string{"other", "api://notes"}})), 200},
		{"client_id without aud", ri.sign(t, claims(map[string]any{"aud": nil, "client_id": "api://notes"})), 200},
		{"scp list", ri.sign(t, claims(map[string]any{"scope": nil, "scp": []string{"read"}})), 200},
		{"wrong audience", ri.sign(t, claims(map[string]any{"aud": "other"})), 401},
		{"client_id ignored when aud is present", ri.sign(t, claims(map[string]any{"aud": "other", "client_id": "api://notes"})), 401},
		{"expired", ri.sign(t, claims(map[string]any{"exp": now - 60})), 401},
		{"not yet valid", ri.sign(t, claims(map[string]any{"nbf": now + 3600})), 401},
		{"wrong issuer", ri.sign(t, claims(map[string]any{"iss": "http://elsewhere.test"})), 401},
		{"missing scope", ri.sign(t, claims(map[string]any{"scope": "write"})), 403},
	} {
		res, body := call(t, g.Handler(), "GET", "/x", map[string]string{"Authorization": "Bearer " + c.token}, "")
		if res.StatusCode != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, res.StatusCode, body, c.status)
		}
	}
	if n := ri.jwksCalls.Load(); n != 1 {
		t.Errorf("JWKS fetched %d times, want 1 (cached)", n)
	}
	// An issuer that cannot be discovered refuses (never fails open).
	s.Authorizers["a"].JWTConfiguration.Issuer = "http://127.0.0.1:1"
	g2 := New(Options{Functions: inv})
	if err := g2.Load(deployed("abc123", s), 1); err != nil {
		t.Fatal(err)
	}
	if res, _ := call(t, g2.Handler(), "GET", "/x", map[string]string{"Authorization": ri.sign(t, claims(map[string]any{"iss": "http://127.0.0.1:1"}))}, ""); res.StatusCode != 401 {
		t.Errorf("undiscoverable issuer: %d", res.StatusCode)
	}
}
