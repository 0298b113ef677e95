package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cognate-dev/cognate/internal/gateway"
	"github.com/cognate-dev/cognate/internal/store"
)

// ObjectKind is the store object kind holding one HTTP API document per key.
const ObjectKind = "apigatewayv2.api"

// FunctionInvoker calls a function by name (see gateway.FunctionInvoker).
type FunctionInvoker = gateway.FunctionInvoker

// ObjectLister is the part of the store the data plane reads.
type ObjectLister interface {
	ListObjects(ctx context.Context, kind string, page store.Page) ([]store.Object, error)
}

// Options configure a Gateway.
type Options struct {
	Functions FunctionInvoker
	JWT       *JWTValidator
	// Store holds the API documents (kind ObjectKind); without it APIs are
	// only those given to Load.
	Store  ObjectLister
	Logger *slog.Logger
	Now    func() time.Time
	// Region and AccountID appear in route ARNs and requestContext.
	Region    string
	AccountID string
	// HTTPClient calls HTTP_PROXY backends (default gateway.NewHTTPClient()).
	HTTPClient *http.Client
	// MaxBodyBytes bounds request bodies (default 10 MiB, AWS's payload limit).
	MaxBodyBytes int64
}

// Gateway serves HTTP APIs' stages. Safe for concurrent use.
type Gateway struct {
	o     Options
	log   *slog.Logger
	state atomic.Pointer[routing]
	authz *lambdaCache
	// transport is HTTPClient's transport (HTTP_PROXY calls are single round trips).
	transport http.RoundTripper
	mu        sync.Mutex // serialises Load and Sync
	loaded    map[string]*capi
}

// routing is the immutable set of served APIs, swapped atomically.
type routing struct {
	apis map[string]*capi
}

// capi is a served API.
type capi struct {
	id      string
	version int64
	stages  map[string]*cstage
	// disabled is disableExecuteApiEndpoint.
	disabled bool
}

// cstage is a served stage.
type cstage struct {
	name   string
	vars   map[string]string
	dep    *compiled
	bucket *bucket
	routes map[string]*bucket // per route key throttling
}

// New returns a Gateway serving nothing yet.
func New(o Options) *Gateway {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.AccountID == "" {
		o.AccountID = "000000000000"
	}
	if o.HTTPClient == nil {
		o.HTTPClient = gateway.NewHTTPClient()
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 10 << 20
	}
	if o.JWT == nil {
		o.JWT = NewJWTValidator(JWTOptions{Now: o.Now})
	}
	g := &Gateway{o: o, log: o.Logger, authz: newLambdaCache(o.Now), loaded: map[string]*capi{}, transport: o.HTTPClient.Transport}
	if g.transport == nil {
		g.transport = http.DefaultTransport
	}
	g.state.Store(&routing{apis: map[string]*capi{}})
	return g
}

// Serves reports whether apiID is an HTTP API this gateway serves.
func (g *Gateway) Serves(apiID string) bool {
	_, ok := g.state.Load().apis[apiID]
	return ok
}

// Load replaces the API with api.ID by api (version orders updates: an
// older or equal version than the one served is ignored unless zero).
func (g *Gateway) Load(api *API, version int64) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.load(api, version)
}

func (g *Gateway) load(api *API, version int64) error {
	if prev := g.loaded[api.ID]; prev != nil && version != 0 && prev.version == version {
		return nil
	}
	c, err := g.compileAPI(api, version)
	if err != nil {
		return err
	}
	g.loaded[api.ID] = c
	g.publish()
	return nil
}

// compileAPI compiles every stage that points at a deployment.
func (g *Gateway) compileAPI(api *API, version int64) (*capi, error) {
	c := &capi{id: api.ID, version: version, stages: map[string]*cstage{}, disabled: api.DisableExecuteAPIEndpoint}
	prev := g.loaded[api.ID]
	deps := map[string]*compiled{}
	for name, st := range api.Stages {
		if st.DeploymentID == "" {
			continue
		}
		d := api.Deployments[st.DeploymentID]
		if d == nil || d.Snapshot == nil {
			return nil, fmt.Errorf("api %s stage %s: no deployment %s", api.ID, name, st.DeploymentID)
		}
		dep := deps[d.DeploymentID]
		if dep == nil {
			var err error
			if dep, err = compile(d.DeploymentID, d.Snapshot); err != nil {
				return nil, fmt.Errorf("api %s deployment %s: %w", api.ID, d.DeploymentID, err)
			}
			deps[d.DeploymentID] = dep
		}
		cs := &cstage{name: name, vars: maps.Clone(st.StageVariables), dep: dep, routes: map[string]*bucket{}}
		cs.bucket = newBucket(st.DefaultRouteSettings, g.o.Now)
		for key, rs := range st.RouteSettings {
			cs.routes[key] = newBucket(rs, g.o.Now)
		}
		// Keep the token buckets of an unchanged stage across reloads.
		if prev != nil {
			if old := prev.stages[name]; old != nil && sameSettings(old, cs) {
				cs.bucket, cs.routes = old.bucket, old.routes
			}
		}
		c.stages[name] = cs
	}
	return c, nil
}

// Remove stops serving an API.
func (g *Gateway) Remove(apiID string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.loaded, apiID)
	g.publish()
}

// publish swaps in the loaded APIs. Callers hold g.mu.
func (g *Gateway) publish() {
	g.state.Store(&routing{apis: maps.Clone(g.loaded)})
}

// SyncInterval is how often Run polls the store.
const SyncInterval = time.Second

// Run polls the store every SyncInterval until ctx ends.
func (g *Gateway) Run(ctx context.Context) error {
	t := time.NewTicker(SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := g.Sync(ctx); err != nil && ctx.Err() == nil {
				g.log.Warn("httpapi sync", "err", err)
			}
		}
	}
}

// Sync loads APIs changed in the store (by object version) and drops
// deleted ones. An API that fails to compile keeps its previous version.
func (g *Gateway) Sync(ctx context.Context) error {
	if g.o.Store == nil {
		return nil
	}
	var objs []store.Object
	page := store.Page{Limit: 500}
	for {
		batch, err := g.o.Store.ListObjects(ctx, ObjectKind, page)
		if err != nil {
			return fmt.Errorf("list http apis: %w", err)
		}
		objs = append(objs, batch...)
		if len(batch) < page.Limit {
			break
		}
		page.After = batch[len(batch)-1].Key
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	seen := map[string]bool{}
	var errs []error
	changed := false
	for _, o := range objs {
		seen[o.Key] = true
		if prev := g.loaded[o.Key]; prev != nil && prev.version == o.Version {
			continue
		}
		var api API
		if err := json.Unmarshal(o.Data, &api); err != nil {
			errs = append(errs, fmt.Errorf("api %s: %w", o.Key, err))
			continue
		}
		c, err := g.compileAPI(&api, o.Version)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		g.loaded[o.Key] = c
		changed = true
	}
	for id := range g.loaded {
		if !seen[id] {
			delete(g.loaded, id)
			changed = true
		}
	}
	if changed {
		g.publish()
	}
	return errors.Join(errs...)
}

// APIIDFromHost returns the API id of a Host {apiId}.execute-api.{region}.amazonaws.com
// (any suffix after .execute-api., as the REST gateway accepts).
func APIIDFromHost(host string) (string, bool) {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	i := strings.Index(host, ".execute-api.")
	if i <= 0 {
		return "", false
	}
	return strings.ToLower(host[:i]), true
}

// PathPrefix is the path form of invoke URLs on Cognate's own host, shared
// with REST APIs: /restapis/{apiId}/{stage}/_user_request_/{path}.
const PathPrefix = "/restapis/"

// APIIDFromPath returns the API id of a /restapis/{apiId}/{stage}/_user_request_/ path.
func APIIDFromPath(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, PathPrefix)
	if !ok {
		return "", false
	}
	segs := strings.SplitN(rest, "/", 4)
	if len(segs) < 3 || segs[2] != "_user_request_" {
		return "", false
	}
	return segs[0], true
}

// resolve finds the API, stage and escaped path after the stage.
func (g *Gateway) resolve(r *http.Request) (*capi, *cstage, string, string, bool) {
	s := g.state.Load()
	path := r.URL.EscapedPath()
	if id, ok := APIIDFromHost(r.Host); ok {
		api := s.apis[id]
		if api == nil {
			return nil, nil, "", "", false
		}
		if api.disabled {
			return nil, nil, "", "", false
		}
		// A named stage is the first segment; else the $default stage.
		first, rest := splitFirst(path)
		if first != DefaultStage {
			if st := api.stages[first]; st != nil {
				return api, st, rest, "/" + first, true
			}
		}
		if st := api.stages[DefaultStage]; st != nil {
			return api, st, path, "", true
		}
		return nil, nil, "", "", false
	}
	rest, _ := strings.CutPrefix(path, PathPrefix)
	segs := strings.SplitN(rest, "/", 4)
	if len(segs) < 3 {
		return nil, nil, "", "", false
	}
	api := s.apis[segs[0]]
	if api == nil {
		return nil, nil, "", "", false
	}
	stageName := segs[1]
	if stageName == "%24default" {
		stageName = DefaultStage
	}
	st := api.stages[stageName]
	if st == nil {
		return nil, nil, "", "", false
	}
	tail := "/"
	if len(segs) == 4 {
		tail = "/" + segs[3]
	}
	prefix := ""
	if stageName != DefaultStage {
		prefix = "/" + stageName
	}
	return api, st, tail, prefix, true
}

// splitFirst splits "/a/b" into "a" and "/b".
func splitFirst(p string) (string, string) {
	p = strings.TrimPrefix(p, "/")
	first, rest, ok := strings.Cut(p, "/")
	if !ok {
		return first, "/"
	}
	return first, "/" + rest
}

// bucket is a token bucket; nil allows everything.
type bucket struct {
	mu            sync.Mutex
	rate, burst   float64
	tokens        float64
	last          time.Time
	now           func() time.Time
	rateS, burstS string
}

func newBucket(rs *RouteSettings, now func() time.Time) *bucket {
	if rs == nil || rs.ThrottlingRateLimit == nil && rs.ThrottlingBurstLimit == nil {
		return nil
	}
	b := &bucket{rate: 1e9, burst: 1e9, now: now}
	if rs.ThrottlingRateLimit != nil {
		b.rate = *rs.ThrottlingRateLimit
	}
	if rs.ThrottlingBurstLimit != nil {
		b.burst = float64(*rs.ThrottlingBurstLimit)
	}
	b.tokens, b.last = b.burst, now()
	b.rateS, b.burstS = fmt.Sprint(b.rate), fmt.Sprint(b.burst)
	return b
}

func (b *bucket) allow() bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if el := now.Sub(b.last); el > 0 {
		b.tokens = min(b.burst, b.tokens+el.Seconds()*b.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (b *bucket) settings() string {
	if b == nil {
		return ""
	}
	return b.rateS + "/" + b.burstS
}

func sameSettings(a, b *cstage) bool {
	if a.bucket.settings() != b.bucket.settings() || len(a.routes) != len(b.routes) {
		return false
	}
	for k, v := range a.routes {
		if b.routes[k].settings() != v.settings() {
			return false
		}
	}
	return true
}
