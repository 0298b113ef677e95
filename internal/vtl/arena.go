package vtl

import (
	"slices"
	"strings"
)

// Per-rendering arenas for the short-lived lists that templates create on
// every request (keySet(), values()). They live in the pooled state, so a
// steady stream of renderings allocates nothing for them. Nothing created in
// an arena outlives its rendering: Render returns only a string.

const arenaChunk = 256

// newValues returns n zeroed Values whose capacity is exactly n, so that an
// append on a list built from them reallocates instead of overwriting a
// neighbour in the arena.
func (st *state) newValues(n int) []value {
	if n > arenaChunk/4 {
		return make([]value, n)
	}
	if cap(st.vals)-len(st.vals) < n {
		st.vals = make([]value, 0, arenaChunk)
	}
	l := len(st.vals)
	st.vals = st.vals[:l+n]
	return st.vals[l : l+n : l+n]
}

// newList returns a vlist holding items, from the arena.
func (st *state) newList(items []value) *vlist {
	if len(st.lists) == cap(st.lists) {
		st.lists = make([]vlist, 0, arenaChunk/8)
	}
	st.lists = append(st.lists, vlist{items: items})
	return &st.lists[len(st.lists)-1]
}

// resetArenas forgets everything allocated during a rendering.
func (st *state) resetArenas() {
	clear(st.vals)
	st.vals = st.vals[:0]
	clear(st.lists)
	st.lists = st.lists[:0]
}

func compareValueStrings(a, b value) int { return strings.Compare(a.s, b.s) }

// keyList returns the keys of a map-like value as a new list: insertion
// order for engine maps, sorted order for caller (Go) maps.
func (st *state) keyList(v value) *vlist {
	st.steps += mapLen(v) // checked at the next step
	var items []value
	switch v.k {
	case kMap:
		m := v.o.(*vmap)
		items = st.newValues(len(m.keys))
		for i, k := range m.keys {
			items[i] = strVal(k)
		}
		return st.newList(items)
	case kGoMap:
		m := v.o.(map[string]any)
		items = st.newValues(len(m))
		i := 0
		for k := range m {
			items[i] = strVal(k)
			i++
		}
	case kStrMap:
		m := v.o.(map[string]string)
		items = st.newValues(len(m))
		i := 0
		for k := range m {
			items[i] = strVal(k)
			i++
		}
	}
	slices.SortFunc(items, compareValueStrings)
	return st.newList(items)
}
