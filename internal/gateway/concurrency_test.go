package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestConcurrencyLimit: with one slot and one place in the queue, a third
// request at once gets the THROTTLED response; the first two complete.
func TestConcurrencyLimit(t *testing.T) {
	release := make(chan struct{})
	env := newTestEnv(t, func(api *API, o *Options) {
		o.Limits.MaxConcurrent, o.Limits.MaxQueued, o.Limits.QueueTimeout = 1, 1, time.Hour
		api.Paths["/block"] = map[string]*Method{"GET": {Integration: Integration{Type: IntegrationAWSProxy, URI: fnURI("block")}}}
	})
	env.inv.mu.Lock()
	env.inv.funcs["block"] = func(ctx context.Context, _ []byte) ([]byte, string, error) {
		<-release
		return []byte(`{"statusCode":200,"body":"done"}`), "", nil
	}
	env.inv.mu.Unlock()
	serve := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		env.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/dev/block", nil))
		return rec
	}
	done := make(chan *httptest.ResponseRecorder, 2)
	go func() { done <- serve() }()
	waitLoad(t, env.gw, 1, 0)
	go func() { done <- serve() }()
	waitLoad(t, env.gw, 1, 1)

	rec := serve()
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("x-amzn-ErrorType") != "TooManyRequestsException" ||
		!strings.Contains(rec.Body.String(), `"Too Many Requests"`) {
		t.Fatalf("over the limit: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	close(release)
	for range 2 {
		if rec := <-done; rec.Code != http.StatusOK || rec.Body.String() != "done" {
			t.Fatalf("within the limit: %d %s", rec.Code, rec.Body)
		}
	}
	if r, q := env.gw.Load(); r != 0 || q != 0 {
		t.Fatalf("load after the requests: %d running, %d queued", r, q)
	}
}

// waitLoad waits (bounded) until the gateway reports running and queued requests.
func waitLoad(t *testing.T, g *Gateway, running, queued int) {
	t.Helper()
	for range 500 {
		if r, q := g.Load(); r == running && q == queued {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	r, q := g.Load()
	t.Fatalf("load %d running %d queued, want %d and %d", r, q, running, queued)
}
