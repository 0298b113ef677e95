package vtl

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
)

// kind is the dynamic type of a value.
type kind uint8

const (
	kNull   kind = iota // null, also "undefined"
	kString             // s
	kInt                // n
	kFloat              // f
	kBool               // n != 0
	kList               // o: *vlist
	kMap                // o: *vmap
	kGoMap              // o: map[string]any (caller data, sorted iteration)
	kStrMap             // o: map[string]string (caller data, sorted iteration)
	kGoList             // o: []any (caller data)
	kRange              // o: *rangeVal
	kObject             // o: object (built-ins such as $input, $util, $foreach)
	kBlock              // o: *defineNode (#define)
)

// value is the engine's dynamic value. It is a small struct passed by value
// so that strings, numbers and booleans never need a heap allocation.
type value struct {
	k kind
	s string
	n int64
	f float64
	o any
}

// vlist is an ordered, mutable list (Java ArrayList semantics). json marks
// a list parsed from JSON (a request body, $util.parseJson, an indefinite
// JSONPath result): like the JSON array objects of API Gateway's JSON
// parser, its toString() is JSON text, also inside a map's {k=v} form.
type vlist struct {
	items []value
	json  bool
}

// vmap is an insertion-ordered map with string keys (Java LinkedHashMap semantics).
type vmap struct {
	keys []string
	vals map[string]value
}

type rangeVal struct{ from, to int64 }

// object is implemented by built-in objects ($input, $util, $foreach, map entries).
type object interface {
	// prop returns a property ($o.name); ok is false when there is none.
	prop(st *state, name string) (value, bool)
	// call invokes a method; ok is false when the method does not exist.
	call(st *state, name string, args []value) (value, bool, error)
}

var (
	null     = value{}
	trueVal  = value{k: kBool, n: 1}
	falseVal = value{k: kBool}
)

func strVal(s string) value    { return value{k: kString, s: s} }
func intVal(i int64) value     { return value{k: kInt, n: i} }
func floatVal(f float64) value { return value{k: kFloat, f: f} }
func listVal(l *vlist) value   { return value{k: kList, o: l} }
func mapVal(m *vmap) value     { return value{k: kMap, o: m} }
func objVal(o object) value    { return value{k: kObject, o: o} }

func boolVal(b bool) value {
	if b {
		return trueVal
	}
	return falseVal
}

func (v value) isNull() bool   { return v.k == kNull }
func (v value) isNumber() bool { return v.k == kInt || v.k == kFloat }
func (v value) asFloat() float64 {
	if v.k == kInt {
		return float64(v.n)
	}
	return v.f
}

// newMap returns an empty ordered map with room for n keys.
func newMap(n int) *vmap { return &vmap{keys: make([]string, 0, n), vals: make(map[string]value, n)} }

func (m *vmap) get(k string) (value, bool) {
	v, ok := m.vals[k]
	return v, ok
}

func (m *vmap) put(k string, v value) value {
	old, ok := m.vals[k]
	if !ok {
		m.keys = append(m.keys, k)
	}
	m.vals[k] = v
	return old
}

func (m *vmap) remove(k string) value {
	old, ok := m.vals[k]
	if !ok {
		return null
	}
	delete(m.vals, k)
	m.keys = slices.DeleteFunc(m.keys, func(s string) bool { return s == k })
	return old
}

// fromGo converts caller-supplied Go data into a value without copying
// containers: maps and slices are wrapped and read in place.
func fromGo(x any) value {
	switch v := x.(type) {
	case nil:
		return null
	case value:
		return v
	case string:
		return strVal(v)
	case bool:
		return boolVal(v)
	case int:
		return intVal(int64(v))
	case int32:
		return intVal(int64(v))
	case int64:
		return intVal(v)
	case uint32:
		return intVal(int64(v))
	case uint64:
		if v > math.MaxInt64 {
			return floatVal(float64(v))
		}
		return intVal(int64(v))
	case float32:
		return floatVal(float64(v))
	case float64:
		return floatVal(v)
	case json.Number:
		if i, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return intVal(i)
		}
		f, _ := strconv.ParseFloat(string(v), 64)
		return floatVal(f)
	case []byte:
		return strVal(string(v))
	case map[string]any:
		return value{k: kGoMap, o: v}
	case map[string]string:
		return value{k: kStrMap, o: v}
	case []any:
		return value{k: kGoList, o: v}
	case []string:
		l := &vlist{items: make([]value, len(v))}
		for i, s := range v {
			l.items[i] = strVal(s)
		}
		return listVal(l)
	case []map[string]any:
		l := &vlist{items: make([]value, len(v))}
		for i, m := range v {
			l.items[i] = value{k: kGoMap, o: m}
		}
		return listVal(l)
	case *vlist:
		return listVal(v)
	case *vmap:
		return mapVal(v)
	case object:
		return objVal(v)
	case interface{ String() string }:
		return strVal(v.String())
	}
	return null
}

// isSeq reports whether v is a list-like value.
func isSeq(v value) bool { return v.k == kList || v.k == kGoList || v.k == kRange }

// isMap reports whether v is a map-like value.
func isMap(v value) bool { return v.k == kMap || v.k == kGoMap || v.k == kStrMap }

func seqLen(v value) int {
	switch v.k {
	case kList:
		return len(v.o.(*vlist).items)
	case kGoList:
		return len(v.o.([]any))
	case kRange:
		r := v.o.(*rangeVal)
		if r.to >= r.from {
			return int(r.to - r.from + 1)
		}
		return int(r.from - r.to + 1)
	}
	return 0
}

func seqAt(v value, i int) value {
	switch v.k {
	case kList:
		return v.o.(*vlist).items[i]
	case kGoList:
		return fromGo(v.o.([]any)[i])
	case kRange:
		r := v.o.(*rangeVal)
		if r.to >= r.from {
			return intVal(r.from + int64(i))
		}
		return intVal(r.from - int64(i))
	}
	return null
}

// mapKeys returns the keys of a map-like value: insertion order for vmap,
// sorted order for Go maps (Go maps have no order; sorting keeps output stable).
func mapKeys(v value) []string {
	switch v.k {
	case kMap:
		return v.o.(*vmap).keys
	case kGoMap:
		m := v.o.(map[string]any)
		ks := make([]string, 0, len(m))
		for k := range m {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks
	case kStrMap:
		m := v.o.(map[string]string)
		ks := make([]string, 0, len(m))
		for k := range m {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks
	}
	return nil
}

func mapLen(v value) int {
	switch v.k {
	case kMap:
		return len(v.o.(*vmap).keys)
	case kGoMap:
		return len(v.o.(map[string]any))
	case kStrMap:
		return len(v.o.(map[string]string))
	}
	return 0
}

func mapGet(v value, k string) (value, bool) {
	switch v.k {
	case kMap:
		return v.o.(*vmap).get(k)
	case kGoMap:
		x, ok := v.o.(map[string]any)[k]
		return fromGo(x), ok
	case kStrMap:
		s, ok := v.o.(map[string]string)[k]
		if !ok {
			return null, false
		}
		return strVal(s), true
	}
	return null, false
}

// toOwnedMap converts a caller map into a mutable *vmap so that put/remove
// never write into caller data.
func toOwnedMap(v value) *vmap {
	if v.k == kMap {
		return v.o.(*vmap)
	}
	ks := mapKeys(v)
	m := newMap(len(ks))
	for _, k := range ks {
		e, _ := mapGet(v, k)
		m.put(k, e)
	}
	return m
}

// toOwnedList converts a list-like value into a mutable *vlist.
func toOwnedList(v value) *vlist {
	if v.k == kList {
		return v.o.(*vlist)
	}
	n := seqLen(v)
	l := &vlist{items: make([]value, n)}
	for i := range n {
		l.items[i] = seqAt(v, i)
	}
	return l
}
