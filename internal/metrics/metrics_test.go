package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestExposition records into every metric, scrapes the handler and parses
// the answer with the Prometheus text parser.
func TestExposition(t *testing.T) {
	m := New()
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/named" {
			SetRoute(r.Context(), "api GET /named")
		}
		if r.URL.Path == "/missing" {
			w.WriteHeader(http.StatusNotFound)
		}
		w.Write([]byte("x"))
	}), func(*http.Request) string { return "default" })
	for _, p := range []string{"/named", "/missing", "/other"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
	}
	m.AuthorizerCache(true)
	m.AuthorizerCache(false)
	m.AuthorizerCache(true)
	m.FunctionInvoked("greet", 3*time.Millisecond, true, true)
	m.SignIn("InitiateAuth", "NotAuthorizedException")
	m.StoreOp("read", time.Millisecond, false)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/_cognate/metrics", nil))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, rec.Body.String())
	}
	value := func(name string, labels ...string) float64 {
		f := fams[name]
		if f == nil {
			t.Fatalf("no family %s", name)
		}
	next:
		for _, mt := range f.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				ok := false
				for _, l := range mt.GetLabel() {
					ok = ok || (l.GetName() == labels[i] && l.GetValue() == labels[i+1])
				}
				if !ok {
					continue next
				}
			}
			if mt.Histogram != nil {
				return float64(mt.GetHistogram().GetSampleCount())
			}
			return mt.GetCounter().GetValue()
		}
		return 0
	}
	for _, c := range []struct {
		got, want float64
		what      string
	}{
		{value("cognate_http_requests_total", "route", "api GET /named", "code", "200"), 1, "named route"},
		{value("cognate_http_requests_total", "route", "default", "code", "404"), 1, "404 by default route"},
		{value("cognate_http_request_duration_seconds", "route", "default"), 2, "latency samples"},
		{value("cognate_authorizer_cache_lookups_total", "result", "hit"), 2, "cache hits"},
		{value("cognate_authorizer_cache_lookups_total", "result", "miss"), 1, "cache misses"},
		{value("cognate_function_invocations_total", "function", "greet"), 1, "invocations"},
		{value("cognate_function_errors_total", "function", "greet"), 1, "errors"},
		{value("cognate_function_cold_starts_total", "function", "greet"), 1, "cold starts"},
		{value("cognate_function_duration_seconds", "function", "greet"), 1, "durations"},
		{value("cognate_signins_total", "operation", "InitiateAuth", "outcome", "NotAuthorizedException"), 1, "sign-ins"},
		{value("cognate_store_operation_duration_seconds", "kind", "read"), 1, "store latency"},
	} {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.what, c.got, c.want)
		}
	}
	if fams["go_goroutines"] == nil || fams["process_resident_memory_bytes"] == nil {
		t.Error("runtime and process collectors missing")
	}
}

// TestNilMetrics: a nil *Metrics records nothing and does not panic.
func TestNilMetrics(t *testing.T) {
	var m *Metrics
	m.AuthorizerCache(true)
	m.FunctionInvoked("f", time.Second, false, false)
	m.SignIn("a", "b")
	m.StoreOp("read", 0, false)
	next := http.NotFoundHandler()
	if got := m.Middleware(next, nil); got == nil {
		t.Fatal("nil middleware")
	}
}
