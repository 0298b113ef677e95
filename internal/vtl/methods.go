package vtl

// callMethod calls a method on the value at segment i of r. Mutating calls on
// caller-owned containers first copy them into engine-owned ones (caller data
// is never written) and rebind the copy where it came from when possible.
func (st *state) callMethod(r *refExpr, i int, parent, v value, name string, args []value) (value, error) {
	if mutating(name) && (v.k == kGoMap || v.k == kStrMap || v.k == kGoList || v.k == kRange) {
		if err := st.charge(seqLen(v) + mapLen(v)); err != nil {
			return null, err
		}
		var owned value
		if isMap(v) {
			owned = mapVal(toOwnedMap(v))
		} else {
			owned = listVal(toOwnedList(v))
		}
		switch {
		case i == 0:
			st.vars[r.slot] = owned
		case parent.k == kMap && r.segs[i-1].kind == segProp:
			parent.o.(*vmap).put(r.segs[i-1].name, owned)
		}
		v = owned
	}
	res, _, err := st.method(v, name, args)
	if err != nil {
		return null, st.fail(err, "%s.%s: %v", st.typeName(v), name, err)
	}
	return res, nil
}

func mutating(name string) bool {
	switch name {
	case "put", "putAll", "remove", "clear", "add", "addAll", "set":
		return true
	}
	return false
}

// recvKind is the kind of a method call's receiver, one axis of the
// dispatch table.
type recvKind uint8

const (
	recvString recvKind = iota
	recvList            // lists, Go slices, ranges
	recvMap             // maps, Go maps, string maps
	recvOther           // numbers, booleans, null
)

// recvOf classifies v (objects dispatch through their own call method).
func recvOf(v value) recvKind {
	switch {
	case v.k == kString:
		return recvString
	case isSeq(v):
		return recvList
	case isMap(v):
		return recvMap
	}
	return recvOther
}

// methodKey selects a method by receiver kind, name and arity, as Java
// overloads do.
type methodKey struct {
	recv  recvKind
	name  string
	arity int
}

// methodFn runs a method. ok false means it does not apply to this
// receiver after all (the reference then renders as written).
type methodFn func(st *state, v value, args []value) (res value, ok bool, err error)

// methodTable is every method the engine knows; built by init because its
// entries call back into the evaluator.
var methodTable map[methodKey]methodFn

func init() {
	methodTable = make(map[methodKey]methodFn, 128)
	add := func(recv recvKind, arity int, fn methodFn, names ...string) {
		for _, n := range names {
			methodTable[methodKey{recv, n, arity}] = fn
		}
	}
	addStringMethods(add)
	addListMethods(add)
	addMapMethods(add)
	addOtherMethods(add)
}

// method dispatches a Java-like method call. ok is false for unknown methods
// (the reference then renders as written, as in Velocity).
func (st *state) method(v value, name string, args []value) (value, bool, error) {
	if v.k == kObject {
		return v.o.(object).call(st, name, args)
	}
	if fn := methodTable[methodKey{recvOf(v), name, len(args)}]; fn != nil {
		return fn(st, v, args)
	}
	return null, false, nil
}

// found wraps a result that cannot fail.
func found(v value) (value, bool, error) { return v, true, nil }

// addOtherMethods: numbers, booleans and null.
func addOtherMethods(add func(recvKind, int, methodFn, ...string)) {
	add(recvOther, 0, func(st *state, v value, _ []value) (value, bool, error) {
		return found(strVal(st.toString(v)))
	}, "toString")
	add(recvOther, 1, func(st *state, v value, args []value) (value, bool, error) {
		return found(boolVal(st.equal(v, args[0])))
	}, "equals")
	add(recvOther, 0, func(_ *state, v value, _ []value) (value, bool, error) {
		if !v.isNumber() {
			return null, false, nil
		}
		n, _ := toInt(v)
		return found(intVal(n))
	}, "intValue", "longValue")
	add(recvOther, 0, func(_ *state, v value, _ []value) (value, bool, error) {
		if !v.isNumber() {
			return null, false, nil
		}
		return found(floatVal(v.asFloat()))
	}, "doubleValue", "floatValue")
	add(recvOther, 1, func(_ *state, v value, args []value) (value, bool, error) {
		if !v.isNumber() || !args[0].isNumber() {
			return null, false, nil
		}
		return found(intVal(int64(compareNum(v, args[0]))))
	}, "compareTo")
	add(recvOther, 0, func(_ *state, v value, _ []value) (value, bool, error) {
		if v.k != kBool {
			return null, false, nil
		}
		return found(v)
	}, "booleanValue")
}

// addListMethods: java.util.List's methods.
func addListMethods(add func(recvKind, int, methodFn, ...string)) {
	add(recvList, 0, func(_ *state, v value, _ []value) (value, bool, error) {
		return found(intVal(int64(seqLen(v))))
	}, "size")
	add(recvList, 0, func(_ *state, v value, _ []value) (value, bool, error) {
		return found(boolVal(seqLen(v) == 0))
	}, "isEmpty")
	add(recvList, 0, func(st *state, v value, _ []value) (value, bool, error) {
		return found(strVal(st.toString(v)))
	}, "toString")
	add(recvList, 0, func(_ *state, v value, _ []value) (value, bool, error) {
		if v.k == kList {
			v.o.(*vlist).items = nil
		}
		return found(null)
	}, "clear")
	add(recvList, 1, func(st *state, v value, args []value) (value, bool, error) {
		n := seqLen(v)
		i, ok := toInt(args[0])
		if !ok || i < 0 || i >= int64(n) {
			return null, true, errorf("index %s out of bounds for length %d", st.toString(args[0]), n)
		}
		return found(seqAt(v, int(i)))
	}, "get")
	add(recvList, 1, func(st *state, v value, args []value) (value, bool, error) {
		return found(boolVal(st.indexIn(v, args[0]) >= 0))
	}, "contains")
	add(recvList, 1, func(st *state, v value, args []value) (value, bool, error) {
		return found(intVal(int64(st.indexIn(v, args[0]))))
	}, "indexOf")
	add(recvList, 1, func(st *state, v value, args []value) (value, bool, error) {
		return found(boolVal(st.equal(v, args[0])))
	}, "equals")
	add(recvList, 1, func(st *state, v value, args []value) (value, bool, error) {
		if v.k == kList {
			l := v.o.(*vlist)
			if len(l.items) >= st.lim.MaxSteps {
				return null, true, errorf("list too large")
			}
			l.items = append(l.items, args[0])
		}
		return found(trueVal)
	}, "add")
	add(recvList, 1, func(st *state, v value, args []value) (value, bool, error) {
		a := args[0]
		if v.k == kList && isSeq(a) {
			l := v.o.(*vlist)
			if len(l.items)+seqLen(a) > st.lim.MaxSteps {
				return null, true, errorf("list too large")
			}
			for i := range seqLen(a) {
				l.items = append(l.items, seqAt(a, i))
			}
		}
		return found(trueVal)
	}, "addAll")
	add(recvList, 1, func(st *state, v value, args []value) (value, bool, error) {
		a := args[0]
		if v.k != kList {
			return found(null)
		}
		l := v.o.(*vlist)
		if a.k == kInt {
			if a.n < 0 || a.n >= int64(len(l.items)) {
				return null, true, errorf("index %d out of bounds for length %d", a.n, len(l.items))
			}
			old := l.items[a.n]
			l.items = append(l.items[:a.n], l.items[a.n+1:]...)
			return found(old)
		}
		if i := st.indexIn(v, a); i >= 0 {
			l.items = append(l.items[:i], l.items[i+1:]...)
			return found(trueVal)
		}
		return found(falseVal)
	}, "remove")
	setOrInsert := func(set bool) methodFn {
		return func(st *state, v value, args []value) (value, bool, error) {
			i, ok := toInt(args[0])
			if v.k != kList {
				return found(null)
			}
			l := v.o.(*vlist)
			if !ok || i < 0 || i > int64(len(l.items)) || (set && i == int64(len(l.items))) {
				return null, true, errorf("index %s out of bounds for length %d", st.toString(args[0]), len(l.items))
			}
			if set {
				old := l.items[i]
				l.items[i] = args[1]
				return found(old)
			}
			l.items = append(l.items, null)
			copy(l.items[i+1:], l.items[i:])
			l.items[i] = args[1]
			return found(null)
		}
	}
	add(recvList, 2, setOrInsert(true), "set")
	add(recvList, 2, setOrInsert(false), "add")
	add(recvList, 2, func(_ *state, v value, args []value) (value, bool, error) {
		n := seqLen(v)
		a, ok1 := toInt(args[0])
		b, ok2 := toInt(args[1])
		if !ok1 || !ok2 || a < 0 || b > int64(n) || a > b {
			return null, true, errorf("subList(%d, %d) out of bounds for length %d", a, b, n)
		}
		l := &vlist{items: make([]value, 0, b-a)}
		for i := a; i < b; i++ {
			l.items = append(l.items, seqAt(v, int(i)))
		}
		return found(listVal(l))
	}, "subList")
}

func (st *state) indexIn(v value, x value) int {
	st.steps += seqLen(v)
	for i := range seqLen(v) {
		if st.equal(seqAt(v, i), x) {
			return i
		}
	}
	return -1
}

// addMapMethods: java.util.Map's methods.
func addMapMethods(add func(recvKind, int, methodFn, ...string)) {
	add(recvMap, 0, func(_ *state, v value, _ []value) (value, bool, error) {
		return found(intVal(int64(mapLen(v))))
	}, "size")
	add(recvMap, 0, func(_ *state, v value, _ []value) (value, bool, error) {
		return found(boolVal(mapLen(v) == 0))
	}, "isEmpty")
	add(recvMap, 0, func(st *state, v value, _ []value) (value, bool, error) {
		return found(listVal(st.keyList(v)))
	}, "keySet")
	valuesOrEntries := func(entries bool) methodFn {
		return func(st *state, v value, _ []value) (value, bool, error) {
			ks := st.keyList(v).items
			l := st.newList(st.newValues(len(ks)))
			for i, kv := range ks {
				k := kv.s
				e, _ := mapGet(v, k)
				if entries {
					e = objVal(&entry{key: k, val: e})
				}
				l.items[i] = e
			}
			return found(listVal(l))
		}
	}
	add(recvMap, 0, valuesOrEntries(false), "values")
	add(recvMap, 0, valuesOrEntries(true), "entrySet")
	add(recvMap, 0, func(st *state, v value, _ []value) (value, bool, error) {
		return found(strVal(st.toString(v)))
	}, "toString")
	add(recvMap, 0, func(_ *state, v value, _ []value) (value, bool, error) {
		if v.k == kMap {
			m := v.o.(*vmap)
			m.keys, m.vals = nil, map[string]value{}
		}
		return found(null)
	}, "clear")
	add(recvMap, 1, func(st *state, v value, args []value) (value, bool, error) {
		e, _ := mapGet(v, st.toString(args[0]))
		return found(e)
	}, "get")
	add(recvMap, 1, func(st *state, v value, args []value) (value, bool, error) {
		_, ok := mapGet(v, st.toString(args[0]))
		return found(boolVal(ok))
	}, "containsKey")
	add(recvMap, 1, func(st *state, v value, args []value) (value, bool, error) {
		for _, k := range mapKeys(v) {
			if e, _ := mapGet(v, k); st.equal(e, args[0]) {
				return found(trueVal)
			}
		}
		return found(falseVal)
	}, "containsValue")
	add(recvMap, 1, func(st *state, v value, args []value) (value, bool, error) {
		if v.k == kMap {
			return found(v.o.(*vmap).remove(st.toString(args[0])))
		}
		return found(null)
	}, "remove")
	add(recvMap, 1, func(_ *state, v value, args []value) (value, bool, error) {
		a := args[0]
		if v.k == kMap && isMap(a) {
			m := v.o.(*vmap)
			for _, k := range mapKeys(a) {
				e, _ := mapGet(a, k)
				m.put(k, e)
			}
		}
		return found(null)
	}, "putAll")
	add(recvMap, 1, func(st *state, v value, args []value) (value, bool, error) {
		return found(boolVal(st.equal(v, args[0])))
	}, "equals")
	add(recvMap, 2, func(st *state, v value, args []value) (value, bool, error) {
		if v.k == kMap {
			m := v.o.(*vmap)
			if len(m.keys) >= st.lim.MaxSteps {
				return null, true, errorf("map too large")
			}
			return found(m.put(st.toString(args[0]), args[1]))
		}
		return found(null)
	}, "put")
	add(recvMap, 2, func(st *state, v value, args []value) (value, bool, error) {
		if e, ok := mapGet(v, st.toString(args[0])); ok {
			return found(e)
		}
		return found(args[1])
	}, "getOrDefault")
}

// entry is a map entry from entrySet(): $e.key, $e.value.
type entry struct {
	key string
	val value
}

func (e *entry) prop(_ *state, name string) (value, bool) {
	switch name {
	case "key":
		return strVal(e.key), true
	case "value":
		return e.val, true
	}
	return null, false
}

func (e *entry) call(st *state, name string, args []value) (value, bool, error) {
	switch name {
	case "getKey":
		return strVal(e.key), true, nil
	case "getValue":
		return e.val, true, nil
	case "toString":
		return strVal(string(e.javaString(st, nil))), true, nil
	}
	return null, false, nil
}

func (e *entry) javaString(st *state, dst []byte) []byte {
	dst = append(dst, e.key...)
	dst = append(dst, '=')
	return st.appendString(dst, e.val)
}
