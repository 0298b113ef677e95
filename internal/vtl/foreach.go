package vtl

// foreachObj is $foreach: index (0-based), count (1-based), hasNext, first,
// last and parent.
type foreachObj struct {
	index, size int
	parent      value
}

func (f *foreachObj) prop(_ *state, name string) (value, bool) {
	switch name {
	case "index":
		return intVal(int64(f.index)), true
	case "count":
		return intVal(int64(f.index + 1)), true
	case "hasNext":
		return boolVal(f.index+1 < f.size), true
	case "first":
		return boolVal(f.index == 0), true
	case "last":
		return boolVal(f.index+1 == f.size), true
	case "parent":
		return f.parent, true
	}
	return null, false
}

func (f *foreachObj) call(st *state, name string, args []value) (value, bool, error) {
	if len(args) == 0 {
		switch name {
		case "getIndex", "index":
			return f.propCall(st, "index")
		case "getCount", "count":
			return f.propCall(st, "count")
		case "hasNext", "getHasNext":
			return f.propCall(st, "hasNext")
		case "isFirst", "getFirst":
			return f.propCall(st, "first")
		case "isLast", "getLast":
			return f.propCall(st, "last")
		case "getParent":
			return f.parent, true, nil
		}
	}
	return null, false, nil
}

func (f *foreachObj) javaString(_ *state, dst []byte) []byte {
	return append(dst, "$foreach"...)
}

// propCall adapts prop results to call's signature.
func (f *foreachObj) propCall(st *state, name string) (value, bool, error) {
	v, ok := f.prop(st, name)
	return v, ok, nil
}

func (st *state) execForeach(n *foreachNode) error {
	st.pos = n.pos
	it, err := st.eval(n.iter)
	if err != nil {
		return err
	}
	var size int
	mapIter := false
	var keys []string
	if m, ok := it.o.(interface{ toMap() *vmap }); ok && it.k == kObject {
		it = mapVal(m.toMap())
	}
	switch {
	case isSeq(it):
		size = seqLen(it)
	case isMap(it):
		// Velocity iterates a map's values.
		mapIter = true
		keys = mapKeys(it)
		size = len(keys)
	default:
		return nil // null, strings and numbers do not iterate
	}
	if size > st.lim.MaxLoopIterations {
		st.pos = n.pos
		return st.fail(ErrLimit, "#foreach exceeded %d iterations", st.lim.MaxLoopIterations)
	}
	if size == 0 {
		return nil
	}
	t := st.t
	savedVar := st.vars[n.slot]
	savedFE := st.vars[t.slots.foreach]
	savedVC := st.vars[t.slots.velocityCount]
	savedVH := st.vars[t.slots.velocityHasNext]
	if st.loopDepth == len(st.loops) {
		st.loops = append(st.loops, &foreachObj{})
	}
	fe := st.loops[st.loopDepth]
	st.loopDepth++
	*fe = foreachObj{size: size, parent: savedFE}
	feVal := objVal(fe)
	for i := range size {
		if err := st.step(); err != nil {
			return err
		}
		var item value
		if mapIter {
			item, _ = mapGet(it, keys[i])
		} else {
			item = seqAt(it, i)
		}
		fe.index = i
		st.vars[n.slot] = item
		st.vars[t.slots.foreach] = feVal
		st.vars[t.slots.velocityCount] = intVal(int64(i + 1))
		st.vars[t.slots.velocityHasNext] = boolVal(i+1 < size)
		if err := st.renderNodes(n.body); err != nil {
			return err
		}
		if st.breaking {
			st.breaking = false
			break
		}
		if st.stopped {
			break
		}
	}
	st.loopDepth--
	st.vars[n.slot] = savedVar
	st.vars[t.slots.foreach] = savedFE
	st.vars[t.slots.velocityCount] = savedVC
	st.vars[t.slots.velocityHasNext] = savedVH
	return nil
}
