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

// method dispatches a Java-like method call. ok is false for unknown methods
// (the reference then renders as written, as in Velocity).
func (st *state) method(v value, name string, args []value) (value, bool, error) {
	switch {
	case v.k == kString:
		return st.stringMethod(v.s, name, args)
	case isSeq(v):
		return st.listMethod(v, name, args)
	case isMap(v):
		return st.mapMethod(v, name, args)
	case v.k == kObject:
		return v.o.(object).call(st, name, args)
	}
	switch name {
	case "toString":
		if len(args) == 0 {
			return strVal(st.toString(v)), true, nil
		}
	case "equals":
		if len(args) == 1 {
			return boolVal(st.equal(v, args[0])), true, nil
		}
	case "intValue", "longValue":
		if v.isNumber() && len(args) == 0 {
			n, _ := toInt(v)
			return intVal(n), true, nil
		}
	case "doubleValue", "floatValue":
		if v.isNumber() && len(args) == 0 {
			return floatVal(v.asFloat()), true, nil
		}
	case "compareTo":
		if v.isNumber() && len(args) == 1 && args[0].isNumber() {
			return intVal(int64(compareNum(v, args[0]))), true, nil
		}
	case "booleanValue":
		if v.k == kBool {
			return v, true, nil
		}
	}
	return null, false, nil
}

func (st *state) listMethod(v value, name string, args []value) (value, bool, error) {
	n := seqLen(v)
	switch len(args) {
	case 0:
		switch name {
		case "size":
			return intVal(int64(n)), true, nil
		case "isEmpty":
			return boolVal(n == 0), true, nil
		case "toString":
			return strVal(st.toString(v)), true, nil
		case "clear":
			if v.k == kList {
				v.o.(*vlist).items = nil
			}
			return null, true, nil
		}
	case 1:
		a := args[0]
		switch name {
		case "get":
			i, ok := toInt(a)
			if !ok || i < 0 || i >= int64(n) {
				return null, true, errorf("index %s out of bounds for length %d", st.toString(a), n)
			}
			return seqAt(v, int(i)), true, nil
		case "contains":
			return boolVal(st.indexIn(v, a) >= 0), true, nil
		case "indexOf":
			return intVal(int64(st.indexIn(v, a))), true, nil
		case "equals":
			return boolVal(st.equal(v, a)), true, nil
		case "add":
			if v.k == kList {
				l := v.o.(*vlist)
				if len(l.items) >= st.lim.MaxSteps {
					return null, true, errorf("list too large")
				}
				l.items = append(l.items, a)
			}
			return trueVal, true, nil
		case "addAll":
			if v.k == kList && isSeq(a) {
				l := v.o.(*vlist)
				if len(l.items)+seqLen(a) > st.lim.MaxSteps {
					return null, true, errorf("list too large")
				}
				for i := range seqLen(a) {
					l.items = append(l.items, seqAt(a, i))
				}
			}
			return trueVal, true, nil
		case "remove":
			if v.k != kList {
				return null, true, nil
			}
			l := v.o.(*vlist)
			if a.k == kInt {
				if a.n < 0 || a.n >= int64(len(l.items)) {
					return null, true, errorf("index %d out of bounds for length %d", a.n, len(l.items))
				}
				old := l.items[a.n]
				l.items = append(l.items[:a.n], l.items[a.n+1:]...)
				return old, true, nil
			}
			if i := st.indexIn(v, a); i >= 0 {
				l.items = append(l.items[:i], l.items[i+1:]...)
				return trueVal, true, nil
			}
			return falseVal, true, nil
		}
	case 2:
		switch name {
		case "set", "add":
			i, ok := toInt(args[0])
			if v.k != kList {
				return null, true, nil
			}
			l := v.o.(*vlist)
			if !ok || i < 0 || i > int64(len(l.items)) || (name == "set" && i == int64(len(l.items))) {
				return null, true, errorf("index %s out of bounds for length %d", st.toString(args[0]), len(l.items))
			}
			if name == "set" {
				old := l.items[i]
				l.items[i] = args[1]
				return old, true, nil
			}
			l.items = append(l.items, null)
			copy(l.items[i+1:], l.items[i:])
			l.items[i] = args[1]
			return null, true, nil
		case "subList":
			a, ok1 := toInt(args[0])
			b, ok2 := toInt(args[1])
			if !ok1 || !ok2 || a < 0 || b > int64(n) || a > b {
				return null, true, errorf("subList(%d, %d) out of bounds for length %d", a, b, n)
			}
			l := &vlist{items: make([]value, 0, b-a)}
			for i := a; i < b; i++ {
				l.items = append(l.items, seqAt(v, int(i)))
			}
			return listVal(l), true, nil
		}
	}
	return null, false, nil
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

func (st *state) mapMethod(v value, name string, args []value) (value, bool, error) {
	switch len(args) {
	case 0:
		switch name {
		case "size":
			return intVal(int64(mapLen(v))), true, nil
		case "isEmpty":
			return boolVal(mapLen(v) == 0), true, nil
		case "keySet":
			return listVal(st.keyList(v)), true, nil
		case "values", "entrySet":
			ks := st.keyList(v).items
			l := st.newList(st.newValues(len(ks)))
			for i, kv := range ks {
				k := kv.s
				e, _ := mapGet(v, k)
				if name == "entrySet" {
					e = objVal(&entry{key: k, val: e})
				}
				l.items[i] = e
			}
			return listVal(l), true, nil
		case "toString":
			return strVal(st.toString(v)), true, nil
		case "clear":
			if v.k == kMap {
				m := v.o.(*vmap)
				m.keys, m.vals = nil, map[string]value{}
			}
			return null, true, nil
		}
	case 1:
		a := args[0]
		switch name {
		case "get":
			e, _ := mapGet(v, st.toString(a))
			return e, true, nil
		case "containsKey":
			_, ok := mapGet(v, st.toString(a))
			return boolVal(ok), true, nil
		case "containsValue":
			for _, k := range mapKeys(v) {
				if e, _ := mapGet(v, k); st.equal(e, a) {
					return trueVal, true, nil
				}
			}
			return falseVal, true, nil
		case "remove":
			if v.k == kMap {
				return v.o.(*vmap).remove(st.toString(a)), true, nil
			}
			return null, true, nil
		case "putAll":
			if v.k == kMap && isMap(a) {
				m := v.o.(*vmap)
				for _, k := range mapKeys(a) {
					e, _ := mapGet(a, k)
					m.put(k, e)
				}
			}
			return null, true, nil
		case "equals":
			return boolVal(st.equal(v, a)), true, nil
		}
	case 2:
		switch name {
		case "put":
			if v.k == kMap {
				m := v.o.(*vmap)
				if len(m.keys) >= st.lim.MaxSteps {
					return null, true, errorf("map too large")
				}
				return m.put(st.toString(args[0]), args[1]), true, nil
			}
			return null, true, nil
		case "getOrDefault":
			if e, ok := mapGet(v, st.toString(args[0])); ok {
				return e, true, nil
			}
			return args[1], true, nil
		}
	}
	return null, false, nil
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
