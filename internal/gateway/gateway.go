package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cognate-dev/cognate/internal/gateway/authorizer"
)

// FunctionInvoker calls a function by name (see authorizer.FunctionInvoker).
type FunctionInvoker = authorizer.FunctionInvoker

// TokenVerifier verifies Cognito tokens (see authorizer.TokenVerifier);
// *tokens.Verifier satisfies it.
type TokenVerifier = authorizer.TokenVerifier

// Options configure a Gateway. Functions is required for AWS, AWS_PROXY and
// Lambda authorizers, Tokens for Cognito authorizers; Store is optional
// (without it deployments live in memory only).
type Options struct {
	Functions FunctionInvoker
	Tokens    TokenVerifier
	// Issuer is the iss claim of a pool's tokens (with Tokens, for Cognito authorizers).
	Issuer func(poolID string) string
	Store  DeploymentStore
	// Logger receives errors and, at Info, one access log line per request.
	Logger *slog.Logger
	Now    func() time.Time
	// Region and AccountID appear in method ARNs and $context (defaults
	// us-east-1 and 000000000000).
	Region    string
	AccountID string
	Limits    Limits
	// Usage keeps usage-plan counters (store.Usage); without it they are in
	// memory, per node.
	Usage UsageStore
	// EscapedSlashes is what %2F and %5C inside a path segment do (default
	// KeepUnchanged: forwarded encoded; dot segments behind them refused).
	EscapedSlashes EscapedSlashAction
	// CognitoCacheMaxTTL caps the cache TTL of Cognito authorizer results so
	// revoked tokens are refused quickly (default 1 s).
	CognitoCacheMaxTTL time.Duration
	// Metrics counts authorizer cache hits and misses (optional).
	Metrics authorizer.CacheLookups
	// ViewerCountry is the CloudFront-Viewer-Country header of proxy events
	// and REQUEST authorizer events (empty: none).
	ViewerCountry string
}

// Gateway serves deployed APIs. Create it with New; it is safe for
// concurrent use.
type Gateway struct {
	opts   Options
	log    *slog.Logger
	now    func() time.Time
	limits Limits
	client *http.Client
	// slashes is Options.EscapedSlashes with its default.
	slashes EscapedSlashAction
	// usage holds the API keys and usage plans; memUsage counts without a store.
	usage    atomic.Pointer[usageState]
	memUsage *memUsage
	cache    *authorizer.Cache
	work     *workLimit // Limits.MaxConcurrent

	mu    sync.Mutex // serialises Deploy and Sync
	state atomic.Pointer[routingState]
	// compiled caches compiled deployments by API id and deployment id.
	compiled map[string]*deployment
}

// New returns a Gateway with no APIs deployed.
func New(opts Options) *Gateway {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "000000000000"
	}
	if opts.EscapedSlashes == "" {
		opts.EscapedSlashes = KeepUnchanged
	}
	g := &Gateway{
		slashes:  opts.EscapedSlashes,
		opts:     opts,
		log:      opts.Logger,
		now:      opts.Now,
		limits:   opts.Limits.withDefaults(),
		client:   NewHTTPClient(),
		cache:    authorizer.NewCache(0, opts.Now),
		compiled: make(map[string]*deployment),
	}
	g.work = newWorkLimit(g.limits)
	g.state.Store(&routingState{apis: map[string]map[string]*stage{}})
	g.usage.Store(&usageState{})
	g.memUsage = &memUsage{m: map[[3]string]int64{}}
	return g
}

// Handler serves every deployed API: /{stage}/{path} for the default API,
// Host {apiId}.execute-api.* for any API, and
// /restapis/{apiId}/{stage}/_user_request_/{path}.
func (g *Gateway) Handler() http.Handler { return http.HandlerFunc(g.serveHTTP) }

// Load is the number of requests executing and waiting for a slot under
// Limits.MaxConcurrent (0, 0 without a limit).
func (g *Gateway) Load() (running, waiting int) {
	if g.work == nil {
		return 0, 0
	}
	return g.work.running(), g.work.waiting()
}

// SyncInterval is how often Run polls the store for stages changed by
// other nodes.
const SyncInterval = time.Second

// Run polls the store every SyncInterval for stages deployed by other nodes
// until ctx ends. Errors are logged, not fatal.
func (g *Gateway) Run(ctx context.Context) error {
	t := time.NewTicker(SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := g.Sync(ctx); err != nil && ctx.Err() == nil {
				g.log.Warn("gateway sync", "err", err)
			}
		}
	}
}
