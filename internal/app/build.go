package app

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	apigwcontrol "github.com/cognate-dev/cognate/internal/apigw/control"
	"github.com/cognate-dev/cognate/internal/auth"
	"github.com/cognate-dev/cognate/internal/config"
	"github.com/cognate-dev/cognate/internal/functions"
	"github.com/cognate-dev/cognate/internal/functions/caller"
	lambdacontrol "github.com/cognate-dev/cognate/internal/functions/control"
	"github.com/cognate-dev/cognate/internal/gateway"
	"github.com/cognate-dev/cognate/internal/httpapi"
	httpapicontrol "github.com/cognate-dev/cognate/internal/httpapi/control"
	"github.com/cognate-dev/cognate/internal/iam"
	"github.com/cognate-dev/cognate/internal/login"
	"github.com/cognate-dev/cognate/internal/messages"
	"github.com/cognate-dev/cognate/internal/oauth"
	"github.com/cognate-dev/cognate/internal/secret"
	"github.com/cognate-dev/cognate/internal/tokens"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// components are the long-lived parts of a process, built once at start.
type components struct {
	app      *App
	cfg      *config.File
	base     string
	keys     *tokens.KeyRing
	revs     *tokens.Revocations
	verifier *tokens.Verifier
	pools    *userpool.Service
	runner   *functions.Runner
	gateway  *gateway.Gateway
	lambda   *lambdacontrol.Service
	apigw    *apigwcontrol.Service
	// httpapi serves HTTP APIs (API Gateway v2); httpapiCtl is their control plane.
	httpapi    *httpapi.Gateway
	httpapiCtl *httpapicontrol.Service
	iam        *iam.Service
	refs       *refs
	sec        *security
	kmsKeys    atomic.Pointer[[]config.KMSKey] // the applied file's, for custom sender triggers
	oauth      *oauth.Server
	login      *login.Pages
	// applied is the configuration applied last (reloads remove what it
	// has and the new file has not).
	applied *config.File
	outbox  *messages.Outbox
}

// build creates the components; background loops run until ctx ends.
func build(ctx context.Context, a *App, cfg *config.File, sealer *secret.Sealer, base string, sec *security) (*components, error) {
	log := a.log
	c := &components{app: a, cfg: cfg, base: base, sec: sec, refs: &refs{
		region: cfg.Region, account: cfg.AccountID,
		pools: map[string]string{}, clients: map[string]string{}, issuers: map[string]string{},
	}}
	c.keys = tokens.NewKeyRing(a.store, sealer, tokens.KeyRingOptions{Now: a.opts.Now, Logger: log.With("component", "keys")})
	c.revs = tokens.NewRevocations(a.store, tokens.RevocationsOptions{Now: a.opts.Now, Logger: log.With("component", "revocations")})
	if err := c.revs.Sync(ctx); err != nil {
		return nil, fmt.Errorf("load revocations: %w", err)
	}
	a.goBackground(func() { c.revs.Run(ctx) })
	c.verifier = tokens.NewVerifier(c.keys, tokens.VerifierOptions{Now: a.opts.Now, Revocations: c.revs})

	var err error
	var authLimits userpool.Limits
	if t := cfg.AuthThrottling; t != nil {
		authLimits.SourceRate, authLimits.SourceBurst = t.RateLimit, t.BurstLimit
		if authLimits.TrustedProxies, err = t.Proxies(); err != nil { // Validate has checked them
			return nil, fmt.Errorf("authThrottling: %w", err)
		}
	}
	// Codes are secrets: the log shows them only at debug level, for local use.
	router, err := newMessageRouter(cfg.Messages, a.store, sealer, log.With("component", "messages"), log.Enabled(ctx, -4), a.opts.Now)
	if err != nil {
		return nil, err
	}
	c.outbox = router.Outbox
	c.pools, err = userpool.New(userpool.Config{
		Store: a.store, Sealer: sealer, Keys: c.keys, Revocations: c.revs,
		Issuer: c.issuer, Region: cfg.Region, AccountID: cfg.AccountID, BaseURL: base,
		Sender: codeSender{router},
		Guard: &auth.JSONGuard{
			Authority: sec.authority, Service: "cognito-idp", Prefix: "cognito-idp:",
			PublicOps: userpool.PublicOperations, Resource: userpool.ResourceFor(cfg.Region, cfg.AccountID),
		},
		Now: a.opts.Now, Logger: log.With("component", "userpool"),
		// Triggers call the function runner built below.
		Triggers: triggerInvoker{c}, SenderKeys: c.senderKey,
		Limits:  authLimits,
		Metrics: a.metrics,
		// Confirmation links of pools with no domain point at their pages here.
		PagesURL: func(poolID string) string { return base + "/" + poolID },
	})
	if err != nil {
		return nil, err
	}

	c.oauth = oauth.New(oauth.Options{Pools: c.pools, Store: a.store, Sealer: sealer, Issuer: c.issuer,
		Now: a.opts.Now, Logger: log.With("component", "oauth")})
	c.login = login.New(c.oauth)

	c.runner = functions.NewRunner(functions.Options{
		Logger: log.With("component", "functions"), Region: cfg.Region, AccountID: cfg.AccountID, Now: a.opts.Now,
		Protect: a.protectedPaths(),
		Metrics: a.metrics,
	})

	c.iam = iam.New(a.store, cfg.AccountID, a.opts.Now, log.With("component", "iam"))
	c.lambda = lambdacontrol.New(lambdacontrol.Options{
		Store: a.store, Runner: c.runner, Invoke: c.runner.Handler(), Roles: c.iam,
		CacheDir: codeCacheDir(a.opts.DataDir), Region: cfg.Region, AccountID: cfg.AccountID,
		CodeURL: func(name string) string { return base + "/_cognate/functions/" + name + "/code" },
		Now:     a.opts.Now, Logger: log.With("component", "lambda-control"),
	})
	if err := c.lambda.Sync(ctx); err != nil {
		log.Warn("load functions", "err", err)
	}
	a.goBackground(func() { c.lambda.Run(ctx) })

	var limits gateway.Limits
	if t := cfg.Throttling; t != nil {
		limits.Rate, limits.Burst = t.RateLimit, t.BurstLimit
	}
	var slashes gateway.EscapedSlashAction
	var viewerCountry string
	if g := cfg.Gateway; g != nil {
		viewerCountry = g.ViewerCountry
		if slashes, err = gateway.ParseEscapedSlashAction(g.EscapedSlashes); err != nil {
			return nil, fmt.Errorf("config: gateway: %w", err)
		}
		limits.MaxConcurrent, limits.MaxQueued = g.MaxConcurrentRequests, g.MaxQueuedRequests
	}
	c.gateway = gateway.New(gateway.Options{
		Limits:    limits,
		Functions: invoker{c.runner, c.lambda},
		Tokens:    c.verifier,
		Issuer:    c.issuer,
		Metrics:   a.metrics,
		Store:     a.store,
		Logger:    log.With("component", "gateway"),
		Now:       a.opts.Now,
		Region:    cfg.Region,
		AccountID: cfg.AccountID,

		EscapedSlashes: slashes,
		Usage:          a.store,
		ViewerCountry:  viewerCountry,
	})
	a.metrics.Gauge("gateway_requests_running", "Gateway requests executing (at most gateway.maxConcurrentRequests).", func() float64 { r, _ := c.gateway.Load(); return float64(r) })
	a.metrics.Gauge("gateway_requests_queued", "Gateway requests waiting for a slot (at most gateway.maxQueuedRequests).", func() float64 { _, q := c.gateway.Load(); return float64(q) })
	if err := c.gateway.Sync(ctx); err != nil {
		return nil, fmt.Errorf("load deployments: %w", err)
	}
	a.goBackground(func() { c.gateway.Run(ctx) })
	c.apigw = apigwcontrol.New(apigwcontrol.Options{
		Store: a.store, Gateway: c.gateway, Functions: invoker{c.runner, c.lambda}, Tokens: c.verifier, Issuer: c.issuer,
		NewTester: func() apigwcontrol.Tester {
			return gateway.New(gateway.Options{Functions: invoker{c.runner, c.lambda}, Tokens: c.verifier, Issuer: c.issuer, Logger: log.With("component", "test-invoke"),
				Now: a.opts.Now, Region: cfg.Region, AccountID: cfg.AccountID})
		},
		Sealer: sealer, Usage: c.gateway,
		Region: cfg.Region, AccountID: cfg.AccountID, Now: a.opts.Now, Logger: log.With("component", "apigateway-control"),
	})
	c.httpapi = httpapi.New(httpapi.Options{
		Functions: invoker{c.runner, c.lambda},
		JWT:       httpapi.NewJWTValidator(httpapi.JWTOptions{Local: c.verifier, LocalPool: c.localPool, Now: a.opts.Now}),
		Store:     a.store, Logger: log.With("component", "httpapi"), Now: a.opts.Now,
		Region: cfg.Region, AccountID: cfg.AccountID,
	})
	if err := c.httpapi.Sync(ctx); err != nil {
		log.Warn("load http apis", "err", err)
	}
	a.goBackground(func() { c.httpapi.Run(ctx) })
	c.httpapiCtl = httpapicontrol.New(httpapicontrol.Options{
		Store: a.store, Gateway: c.httpapi,
		RESTAPIExists: func(ctx context.Context, id string) bool {
			_, err := a.store.GetObject(ctx, apigwcontrol.ObjectKind, id)
			return err == nil
		},
		Region: cfg.Region, AccountID: cfg.AccountID, Now: a.opts.Now, Logger: log.With("component", "apigatewayv2-control"),
	})
	a.goBackground(func() { c.pools.Run(ctx) })
	a.goBackground(func() { c.apigw.RunUsage(ctx, gateway.SyncInterval) })
	return c, nil
}

// localPool maps the issuer of one of Cognate's pools to the pool id, so
// HTTP APIs' JWT authorizers verify local tokens without network access.
func (c *components) localPool(issuer string) (string, bool) {
	i := strings.LastIndexByte(issuer, '/')
	if i < 0 {
		return "", false
	}
	pool := issuer[i+1:]
	if !poolIDPattern.MatchString(pool) || c.issuer(pool) != issuer {
		return "", false
	}
	return pool, true
}

// issuer is the iss of a pool's tokens.
func (c *components) issuer(poolID string) string {
	return tokens.Issuer(c.base, c.cfg.Region, poolID, c.cfg.IssuerStyle == "aws")
}

// knownIssuer answers the well-known handler: the issuer of an existing pool.
func (c *components) knownIssuer(poolID string) (string, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.app.store.GetPool(ctx, poolID); err != nil {
		return "", false
	}
	return c.issuer(poolID), true
}

// mounter is a component that serves its own endpoints under /_cognate/
// (docs/ARCHITECTURE.md, "The listener"); the admin mux they share sits behind
// the signature check and adminRule.
type mounter interface {
	Mount(mux *http.ServeMux)
}

// handler is the listener's whole HTTP surface.
func (c *components) handler() http.Handler {
	admin := http.NewServeMux()
	for _, m := range []mounter{c.app, c.app.metrics, c.runner, c.lambda, c.pools, c.outbox} {
		m.Mount(admin)
	}
	admin.HandleFunc("POST /_cognate/apply", c.applyHandler)
	admin.HandleFunc("/_cognate/", notFound)
	c.sec.hosts.Store(c.hostSet(c.cfg))
	return c.app.metrics.Middleware(&routes{
		hosts:    &c.sec.hosts,
		userpool: c.pools.Handler(),
		wellKnown: tokens.WellKnownHandler(c.keys, c.knownIssuer, func(r *http.Request, poolID, iss string) map[string]any {
			return oauth.Discovery(oauth.DiscoveryBase(r, iss, poolID))
		}),
		oauth:   c.login.Route,
		invoke:  c.sec.authority.RESTMiddleware("lambda", lambdacontrol.MaxRequestBody, c.lambda.Rule, c.lambda.Handler()),
		query:   c.sec.authority.QueryMiddleware(iam.Namespace, 1<<20, c.iam.Rule, c.iam.Handler()),
		admin:   unsignedHealth(admin, c.sec.authority.RESTMiddleware("cognate", 1<<20, c.adminRule, admin)),
		gateway: &dataPlane{rest: c.gateway.Handler(), http: c.httpapi},
		apigw:   c.sec.authority.RESTMiddleware("apigateway", 16<<20, c.apigw.Rule, c.apigw.Handler()),
		// apigatewayv2 signs with the service name apigateway too.
		apigwv2: c.sec.authority.RESTMiddleware("apigateway", httpapicontrol.MaxRequestBody, c.httpapiCtl.Rule, c.httpapiCtl.Handler()),
	}, routeLabel)
}

// hostSet is the Host names served: the defaults, the public URL's host and
// the configured ones.
func (c *components) hostSet(cfg *config.File) *hostSet {
	var configured []string
	if cfg.Security != nil {
		configured = cfg.Security.AllowedHosts
	}
	h := newHostSet(c.base, configured, c.app.opts.AllowedHosts)
	h.dynamic = c.oauth.IsDomain
	return h
}

// adminRule names the IAM action of a /_cognate/ request: cognate:ACTION on
// the pool or function it concerns.
func (c *components) adminRule(r *http.Request) (string, string) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/_cognate/"), "/")
	switch {
	case len(parts) == 3 && parts[0] == "pools" && parts[2] == "rotate-keys":
		return "cognate:RotateSigningKeys", userpool.PoolARN(c.cfg.Region, c.cfg.AccountID, parts[1])
	case len(parts) == 2 && parts[0] == "outbox":
		return "cognate:ReadOutbox", userpool.PoolARN(c.cfg.Region, c.cfg.AccountID, parts[1])
	case len(parts) == 3 && parts[0] == "functions" && parts[2] == "code":
		return "lambda:GetFunction", "arn:aws:lambda:" + c.cfg.Region + ":" + c.cfg.AccountID + ":function:" + parts[1]
	case len(parts) == 3 && parts[0] == "functions" && parts[2] == "logs":
		return "cognate:GetFunctionLogs", "arn:aws:lambda:" + c.cfg.Region + ":" + c.cfg.AccountID + ":function:" + parts[1]
	default:
		return "cognate:" + strings.Join(parts[:1], ""), "*"
	}
}

// codeCacheDir is where this node unpacks functions created through the
// Lambda API: a sibling of the data directory (DATA-functions), because
// function processes may never read the data directory itself and, when
// they run as nobody, need o+rx on the task root and its parents.
func codeCacheDir(dataDir string) string {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		abs = dataDir
	}
	return filepath.Clean(abs) + "-functions"
}

// unsignedHealth serves /_cognate/health (and /_cognate/ready) without a
// signature, for load balancers and probes, and user import uploads (their
// URL's token authorizes them); everything else goes to signed.
func unsignedHealth(open, signed http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/_cognate/health", r.URL.Path == "/_cognate/ready":
			open.ServeHTTP(w, r)
		case strings.HasPrefix(r.URL.Path, userpool.ImportUploadPath):
			// A user import job's PreSignedUrl: its token authorizes it.
			open.ServeHTTP(w, r)
		default:
			signed.ServeHTTP(w, r)
		}
	})
}

// close stops every function instance.
func (c *components) close(ctx context.Context) {
	if c.runner != nil {
		if err := c.runner.Close(ctx); err != nil {
			c.app.log.Error("stop functions", "err", err)
		}
	}
}

// invoker adapts the function runner to the gateway's FunctionInvoker:
// qualified names (NAME:VERSION, NAME:ALIAS) run the version they resolve
// to, and a call on behalf of API Gateway (caller.From) must be allowed by
// the function's resource policy.
type invoker struct {
	r      *functions.Runner
	lambda *lambdacontrol.Service
}

// InvokeFunction implements gateway.FunctionInvoker.
func (i invoker) InvokeFunction(ctx context.Context, name string, payload []byte) ([]byte, string, error) {
	if src, ok := caller.From(ctx); ok {
		if err := i.lambda.CheckInvoke(name, src); err != nil {
			return nil, "", err
		}
	}
	key, _, err := i.lambda.Resolve(name)
	if err != nil {
		return nil, "", err
	}
	res, err := i.r.Invoke(ctx, key, payload)
	if err != nil {
		return nil, "", err
	}
	return res.Payload, res.FunctionError, nil
}
