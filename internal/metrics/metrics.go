// Package metrics holds Cognate's Prometheus metrics (see docs/ARCHITECTURE.md,
// "Operating"): HTTP requests by route and status with a latency histogram,
// authorizer cache hits, function invocations, sign-ins by outcome and store
// latency. One *Metrics is built per process and handed to the packages that
// record into it; every method is safe on a nil *Metrics (it records nothing),
// so tests and embedders need not build one.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every metric name.
const Namespace = "cognate"

// Metrics is the process's metric set and the registry that serves it.
type Metrics struct {
	reg *prometheus.Registry

	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	authzCache      *prometheus.CounterVec
	invocations     *prometheus.CounterVec
	invokeDuration  *prometheus.HistogramVec
	invokeErrors    *prometheus.CounterVec
	coldStarts      *prometheus.CounterVec
	signIns         *prometheus.CounterVec
	storeDuration   *prometheus.HistogramVec
	storeErrors     *prometheus.CounterVec
}

// New returns a metric set registered on a fresh registry, with the Go
// runtime and process collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "http_requests_total",
		Help: "HTTP requests served, by route and status code.",
	}, []string{"route", "code"})
	m.requestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by route.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"route"})
	m.authzCache = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "authorizer_cache_lookups_total",
		Help: "API gateway authorizer result cache lookups, by result (hit or miss).",
	}, []string{"result"})
	m.invocations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "function_invocations_total",
		Help: "Function invocations that ran, by function.",
	}, []string{"function"})
	m.invokeDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "function_duration_seconds",
		Help:    "Function invocation duration (the REPORT line's Duration), by function.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900},
	}, []string{"function"})
	m.invokeErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "function_errors_total",
		Help: "Function invocations that failed (FunctionError set), by function.",
	}, []string{"function"})
	m.coldStarts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "function_cold_starts_total",
		Help: "Function invocations that started a new instance, by function.",
	}, []string{"function"})
	m.signIns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "signins_total",
		Help: "Sign-in attempts (InitiateAuth, AdminInitiateAuth, RespondToAuthChallenge ...), by outcome: success, challenge or the error type.",
	}, []string{"operation", "outcome"})
	m.storeDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "store_operation_duration_seconds",
		Help:    "Store latency: reads (one query) and writes (one transaction with its retries), by kind.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"kind"})
	m.storeErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "store_errors_total",
		Help: "Store operations that failed for another reason than a missing or duplicate row, by kind.",
	}, []string{"kind"})
	m.reg.MustRegister(m.requests, m.requestDuration, m.authzCache, m.invocations, m.invokeDuration,
		m.invokeErrors, m.coldStarts, m.signIns, m.storeDuration, m.storeErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry returns the registry, for registering further collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text exposition format.
func (m *Metrics) Handler() http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Mount serves GET /_cognate/metrics on mux.
func (m *Metrics) Mount(mux *http.ServeMux) {
	mux.Handle("GET /_cognate/metrics", m.Handler())
}

// AuthorizerCache records one authorizer cache lookup.
func (m *Metrics) AuthorizerCache(hit bool) {
	if m == nil {
		return
	}
	if hit {
		m.authzCache.WithLabelValues("hit").Inc()
	} else {
		m.authzCache.WithLabelValues("miss").Inc()
	}
}

// FunctionInvoked records one function invocation.
func (m *Metrics) FunctionInvoked(function string, d time.Duration, failed, coldStart bool) {
	if m == nil {
		return
	}
	m.invocations.WithLabelValues(function).Inc()
	m.invokeDuration.WithLabelValues(function).Observe(d.Seconds())
	if failed {
		m.invokeErrors.WithLabelValues(function).Inc()
	}
	if coldStart {
		m.coldStarts.WithLabelValues(function).Inc()
	}
}

// SignIn records a sign-in attempt's outcome.
func (m *Metrics) SignIn(operation, outcome string) {
	if m == nil {
		return
	}
	m.signIns.WithLabelValues(operation, outcome).Inc()
}

// StoreOp records one store read or write.
func (m *Metrics) StoreOp(kind string, d time.Duration, failed bool) {
	if m == nil {
		return
	}
	m.storeDuration.WithLabelValues(kind).Observe(d.Seconds())
	if failed {
		m.storeErrors.WithLabelValues(kind).Inc()
	}
}

// routeKey carries the request's *atomic.Pointer[string] route label.
type routeKey struct{}

// SetRoute names the route of the request being served (an API's resource,
// a Cognito operation) for the request metrics. The label must come from a
// bounded set (configuration, known operations), never from raw input.
func SetRoute(ctx context.Context, route string) {
	if p, ok := ctx.Value(routeKey{}).(*atomic.Pointer[string]); ok {
		p.Store(&route)
	}
}

// Middleware counts and times every request of next. classify gives the
// default route label (which part of Cognate served it); handlers refine it
// with SetRoute.
func (m *Metrics) Middleware(next http.Handler, classify func(*http.Request) string) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var route atomic.Pointer[string]
		def := classify(r)
		route.Store(&def)
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), routeKey{}, &route)))
		code := rec.code
		if code == 0 {
			code = http.StatusOK
		}
		label := *route.Load()
		m.requests.WithLabelValues(label, strconv.Itoa(code)).Inc()
		m.requestDuration.WithLabelValues(label).Observe(time.Since(start).Seconds())
	})
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Flush passes a flush through when the writer supports it.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Gauge registers a gauge whose value fn reports at each scrape.
func (m *Metrics) Gauge(name, help string, fn func() float64) {
	if m == nil {
		return
	}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help}, fn))
}
