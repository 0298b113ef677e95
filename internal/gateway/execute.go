package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/gateway/authorizer"
	"github.com/cognate-dev/cognate/internal/iampolicy"
	"github.com/cognate-dev/cognate/internal/metrics"
	"github.com/cognate-dev/cognate/internal/vtl"
)

// exchange is one request's method execution state.
type exchange struct {
	slot bool // holds a slot of g.work
	g    *Gateway
	w    http.ResponseWriter
	r    *http.Request
	st   *stage
	dep  *deployment
	rt   *route

	start      time.Time
	requestID  string
	extendedID string
	// stagePath is the escaped request path after the stage ("/notes/1").
	stagePath string
	params    []param
	query     url.Values
	body      []byte
	bodyRead  bool // body holds the whole request body (validation read it)
	methodArn string
	auth      *authorizer.Result

	authLatency  time.Duration
	integLatency time.Duration
	status       int
	respBytes    int64
	errType      string
	ctxMap       map[string]any
	// reqOverride and respOverride are $context.requestOverride and
	// $context.responseOverride, shared by the request and response templates.
	reqOverride  vtl.RequestOverride
	respOverride vtl.ResponseOverride
	// headers are the request headers as sent (see sentHeaders).
	headers []header
	// apiKey is the request's admitted API key (apiKeyRequired methods).
	apiKey *APIKey
}

func (g *Gateway) serveHTTP(w http.ResponseWriter, r *http.Request) {
	x := &exchange{g: g, w: w, r: r, start: g.now()}
	x.requestID, x.extendedID = newRequestIDs()
	if err := x.run(); err != nil {
		x.fail(err)
	}
	if x.slot {
		g.work.release()
	}
	x.accessLog()
}

// run executes the method; a returned error becomes a gateway response.
func (x *exchange) run() error {
	g, r := x.g, x.r
	if urlBytes(r) > g.limits.MaxURLBytes {
		return gwErr(uriTooLong, nil)
	}
	if headerBytes(r) > g.limits.MaxHeaderBytes {
		return gwErr(headersTooLarge, nil)
	}
	x.st, x.stagePath = g.resolve(r)
	if x.st == nil {
		return gwErr(MissingAuthenticationToken, errors.New("no such api or stage"))
	}
	x.dep = x.st.dep
	if !x.st.bucket.allow() {
		return gwErr(Throttled, nil)
	}
	if x.slot = g.work.acquire(r.Context()); !x.slot {
		return gwErr(Throttled, errors.New("the gateway's concurrency limit is reached"))
	}
	if r.ContentLength > g.limits.MaxBodyBytes {
		return gwErr(RequestTooLarge, nil)
	}
	segs, raw, ok := splitPath(x.stagePath, g.slashes)
	if !ok {
		return gwErr(MissingAuthenticationToken, errors.New("rejected path"))
	}
	x.stagePath = collapseSlashes(x.stagePath)
	res, params := x.dep.root.match(segs, raw, nil)
	if res == nil {
		return gwErr(MissingAuthenticationToken, nil)
	}
	x.rt = res.lookup(r.Method)
	if x.rt == nil {
		return gwErr(MissingAuthenticationToken, nil)
	}
	x.params = params
	metrics.SetRoute(r.Context(), x.rt.label)
	if x.st.ctl != nil { // stage method settings (stage_settings.go)
		if err := x.methodThrottle(); err != nil {
			return err
		}
	}
	if r.URL.RawQuery != "" {
		x.query = r.URL.Query()
	}
	keyRequired := x.rt.method.APIKeyRequired
	fromAuthorizer := x.dep.api.APIKeySource == APIKeySourceAuthorizer
	if keyRequired && !fromAuthorizer {
		// HEADER keys are checked before the authorizer runs, so a request
		// without a valid key costs no authorizer call.
		if err := x.checkAPIKey(r.Header.Get("X-Api-Key")); err != nil {
			return err
		}
	}
	if err := x.authorize(); err != nil {
		return err
	}
	if keyRequired && fromAuthorizer {
		value := ""
		if x.auth != nil {
			value = x.auth.UsageIdentifierKey
		}
		if err := x.checkAPIKey(value); err != nil {
			return err
		}
	}
	// Validation runs after authorization, so unauthenticated callers learn
	// nothing about a method's parameters or schema.
	if x.rt.valid != nil {
		if err := x.validate(); err != nil {
			return err
		}
	}
	if x.st.ctl != nil {
		return x.integrateCached()
	}
	return x.integrate()
}

// resolve finds the stage of a request and the escaped path after it:
// by Host {apiId}.execute-api.*, by /restapis/{apiId}/{stage}/_user_request_/,
// else the default API.
func (g *Gateway) resolve(r *http.Request) (*stage, string) {
	s := g.state.Load()
	path := r.URL.EscapedPath()
	apiID := s.defaultAPI
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if i := strings.Index(host, ".execute-api."); i > 0 {
		apiID = strings.ToLower(host[:i])
	} else if rest, ok := strings.CutPrefix(path, "/restapis/"); ok {
		id, after, _ := strings.Cut(rest, "/")
		stageName, tail, _ := strings.Cut(after, "/")
		user, tail2, _ := strings.Cut(tail, "/")
		if user != "_user_request_" {
			return nil, ""
		}
		st := s.apis[id][stageName]
		if st == nil {
			return nil, ""
		}
		return st, "/" + tail2
	}
	if len(path) < 2 || path[0] != '/' {
		return nil, ""
	}
	// "//stage/x" is routed like "/stage/x", as API Gateway does.
	stageName, rest, found := strings.Cut(strings.TrimLeft(path, "/"), "/")
	st := s.apis[apiID][stageName]
	if st == nil {
		return nil, ""
	}
	if found {
		rest = "/" + rest
	}
	return st, rest
}

// authorize runs the method's authorizer and evaluates its policy for the
// request's method ARN.
func (x *exchange) authorize() error {
	au := x.rt.auth
	if au == nil {
		return nil
	}
	x.methodArn = x.g.methodARN(x.st.apiID, x.st.name, x.r.Method, x.stagePath)
	if len(x.methodArn) > x.g.limits.MaxMethodARNBytes {
		return gwErr(uriTooLong, errors.New("method ARN too long"))
	}
	in := &authorizer.Input{
		Stage:          x.st.name,
		Header:         x.r.Header,
		Query:          x.query,
		StageVariables: x.st.variables,
		Context:        x.contextValue,
		MethodArn:      x.methodArn,
		Resource:       x.rt.res.path,
		HTTPMethod:     x.r.Method,
		Scopes:         x.rt.method.AuthorizationScopes,
	}
	if au.Type() == authorizer.Request {
		// Only REQUEST events carry these (Path without the stage, as AWS's).
		in.Path = x.stagePathDecoded()
		in.PathParams = x.pathParams()
		in.RequestContext = x.requestContext(false)
		in.EventHeader = x.eventHeader()
	}
	t0 := x.g.now()
	res, err := au.Authorize(x.r.Context(), in)
	x.authLatency = x.g.now().Sub(t0)
	switch {
	case err == nil:
	case errors.Is(err, authorizer.ErrUnauthorized):
		return gwErr(Unauthorized, err)
	case errors.Is(err, authorizer.ErrConfiguration):
		return gwErr(AuthorizerConfigurationError, err)
	default:
		return gwErr(AuthorizerFailure, err)
	}
	x.auth = res
	x.ctxMap = nil // rebuilt with the authorizer's output
	switch res.Decide(x.methodArn) {
	case iampolicy.Allowed:
		return nil
	case iampolicy.ExplicitDeny:
		return &gatewayError{typ: AccessDenied, message: "User is not authorized to access this resource with an explicit deny"}
	default:
		return gwErr(AccessDenied, nil)
	}
}

// fullPath is $context.path: the stage and the path ("/dev/notes").
func (x *exchange) fullPath() string {
	return "/" + x.st.name + x.stagePath
}

// pathParams returns the path parameters as a map, nil when none.
func (x *exchange) pathParams() map[string]string {
	if len(x.params) == 0 {
		return nil
	}
	m := make(map[string]string, len(x.params))
	for _, p := range x.params {
		m[p.name] = p.value
	}
	return m
}

// principalID is the authorizer's principal, for logs and $context.
func (x *exchange) principalID() string {
	if x.auth == nil {
		return ""
	}
	return x.auth.PrincipalID
}

// accessLog writes one Info line per request with $context-style fields.
// The record goes to the logger's handler directly, without the caller's
// program counter that Logger.LogAttrs captures with runtime.Callers on
// every call (about a quarter of the line's cost): the source location
// would always name this function, and no Cognate handler prints it
// (AddSource is never set).
func (x *exchange) accessLog() {
	ctx := context.Background()
	h := x.g.log.Handler()
	if !h.Enabled(ctx, slog.LevelInfo) {
		return
	}
	apiID, stageName, resourcePath := "", "", ""
	if x.st != nil {
		apiID, stageName = x.st.apiID, x.st.name
	}
	if x.rt != nil {
		resourcePath = x.rt.res.path
	}
	rec := slog.NewRecord(time.Now(), slog.LevelInfo, "gateway request", 0)
	rec.AddAttrs(
		slog.String("request_id", x.requestID),
		slog.String("ip", x.sourceIP()),
		slog.String("httpMethod", x.r.Method),
		slog.String("apiId", apiID),
		slog.String("stage", stageName),
		slog.String("resourcePath", resourcePath),
		slog.String("path", x.r.URL.Path),
		slog.String("protocol", x.r.Proto),
		slog.Int("status", x.status),
		slog.Int64("responseLength", x.respBytes),
		slog.String("principalId", x.principalID()),
		slog.String("errorType", x.errType),
		slog.Duration("latency", x.g.now().Sub(x.start)),
		slog.Duration("integrationLatency", x.integLatency),
		slog.Duration("authorizerLatency", x.authLatency),
	)
	_ = h.Handle(ctx, rec) // as Logger.LogAttrs does, a handler error is dropped
}
