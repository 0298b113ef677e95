package gateway

import (
	"context"
	"net/http"
	"path/filepath"
	"sync"
	"testing"

	"github.com/cognate-dev/cognate/internal/store/sqlite"
)

func swapAPI(integ Integration) *API {
	return &API{ID: "swapapi001", Name: "swap", Paths: map[string]map[string]*Method{
		"/v": {"GET": {Integration: integ}},
	}, GatewayResponses: map[ResponseType]*GatewayResponse{}, Authorizers: map[string]*Authorizer{}}
}

func mockBody(body string) Integration {
	return Integration{Type: IntegrationMock, Responses: []IntegrationResponse{{StatusCode: 200, ResponseTemplates: map[string]string{"application/json": body}}}}
}

func TestDeploySwapInFlight(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	inv := newFakeInvoker(map[string]fakeFunc{"gate": func(context.Context, []byte) ([]byte, string, error) {
		close(started)
		<-release
		return []byte(`{"statusCode":200,"body":"old"}`), "", nil
	}})
	gw := New(Options{Functions: inv, Logger: testLogger(t)})
	ctx := t.Context()
	id1, err := gw.Deploy(ctx, swapAPI(Integration{Type: IntegrationAWSProxy, URI: "gate"}), "dev", nil)
	if err != nil {
		t.Fatal(err)
	}
	h := gw.Handler()
	var wg sync.WaitGroup
	var old string
	wg.Go(func() {
		rec := serve(h, newRequestUnknownLength(http.MethodGet, "/dev/v", ""))
		old = rec.Body.String()
	})
	<-started
	id2, err := gw.Deploy(ctx, swapAPI(mockBody(`new`)), "dev", nil)
	if err != nil {
		t.Fatal(err)
	}
	if id1 == id2 {
		t.Fatal("different snapshots share a deployment id")
	}
	if got := serve(h, newRequestUnknownLength(http.MethodGet, "/dev/v", "")).Body.String(); got != "new" {
		t.Fatalf("new request served %q", got)
	}
	close(release)
	wg.Wait()
	if old != "old" {
		t.Fatalf("in-flight request got %q, want it to finish on the old deployment", old)
	}
	// Redeploying an identical API keeps its id.
	if id3, err := gw.Deploy(ctx, swapAPI(mockBody(`new`)), "dev", nil); err != nil || id3 != id2 {
		t.Fatalf("redeploy: %s %v, want %s", id3, err, id2)
	}
}

func TestStoreSyncAcrossNodes(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	a := New(Options{Store: st, Logger: testLogger(t)})
	b := New(Options{Store: st, Logger: testLogger(t)})
	if _, err := a.Deploy(ctx, swapAPI(mockBody(`one`)), "dev", map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	get := func(g *Gateway) (int, string) {
		rec := serve(g.Handler(), newRequestUnknownLength(http.MethodGet, "/dev/v", ""))
		return rec.Code, rec.Body.String()
	}
	if code, _ := get(b); code != 403 {
		t.Fatalf("node b serves before sync: %d", code)
	}
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if code, body := get(b); code != 200 || body != "one" {
		t.Fatalf("node b after sync: %d %q", code, body)
	}
	if _, err := a.Deploy(ctx, swapAPI(mockBody(`two`)), "dev", nil); err != nil {
		t.Fatal(err)
	}
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, body := get(b); body != "two" {
		t.Fatalf("node b after redeploy: %q", body)
	}
	// A fresh node restores every stage from the store.
	c := New(Options{Store: st, Logger: testLogger(t)})
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	routes := c.Routes()
	if len(routes) != 1 || routes[0].APIID != "swapapi001" || routes[0].Stage != "dev" || routes[0].Path != "/v" || !routes[0].Default {
		t.Fatalf("routes %+v", routes)
	}
	// Removing the stage on one node removes it everywhere at the next sync.
	if err := a.RemoveStage(ctx, "swapapi001", "dev"); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(a); code != 403 {
		t.Fatalf("node a still serves a removed stage: %d", code)
	}
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(b); code != 403 || len(b.Routes()) != 0 {
		t.Fatalf("node b still serves a removed stage: %d", code)
	}
}

func TestDefaultAPISelection(t *testing.T) {
	gw := New(Options{Logger: testLogger(t)})
	ctx := t.Context()
	one := &API{Name: "one", Paths: map[string]map[string]*Method{"/a": {"GET": {Integration: mockBody(`one`)}}}}
	two := &API{Name: "two", Default: true, Paths: map[string]map[string]*Method{"/a": {"GET": {Integration: mockBody(`two`)}}}}
	if _, err := gw.Deploy(ctx, one, "dev", nil); err != nil {
		t.Fatal(err)
	}
	if got := serve(gw.Handler(), newRequestUnknownLength("GET", "/dev/a", "")).Body.String(); got != "one" {
		t.Fatalf("single API not default: %q", got)
	}
	if _, err := gw.Deploy(ctx, two, "dev", nil); err != nil {
		t.Fatal(err)
	}
	if got := serve(gw.Handler(), newRequestUnknownLength("GET", "/dev/a", "")).Body.String(); got != "two" {
		t.Fatalf("marked API not default: %q", got)
	}
	req := newRequestUnknownLength("GET", "/dev/a", "")
	req.Host = APIID("one") + ".execute-api.localhost"
	if got := serve(gw.Handler(), req).Body.String(); got != "one" {
		t.Fatalf("host routing: %q", got)
	}
}
