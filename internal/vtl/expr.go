package vtl

import (
	"strings"
)

func (st *state) eval(x expr) (value, error) {
	switch x := x.(type) {
	case *litExpr:
		return x.v, nil
	case *refExpr:
		return st.evalRef(x)
	case *interpExpr:
		return st.renderInterp(x)
	case *binExpr:
		return st.evalBinary(x)
	case *notExpr:
		v, err := st.eval(x.x)
		return boolVal(!truthy(v)), err
	case *negExpr:
		v, err := st.eval(x.x)
		switch v.k {
		case kInt:
			return intVal(-v.n), err
		case kFloat:
			return floatVal(-v.f), err
		}
		return null, err
	case *listExpr:
		l := &vlist{items: make([]value, 0, len(x.items))}
		for _, e := range x.items {
			v, err := st.eval(e)
			if err != nil {
				return null, err
			}
			l.items = append(l.items, v)
		}
		return listVal(l), nil
	case *mapExpr:
		m := newMap(len(x.keys))
		for i := range x.keys {
			k, err := st.eval(x.keys[i])
			if err != nil {
				return null, err
			}
			v, err := st.eval(x.vals[i])
			if err != nil {
				return null, err
			}
			m.put(st.toString(k), v)
		}
		return mapVal(m), nil
	case *rangeExpr:
		from, err := st.eval(x.from)
		if err != nil {
			return null, err
		}
		to, err := st.eval(x.to)
		if err != nil {
			return null, err
		}
		f, ok1 := toInt(from)
		t, ok2 := toInt(to)
		if !ok1 || !ok2 {
			return null, nil
		}
		if size := uint64(max(f, t)-min(f, t)) + 1; size > uint64(st.lim.MaxSteps) {
			st.pos = x.pos
			return null, st.fail(ErrLimit, "range [%d..%d] has more than %d elements", f, t, st.lim.MaxSteps)
		}
		return value{k: kRange, o: &rangeVal{from: f, to: t}}, nil
	}
	return null, nil
}

// toInt converts integral numbers and numeric strings (as Velocity ranges do).
func toInt(v value) (int64, bool) {
	switch v.k {
	case kInt:
		return v.n, true
	case kFloat:
		return int64(v.f), true
	}
	return 0, false
}

// evalArgs evaluates call arguments onto the argument stack.
func (st *state) evalArgs(xs []expr) ([]value, int, error) {
	base := len(st.args)
	for _, x := range xs {
		v, err := st.eval(x)
		if err != nil {
			st.args = st.args[:base]
			return nil, base, err
		}
		st.args = append(st.args, v)
	}
	return st.args[base:], base, nil
}

func (st *state) evalRef(r *refExpr) (value, error) {
	v, _, err := st.walkRef(r, false)
	return v, err
}

// walkRef evaluates a reference. With emit set, a final call on a built-in
// that can append its result directly (e.g. $input.json,
// $util.escapeJavaScript) writes into the output instead of building an
// intermediate string; emitted then reports that it did.
func (st *state) walkRef(r *refExpr, emit bool) (v value, emitted bool, err error) {
	if st.nullEmpty && r.slot == st.t.slots.context && isClaimsRef(r) {
		return null, false, nil // AWS: "Calling $context.authorizer.claims returns null."
	}
	v = st.vars[r.slot]
	var parent value
	for i := range r.segs {
		if v.isNull() {
			return null, false, nil
		}
		s := &r.segs[i]
		prev := v
		switch s.kind {
		case segProp:
			v = st.prop(v, s.name)
		case segIndex:
			var idx value
			if idx, err = st.eval(s.args[0]); err != nil {
				return null, false, err
			}
			v = st.index(v, idx)
		case segCall:
			if err := st.step(); err != nil {
				return null, false, err
			}
			args, base, err := st.evalArgs(s.args)
			if err != nil {
				return null, false, err
			}
			st.pos = s.pos
			if err := st.charge(stringWork(v, args)); err != nil {
				st.args = st.args[:base]
				return null, false, err
			}
			if ap, ok := v.o.(appender); ok && emit && i == len(r.segs)-1 && v.k == kObject {
				out, done, err := ap.appendCall(st, st.out, s.name, args)
				if err != nil {
					st.args = st.args[:base]
					return null, false, st.fail(err, "%s.%s: %v", st.typeName(v), s.name, err)
				}
				if done {
					st.out = out
					st.args = st.args[:base]
					return null, true, nil
				}
			}
			v, err = st.callMethod(r, i, parent, v, s.name, args)
			st.args = st.args[:base]
			if err != nil {
				return null, false, err
			}
		}
		parent = prev
	}
	return v, false, nil
}

// stringWork estimates the cost of a call on long strings (escaping,
// parsing, regular expressions …) so that loops over big strings are bounded
// by MaxSteps: one step per 64 bytes of receiver and argument text.
func stringWork(recv value, args []value) int {
	n := len(recv.s)
	for _, a := range args {
		n += len(a.s)
	}
	return n / 64
}

// isClaimsRef reports whether r is exactly $context.authorizer.claims.
func isClaimsRef(r *refExpr) bool {
	return len(r.segs) == 2 && r.segs[0].kind == segProp && r.segs[0].name == "authorizer" &&
		r.segs[1].kind == segProp && r.segs[1].name == "claims"
}

// appender is implemented by built-ins that can write a call's result directly.
type appender interface {
	appendCall(st *state, dst []byte, name string, args []value) ([]byte, bool, error)
}

func (st *state) prop(v value, name string) value {
	switch {
	case isMap(v):
		e, _ := mapGet(v, name)
		return e
	case v.k == kObject:
		if e, ok := v.o.(object).prop(st, name); ok {
			return e
		}
	}
	// JavaBean-style getters: $s.empty -> isEmpty(), $l.size -> size() is not a property.
	up := strings.ToUpper(name[:1]) + name[1:]
	for _, m := range [...]string{"get" + up, "is" + up} {
		if r, ok, err := st.method(v, m, nil); ok && err == nil {
			return r
		}
	}
	return null
}

func (st *state) index(v value, idx value) value {
	switch {
	case isSeq(v):
		i, ok := toInt(idx)
		n := int64(seqLen(v))
		if !ok {
			return null
		}
		if i < 0 {
			i += n
		}
		if i < 0 || i >= n {
			return null
		}
		return seqAt(v, int(i))
	case isMap(v):
		e, _ := mapGet(v, st.toString(idx))
		return e
	case v.k == kObject:
		r, ok, _ := v.o.(object).call(st, "get", []value{idx})
		if ok {
			return r
		}
	}
	return null
}

// assign implements #set($a = v), #set($a.b = v) and #set($a[i] = v).
func (st *state) assign(target *refExpr, v value) error {
	n := len(target.segs)
	if n == 0 {
		st.vars[target.slot] = v
		return nil
	}
	head := refExpr{pos: target.pos, slot: target.slot, segs: target.segs[:n-1]}
	recv, err := st.evalRef(&head)
	if err != nil || recv.isNull() {
		return err
	}
	last := target.segs[n-1]
	var key value
	switch last.kind {
	case segProp:
		key = strVal(last.name)
	case segIndex:
		if key, err = st.eval(last.args[0]); err != nil {
			return err
		}
	default:
		return st.fail(nil, "cannot #set the result of a method call")
	}
	if recv.k == kObject {
		if s, ok := recv.o.(propSetter); ok {
			return s.setProp(st, st.toString(key), v)
		}
		return nil
	}
	if err := st.charge(seqLen(recv) + mapLen(recv)); err != nil {
		return err
	}
	switch {
	case isMap(recv):
		m := toOwnedMap(recv)
		m.put(st.toString(key), v)
		if recv.k != kMap && n == 1 {
			st.vars[target.slot] = mapVal(m)
		}
	case isSeq(recv) && last.kind == segIndex:
		l := toOwnedList(recv)
		i, ok := toInt(key)
		if !ok || i < 0 || i >= int64(len(l.items)) {
			return st.fail(nil, "index %s out of range", st.toString(key))
		}
		l.items[i] = v
		if recv.k != kList && n == 1 {
			st.vars[target.slot] = listVal(l)
		}
	}
	return nil
}
