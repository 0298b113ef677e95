package gateway

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/tokens"
)

// benchClient drives the servers under test with plenty of keep-alive
// connections.
func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: time.Minute}}
}

// benchServers starts a trivial backend, the gateway in front of it (cached
// TOKEN authorizer, HTTP_PROXY) and a tuned bare httputil.ReverseProxy in
// front of it; it returns the gateway and proxy URLs of the same resource.
func benchServers(b *testing.B, logger *slog.Logger) (gwURL, rpURL string) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	b.Cleanup(backend.Close)
	gw := New(Options{Functions: newFakeInvoker(defaultFuncs()), Logger: logger, Limits: Limits{Rate: -1}})
	api := &API{ID: "benchapi01", Name: "bench",
		Authorizers: map[string]*Authorizer{"tok": {Type: "TOKEN", Function: "notesAuthorizer"}},
		Paths: map[string]map[string]*Method{"/items/{id}": {"GET": {Authorizer: "tok",
			Integration: Integration{Type: IntegrationHTTPProxy, HTTPMethod: "GET", URI: backend.URL + "/items/{id}"}}}}}
	if _, err := gw.Deploy(b.Context(), api, "dev", nil); err != nil {
		b.Fatal(err)
	}
	gs := httptest.NewServer(gw.Handler())
	b.Cleanup(gs.Close)
	target, _ := url.Parse(backend.URL)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = NewHTTPClient().Transport
	rp.BufferPool = bufferPool{} // a tuned baseline: no 32 KiB buffer per response
	rs := httptest.NewServer(rp)
	b.Cleanup(rs.Close)
	return gs.URL + "/dev/items/1", rs.URL + "/items/1"
}

// BenchmarkGatewayVsReverseProxy interleaves chunks of requests to the
// gateway and to the bare reverse proxy (so machine load drifts hit both
// alike) and reports gw/rp, the gateway's throughput relative to the proxy.
func BenchmarkGatewayVsReverseProxy(b *testing.B) {
	for _, tc := range []struct {
		name   string
		logger *slog.Logger
	}{
		{"discard-log", slog.New(slog.DiscardHandler)},
		{"access-log", slog.New(slog.NewJSONHandler(io.Discard, nil))},
	} {
		b.Run(tc.name, func(b *testing.B) {
			gwURL, rpURL := benchServers(b, tc.logger)
			c := benchClient()
			const chunk, workers = 200, 8
			do := func(url string) time.Duration {
				var next atomic.Int64
				var wg sync.WaitGroup
				start := time.Now()
				for range workers {
					wg.Go(func() {
						for next.Add(1) <= chunk {
							req, _ := http.NewRequest(http.MethodGet, url, nil)
							req.Header.Set("Authorization", "allow-all")
							resp, err := c.Do(req)
							if err != nil {
								b.Error(err)
								return
							}
							_, _ = io.Copy(io.Discard, resp.Body)
							resp.Body.Close()
							if resp.StatusCode != 200 {
								b.Errorf("status %d", resp.StatusCode)
								return
							}
						}
					})
				}
				wg.Wait()
				return time.Since(start)
			}
			do(gwURL)
			do(rpURL)
			var gwT, rpT time.Duration
			n := 0
			b.ResetTimer()
			for ; n < b.N; n += chunk {
				rpT += do(rpURL)
				gwT += do(gwURL)
			}
			b.ReportMetric(float64(rpT)/float64(gwT), "gw/rp")
			b.ReportMetric(float64(gwT.Nanoseconds())/float64(n), "gw-ns/req")
			b.ReportMetric(float64(rpT.Nanoseconds())/float64(n), "rp-ns/req")
		})
	}
}

// BenchmarkCognitoUncached interleaves, per iteration, a request to a MOCK
// route without authorizer, the same behind a Cognito authorizer with the
// result cache off (a real RS256 verification each time), and one bare
// RSA-2048 verification; it reports the authorizer's added cost relative to
// the bare verification (cognito-cost/rsa).
//
// The verifier here is the test stand-in testIssuer (encoding/json into a
// map); BenchmarkCognitoUncachedTokensVerifier measures the same route
// with the production tokens.Verifier.
func BenchmarkCognitoUncached(b *testing.B) { benchCognitoUncached(b, false) }

// BenchmarkCognitoUncachedTokensVerifier is BenchmarkCognitoUncached with
// the shared production verifier (tokens.Verifier, with revocation checks)
// in place of the test stand-in.
func BenchmarkCognitoUncachedTokensVerifier(b *testing.B) { benchCognitoUncached(b, true) }

// staticKeys is a tokens.PublicKeySource holding the test key as kid k1.
type staticKeys struct{ pub *rsa.PublicKey }

func (k staticKeys) PublicKey(_ context.Context, _, kid string) (*rsa.PublicKey, error) {
	if kid != "k1" {
		return nil, tokens.ErrUnknownKey
	}
	return k.pub, nil
}

func benchCognitoUncached(b *testing.B, realVerifier bool) {
	env := newTestEnv(b, func(api *API, o *Options) {
		api.Authorizers["cognito"].ResultTTLSeconds = ptr(0)
		o.Logger = slog.New(slog.DiscardHandler)
		api.Paths["/open"] = map[string]*Method{"GET": {Integration: Integration{Type: IntegrationMock}}}
		api.Paths["/closed"] = map[string]*Method{"GET": {Authorizer: "cognito", Integration: Integration{Type: IntegrationMock}}}
		if realVerifier {
			o.Tokens = tokens.NewVerifier(staticKeys{&testKey.PublicKey}, tokens.VerifierOptions{Now: o.Now,
				Revocations: tokens.NewRevocations(nil, tokens.RevocationsOptions{Now: o.Now})})
		}
	})
	tok := env.issuer.idToken("alice", time.Hour)
	parts := strings.Split(tok, ".")
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	pub := &env.issuer.key.PublicKey
	serveOnce := func(target, token string) time.Duration {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		if token != "" {
			req.Header.Set("Authorization", token)
		}
		rec := httptest.NewRecorder()
		start := time.Now()
		env.h.ServeHTTP(rec, req)
		d := time.Since(start)
		if rec.Code != 200 {
			b.Fatalf("status %d %s", rec.Code, rec.Body)
		}
		return d
	}
	var none, cognito, verify time.Duration
	for b.Loop() {
		none += serveOnce("/dev/open", "")
		cognito += serveOnce("/dev/closed", tok)
		start := time.Now()
		sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
			b.Fatal(err)
		}
		verify += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(float64(none.Nanoseconds())/n, "none-ns")
	b.ReportMetric(float64(cognito.Nanoseconds())/n, "cognito-ns")
	b.ReportMetric(float64(verify.Nanoseconds())/n, "rsa-ns")
	b.ReportMetric(float64(cognito-none)/float64(verify), "cognito-cost/rsa")
}

// bufferPool recycles the bare reverse proxy's copy buffers.
type bufferPool struct{}

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (bufferPool) Get() []byte  { return *copyBuffers.Get().(*[]byte) }
func (bufferPool) Put(b []byte) { copyBuffers.Put(&b) }
