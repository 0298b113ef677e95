package gateway

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/tokens"
)

// fakeFunc is a fake function: it answers out, a function error kind, or an
// infrastructure error.
type fakeFunc func(ctx context.Context, payload []byte) (out []byte, fnErr string, err error)

// fakeInvoker is a FunctionInvoker over fakeFuncs, counting calls and
// keeping the last payload per function.
type fakeInvoker struct {
	mu    sync.Mutex
	funcs map[string]fakeFunc
	calls map[string]int
	last  map[string][]byte
}

func newFakeInvoker(funcs map[string]fakeFunc) *fakeInvoker {
	return &fakeInvoker{funcs: funcs, calls: map[string]int{}, last: map[string][]byte{}}
}

func (f *fakeInvoker) InvokeFunction(ctx context.Context, name string, payload []byte) ([]byte, string, error) {
	f.mu.Lock()
	fn := f.funcs[name]
	f.calls[name]++
	f.last[name] = slices.Clone(payload)
	f.mu.Unlock()
	if fn == nil {
		return nil, "", fmt.Errorf("function %s: not found", name)
	}
	return fn(ctx, payload)
}

func (f *fakeInvoker) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

func (f *fakeInvoker) payload(name string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last[name]
}

// fnError answers a function error object like the runner does.
func fnError(msg string) ([]byte, string, error) {
	out, _ := json.Marshal(map[string]string{"errorMessage": msg, "errorType": "Error"})
	return out, "Unhandled", nil
}

// testIssuer is a tiny RS256 token signer and strict verifier standing in
// for the tokens package: tokens are really signed and really verified.
type testIssuer struct {
	key    *rsa.PrivateKey
	pool   string
	issuer string
	now    func() time.Time
	// revoked holds revoked token jti values.
	mu      sync.Mutex
	revoked map[string]bool
	calls   int
}

var (
	testKeyOnce sync.Once
	testKey     *rsa.PrivateKey
)

func newTestIssuer(t testing.TB, now func() time.Time) *testIssuer {
	testKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	return &testIssuer{key: testKey, pool: "us-east-1_TestPool", issuer: "http://localhost/us-east-1_TestPool", now: now, revoked: map[string]bool{}}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// sign makes an RS256 compact JWS of claims.
func (ti *testIssuer) sign(claims map[string]any) string {
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "kid": "k1"})
	c, _ := json.Marshal(claims)
	input := b64(h) + "." + b64(c)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, ti.key, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	return input + "." + b64(sig)
}

// idToken returns an id token for username, valid for ttl from now.
func (ti *testIssuer) idToken(username string, ttl time.Duration) string {
	now := ti.now()
	return ti.sign(map[string]any{"sub": "sub-" + username, "cognito:username": username, "email": username + "@example.com",
		"email_verified": true, "token_use": "id", "iss": ti.issuer, "aud": "client", "iat": now.Unix(), "exp": now.Add(ttl).Unix(),
		"jti": "jti-" + username, "cognito:groups": []string{"admins", "users"}})
}

// accessToken returns an access token with scope.
func (ti *testIssuer) accessToken(username, scope string) string {
	now := ti.now()
	return ti.sign(map[string]any{"sub": "sub-" + username, "username": username, "token_use": "access", "scope": scope,
		"iss": ti.issuer, "client_id": "client", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "ajti-" + username})
}

var errBadToken = errors.New("invalid token")

// Verify verifies strictly, as tokens.Verifier does: RS256, signature,
// iss, exp, token_use, revocation. (Scopes are the authorizer's business.)
func (ti *testIssuer) Verify(_ context.Context, token string, want tokens.Expect) (tokens.Claims, error) {
	ti.mu.Lock()
	ti.calls++
	ti.mu.Unlock()
	if want.PoolID != ti.pool || want.Issuer != ti.issuer {
		return nil, fmt.Errorf("%w: unknown pool", errBadToken)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: shape", errBadToken)
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, fmt.Errorf("%w: %w", errBadToken, err)
	}
	var hdr map[string]any
	if json.Unmarshal(hb, &hdr) != nil || hdr["alg"] != "RS256" {
		return nil, fmt.Errorf("%w: alg", errBadToken)
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(&ti.key.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		return nil, fmt.Errorf("%w: signature", errBadToken)
	}
	var claims map[string]any
	if err := json.Unmarshal(cb, &claims); err != nil {
		return nil, fmt.Errorf("%w: claims", errBadToken)
	}
	if claims["iss"] != ti.issuer {
		return nil, fmt.Errorf("%w: iss", errBadToken)
	}
	if exp, _ := claims["exp"].(float64); int64(exp) <= ti.now().Unix() {
		return nil, fmt.Errorf("%w: expired", errBadToken)
	}
	if want.TokenUse != "" && claims["token_use"] != want.TokenUse {
		return nil, fmt.Errorf("%w: token_use", errBadToken)
	}
	ti.mu.Lock()
	revoked := ti.revoked[fmt.Sprint(claims["jti"])]
	ti.mu.Unlock()
	if revoked {
		return nil, fmt.Errorf("verify: %w", tokens.ErrRevoked)
	}
	return claims, nil
}

// issuerOf is the iss of a pool's tokens (gateway Options.Issuer).
func (ti *testIssuer) issuerOf(string) string { return ti.issuer }

func (ti *testIssuer) revoke(jti string) {
	ti.mu.Lock()
	ti.revoked[jti] = true
	ti.mu.Unlock()
}

// fakeClock is an adjustable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testLogger logs to the test output.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// httpCase is one HTTP scenario against Handler().
type httpCase struct {
	name    string
	method  string
	target  string
	host    string
	header  map[string]string
	body    string
	status  int
	errType string
	// body expectations: exact, or substrings.
	wantBody string
	contains []string
	// calls asserts function call counts after the request.
	calls map[string]int
}

func (c httpCase) run(t *testing.T, h http.Handler, inv *fakeInvoker) *httptest.ResponseRecorder {
	t.Helper()
	method := c.method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req := httptest.NewRequest(method, c.target, body)
	if c.host != "" {
		req.Host = c.host
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	got := rec.Body.String()
	if rec.Code != c.status {
		t.Fatalf("%s %s: status %d, want %d; body %s", method, c.target, rec.Code, c.status, got)
	}
	if et := rec.Header().Get("x-amzn-ErrorType"); et != c.errType {
		t.Fatalf("x-amzn-ErrorType %q, want %q; body %s", et, c.errType, got)
	}
	if rec.Header().Get("x-amzn-RequestId") == "" {
		t.Fatalf("no x-amzn-RequestId")
	}
	if c.wantBody != "" && got != c.wantBody {
		t.Fatalf("body %s, want %s", got, c.wantBody)
	}
	for _, s := range c.contains {
		if !bytes.Contains(rec.Body.Bytes(), []byte(s)) {
			t.Fatalf("body %s does not contain %s", got, s)
		}
	}
	for fn, n := range c.calls {
		if got := inv.count(fn); got != n {
			t.Fatalf("function %s called %d times, want %d", fn, got, n)
		}
	}
	return rec
}

// newRequestUnknownLength builds a request whose body length is unknown
// (chunked), so only reading it reveals its size.
func newRequestUnknownLength(method, target, body string) *http.Request {
	req := httptest.NewRequest(method, target, io.NopCloser(strings.NewReader(body)))
	req.ContentLength = -1
	return req
}

func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
