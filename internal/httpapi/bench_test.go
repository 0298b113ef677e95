package httpapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/gateway"
	"github.com/cognate-dev/cognate/internal/tokens"
)

// BenchmarkJWTVsReverseProxy interleaves chunks of authorized GETs through
// an HTTP API (JWT authorizer on a local pool with a real RS256 token,
// HTTP_PROXY integration) and through a bare httputil.ReverseProxy to the
// same backend, and reports jwt/rp, the HTTP API's throughput relative to
// the proxy. The JWT check is cached per token.
func BenchmarkJWTVsReverseProxy(b *testing.B) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	b.Cleanup(backend.Close)
	p := newPool(b)
	p.clock = &clock{t: time.Now()}
	g := New(Options{Functions: newInvoker(nil), JWT: NewJWTValidator(JWTOptions{Local: p.ver, LocalPool: p.jwtOptions().LocalPool})})
	api := deployed("benchapi01", &Snapshot{
		Routes: map[string]*Route{"r": {RouteKey: "GET /items/{id}", Target: "integrations/h", AuthorizationType: AuthJWT, AuthorizerID: "a"}},
		Integrations: map[string]*Integration{"h": {IntegrationType: IntegrationHTTPProxy, IntegrationURI: backend.URL + "/items/{id}",
			IntegrationMethod: "GET"}},
		Authorizers: map[string]*Authorizer{"a": {Name: "cognito", AuthorizerType: AuthorizerJWT,
			JWTConfiguration: &JWTConfiguration{Issuer: testIssuer, Audience: []string{testClient}}}},
	})
	if err := g.Load(api, 1); err != nil {
		b.Fatal(err)
	}
	gs := httptest.NewServer(g.Handler())
	b.Cleanup(gs.Close)
	target, _ := url.Parse(backend.URL)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = gateway.NewHTTPClient().Transport
	rp.BufferPool = bufferPool{}
	rs := httptest.NewServer(rp)
	b.Cleanup(rs.Close)
	token := "Bearer " + p.sign(tokens.UseID, nil)
	apiURL, rpURL := gs.URL+"/restapis/benchapi01/$default/_user_request_/items/1", rs.URL+"/items/1"

	c := &http.Client{Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: time.Minute}}
	const chunk, workers = 200, 8
	do := func(url string) time.Duration {
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for range workers {
			wg.Go(func() {
				for next.Add(1) <= chunk {
					req, _ := http.NewRequest(http.MethodGet, url, nil)
					req.Header.Set("Authorization", token)
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
	do(apiURL)
	do(rpURL)
	calls := p.ver.count()
	var apiT, rpT time.Duration
	n := 0
	b.ResetTimer()
	for ; n < b.N; n += chunk {
		rpT += do(rpURL)
		apiT += do(apiURL)
	}
	b.StopTimer()
	b.ReportMetric(float64(rpT)/float64(apiT), "jwt/rp")
	b.ReportMetric(float64(apiT.Nanoseconds())/float64(n), "jwt-ns/req")
	b.ReportMetric(float64(rpT.Nanoseconds())/float64(n), "rp-ns/req")
	// With the 1 s cache cap a run verifies about once a second, not per request.
	b.ReportMetric(float64(p.ver.count()-calls), "verifications")
}

// bufferPool recycles the bare reverse proxy's copy buffers (a tuned baseline).
type bufferPool struct{}

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (bufferPool) Get() []byte  { return *copyBuffers.Get().(*[]byte) }
func (bufferPool) Put(b []byte) { copyBuffers.Put(&b) }
