package tokens

import (
	"encoding/json"
	"unicode/utf8"
)

// maxScanDepth bounds the nesting scanObject follows itself; deeper
// documents go to encoding/json.
const maxScanDepth = 32

// scanObject decodes the JSON object s in one pass, without reflection, into
// exactly what encoding/json with UseNumber builds (strings, json.Number,
// bool, nil, []any, map[string]any), taking every string and number as a
// substring of s. It handles the plain subset of JSON that tokens carry: ok
// is false, and the caller falls back to encoding/json, for anything else
// (string escapes, invalid UTF-8, control characters, deep nesting, any
// syntax error) and for a duplicate top-level name.
func scanObject(s string) (Claims, bool) {
	sc := scanner{s: s}
	sc.space()
	if !sc.next('{') {
		return nil, false
	}
	// The members are collected first so that the map is made at its size
	// (a token's claims are a dozen or two).
	type member struct {
		name string
		v    any
	}
	var first [32]member
	ms := first[:0]
	if !sc.members(func(name string, v any) bool {
		ms = append(ms, member{name, v})
		return true
	}, 1) {
		return nil, false
	}
	sc.space()
	if sc.i != len(s) {
		return nil, false
	}
	out := make(Claims, len(ms))
	for _, m := range ms {
		out[m.name] = m.v
	}
	if len(out) != len(ms) {
		return nil, false // a duplicate name
	}
	return out, true
}

// scanner is a position in a JSON text.
type scanner struct {
	s string
	i int
}

// space skips JSON whitespace.
func (sc *scanner) space() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

// next consumes c if it is the next byte.
func (sc *scanner) next(c byte) bool {
	if sc.i < len(sc.s) && sc.s[sc.i] == c {
		sc.i++
		return true
	}
	return false
}

// members scans the members of an object whose '{' is consumed, through its
// '}', handing each to put.
func (sc *scanner) members(put func(string, any) bool, depth int) bool {
	sc.space()
	if sc.next('}') {
		return true
	}
	for {
		sc.space()
		name, ok := sc.str()
		if !ok {
			return false
		}
		sc.space()
		if !sc.next(':') {
			return false
		}
		v, ok := sc.value(depth)
		if !ok || !put(name, v) {
			return false
		}
		sc.space()
		if sc.next('}') {
			return true
		}
		if !sc.next(',') {
			return false
		}
	}
}

// value scans one value, after optional whitespace.
func (sc *scanner) value(depth int) (any, bool) {
	sc.space()
	if sc.i >= len(sc.s) {
		return nil, false
	}
	switch c := sc.s[sc.i]; {
	case c == '"':
		s, ok := sc.str()
		return s, ok
	case c == '-' || '0' <= c && c <= '9':
		n, ok := sc.number()
		return n, ok
	case c == '{':
		if depth >= maxScanDepth {
			return nil, false
		}
		sc.i++
		m := map[string]any{}
		ok := sc.members(func(name string, v any) bool { m[name] = v; return true }, depth+1)
		return m, ok
	case c == '[':
		if depth >= maxScanDepth {
			return nil, false
		}
		sc.i++
		return sc.elements(depth + 1)
	default:
		return sc.literal()
	}
}

// elements scans the elements of an array whose '[' is consumed, through its
// ']', into a slice of exactly their number.
func (sc *scanner) elements(depth int) (any, bool) {
	var first [8]any
	vals := first[:0]
	sc.space()
	if !sc.next(']') {
		for {
			v, ok := sc.value(depth)
			if !ok {
				return nil, false
			}
			vals = append(vals, v)
			sc.space()
			if sc.next(']') {
				break
			}
			if !sc.next(',') {
				return nil, false
			}
		}
	}
	out := make([]any, len(vals))
	copy(out, vals)
	return out, true
}

// str scans a string without escapes, of valid UTF-8 and no control
// characters (encoding/json returns such a string's bytes unchanged).
func (sc *scanner) str() (string, bool) {
	if !sc.next('"') {
		return "", false
	}
	start, ascii := sc.i, true
	for sc.i < len(sc.s) {
		c := sc.s[sc.i]
		switch {
		case c == '"':
			v := sc.s[start:sc.i]
			sc.i++
			if !ascii && !utf8.ValidString(v) {
				return "", false
			}
			return v, true
		case c == '\\' || c < ' ':
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
		sc.i++
	}
	return "", false
}

// number scans a JSON number: -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?
func (sc *scanner) number() (json.Number, bool) {
	start := sc.i
	sc.next('-')
	switch {
	case sc.next('0'):
	case sc.digits() == 0:
		return "", false
	}
	if sc.next('.') && sc.digits() == 0 {
		return "", false
	}
	if sc.next('e') || sc.next('E') {
		if !sc.next('+') {
			sc.next('-')
		}
		if sc.digits() == 0 {
			return "", false
		}
	}
	return json.Number(sc.s[start:sc.i]), true
}

// digits consumes decimal digits and says how many.
func (sc *scanner) digits() int {
	start := sc.i
	for sc.i < len(sc.s) && '0' <= sc.s[sc.i] && sc.s[sc.i] <= '9' {
		sc.i++
	}
	return sc.i - start
}

// literal scans true, false or null.
func (sc *scanner) literal() (any, bool) {
	rest := sc.s[sc.i:]
	switch {
	case len(rest) >= 4 && rest[:4] == "true":
		sc.i += 4
		return true, true
	case len(rest) >= 5 && rest[:5] == "false":
		sc.i += 5
		return false, true
	case len(rest) >= 4 && rest[:4] == "null":
		sc.i += 4
		return nil, true
	}
	return nil, false
}
