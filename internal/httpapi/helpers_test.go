package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/secret"
	"github.com/cognate-dev/cognate/internal/store"
	"github.com/cognate-dev/cognate/internal/tokens"
)

// memKeys is an in-memory tokens.KeyStore.
type memKeys struct {
	mu sync.Mutex
	m  map[string][]store.SigningKey
}

func (k *memKeys) GetKeys(_ context.Context, pool string) ([]store.SigningKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.m[pool], nil
}

func (k *memKeys) UpdateKeys(_ context.Context, pool string, fn func([]store.SigningKey) ([]store.SigningKey, error)) ([]store.SigningKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	next, err := fn(k.m[pool])
	if err != nil {
		return nil, err
	}
	k.m[pool] = next
	return next, nil
}

var testRSA = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const (
	testPool   = "us-east-1_Notes1"
	testIssuer = "http://cognate.test/us-east-1_Notes1"
	testClient = "client-notes"
)

// pool signs real tokens of a local pool and verifies them with tokens.Verifier.
type pool struct {
	t     testing.TB
	ring  *tokens.KeyRing
	ver   *countingVerifier
	clock *clock
}

type countingVerifier struct {
	v     *tokens.Verifier
	mu    sync.Mutex
	calls int
}

func (c *countingVerifier) Verify(ctx context.Context, tok string, e tokens.Expect) (tokens.Claims, error) {
	c.mu.Lock()
	c.calls++
	c.mu.Unlock()
	return c.v.Verify(ctx, tok, e)
}

func (c *countingVerifier) count() int { c.mu.Lock(); defer c.mu.Unlock(); return c.calls }

func newPool(t testing.TB) *pool {
	key := make([]byte, 32)
	rand.Read(key)
	sealer, err := secret.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now()}
	ring := tokens.NewKeyRing(&memKeys{m: map[string][]store.SigningKey{}}, sealer, tokens.KeyRingOptions{Now: clk.Now,
		NewKey: func() (*rsa.PrivateKey, error) { return testRSA(), nil }})
	if err := ring.Ensure(context.Background(), testPool); err != nil {
		t.Fatal(err)
	}
	return &pool{t: t, ring: ring, clock: clk, ver: &countingVerifier{v: tokens.NewVerifier(ring, tokens.VerifierOptions{Now: clk.Now})}}
}

func (p *pool) sign(use string, claims map[string]any) string {
	now := p.clock.Now()
	base := map[string]any{"iss": testIssuer, "sub": "sub-alice", "token_use": use, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"auth_time": now.Unix(), "jti": "jti-1"}
	if use == tokens.UseID {
		base["aud"], base["cognito:username"] = testClient, "alice"
		base["cognito:groups"] = []string{"admins", "users"}
		base["email_verified"] = true
	} else {
		base["client_id"], base["username"], base["scope"] = testClient, "alice", "notes/read"
	}
	for k, v := range claims {
		if v == nil {
			delete(base, k)
		} else {
			base[k] = v
		}
	}
	ku := store.KeyUseID
	if use == tokens.UseAccess {
		ku = store.KeyUseAccess
	}
	tok, err := p.ring.Sign(context.Background(), testPool, ku, base)
	if err != nil {
		p.t.Fatal(err)
	}
	return tok
}

// jwtOptions resolves the test pool's issuer locally.
func (p *pool) jwtOptions() JWTOptions {
	return JWTOptions{Local: p.ver, Now: p.clock.Now, LocalPool: func(iss string) (string, bool) {
		return testPool, iss == testIssuer
	}}
}

// fnFunc is a fake function.
type fnFunc func(payload []byte) ([]byte, string, error)

type invoker struct {
	mu       sync.Mutex
	funcs    map[string]fnFunc
	payloads map[string][][]byte
}

func newInvoker(funcs map[string]fnFunc) *invoker {
	return &invoker{funcs: funcs, payloads: map[string][][]byte{}}
}

func (i *invoker) InvokeFunction(_ context.Context, name string, payload []byte) ([]byte, string, error) {
	i.mu.Lock()
	i.payloads[name] = append(i.payloads[name], payload)
	f := i.funcs[name]
	i.mu.Unlock()
	if f == nil {
		return []byte(`{"errorMessage":"Function not found","errorType":"ResourceNotFoundException"}`), "Unhandled", nil
	}
	return f(payload)
}

func (i *invoker) calls(name string) int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return len(i.payloads[name])
}

func (i *invoker) last(name string) []byte {
	i.mu.Lock()
	defer i.mu.Unlock()
	p := i.payloads[name]
	if len(p) == 0 {
		return nil
	}
	return p[len(p)-1]
}

// echo answers with the route key it saw.
func echo(payload []byte) ([]byte, string, error) {
	var ev struct {
		RouteKey string `json:"routeKey"`
		Resource string `json:"resource"`
	}
	json.Unmarshal(payload, &ev)
	return []byte(`{"statusCode":200,"body":"` + ev.RouteKey + ev.Resource + `"}`), "", nil
}

// call runs one request against h.
func call(t testing.TB, h http.Handler, method, target string, hdr map[string]string, body string) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	req.Host = "abc123.execute-api.us-east-1.amazonaws.com"
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Add(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// deployed returns an API whose $default stage (auto-deploy) serves s.
func deployed(id string, s *Snapshot, stages ...*Stage) *API {
	api := &API{ID: id, Name: id, ProtocolType: ProtocolHTTP, Deployments: map[string]*Deployment{"dep1": {DeploymentID: "dep1", Snapshot: s}},
		Stages: map[string]*Stage{}}
	if len(stages) == 0 {
		stages = []*Stage{{StageName: DefaultStage}}
	}
	for _, st := range stages {
		st.DeploymentID = "dep1"
		api.Stages[st.StageName] = st
	}
	return api
}

func integ(fn, version string) *Integration {
	return &Integration{IntegrationType: IntegrationAWSProxy, IntegrationURI: "arn:aws:lambda:us-east-1:000000000000:function:" + fn, PayloadFormatVersion: version}
}

// newBackend starts an HTTP backend and returns its URL.
func newBackend(t testing.TB, h http.HandlerFunc) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
