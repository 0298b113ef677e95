package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// compiledIntegration is an integration ready to run.
type compiledIntegration struct {
	typ        string
	httpMethod string
	uri        string
	function   string
	timeout    time.Duration
	params     []paramMapping
	templates  compiledTemplates
	behavior   string
	handling   string
	responses  []*compiledResponse
	fallback   *compiledResponse
	// cacheKeyParameters key the stage's response cache (stage_settings.go).
	cacheKeyParameters []string
}

// compiledResponse is an integration response with its compiled pattern.
type compiledResponse struct {
	pattern   *regexp.Regexp
	status    int
	params    map[string]string
	templates compiledTemplates
	handling  string
}

// paramMapping is one integration.request.{loc}.{name} = source mapping.
type paramMapping struct {
	loc, name, source string
}

func (g *Gateway) compileIntegration(in *Integration) (*compiledIntegration, error) {
	c := &compiledIntegration{typ: strings.ToUpper(in.Type), httpMethod: strings.ToUpper(in.HTTPMethod), behavior: in.PassthroughBehavior}
	if c.behavior == "" {
		c.behavior = PassthroughWhenNoMatch
	}
	switch c.behavior {
	case PassthroughWhenNoMatch, PassthroughWhenNoTemplates, PassthroughNever:
	default:
		return nil, fmt.Errorf("passthroughBehavior %q", in.PassthroughBehavior)
	}
	if c.handling = strings.ToUpper(in.ContentHandling); !validContentHandling(c.handling) {
		return nil, fmt.Errorf("contentHandling %q", in.ContentHandling)
	}
	if in.TimeoutMillis < 0 {
		return nil, fmt.Errorf("timeoutInMillis %d", in.TimeoutMillis)
	}
	c.timeout = time.Duration(in.TimeoutMillis) * time.Millisecond
	switch c.typ {
	case IntegrationMock:
	case IntegrationHTTP, IntegrationHTTPProxy:
		u, err := url.Parse(strings.NewReplacer("{", "", "}", "", "+", "").Replace(in.URI))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("uri %q: not an http(s) URL", in.URI)
		}
		c.uri = in.URI
	case IntegrationAWS, IntegrationAWSProxy:
		fn, err := FunctionFromURI(in.URI)
		if err != nil {
			return nil, err
		}
		if g.opts.Functions == nil {
			return nil, errors.New("no function invoker configured")
		}
		c.function = fn
	default:
		return nil, fmt.Errorf("unsupported type %q", in.Type)
	}
	for k, src := range in.RequestParameters {
		rest, ok := strings.CutPrefix(k, "integration.request.")
		loc, name, ok2 := strings.Cut(rest, ".")
		if !ok || !ok2 || name == "" || (loc != "path" && loc != "querystring" && loc != "header") {
			return nil, fmt.Errorf("requestParameters key %q", k)
		}
		c.params = append(c.params, paramMapping{loc, name, src})
	}
	slices.SortFunc(c.params, func(a, b paramMapping) int { return strings.Compare(a.loc+"."+a.name, b.loc+"."+b.name) })
	c.cacheKeyParameters = slices.Sorted(slices.Values(in.CacheKeyParameters))
	var err error
	if c.templates, err = g.compileTemplates(in.RequestTemplates); err != nil {
		return nil, err
	}
	for i := range in.Responses {
		ir := &in.Responses[i]
		cr := &compiledResponse{status: ir.StatusCode, params: ir.ResponseParameters, handling: strings.ToUpper(ir.ContentHandling)}
		if !validContentHandling(cr.handling) {
			return nil, fmt.Errorf("response contentHandling %q", ir.ContentHandling)
		}
		if cr.status == 0 {
			cr.status = http.StatusOK
		}
		if cr.templates, err = g.compileTemplates(ir.ResponseTemplates); err != nil {
			return nil, err
		}
		if ir.SelectionPattern == "" || ir.SelectionPattern == "default" {
			if c.fallback != nil {
				return nil, errors.New("two default integration responses")
			}
			c.fallback = cr
			continue
		}
		if cr.pattern, err = regexp.Compile(`^(?:` + ir.SelectionPattern + `)$`); err != nil {
			return nil, fmt.Errorf("selectionPattern %q: %w", ir.SelectionPattern, err)
		}
		c.responses = append(c.responses, cr)
	}
	return c, nil
}

// selectResponse picks the integration response whose pattern matches s in
// full, else the default one; ok is false when neither exists but responses
// are configured (an API configuration error). Without any responses a
// passthrough response of status def is used.
func (c *compiledIntegration) selectResponse(s string, def int) (*compiledResponse, bool) {
	if s != "" {
		for _, r := range c.responses {
			if r.pattern.MatchString(s) {
				return r, true
			}
		}
	}
	if c.fallback != nil {
		return c.fallback, true
	}
	if len(c.responses) == 0 {
		return &compiledResponse{status: def}, true
	}
	return nil, false
}

// paramSource resolves a mapping source: method.request.{path|querystring|header}.X,
// stageVariables.X, context.X or a 'literal'.
func (x *exchange) paramSource(src string) (string, bool) {
	if len(src) >= 2 && src[0] == '\'' && src[len(src)-1] == '\'' {
		return src[1 : len(src)-1], true
	}
	if rest, ok := strings.CutPrefix(src, "method.request."); ok {
		loc, name, _ := strings.Cut(rest, ".")
		switch loc {
		case "path":
			for _, p := range x.params {
				if p.name == name {
					return p.value, true
				}
			}
		case "querystring":
			if v, ok := x.query[name]; ok && len(v) > 0 {
				return v[0], true
			}
		case "header":
			if v := x.r.Header.Values(name); len(v) > 0 {
				return v[0], true
			}
		}
		return "", false
	}
	if name, ok := strings.CutPrefix(src, "stageVariables."); ok {
		v, ok := x.st.variables[name]
		return v, ok
	}
	if name, ok := strings.CutPrefix(src, "context."); ok {
		v, ok := lookupPath(x.contextMap(), name)
		return stringify(v), ok
	}
	return "", false
}

// integrationTimeout is the integration's timeout or the gateway default.
func (x *exchange) integrationTimeout() time.Duration {
	if t := x.rt.integ.timeout; t > 0 {
		return t
	}
	return x.g.limits.IntegrationTimeout
}

// integrate runs the route's integration and writes the method response.
func (x *exchange) integrate() error {
	switch x.rt.integ.typ {
	case IntegrationHTTPProxy:
		return x.httpProxy()
	case IntegrationMock:
		return x.mock()
	case IntegrationHTTP:
		return x.httpMapped()
	case IntegrationAWS:
		return x.function()
	case IntegrationAWSProxy:
		return x.functionProxy()
	}
	return gwErr(APIConfigurationError, fmt.Errorf("integration type %q", x.rt.integ.typ))
}

// statusString is the selection input of HTTP and MOCK integrations.
func statusString(code int) string { return strconv.Itoa(code) }
