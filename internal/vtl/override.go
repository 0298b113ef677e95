package vtl

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// RequestOverride is $context.requestOverride: what a request template
// assigns to .header.X, .querystring.X and .path.X overrides the integration
// request's parameters after the standard mappings. Put it (a pointer) into
// Request.Context["requestOverride"]; it stays readable from a later
// (response) template of the same request.
type RequestOverride struct {
	Header      map[string]string
	QueryString map[string]string
	Path        map[string]string
}

// ResponseOverride is $context.responseOverride: .header.X and .status
// override the method response's header and status code.
type ResponseOverride struct {
	Header map[string]string
	// Status is 0 until a template sets it.
	Status int
}

// propSetter is an object that accepts #set($obj.name = v).
type propSetter interface {
	setProp(st *state, name string, v value) error
}

// overrideGroup is one map of an override (header, querystring, path).
type overrideGroup struct {
	name string
	m    *map[string]string
}

func (g *overrideGroup) prop(_ *state, name string) (value, bool) {
	if v, ok := (*g.m)[name]; ok {
		return strVal(v), true
	}
	return null, true
}

func (g *overrideGroup) call(st *state, name string, args []value) (value, bool, error) {
	switch {
	case name == "get" && len(args) == 1:
		v, _ := g.prop(st, st.toString(args[0]))
		return v, true, nil
	case name == "containsKey" && len(args) == 1:
		_, ok := (*g.m)[st.toString(args[0])]
		return boolVal(ok), true, nil
	case name == "size" && len(args) == 0:
		return intVal(int64(len(*g.m))), true, nil
	case name == "isEmpty" && len(args) == 0:
		return boolVal(len(*g.m) == 0), true, nil
	case name == "keySet" && len(args) == 0:
		keys := g.keys()
		items := st.newValues(len(keys))
		for i, k := range keys {
			items[i] = strVal(k)
		}
		return listVal(st.newList(items)), true, nil
	}
	return null, false, nil
}

func (g *overrideGroup) keys() []string {
	keys := make([]string, 0, len(*g.m))
	for k := range *g.m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// setProp records an override. Overrides are final: API Gateway answers 5XX
// when a template overrides the same parameter twice.
func (g *overrideGroup) setProp(st *state, name string, v value) error {
	if *g.m == nil {
		*g.m = map[string]string{}
	}
	if _, dup := (*g.m)[name]; dup {
		return st.fail(nil, "override %s.%s is applied more than once", g.name, name)
	}
	(*g.m)[name] = st.toString(v)
	return nil
}

func (g *overrideGroup) javaString(st *state, dst []byte) []byte {
	dst = append(dst, '{')
	for i, k := range g.keys() {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = append(dst, k...)
		dst = append(dst, '=')
		dst = append(dst, (*g.m)[k]...)
	}
	return append(dst, '}')
}

func (o *RequestOverride) prop(_ *state, name string) (value, bool) {
	switch name {
	case "header":
		return objVal(&overrideGroup{"requestOverride.header", &o.Header}), true
	case "querystring":
		return objVal(&overrideGroup{"requestOverride.querystring", &o.QueryString}), true
	case "path":
		return objVal(&overrideGroup{"requestOverride.path", &o.Path}), true
	}
	return null, false
}

func (o *RequestOverride) call(*state, string, []value) (value, bool, error) {
	return null, false, nil
}

func (o *ResponseOverride) prop(_ *state, name string) (value, bool) {
	switch name {
	case "header":
		return objVal(&overrideGroup{"responseOverride.header", &o.Header}), true
	case "status":
		if o.Status == 0 {
			return null, true
		}
		return intVal(int64(o.Status)), true
	}
	return null, false
}

func (o *ResponseOverride) call(*state, string, []value) (value, bool, error) {
	return null, false, nil
}

// setProp accepts #set($context.responseOverride.status = N) with N a
// number or numeric string of a status code (100-599).
func (o *ResponseOverride) setProp(st *state, name string, v value) error {
	if name != "status" {
		return st.fail(nil, "responseOverride.%s cannot be set", name)
	}
	if o.Status != 0 {
		return st.fail(nil, "override responseOverride.status is applied more than once")
	}
	n, ok := toInt(v)
	if !ok {
		var err error
		if n, err = strconv.ParseInt(strings.TrimSpace(st.toString(v)), 10, 32); err != nil {
			ok = false
		} else {
			ok = true
		}
	}
	if !ok || n < 100 || n > 599 {
		return st.fail(nil, "%s", fmt.Sprintf("responseOverride.status %q is not a status code", st.toString(v)))
	}
	o.Status = int(n)
	return nil
}
