package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/internal/iampolicy"
)

// authorize runs the route's authorizer.
func (x *request) authorize() error {
	a := x.rt.auth
	if a == nil {
		return nil
	}
	if a.typ == AuthorizerJWT {
		return x.authorizeJWT(a)
	}
	return x.authorizeLambda(a)
}

// identityValue resolves one identity source.
func (x *request) identityValue(s source) string {
	switch s.kind {
	case "header":
		return strings.Join(x.r.Header.Values(s.name), ",")
	case "querystring":
		return strings.Join(x.r.URL.Query()[s.name], ",")
	case "stageVariables":
		return x.st.vars[s.name]
	case "context":
		return x.contextValue(s.name)
	}
	return ""
}

// contextValue is the $context.X variable of the request.
func (x *request) contextValue(name string) string {
	switch name {
	case "apiId":
		return x.api.id
	case "stage":
		return x.st.name
	case "requestId":
		return x.requestID
	case "routeKey":
		return x.rt.key
	case "httpMethod":
		return x.r.Method
	case "path":
		return decodePath(x.rawPath())
	case "identity.sourceIp":
		return x.sourceIP()
	case "identity.userAgent":
		return x.r.UserAgent()
	case "domainName":
		return hostOnly(x.r.Host)
	case "accountId":
		return x.g.o.AccountID
	}
	return ""
}

func (x *request) authorizeJWT(a *cauth) error {
	token := strings.TrimSpace(x.identityValue(a.sources[0]))
	if len(token) > 7 && strings.EqualFold(token[:7], "Bearer ") {
		token = strings.TrimSpace(token[7:])
	}
	if token == "" {
		return errUnauthorized
	}
	res, err := x.g.o.JWT.validate(x.r.Context(), token, a.issuer, a.audience, a.cacheKey)
	if err != nil {
		x.g.log.Debug("httpapi jwt rejected", "api", x.api.id, "err", err)
		// AWS answers an invalid token with a Bearer challenge (RFC 6750 §3).
		x.wwwAuth = `Bearer error="invalid_token"`
		return errUnauthorized
	}
	if len(x.rt.scopes) > 0 {
		ok := false
		for _, want := range x.rt.scopes {
			for _, got := range res.scopes {
				if want == got {
					ok = true
				}
			}
		}
		if !ok {
			x.wwwAuth = `Bearer scope="` + strings.Join(x.rt.scopes, " ") + `" error="insufficient_scope"`
			return errForbidden
		}
	}
	x.jwt = res
	return nil
}

// lambdaResult is a Lambda authorizer's decision.
type lambdaResult struct {
	// allowed is the simple response's isAuthorized; policy the IAM answer.
	allowed bool
	policy  *iampolicy.Policy
	context map[string]any
}

func (x *request) authorizeLambda(a *cauth) error {
	values := make([]string, len(a.sources))
	for i, s := range a.sources {
		v := x.identityValue(s)
		if v == "" {
			// A missing identity source is a 401 without a call, as AWS.
			return errUnauthorized
		}
		values[i] = v
	}
	key := ""
	var res *lambdaResult
	if a.ttl > 0 {
		key = x.api.id + "\x00" + x.st.dep.id + "\x00" + x.st.name + "\x00" + a.id + "\x00" + strings.Join(values, "\x00")
		res = x.g.authz.get(key)
	}
	if res == nil {
		var err error
		if res, err = x.callAuthorizer(a, values); err != nil {
			return err
		}
		if a.ttl > 0 {
			x.g.authz.put(key, res, a.ttl)
		}
	}
	allowed := res.allowed
	if res.policy != nil {
		allowed = res.policy.Evaluate(iampolicy.InvokeAction, x.routeArn()) == iampolicy.Allowed
	}
	if !allowed {
		return errForbidden
	}
	x.lambda = res.context
	if x.lambda == nil {
		x.lambda = map[string]any{}
	}
	return nil
}

// authEvent2 is the payload 2.0 REQUEST authorizer event.
type authEvent2 struct {
	Version               string            `json:"version"`
	Type                  string            `json:"type"`
	RouteArn              string            `json:"routeArn"`
	IdentitySource        []string          `json:"identitySource"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	RequestContext        eventContext      `json:"requestContext"`
	PathParameters        map[string]string `json:"pathParameters,omitempty"`
	StageVariables        map[string]string `json:"stageVariables,omitempty"`
}

// authEvent1 is the payload 1.0 REQUEST authorizer event.
type authEvent1 struct {
	Version               string            `json:"version"`
	Type                  string            `json:"type"`
	MethodArn             string            `json:"methodArn"`
	IdentitySource        string            `json:"identitySource"`
	AuthorizationToken    string            `json:"authorizationToken"`
	Resource              string            `json:"resource"`
	Path                  string            `json:"path"`
	HTTPMethod            string            `json:"httpMethod"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters"`
	PathParameters        map[string]string `json:"pathParameters"`
	StageVariables        map[string]string `json:"stageVariables"`
	RequestContext        context1          `json:"requestContext"`
}

// MaxAuthorizerResult bounds a Lambda authorizer's answer.
const MaxAuthorizerResult = 8 << 10

func (x *request) callAuthorizer(a *cauth, values []string) (*lambdaResult, error) {
	var payload []byte
	var err error
	if a.version == "2.0" {
		ev := authEvent2{Version: "2.0", Type: "REQUEST", RouteArn: x.routeArn(), IdentitySource: values,
			RouteKey: x.rt.key, RawPath: x.rawPath(), RawQueryString: x.r.URL.RawQuery,
			QueryStringParameters: queryParams2(x.r.URL.Query()), RequestContext: x.requestContext2(false),
			PathParameters: x.params}
		if len(x.st.vars) > 0 {
			ev.StageVariables = x.st.vars
		}
		ev.Headers, ev.Cookies = x.eventHeaders()
		payload, err = json.Marshal(&ev)
	} else {
		ev := authEvent1{Version: "1.0", Type: "REQUEST", MethodArn: x.routeArn(), IdentitySource: strings.Join(values, ","),
			AuthorizationToken: x.r.Header.Get("Authorization"), Resource: x.resourcePath(), Path: decodePath(x.rawPath()),
			HTTPMethod: x.r.Method, Headers: map[string]string{}, PathParameters: x.params, StageVariables: x.st.vars}
		for k, vs := range x.r.Header {
			ev.Headers[k] = strings.Join(vs, ",")
		}
		if q := x.r.URL.Query(); len(q) > 0 {
			ev.QueryStringParameters = queryParams2(q)
		}
		var e1 event1
		raw, _ := x.event1()
		_ = json.Unmarshal(raw, &e1)
		ev.RequestContext = e1.RequestContext
		ev.RequestContext.Authorizer = nil
		payload, err = json.Marshal(&ev)
	}
	if err != nil {
		return nil, fmt.Errorf("authorizer event: %w", err)
	}
	out, fnErr, err := x.g.o.Functions.InvokeFunction(x.r.Context(), a.function, payload)
	if err != nil {
		return nil, fmt.Errorf("authorizer %s: %w", a.function, err)
	}
	if fnErr != "" {
		var fe struct {
			ErrorMessage string `json:"errorMessage"`
		}
		if json.Unmarshal(out, &fe) == nil && fe.ErrorMessage == "Unauthorized" {
			return nil, errUnauthorized
		}
		return nil, fmt.Errorf("authorizer %s failed: %s", a.function, fnErr)
	}
	return parseAuthorizerOutput(out, a.simple)
}

// parseAuthorizerOutput reads a simple ({"isAuthorized", "context"}) or IAM
// policy ({"principalId", "policyDocument", "context"}) answer.
func parseAuthorizerOutput(out []byte, simple bool) (*lambdaResult, error) {
	if len(out) > MaxAuthorizerResult {
		return nil, fmt.Errorf("authorizer result of %d bytes exceeds %d", len(out), MaxAuthorizerResult)
	}
	var o struct {
		IsAuthorized   *bool           `json:"isAuthorized"`
		PrincipalID    *string         `json:"principalId"`
		PolicyDocument json.RawMessage `json:"policyDocument"`
		Context        map[string]any  `json:"context"`
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&o); err != nil {
		return nil, fmt.Errorf("authorizer result: %w", err)
	}
	res := &lambdaResult{context: o.Context}
	if simple {
		if o.IsAuthorized == nil {
			return nil, errors.New("authorizer result: no isAuthorized")
		}
		res.allowed = *o.IsAuthorized
		return res, nil
	}
	if o.PrincipalID == nil {
		return nil, errors.New("authorizer result: no principalId")
	}
	p, err := iampolicy.Parse(o.PolicyDocument)
	if err != nil {
		return nil, fmt.Errorf("authorizer result: %w", err)
	}
	res.policy = p
	return res, nil
}

// lambdaCache caches Lambda authorizer results by identity sources.
type lambdaCache struct {
	mu  sync.RWMutex
	m   map[string]lambdaEntry
	now func() time.Time
}

type lambdaEntry struct {
	res *lambdaResult
	exp time.Time
}

// maxLambdaEntries bounds the cache.
const maxLambdaEntries = 100_000

func newLambdaCache(now func() time.Time) *lambdaCache {
	return &lambdaCache{m: map[string]lambdaEntry{}, now: now}
}

func (c *lambdaCache) get(key string) *lambdaResult {
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if !ok || !c.now().Before(e.exp) {
		return nil
	}
	return e.res
}

func (c *lambdaCache) put(key string, res *lambdaResult, ttl time.Duration) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxLambdaEntries {
		for k, e := range c.m {
			if !now.Before(e.exp) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxLambdaEntries {
			clear(c.m)
		}
	}
	c.m[key] = lambdaEntry{res: res, exp: now.Add(ttl)}
}
