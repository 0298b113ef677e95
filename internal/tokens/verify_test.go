package tokens

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

var b64 = base64.RawURLEncoding

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// forge builds header.payload.signature from raw JSON, signing the input with sign.
func forge(header, payload string, sign func(input []byte) []byte) string {
	input := b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString([]byte(payload))
	return input + "." + b64.EncodeToString(sign([]byte(input)))
}

func rs256(key *rsa.PrivateKey) func([]byte) []byte {
	return func(in []byte) []byte {
		d := sha256.Sum256(in)
		sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, d[:])
		if err != nil {
			panic(err)
		}
		return sig
	}
}

// activeKey returns the ring's private key of use, to forge tokens with it.
func (e *env) activeKey(t testing.TB, use string) *key {
	t.Helper()
	set, err := e.ring.current(context.Background(), e.pool)
	if err != nil {
		t.Fatal(err)
	}
	return set.active[use]
}

func TestVerifySecurityCases(t *testing.T) {
	e := newEnv(t)
	idKey, accessKey := e.activeKey(t, store.KeyUseID), e.activeKey(t, store.KeyUseAccess)
	pubDER, err := x509.MarshalPKIXPublicKey(idKey.pub)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	hs256 := func(secret []byte) func([]byte) []byte {
		return func(in []byte) []byte { m := hmac.New(sha256.New, secret); m.Write(in); return m.Sum(nil) }
	}
	rs384 := func(in []byte) []byte {
		d := sha512.Sum384(in)
		sig, _ := rsa.SignPKCS1v15(nil, idKey.priv, crypto.SHA384, d[:])
		return sig
	}
	ps256 := func(in []byte) []byte {
		d := sha256.Sum256(in)
		sig, _ := rsa.SignPSS(rand.Reader, idKey.priv, crypto.SHA256, d[:], nil)
		return sig
	}
	es256 := func(in []byte) []byte {
		d := sha256.Sum256(in)
		sig, _ := ecdsa.SignASN1(rand.Reader, ecKey, d[:])
		return sig
	}
	none := func([]byte) []byte { return nil }

	hdr := func(extra string) string { return `{"kid":"` + idKey.kid + `","alg":"RS256"` + extra + `}` }
	idClaims := func(mut func(map[string]any)) string {
		c := e.claims(UseID)
		if mut != nil {
			mut(c)
		}
		return mustJSON(t, c)
	}
	accessClaims := func(mut func(map[string]any)) string {
		c := e.claims(UseAccess)
		if mut != nil {
			mut(c)
		}
		return mustJSON(t, c)
	}
	accessHdr := `{"kid":"` + accessKey.kid + `","alg":"RS256"}`
	now := e.clock.Now().Unix()
	validID := forge(hdr(""), idClaims(nil), rs256(idKey.priv))
	parts := strings.Split(validID, ".")

	tests := []struct {
		name    string
		token   string
		expect  Expect
		wantErr error // nil: accepted
		noKey   bool  // must be rejected before any key lookup
	}{
		{name: "valid id", token: validID},
		{name: "valid access", token: forge(accessHdr, accessClaims(nil), rs256(accessKey.priv)), expect: Expect{TokenUse: UseAccess}},
		{name: "ring-signed id", token: e.sign(t, UseID, e.claims(UseID)), expect: Expect{TokenUse: UseID, ClientIDs: []string{"client1"}}},
		{name: "typ JWT allowed", token: forge(hdr(`,"typ":"JWT"`), idClaims(nil), rs256(idKey.priv))},

		// Algorithms.
		{name: "alg none", token: forge(`{"kid":"`+idKey.kid+`","alg":"none"}`, idClaims(nil), none), wantErr: ErrInvalidToken, noKey: true},
		{name: "alg none with signature", token: forge(`{"kid":"`+idKey.kid+`","alg":"none"}`, idClaims(nil), rs256(idKey.priv)), wantErr: ErrInvalidToken, noKey: true},
		{name: "HS256 with public key PEM as secret", token: forge(`{"kid":"`+idKey.kid+`","alg":"HS256"}`, idClaims(nil), hs256(pubPEM)), wantErr: ErrInvalidToken, noKey: true},
		{name: "HS256 with public key DER as secret", token: forge(`{"kid":"`+idKey.kid+`","alg":"HS256"}`, idClaims(nil), hs256(pubDER)), wantErr: ErrInvalidToken, noKey: true},
		{name: "RS384", token: forge(`{"kid":"`+idKey.kid+`","alg":"RS384"}`, idClaims(nil), rs384), wantErr: ErrInvalidToken, noKey: true},
		{name: "PS256", token: forge(`{"kid":"`+idKey.kid+`","alg":"PS256"}`, idClaims(nil), ps256), wantErr: ErrInvalidToken, noKey: true},
		{name: "ES256", token: forge(`{"kid":"`+idKey.kid+`","alg":"ES256"}`, idClaims(nil), es256), wantErr: ErrInvalidToken, noKey: true},
		{name: "alg lowercase", token: forge(`{"kid":"`+idKey.kid+`","alg":"rs256"}`, idClaims(nil), rs256(idKey.priv)), wantErr: ErrInvalidToken, noKey: true},
		{name: "alg missing", token: forge(`{"kid":"`+idKey.kid+`"}`, idClaims(nil), rs256(idKey.priv)), wantErr: ErrInvalidToken, noKey: true},
		{name: "alg array", token: forge(`{"kid":"`+idKey.kid+`","alg":["RS256"]}`, idClaims(nil), rs256(idKey.priv)), wantErr: ErrInvalidToken, noKey: true},
		{name: "duplicate alg", token: forge(hdr(`,"alg":"none"`), idClaims(nil), rs256(idKey.priv)), wantErr: ErrInvalidToken, noKey: true},
		{name: "wrong RSA key", token: forge(hdr(""), idClaims(nil), rs256(other)), wantErr: ErrInvalidToken},
		{name: "access key signs id token", token: forge(hdr(""), idClaims(nil), rs256(accessKey.priv)), wantErr: ErrInvalidToken},

		// Header parameters.
		{name: "jwk header", token: forge(hdr(`,"jwk":{"kty":"RSA","n":"x","e":"AQAB"}`), idClaims(nil), rs256(idKey.priv)), wantErr: ErrInvalidToken, noKey: true},
		{name: "jku header", token: forge(hdr(`,"jku":"https://evil.example/jwks.json"`), idClaims(nil), rs256(idKey.priv)), wantErr: ErrInvalidToken, noKey: true},
		{name: "x5u header", token: forge(hdr(`,"x5u":"https://evil.example/cert.pem"`), idClaims(nil), rs256(idKey.priv)), wantErr: ErrInvalidToken, noKey: true},
		{name: "x5c header", token: forge(hdr(`,"x5c":["MIIB"]`), idClaims(nil), rs256(idKey.priv)), wantErr: ErrInvalidToken, noKey: true},
		{name: "crit header", token: forge(hdr(`,"crit":["exp"]`), idClaims(nil), rs256(idKey.priv)), wantErr: ErrInvalidToken, noKey: true},
		{name: "unknown header", token: forge(hdr(`,"zip":"DEF"`), idClaims(nil), rs256(idKey.priv)), wantErr: ErrInvalidToken, noKey: true},
		{name: "typ other", token: forge(hdr(`,"typ":"at+jwt"`), idClaims(nil), rs256(idKey.priv)), wantErr: ErrInvalidToken, noKey: true},

		// kid.
		{name: "kid missing", token: forge(`{"alg":"RS256"}`, idClaims(nil), rs256(idKey.priv)), wantErr: ErrInvalidToken, noKey: true},
		{name: "kid empty", token: forge(`{"kid":"","alg":"RS256"}`, idClaims(nil), rs256(idKey.priv)), wantErr: ErrInvalidToken, noKey: true},
		{name: "kid path traversal", token: forge(`{"kid":"../../etc/passwd","alg":"RS256"}`, idClaims(nil), rs256(idKey.priv)), wantErr: ErrInvalidToken, noKey: true},
		{name: "kid with slash", token: forge(`{"kid":"a/b","alg":"RS256"}`, idClaims(nil), rs256(idKey.priv)), wantErr: ErrInvalidToken, noKey: true},
		{name: "kid with NUL", token: forge(`{"kid":"ab\u0000","alg":"RS256"}`, idClaims(nil), rs256(idKey.priv)), wantErr: ErrInvalidToken, noKey: true},
		{name: "kid sql", token: forge(`{"kid":"x' OR '1'='1","alg":"RS256"}`, idClaims(nil), rs256(idKey.priv)), wantErr: ErrInvalidToken, noKey: true},
		{name: "kid huge", token: forge(`{"kid":"`+strings.Repeat("A", 300)+`","alg":"RS256"}`, idClaims(nil), rs256(idKey.priv)), wantErr: ErrInvalidToken, noKey: true},
		{name: "kid number", token: forge(`{"kid":7,"alg":"RS256"}`, idClaims(nil), rs256(idKey.priv)), wantErr: ErrInvalidToken, noKey: true},
		{name: "kid unknown", token: forge(`{"kid":"`+strings.Repeat("Q", 43)+`","alg":"RS256"}`, idClaims(nil), rs256(idKey.priv)), wantErr: ErrInvalidToken},

		// Token use, issuer, client.
		{name: "id token as access", token: validID, expect: Expect{TokenUse: UseAccess}, wantErr: ErrInvalidToken},
		{name: "access token as id", token: forge(accessHdr, accessClaims(nil), rs256(accessKey.priv)), expect: Expect{TokenUse: UseID}, wantErr: ErrInvalidToken},
		{name: "token_use refresh", token: forge(hdr(""), idClaims(func(c map[string]any) { c["token_use"] = "refresh" }), rs256(idKey.priv)), wantErr: ErrInvalidToken},
		{name: "token_use missing", token: forge(hdr(""), idClaims(func(c map[string]any) { delete(c, "token_use") }), rs256(idKey.priv)), wantErr: ErrInvalidToken},
		{name: "wrong iss", token: forge(hdr(""), idClaims(func(c map[string]any) { c["iss"] = "https://evil.example/" + e.pool }), rs256(idKey.priv)), wantErr: ErrInvalidToken},
		{name: "iss with trailing slash", token: forge(hdr(""), idClaims(func(c map[string]any) { c["iss"] = e.iss + "/" }), rs256(idKey.priv)), wantErr: ErrInvalidToken},
		{name: "missing iss", token: forge(hdr(""), idClaims(func(c map[string]any) { delete(c, "iss") }), rs256(idKey.priv)), wantErr: ErrInvalidToken},
		{name: "wrong aud", token: validID, expect: Expect{ClientIDs: []string{"client2"}}, wantErr: ErrInvalidToken},
		{name: "aud in list", token: validID, expect: Expect{ClientIDs: []string{"client2", "client1"}}},
		{name: "missing aud", token: forge(hdr(""), idClaims(func(c map[string]any) { delete(c, "aud") }), rs256(idKey.priv)), wantErr: ErrInvalidToken},
		{name: "id token with client_id only", token: forge(hdr(""), idClaims(func(c map[string]any) { delete(c, "aud"); c["client_id"] = "client1" }), rs256(idKey.priv)), expect: Expect{ClientIDs: []string{"client1"}}, wantErr: ErrInvalidToken},
		{name: "wrong client_id", token: forge(accessHdr, accessClaims(nil), rs256(accessKey.priv)), expect: Expect{ClientIDs: []string{"client2"}}, wantErr: ErrInvalidToken},
		{name: "access token with aud only", token: forge(accessHdr, accessClaims(func(c map[string]any) { delete(c, "client_id"); c["aud"] = "client1" }), rs256(accessKey.priv)), expect: Expect{ClientIDs: []string{"client1"}}, wantErr: ErrInvalidToken},
		{name: "missing sub", token: forge(hdr(""), idClaims(func(c map[string]any) { delete(c, "sub") }), rs256(idKey.priv)), wantErr: ErrInvalidToken},

		// Times.
		{name: "missing exp", token: forge(hdr(""), idClaims(func(c map[string]any) { delete(c, "exp") }), rs256(idKey.priv)), wantErr: ErrInvalidToken},
		{name: "past exp", token: forge(hdr(""), idClaims(func(c map[string]any) { c["exp"] = now - 1 }), rs256(idKey.priv)), wantErr: ErrExpired},
		{name: "exp now", token: forge(hdr(""), idClaims(func(c map[string]any) { c["exp"] = now }), rs256(idKey.priv)), wantErr: ErrExpired},
		{name: "exp string", token: forge(hdr(""), idClaims(func(c map[string]any) { c["exp"] = "9999999999" }), rs256(idKey.priv)), wantErr: ErrInvalidToken},
		{name: "exp huge", token: forge(hdr(""), idClaims(func(c map[string]any) { c["exp"] = 1e300 }), rs256(idKey.priv)), wantErr: ErrInvalidToken},
		{name: "exp negative", token: forge(hdr(""), idClaims(func(c map[string]any) { c["exp"] = -5 }), rs256(idKey.priv)), wantErr: ErrInvalidToken},
		{name: "exp fractional", token: forge(hdr(""), idClaims(func(c map[string]any) { c["exp"] = float64(now) + 10.5 }), rs256(idKey.priv))},
		{name: "missing iat", token: forge(hdr(""), idClaims(func(c map[string]any) { delete(c, "iat") }), rs256(idKey.priv)), wantErr: ErrInvalidToken},
		{name: "iat in future", token: forge(hdr(""), idClaims(func(c map[string]any) { c["iat"] = now + 3600 }), rs256(idKey.priv)), wantErr: ErrInvalidToken},
		{name: "iat within skew", token: forge(hdr(""), idClaims(func(c map[string]any) { c["iat"] = now + 10 }), rs256(idKey.priv))},
		{name: "nbf in future", token: forge(hdr(""), idClaims(func(c map[string]any) { c["nbf"] = now + 3600 }), rs256(idKey.priv)), wantErr: ErrInvalidToken},
		{name: "nbf past", token: forge(hdr(""), idClaims(func(c map[string]any) { c["nbf"] = now - 10 }), rs256(idKey.priv))},
		{name: "nbf malformed", token: forge(hdr(""), idClaims(func(c map[string]any) { c["nbf"] = true }), rs256(idKey.priv)), wantErr: ErrInvalidToken},

		// Structure.
		{name: "empty", token: "", wantErr: ErrInvalidToken, noKey: true},
		{name: "one part", token: "abc", wantErr: ErrInvalidToken, noKey: true},
		{name: "two parts", token: parts[0] + "." + parts[1], wantErr: ErrInvalidToken, noKey: true},
		{name: "four parts", token: validID + ".x", wantErr: ErrInvalidToken, noKey: true},
		{name: "empty signature", token: parts[0] + "." + parts[1] + ".", wantErr: ErrInvalidToken, noKey: true},
		{name: "padded base64", token: parts[0] + "=." + parts[1] + "." + parts[2], wantErr: ErrInvalidToken, noKey: true},
		{name: "std base64 chars", token: parts[0] + "." + parts[1] + "." + strings.NewReplacer("-", "+", "_", "/").Replace(parts[2]) + "+/", wantErr: ErrInvalidToken, noKey: true},
		{name: "header not JSON", token: b64.EncodeToString([]byte("hello")) + "." + parts[1] + "." + parts[2], wantErr: ErrInvalidToken, noKey: true},
		{name: "header array", token: forge(`["RS256"]`, idClaims(nil), rs256(idKey.priv)), wantErr: ErrInvalidToken, noKey: true},
		{name: "payload array", token: forge(hdr(""), `[1,2]`, rs256(idKey.priv)), wantErr: ErrInvalidToken, noKey: true},
		{name: "payload trailing data", token: forge(hdr(""), idClaims(nil)+`{}`, rs256(idKey.priv)), wantErr: ErrInvalidToken, noKey: true},
		{name: "payload duplicate iss", token: forge(hdr(""), strings.TrimSuffix(idClaims(nil), "}")+`,"iss":"x"}`, rs256(idKey.priv)), wantErr: ErrInvalidToken, noKey: true},
		{name: "oversized", token: forge(hdr(""), idClaims(func(c map[string]any) { c["pad"] = strings.Repeat("x", 8<<10) }), rs256(idKey.priv)), wantErr: ErrInvalidToken, noKey: true},
		{name: "oversized header", token: strings.Repeat("A", 600) + "." + parts[1] + "." + parts[2], wantErr: ErrInvalidToken, noKey: true},
		{name: "tampered payload", token: parts[0] + "." + b64.EncodeToString([]byte(idClaims(func(c map[string]any) { c["sub"] = "admin" }))) + "." + parts[2], wantErr: ErrInvalidToken},
		{name: "truncated signature", token: parts[0] + "." + parts[1] + "." + parts[2][:100], wantErr: ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys := &countingKeys{PublicKeySource: e.ring}
			v := NewVerifier(keys, VerifierOptions{Now: e.clock.Now})
			exp := tt.expect
			exp.PoolID, exp.Issuer = e.pool, e.iss
			claims, err := v.Verify(context.Background(), tt.token, exp)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				if claims.String("sub") == "" {
					t.Fatal("no sub in claims")
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || !errors.Is(err, ErrInvalidToken) || claims != nil {
				t.Fatalf("Verify = %v, %v; want %v", claims, err, tt.wantErr)
			}
			t.Logf("rejected: %v", err)
			if tt.noKey && keys.n.Load() != 0 {
				t.Fatalf("looked up a key before rejecting: %v", err)
			}
		})
	}
}

func TestVerifyOtherPool(t *testing.T) {
	e := newEnv(t)
	tok := e.sign(t, UseID, e.claims(UseID))
	v := NewVerifier(e.ring, VerifierOptions{Now: e.clock.Now})
	_, err := v.Verify(context.Background(), tok, Expect{PoolID: "us-east-1_Other", Issuer: e.iss})
	if !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("token of another pool: err = %v", err)
	}
	if _, err := v.Verify(context.Background(), tok, Expect{PoolID: e.pool}); err == nil || errors.Is(err, ErrInvalidToken) {
		t.Fatalf("missing issuer must be a usage error, got %v", err)
	}
}

func TestVerifyStoreFailureIsNotInvalidToken(t *testing.T) {
	e := newEnv(t)
	tok := forge(`{"kid":"`+strings.Repeat("Z", 43)+`","alg":"RS256"}`, mustJSON(t, e.claims(UseID)), func([]byte) []byte { return make([]byte, 256) })
	e.store.fails.Store(true)
	e.clock.Advance(time.Hour) // past the miss interval: the ring goes to the store
	v := NewVerifier(e.ring, VerifierOptions{Now: e.clock.Now})
	_, err := v.Verify(context.Background(), tok, Expect{PoolID: e.pool, Issuer: e.iss})
	if err == nil || errors.Is(err, ErrInvalidToken) || !errors.Is(err, errStoreDown) {
		t.Fatalf("err = %v, want the store's error", err)
	}
}

func TestClaimsHelpers(t *testing.T) {
	e := newEnv(t)
	tok := e.sign(t, UseID, e.claims(UseID))
	c, err := NewVerifier(e.ring, VerifierOptions{Now: e.clock.Now}).Verify(context.Background(), tok, Expect{PoolID: e.pool, Issuer: e.iss})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Strings("cognito:groups"); strings.Join(got, ",") != "admins,users" {
		t.Errorf("groups = %v", got)
	}
	if got := c.String("cognito:username"); got != "alice" {
		t.Errorf("username = %q", got)
	}
	if got, ok := c.Time("exp"); !ok || !got.Equal(e.clock.Now().Add(time.Hour)) {
		t.Errorf("exp = %v %v", got, ok)
	}
	if _, ok := c.Time("email"); ok {
		t.Error("a string is not a time")
	}
	if c.Strings("missing") != nil || c.String("exp") != "" {
		t.Error("helpers must not invent values")
	}
}
