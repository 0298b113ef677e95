package vtl

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Request is what an API Gateway mapping template sees of a method request.
type Request struct {
	Body           []byte
	Path           map[string]string // path parameters
	QueryString    map[string]string
	Header         map[string]string
	Context        map[string]any // $context, nested maps (identity, authorizer, authorizer.claims …)
	StageVariables map[string]string
}

// apiState holds the per-rendering API Gateway objects (embedded in state so
// that they cost no allocation).
type apiState struct {
	input  inputObj
	params paramsObj
}

// RenderAPIGateway renders the template as API Gateway does, with $input,
// $util, $context and $stageVariables. Null references render as empty text.
// Errors wrapping ErrInvalidJSON mean the body is not JSON (API Gateway
// answers 400); others are template errors (500).
func (t *Template) RenderAPIGateway(r *Request) (string, error) {
	if r == nil {
		r = &Request{}
	}
	st := t.newState()
	st.nullEmpty = true
	st.api = &st.apiBuf
	st.api.input.req = r
	st.api.params.req = r
	st.vars[t.slots.input] = objVal(&st.api.input)
	st.vars[t.slots.util] = objVal(theUtil)
	st.vars[t.slots.context] = value{k: kGoMap, o: r.Context}
	st.vars[t.slots.stageVariables] = value{k: kStrMap, o: r.StageVariables}
	if r.Context == nil {
		st.vars[t.slots.context] = value{k: kGoMap, o: emptyContext}
	}
	if r.StageVariables == nil {
		st.vars[t.slots.stageVariables] = groupVal(nil)
	}
	return t.run(st)
}

// inputObj is $input.
type inputObj struct {
	req    *Request
	parsed bool
	root   value
	err    error
	body   *string
}

func (in *inputObj) javaString(_ *state, dst []byte) []byte { return append(dst, "$input"...) }

func (in *inputObj) bodyString() string {
	if in.body == nil {
		s := string(in.req.Body)
		in.body = &s
	}
	return *in.body
}

// document returns the parsed body; an empty body is an empty object.
func (in *inputObj) document(st *state) (value, error) {
	if !in.parsed {
		in.parsed = true
		if len(bytes.TrimSpace(in.req.Body)) == 0 {
			in.root = mapVal(newMap(0))
		} else {
			in.root, in.err = parseJSON(in.bodyString(), st.lim.MaxDepth)
			if in.err != nil {
				in.err = fmt.Errorf("%w: request body: %w", ErrInvalidJSON, in.err)
			}
		}
	}
	return in.root, in.err
}

func (in *inputObj) prop(st *state, name string) (value, bool) {
	if name == "body" {
		return strVal(in.bodyString()), true
	}
	return null, false
}

func (in *inputObj) call(st *state, name string, args []value) (value, bool, error) {
	switch {
	case name == "getBody" && len(args) == 0:
		return strVal(in.bodyString()), true, nil
	case name == "params" && len(args) == 0:
		return objVal(&st.api.params), true, nil
	case name == "params" && len(args) == 1:
		return strVal(st.api.params.lookup(st.toString(args[0]))), true, nil
	case (name == "json" || name == "path") && len(args) == 1:
		if err := st.charge(len(in.req.Body) / 64); err != nil {
			return null, true, err
		}
		path := st.toString(args[0])
		v, err := in.eval(st, path)
		if name == "json" && jsonOfUnparsedBody(path, err) {
			return strVal(""), true, nil
		}
		if err != nil || name == "path" {
			return v, true, err
		}
		if v.isNull() {
			return strVal(""), true, nil
		}
		return strVal(string(st.appendJSON(nil, v, 0))), true, nil
	}
	return null, false, nil
}

// eval evaluates a JSONPath expression against the body.
func (in *inputObj) eval(st *state, path string) (value, error) {
	steps, definite, err := parsePath(path)
	if err != nil {
		return null, err
	}
	root, err := in.document(st)
	if err != nil {
		return null, err
	}
	v := evalPath(root, steps, definite, st.lim.MaxLoopIterations*100, &st.steps)
	return v, st.charge(0)
}

// appendCall writes $input.json(path) straight into the output; for "$" it
// validates and compacts the raw body without building a tree.
func (in *inputObj) appendCall(st *state, dst []byte, name string, args []value) ([]byte, bool, error) {
	if name != "json" || len(args) != 1 {
		return dst, false, nil
	}
	path := strings.TrimSpace(st.toString(args[0]))
	if err := st.charge(len(in.req.Body) / 64); err != nil {
		return dst, false, err
	}
	if path == "$" && !in.parsed {
		if len(bytes.TrimSpace(in.req.Body)) == 0 {
			return append(dst, "{}"...), true, nil
		}
		out, err := appendCompactJSON(dst, in.req.Body)
		if err != nil {
			return dst, true, err
		}
		return out, true, nil
	}
	v, err := in.eval(st, path)
	if jsonOfUnparsedBody(path, err) {
		return dst, true, nil
	}
	if err != nil {
		return dst, true, err
	}
	if v.isNull() {
		return dst, true, nil
	}
	return st.appendJSON(dst, v, 0), true, nil
}

// jsonOfUnparsedBody reports whether $input.json(path) met a body that is
// not JSON with a path below the root: API Gateway then renders "" (as for a
// missing value) instead of failing; AWS's documentation does not say so,
// recorded AWS answers do. $input.json('$') and $input.path(...) still fail
// with "Could not parse request body into json" (400).
func jsonOfUnparsedBody(path string, err error) bool {
	return err != nil && errors.Is(err, ErrInvalidJSON) && strings.TrimSpace(path) != "$"
}

// paramsObj is $input.params(): a map of "path", "querystring" and "header".
type paramsObj struct{ req *Request }

var paramTypes = [...]string{"path", "querystring", "header"}

func (p *paramsObj) group(name string) (map[string]string, bool) {
	switch name {
	case "path":
		return p.req.Path, true
	case "querystring":
		return p.req.QueryString, true
	case "header":
		return p.req.Header, true
	}
	return nil, false
}

// Shared empty maps for absent request parts; the engine never writes caller maps.
var (
	emptyContext = map[string]any{}
	emptyStrings = map[string]string{}
)

func groupVal(m map[string]string) value {
	if m == nil {
		m = emptyStrings
	}
	return value{k: kStrMap, o: m}
}

// lookup implements $input.params(name): path, then query string, then
// header (header names match case-insensitively); "" when absent.
func (p *paramsObj) lookup(name string) string {
	if v, ok := p.req.Path[name]; ok {
		return v
	}
	if v, ok := p.req.QueryString[name]; ok {
		return v
	}
	if v, ok := p.req.Header[name]; ok {
		return v
	}
	for k, v := range p.req.Header {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func (p *paramsObj) prop(_ *state, name string) (value, bool) {
	m, ok := p.group(name)
	if !ok {
		return null, false
	}
	return groupVal(m), true
}

func (p *paramsObj) call(st *state, name string, args []value) (value, bool, error) {
	switch len(args) {
	case 0:
		switch name {
		case "keySet":
			items := st.newValues(len(paramTypes))
			for i, k := range paramTypes {
				items[i] = strVal(k)
			}
			return listVal(st.newList(items)), true, nil
		case "size":
			return intVal(int64(len(paramTypes))), true, nil
		case "isEmpty":
			return falseVal, true, nil
		case "values", "entrySet", "toString":
			return st.method(mapVal(p.toMap()), name, nil)
		}
	case 1:
		switch name {
		case "get":
			m, ok := p.group(st.toString(args[0]))
			if !ok {
				return null, true, nil
			}
			return groupVal(m), true, nil
		case "containsKey":
			return boolVal(slices.Contains(paramTypes[:], st.toString(args[0]))), true, nil
		}
	}
	return null, false, nil
}

func (p *paramsObj) toMap() *vmap {
	m := newMap(len(paramTypes))
	for _, k := range paramTypes {
		g, _ := p.group(k)
		m.put(k, groupVal(g))
	}
	return m
}

func (p *paramsObj) javaString(st *state, dst []byte) []byte {
	return st.appendString(dst, mapVal(p.toMap()))
}
