package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/gateway"
)

// methods are the route key methods HTTP APIs accept.
var methods = map[string]bool{"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true,
	"HEAD": true, "OPTIONS": true, "ANY": true}

// ParseRouteKey splits "GET /notes/{id}" into its method and path segments
// ("$default" gives "", nil). It refuses what AWS refuses: an unknown
// method, a path not starting with /, empty segments, a greedy parameter
// that is not last, braces inside a segment.
func ParseRouteKey(key string) (method string, segs []string, err error) {
	if key == DefaultRoute {
		return "", nil, nil
	}
	method, path, ok := strings.Cut(key, " ")
	if !ok || !methods[method] {
		return "", nil, fmt.Errorf("route key %q: want \"METHOD /path\" with METHOD one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY, or $default", key)
	}
	if !strings.HasPrefix(path, "/") {
		return "", nil, fmt.Errorf("route key %q: path must start with /", key)
	}
	if path == "/" {
		return method, nil, nil
	}
	segs = strings.Split(path[1:], "/")
	seen := map[string]bool{}
	for i, s := range segs {
		switch {
		case s == "":
			return "", nil, fmt.Errorf("route key %q: empty path segment", key)
		case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "+}"):
			if i != len(segs)-1 || len(s) < 4 {
				return "", nil, fmt.Errorf("route key %q: a greedy path variable must be the last segment", key)
			}
		case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
			name := s[1 : len(s)-1]
			if name == "" || strings.ContainsAny(name, "{}+") {
				return "", nil, fmt.Errorf("route key %q: bad path variable %q", key, s)
			}
			if seen[name] {
				return "", nil, fmt.Errorf("route key %q: duplicate path variable %q", key, name)
			}
			seen[name] = true
		case strings.ContainsAny(s, "{}"):
			return "", nil, fmt.Errorf("route key %q: path variables must fill a whole segment", key)
		}
	}
	return method, segs, nil
}

// compiled is a deployment ready to serve.
type compiled struct {
	id   string
	root *node
	// def is the $default route (nil: none).
	def  *croute
	cors *Cors
}

// node is a route tree node: static segments before {param} before {greedy+}.
type node struct {
	static map[string]*node
	param  *node
	greedy map[string]*croute // routes ending in {x+} here, by method
	routes map[string]*croute // routes ending here, by method
}

// croute is a compiled route.
type croute struct {
	key    string
	id     string
	method string
	tmpl   []string
	auth   *cauth
	scopes []string
	integ  *cinteg
}

// cinteg is a compiled integration.
type cinteg struct {
	id       string
	typ      string
	function string
	uri      string
	// target is uri parsed once, for URIs whose only placeholders are in
	// the path (nil otherwise: the URI is substituted and parsed per call).
	target *url.URL
	// rawPath is the escaped path of target, with its {param} placeholders.
	rawPath string
	method  string
	version string
	timeout time.Duration
}

// cauth is a compiled authorizer.
type cauth struct {
	id       string
	typ      string
	sources  []source
	issuer   string
	audience []string
	// cacheKey is the JWT cache's key of issuer and audience.
	cacheKey string
	function string
	version  string
	simple   bool
	ttl      time.Duration
}

// source is one identity source selector.
type source struct {
	kind string // header, querystring, context, stageVariables
	name string
}

// parseSource reads "$request.header.Authorization" and friends.
func parseSource(s string) (source, error) {
	for _, p := range []struct{ prefix, kind string }{
		{"$request.header.", "header"}, {"$request.querystring.", "querystring"},
		{"$context.", "context"}, {"$stageVariables.", "stageVariables"},
	} {
		if name, ok := strings.CutPrefix(s, p.prefix); ok && name != "" {
			if p.kind == "header" {
				name = http.CanonicalHeaderKey(name)
			}
			return source{p.kind, name}, nil
		}
	}
	return source{}, fmt.Errorf("identity source %q: want $request.header.X, $request.querystring.X, $context.X or $stageVariables.X", s)
}

// MaxTimeout is AWS's limit on an HTTP API integration's timeout.
const MaxTimeout = 30 * time.Second

// compile builds a deployment's route tree.
func compile(id string, s *Snapshot) (*compiled, error) {
	c := &compiled{id: id, root: &node{}, cors: s.Cors}
	auths := map[string]*cauth{}
	for aid, a := range s.Authorizers {
		ca, err := compileAuthorizer(aid, a)
		if err != nil {
			return nil, err
		}
		auths[aid] = ca
	}
	integs := map[string]*cinteg{}
	for iid, in := range s.Integrations {
		ci, err := compileIntegration(iid, in)
		if err != nil {
			return nil, err
		}
		integs[iid] = ci
	}
	for rid, r := range s.Routes {
		method, segs, err := ParseRouteKey(r.RouteKey)
		if err != nil {
			return nil, err
		}
		cr := &croute{key: r.RouteKey, id: rid, method: method, tmpl: segs, scopes: r.AuthorizationScopes}
		if t := r.Target; t != "" {
			iid, ok := strings.CutPrefix(t, "integrations/")
			if !ok || integs[iid] == nil {
				return nil, fmt.Errorf("route %s: target %q is not an integration of the API", r.RouteKey, t)
			}
			cr.integ = integs[iid]
		}
		switch r.AuthorizationType {
		case "", AuthNone:
		case AuthJWT, AuthCustom:
			cr.auth = auths[r.AuthorizerID]
			if cr.auth == nil {
				return nil, fmt.Errorf("route %s: no authorizer %q", r.RouteKey, r.AuthorizerID)
			}
			want := AuthorizerJWT
			if r.AuthorizationType == AuthCustom {
				want = AuthorizerRequest
			}
			if cr.auth.typ != want {
				return nil, fmt.Errorf("route %s: authorization type %s needs a %s authorizer", r.RouteKey, r.AuthorizationType, want)
			}
		default:
			return nil, fmt.Errorf("route %s: authorization type %q: want NONE, JWT or CUSTOM", r.RouteKey, r.AuthorizationType)
		}
		if method == "" {
			c.def = cr
			continue
		}
		c.root.insert(cr)
	}
	return c, nil
}

func compileAuthorizer(id string, a *Authorizer) (*cauth, error) {
	ca := &cauth{id: id, typ: a.AuthorizerType, version: a.AuthorizerPayloadFormatVersion, simple: a.EnableSimpleResponses,
		ttl: time.Duration(a.AuthorizerResultTTLInSeconds) * time.Second}
	for _, s := range a.IdentitySource {
		src, err := parseSource(s)
		if err != nil {
			return nil, fmt.Errorf("authorizer %s: %w", a.Name, err)
		}
		ca.sources = append(ca.sources, src)
	}
	switch a.AuthorizerType {
	case AuthorizerJWT:
		if a.JWTConfiguration == nil || a.JWTConfiguration.Issuer == "" {
			return nil, fmt.Errorf("authorizer %s: a JWT authorizer needs jwtConfiguration.issuer", a.Name)
		}
		ca.issuer, ca.audience = a.JWTConfiguration.Issuer, a.JWTConfiguration.Audience
		ca.cacheKey = configKey(ca.issuer, ca.audience)
		if len(ca.sources) == 0 {
			ca.sources = []source{{"header", "Authorization"}}
		}
		if len(ca.sources) != 1 {
			return nil, fmt.Errorf("authorizer %s: a JWT authorizer takes exactly one identity source", a.Name)
		}
	case AuthorizerRequest:
		fn, err := gateway.FunctionFromURI(a.AuthorizerURI)
		if err != nil {
			return nil, fmt.Errorf("authorizer %s: %w", a.Name, err)
		}
		ca.function = fn
		if ca.version == "" {
			ca.version = "2.0"
		}
		if ca.version != "1.0" && ca.version != "2.0" {
			return nil, fmt.Errorf("authorizer %s: payload format version %q: want 1.0 or 2.0", a.Name, ca.version)
		}
		if ca.simple && ca.version != "2.0" {
			return nil, fmt.Errorf("authorizer %s: simple responses need payload format version 2.0", a.Name)
		}
		if ca.ttl > 0 && len(ca.sources) == 0 {
			return nil, fmt.Errorf("authorizer %s: caching needs identity sources", a.Name)
		}
	default:
		return nil, fmt.Errorf("authorizer %s: type %q: want JWT or REQUEST", a.Name, a.AuthorizerType)
	}
	return ca, nil
}

func compileIntegration(id string, in *Integration) (*cinteg, error) {
	ci := &cinteg{id: id, typ: in.IntegrationType, version: in.PayloadFormatVersion, method: in.IntegrationMethod,
		timeout: MaxTimeout}
	if in.TimeoutInMillis > 0 {
		ci.timeout = time.Duration(in.TimeoutInMillis) * time.Millisecond
	}
	switch in.IntegrationType {
	case IntegrationAWSProxy:
		fn, err := gateway.FunctionFromURI(in.IntegrationURI)
		if err != nil {
			return nil, fmt.Errorf("integration %s: %w", id, err)
		}
		ci.function = fn
		if ci.version == "" {
			ci.version = "2.0"
		}
		if ci.version != "1.0" && ci.version != "2.0" {
			return nil, fmt.Errorf("integration %s: payload format version %q: want 1.0 or 2.0", id, ci.version)
		}
	case IntegrationHTTPProxy:
		if !strings.HasPrefix(in.IntegrationURI, "http://") && !strings.HasPrefix(in.IntegrationURI, "https://") {
			return nil, fmt.Errorf("integration %s: HTTP_PROXY needs an http(s) URL", id)
		}
		ci.uri = in.IntegrationURI
		ci.target, ci.rawPath = parseTarget(in.IntegrationURI)
		ci.version = "1.0"
	default:
		return nil, fmt.Errorf("integration %s: type %q: want AWS_PROXY or HTTP_PROXY", id, in.IntegrationType)
	}
	return ci, nil
}

// parseTarget parses an HTTP_PROXY integration URI once at deployment. It
// returns nil when a placeholder sits outside the path (the host, say), or
// the URI does not parse: those are substituted and parsed per request.
func parseTarget(uri string) (*url.URL, string) {
	rest := uri[strings.Index(uri, "://")+3:]
	end := strings.IndexAny(rest, "?#")
	if end < 0 {
		end = len(rest)
	}
	slash := strings.IndexByte(rest[:end], '/')
	if slash < 0 {
		slash = end
	}
	if strings.ContainsAny(rest[:slash], "{}") || strings.ContainsAny(rest[end:], "{}") {
		return nil, ""
	}
	u, err := url.Parse(uri)
	if err != nil {
		return nil, ""
	}
	return u, rest[slash:end]
}

// insert adds a route to the tree.
func (n *node) insert(r *croute) {
	cur := n
	for i, s := range r.tmpl {
		switch {
		case strings.HasSuffix(s, "+}") && i == len(r.tmpl)-1:
			if cur.greedy == nil {
				cur.greedy = map[string]*croute{}
			}
			cur.greedy[r.method] = r
			return
		case strings.HasPrefix(s, "{"):
			if cur.param == nil {
				cur.param = &node{}
			}
			cur = cur.param
		default:
			if cur.static == nil {
				cur.static = map[string]*node{}
			}
			next := cur.static[s]
			if next == nil {
				next = &node{}
				cur.static[s] = next
			}
			cur = next
		}
	}
	if cur.routes == nil {
		cur.routes = map[string]*croute{}
	}
	cur.routes[r.method] = r
}

// pick is the route for method among routes: the method's own, then ANY.
func pick(routes map[string]*croute, method string) *croute {
	if r := routes[method]; r != nil {
		return r
	}
	return routes["ANY"]
}

// match finds the most specific route for method and segs: static before
// {param} before {greedy+}, falling back to a less specific branch when
// the more specific one has no route for the method, as AWS selects routes.
func (n *node) match(method string, segs []string) *croute {
	if len(segs) == 0 {
		return pick(n.routes, method)
	}
	if next := n.static[segs[0]]; next != nil {
		if r := next.match(method, segs[1:]); r != nil {
			return r
		}
	}
	if n.param != nil {
		if r := n.param.match(method, segs[1:]); r != nil {
			return r
		}
	}
	return pick(n.greedy, method)
}

// pathParams binds the route's path variables to decoded segments.
func (r *croute) pathParams(segs []string) map[string]string {
	var out map[string]string
	for i, t := range r.tmpl {
		if !strings.HasPrefix(t, "{") {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		if strings.HasSuffix(t, "+}") {
			out[t[1:len(t)-2]] = strings.Join(segs[i:], "/")
			break
		}
		out[t[1:len(t)-1]] = segs[i]
	}
	return out
}

// Validate reports what in s would not deploy.
func Validate(s *Snapshot) error {
	_, err := compile("validate", s)
	return err
}
