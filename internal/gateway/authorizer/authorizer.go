// Package authorizer runs API Gateway authorizers: COGNITO_USER_POOLS
// (token verification through a TokenVerifier), and Lambda TOKEN and REQUEST
// authorizers (a function called with AWS's event, answering a policy,
// principalId and context). Results are cached by authorizer and identity
// sources; the cached policy is evaluated again for every method ARN.
package authorizer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/internal/iampolicy"

	"github.com/cognate-dev/cognate/internal/tokens"
)

// FunctionInvoker calls a function by name. out is the function's answer;
// functionError is "" on success, "Unhandled" or "Handled" when out is an
// error object {"errorMessage", "errorType"}; err is an infrastructure failure.
type FunctionInvoker interface {
	InvokeFunction(ctx context.Context, name string, payload []byte) (out []byte, functionError string, err error)
}

// TokenVerifier verifies a token against what is expected of it; the user
// pools' *tokens.Verifier satisfies it, so the gateway and the Cognito API
// share one verifier. Errors wrapping ErrRevoked mean the token was revoked
// (its cache entries are dropped).
type TokenVerifier interface {
	Verify(ctx context.Context, token string, want tokens.Expect) (tokens.Claims, error)
}

// Errors of Authorize, mapped by the gateway to gateway responses.
var (
	// ErrUnauthorized: missing or invalid identity, or the function said
	// "Unauthorized" (401).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrConfiguration: the function failed or answered something malformed (500).
	ErrConfiguration = errors.New("authorizer configuration error")
	// ErrRevoked is what a TokenVerifier wraps for a revoked token.
	ErrRevoked = tokens.ErrRevoked
)

// Kinds of authorizer.
const (
	Token   = "TOKEN"
	Request = "REQUEST"
	Cognito = "COGNITO_USER_POOLS"
)

// DefaultTTL is the result cache TTL when none is configured.
const DefaultTTL = 300 * time.Second

// Config is a compiled authorizer definition.
type Config struct {
	// ID identifies the authorizer in cache keys; include the deployment so
	// a redeployment starts from an empty cache, as AWS does.
	ID       string
	Type     string
	Function string
	// IdentitySource is the comma-separated source list (default
	// method.request.header.Authorization for TOKEN and Cognito).
	IdentitySource               string
	IdentityValidationExpression string
	TTL                          time.Duration
	PoolIDs                      []string
	// SourceARN and SourceAccount identify API Gateway's invocations of the
	// function (arn:aws:execute-api:REGION:ACCOUNT:API/authorizers/ID) for
	// its resource policy (caller.Source).
	SourceARN, SourceAccount string
}

// Deps are the collaborators of authorizers.
type Deps struct {
	Functions FunctionInvoker
	Tokens    TokenVerifier
	// Issuer is the iss claim of a pool's tokens (required by Cognito authorizers).
	Issuer func(poolID string) string
	Cache  *Cache
	// CacheLookups counts cache hits and misses (optional).
	CacheLookups CacheLookups
	Logger       *slog.Logger
	// CognitoMaxTTL caps the cache TTL of Cognito results so that revoked
	// tokens are refused quickly (default 1 s).
	CognitoMaxTTL time.Duration
}

// CacheLookups counts result cache lookups (metrics.Metrics satisfies it).
type CacheLookups interface {
	AuthorizerCache(hit bool)
}

// Input is what an authorizer sees of a request.
type Input struct {
	// Stage scopes cached results: AWS caches authorizer results per stage.
	Stage          string
	Header         http.Header
	Query          url.Values
	PathParams     map[string]string
	StageVariables map[string]string
	// Context resolves context.X identity sources.
	Context    func(name string) string
	MethodArn  string
	Resource   string
	Path       string
	HTTPMethod string
	// RequestContext is the requestContext object of REQUEST events.
	RequestContext any
	// EventHeader, when set, is the REQUEST event's headers (names as the
	// client sent them); Header still serves the identity sources.
	EventHeader http.Header
	// Scopes are the method's authorization scopes (Cognito).
	Scopes []string
}

// Result is an authorizer's answer.
type Result struct {
	PrincipalID string
	// Context holds the Lambda authorizer's context (string, int64 for whole numbers, float64, bool).
	Context map[string]any
	// UsageIdentifierKey is the API key a Lambda authorizer chose (API key
	// source AUTHORIZER).
	UsageIdentifierKey string
	// Claims holds a Cognito token's verified claims, as the verifier
	// returned them; ClaimString renders one as API Gateway exposes it.
	Claims tokens.Claims
	// Policy is the Lambda authorizer's policy; nil (Cognito) allows.
	Policy *iampolicy.Policy
	// Cached is set when the result came from the cache.
	Cached bool
}

// Decide evaluates the result's policy for a method ARN.
func (r *Result) Decide(methodArn string) iampolicy.Decision {
	if r.Policy == nil {
		return iampolicy.Allowed
	}
	return r.Policy.Evaluate(iampolicy.InvokeAction, methodArn)
}

// Authorizer is one compiled authorizer.
type Authorizer struct {
	cfg     Config
	deps    Deps
	sources []Source
	valid   *regexp.Regexp
}

// New compiles an authorizer.
func New(cfg Config, deps Deps) (*Authorizer, error) {
	switch cfg.Type {
	case Token, Request:
		if cfg.Function == "" {
			return nil, fmt.Errorf("authorizer %s: no function", cfg.ID)
		}
	case Cognito:
		if len(cfg.PoolIDs) == 0 {
			return nil, fmt.Errorf("authorizer %s: no user pool", cfg.ID)
		}
	default:
		return nil, fmt.Errorf("authorizer %s: unknown type %q", cfg.ID, cfg.Type)
	}
	src := cfg.IdentitySource
	if src == "" && cfg.Type != Request {
		src = "method.request.header.Authorization"
	}
	sources, err := ParseIdentitySource(src)
	if err != nil {
		return nil, fmt.Errorf("authorizer %s: %w", cfg.ID, err)
	}
	if cfg.Type != Request && len(sources) != 1 {
		return nil, fmt.Errorf("authorizer %s: %s takes exactly one identity source", cfg.ID, cfg.Type)
	}
	a := &Authorizer{cfg: cfg, deps: deps, sources: sources}
	if e := cfg.IdentityValidationExpression; e != "" {
		if a.valid, err = regexp.Compile(`^(?:` + e + `)$`); err != nil {
			return nil, fmt.Errorf("authorizer %s: identityValidationExpression: %w", cfg.ID, err)
		}
	}
	if a.deps.Logger == nil {
		a.deps.Logger = slog.New(slog.DiscardHandler)
	}
	if a.deps.CognitoMaxTTL <= 0 {
		a.deps.CognitoMaxTTL = time.Second
	}
	return a, nil
}

// Type is the authorizer's kind.
func (a *Authorizer) Type() string { return a.cfg.Type }

// Authorize authenticates a request. It returns ErrUnauthorized (401) or
// ErrConfiguration (500), wrapped; the caller evaluates Result.Decide.
func (a *Authorizer) Authorize(ctx context.Context, in *Input) (*Result, error) {
	values, ok := a.identity(in)
	if !ok {
		return nil, fmt.Errorf("%w: missing identity source", ErrUnauthorized)
	}
	// The expression checks the token of TOKEN authorizers; Cognito
	// authorizers match it against the token's aud after verification, and
	// REQUEST authorizers ignore it (as API Gateway does).
	if a.valid != nil && a.cfg.Type == Token && !a.valid.MatchString(values[0]) {
		return nil, fmt.Errorf("%w: identity fails validation expression", ErrUnauthorized)
	}
	ttl := a.cfg.TTL
	if a.cfg.Type == Cognito && ttl > a.deps.CognitoMaxTTL {
		ttl = a.deps.CognitoMaxTTL
	}
	var key string
	if ttl > 0 && a.deps.Cache != nil && len(values) > 0 {
		bp := keyBufs.Get().(*[]byte)
		kb := a.appendCacheKey((*bp)[:0], in.Stage, values, in.Scopes)
		r, ok := a.deps.Cache.GetBytes(kb)
		if a.deps.CacheLookups != nil {
			a.deps.CacheLookups.AuthorizerCache(ok)
		}
		if !ok {
			key = string(kb)
		}
		*bp = kb
		keyBufs.Put(bp)
		if ok {
			return r, nil
		}
	}
	var (
		res *Result
		exp time.Time
		err error
	)
	switch a.cfg.Type {
	case Cognito:
		res, exp, err = a.cognito(ctx, values[0], in.Scopes)
	case Token:
		res, err = a.lambda(ctx, tokenEvent{Type: Token, AuthorizationToken: values[0], MethodArn: in.MethodArn})
	default:
		res, err = a.lambda(ctx, newRequestEvent(in))
	}
	if err != nil {
		return nil, err
	}
	if key != "" {
		a.deps.Cache.Put(key, values[0], res, ttl, exp)
	}
	return res, nil
}

// keyBufs recycles cache-key buffers: a cache hit (the hot path) then
// allocates nothing; the key is copied into a string only to store a miss.
var keyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// appendCacheKey appends the result cache key (authorizer, stage, identity
// values, and the scopes of Cognito authorizers) to b.
func (a *Authorizer) appendCacheKey(b []byte, stage string, values []string, scopes []string) []byte {
	b = append(b, a.cfg.ID...)
	b = append(b, 0)
	b = append(b, stage...)
	for _, v := range values {
		b = append(b, 0)
		b = append(b, v...)
	}
	if a.cfg.Type == Cognito {
		b = append(b, 1)
		for i, s := range scopes {
			if i > 0 {
				b = append(b, ' ')
			}
			b = append(b, s...)
		}
	}
	return b
}
