package gateway

import (
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cognate-dev/cognate/internal/gateway/authorizer"
)

// routingState is the immutable set of served stages, swapped atomically.
type routingState struct {
	apis       map[string]map[string]*stage // api id → stage name → stage
	defaultAPI string
}

// stage is one deployed stage; immutable once published.
type stage struct {
	apiID     string
	name      string
	dep       *deployment
	variables map[string]string
	version   int64
	bucket    *tokenBucket
	// settings are the stage's method settings; ctl their compiled form
	// (nil: none), see stage_settings.go.
	settings *StageSettings
	ctl      *stageControls
}

// deployment is a compiled, immutable API snapshot.
type deployment struct {
	id          string
	api         *API
	root        *node
	authorizers map[string]*authorizer.Authorizer
	// responseTemplates are the compiled custom gateway response templates
	// by type and content type.
	responseTemplates map[ResponseType]compiledTemplates
	// binary is the API's binaryMediaTypes.
	binary binaryTypes
	// models are the compiled data models by name.
	models map[string]*jsonschema.Schema
}

// node is a route tree node: one path segment.
type node struct {
	static    map[string]*node
	param     *node
	paramName string
	proxy     *node
	proxyName string
	res       *resource
}

// resource is a path of the API with its methods.
type resource struct {
	path    string
	id      string
	methods map[string]*route
}

// route is one compiled method of a resource.
type route struct {
	res      *resource
	verb     string
	method   *Method
	auth     *authorizer.Authorizer
	authType string
	integ    *compiledIntegration
	// valid is the method's request validation (nil: none).
	valid *validation
	// label names the route in request metrics: API name, verb, resource.
	label string
}

// param is a matched path parameter: value is decoded once (%2B kept, as
// AWS does), raw is the segment(s) as sent, for use in backend URLs.
type param struct {
	name, value, raw string
}

// insert adds a resource path to the tree.
func (n *node) insert(path string) (*node, error) {
	if path == "" || path[0] != '/' {
		return nil, fmt.Errorf("path %q: must start with /", path)
	}
	cur := n
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if path == "/" {
		segs = nil
	}
	for i, s := range segs {
		switch {
		case s == "":
			return nil, fmt.Errorf("path %q: empty segment", path)
		case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "+}"):
			if i != len(segs)-1 {
				return nil, fmt.Errorf("path %q: greedy parameter must be last", path)
			}
			name := s[1 : len(s)-2]
			if cur.proxy == nil {
				cur.proxy, cur.proxyName = &node{}, name
			} else if cur.proxyName != name {
				return nil, fmt.Errorf("path %q: conflicting parameter names %q and %q", path, cur.proxyName, name)
			}
			cur = cur.proxy
		case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
			name := s[1 : len(s)-1]
			if name == "" || strings.ContainsAny(name, "{}") {
				return nil, fmt.Errorf("path %q: bad parameter %q", path, s)
			}
			if cur.param == nil {
				cur.param, cur.paramName = &node{}, name
			} else if cur.paramName != name {
				return nil, fmt.Errorf("path %q: conflicting parameter names %q and %q", path, cur.paramName, name)
			}
			cur = cur.param
		default:
			if strings.ContainsAny(s, "{}") {
				return nil, fmt.Errorf("path %q: bad segment %q", path, s)
			}
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
	return cur, nil
}

// match finds the resource for segs: static segments before {param} before
// {proxy+}, backtracking when a more specific branch has no resource.
func (n *node) match(segs, raw []string, params []param) (*resource, []param) {
	if len(segs) == 0 {
		if n.res != nil {
			return n.res, params
		}
		return nil, params
	}
	if next := n.static[segs[0]]; next != nil {
		if res, p := next.match(segs[1:], raw[1:], params); res != nil {
			return res, p
		}
	}
	if n.param != nil {
		p := append(params, param{n.paramName, segs[0], raw[0]})
		if res, p := n.param.match(segs[1:], raw[1:], p); res != nil {
			return res, p
		}
	}
	if n.proxy != nil && n.proxy.res != nil {
		return n.proxy.res, append(params, param{n.proxyName, strings.Join(segs, "/"), strings.Join(raw, "/")})
	}
	return nil, params
}

// lookup returns the route for verb on res (exact verb, then ANY).
func (res *resource) lookup(verb string) *route {
	if r := res.methods[verb]; r != nil {
		return r
	}
	return res.methods["ANY"]
}

// walk calls fn for every resource under n.
func (n *node) walk(fn func(*resource)) {
	if n == nil {
		return
	}
	if n.res != nil {
		fn(n.res)
	}
	for _, c := range n.static {
		c.walk(fn)
	}
	n.param.walk(fn)
	n.proxy.walk(fn)
}
