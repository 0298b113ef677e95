package vtl

import (
	"strings"
	"sync"
)

// state is the per-rendering evaluation state. States are pooled.
type state struct {
	t         *Template
	lim       Limits
	vars      []value
	out       []byte
	args      []value // argument stack for method calls
	steps     int
	depth     int
	strDepth  int // nesting of collections being converted to text
	pos       int // offset of the node being evaluated, for errors
	stopped   bool
	breaking  bool
	nullEmpty bool // API Gateway renders null references as ""
	err       error
	loops     []*foreachObj
	loopDepth int
	api       *apiState
	apiBuf    apiState
	vals      []value // arena, see arena.go
	lists     []vlist // arena
}

var statePool = sync.Pool{New: func() any { return &state{} }}

func (t *Template) newState() *state {
	st := statePool.Get().(*state)
	st.t = t
	st.lim = t.Limits.withDefaults()
	if cap(st.vars) < len(t.names) {
		st.vars = make([]value, len(t.names))
	}
	st.vars = st.vars[:len(t.names)]
	if cap(st.out) < 4096 {
		st.out = make([]byte, 0, 4096)
	}
	return st
}

func (st *state) release() {
	clear(st.vars)
	clear(st.args[:cap(st.args)])
	st.args = st.args[:0]
	st.out = st.out[:0]
	st.steps, st.depth, st.pos, st.loopDepth, st.strDepth = 0, 0, 0, 0, 0
	st.stopped, st.breaking, st.nullEmpty = false, false, false
	st.err, st.api, st.t = nil, nil, nil
	st.apiBuf = apiState{}
	st.resetArenas()
	if cap(st.out) > 1<<20 {
		st.out = nil // do not keep huge buffers alive
	}
	statePool.Put(st)
}

// Render renders the template with the given variables. Values may be
// strings, numbers, booleans, nil, []any, []string, map[string]any and
// map[string]string (read in place, never modified).
func (t *Template) Render(vars map[string]any) (string, error) {
	st := t.newState()
	for i, name := range t.names {
		if v, ok := vars[name]; ok {
			st.vars[i] = fromGo(v)
		}
	}
	return t.run(st)
}

// run renders the root and converts panics into errors as a last resort.
func (t *Template) run(st *state) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = "", t.errorAt(st.pos, nil, "internal error: %v", r)
		}
		st.release()
	}()
	if err := st.renderNodes(t.root); err != nil {
		return "", err
	}
	return string(st.out), nil
}

func (st *state) fail(cause error, format string, args ...any) error {
	return st.t.errorAt(st.pos, cause, format, args...)
}

func (st *state) step() error {
	st.steps++
	if st.steps > st.lim.MaxSteps {
		return st.fail(ErrLimit, "evaluation exceeded %d steps", st.lim.MaxSteps)
	}
	return nil
}

// charge accounts n units of work (e.g. copying an n-element collection).
func (st *state) charge(n int) error {
	st.steps += n
	if st.steps > st.lim.MaxSteps {
		return st.fail(ErrLimit, "evaluation exceeded %d steps", st.lim.MaxSteps)
	}
	return nil
}

func (st *state) checkOutput() error {
	if len(st.out) > st.lim.MaxOutput {
		return st.fail(ErrLimit, "output exceeded %d bytes", st.lim.MaxOutput)
	}
	return st.err
}

func (st *state) renderNodes(nodes []node) error {
	for _, n := range nodes {
		if st.stopped || st.breaking {
			return nil
		}
		if err := st.step(); err != nil {
			return err
		}
		var err error
		switch n := n.(type) {
		case *textNode:
			st.out = append(st.out, n.s...)
		case *refNode:
			err = st.renderRef(n)
		case *setNode:
			st.pos = n.pos
			err = st.execSet(n)
		case *ifNode:
			err = st.execIf(n)
		case *foreachNode:
			err = st.execForeach(n)
		case *breakNode:
			st.breaking = true
		case *stopNode:
			st.stopped = true
		case *defineNode:
			st.vars[n.slot] = value{k: kBlock, o: n}
		case *macroCallNode:
			err = st.execMacro(n)
		}
		if err != nil {
			return err
		}
		if err := st.checkOutput(); err != nil {
			return err
		}
	}
	return nil
}

func (st *state) renderRef(n *refNode) error {
	st.pos = n.ref.pos
	v, emitted, err := st.walkRef(n.ref, n.escapes == 0)
	if err != nil || emitted {
		return err
	}
	if n.escapes > 0 {
		if v.isNull() {
			st.out = append(st.out, strings.Repeat(`\`, n.escapes)...)
			st.out = append(st.out, n.raw...)
			return nil
		}
		st.out = append(st.out, strings.Repeat(`\`, n.escapes/2)...)
		if n.escapes%2 == 1 {
			st.out = append(st.out, n.raw...)
			return nil
		}
	}
	if v.isNull() {
		if !n.quiet && !st.nullEmpty {
			st.out = append(st.out, n.raw...)
		}
		return nil
	}
	st.out = st.appendString(st.out, v)
	return st.err
}

func (st *state) execSet(n *setNode) error {
	v, err := st.eval(n.val)
	if err != nil {
		return err
	}
	if v.isNull() {
		return nil // Velocity 1.7: #set with a null value leaves the target unchanged
	}
	return st.assign(n.target, v)
}

func (st *state) execIf(n *ifNode) error {
	st.pos = n.pos
	for i, c := range n.conds {
		v, err := st.eval(c)
		if err != nil {
			return err
		}
		if truthy(v) {
			return st.renderNodes(n.blocks[i])
		}
	}
	return st.renderNodes(n.els)
}

// truthy is Velocity 1.7's #if rule: null and false are false, anything else
// (including "" and empty collections) is true.
func truthy(v value) bool {
	switch v.k {
	case kNull:
		return false
	case kBool:
		return v.n != 0
	}
	return true
}

func (st *state) execMacro(n *macroCallNode) error {
	st.pos = n.pos
	m := st.t.macros[n.name]
	if m == nil {
		st.out = append(st.out, n.raw...)
		return nil
	}
	if st.depth >= st.lim.MaxDepth {
		return st.fail(ErrLimit, "macro #%s nested deeper than %d", n.name, st.lim.MaxDepth)
	}
	var saved [8]value
	old := saved[:0]
	for _, slot := range m.params {
		old = append(old, st.vars[slot])
	}
	vals := make([]value, len(m.params))
	for i := range m.params {
		if i < len(n.args) {
			v, err := st.eval(n.args[i])
			if err != nil {
				return err
			}
			vals[i] = v
		}
	}
	for i, slot := range m.params {
		st.vars[slot] = vals[i]
	}
	st.depth++
	err := st.renderNodes(m.body)
	st.depth--
	st.breaking = false
	for i, slot := range m.params {
		st.vars[slot] = old[i]
	}
	return err
}

// renderBlock renders a #define body into dst (used when the block's
// reference is rendered or converted to a string).
func (st *state) renderBlock(dst []byte, d *defineNode) []byte {
	if st.err != nil {
		return dst
	}
	if st.depth >= st.lim.MaxDepth {
		st.err = st.fail(ErrLimit, "#define blocks nested deeper than %d", st.lim.MaxDepth)
		return dst
	}
	saved := st.out
	st.out = dst
	st.depth++
	if err := st.renderNodes(d.body); err != nil && st.err == nil {
		st.err = err
	}
	st.depth--
	st.breaking = false
	dst = st.out
	st.out = saved
	return dst
}

// renderInterp renders an interpolated string literal.
func (st *state) renderInterp(x *interpExpr) (value, error) {
	if st.depth >= st.lim.MaxDepth {
		return null, st.fail(ErrLimit, "string interpolation nested deeper than %d", st.lim.MaxDepth)
	}
	saved := st.out
	st.out = make([]byte, 0, 64)
	st.depth++
	err := st.renderNodes(x.parts)
	st.depth--
	s := string(st.out)
	st.out = saved
	if err == nil {
		err = st.err
	}
	if err == nil && len(s)+len(st.out) > st.lim.MaxOutput {
		err = st.fail(ErrLimit, "string exceeded %d bytes", st.lim.MaxOutput)
	}
	return strVal(s), err
}

func (st *state) typeName(v value) string {
	switch v.k {
	case kNull:
		return "null"
	case kString:
		return "String"
	case kInt:
		return "Integer"
	case kFloat:
		return "Double"
	case kBool:
		return "Boolean"
	case kList, kGoList, kRange:
		return "List"
	case kMap, kGoMap, kStrMap:
		return "Map"
	case kObject:
		if o, ok := v.o.(interface{ javaString(*state, []byte) []byte }); ok {
			return string(o.javaString(st, nil))
		}
	}
	return "Object"
}
