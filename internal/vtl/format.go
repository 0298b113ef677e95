package vtl

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// appendString appends the Java toString() form of v, as Velocity renders it.
// Null appends "null" (as Java's String.valueOf does inside collections).
func (st *state) appendString(dst []byte, v value) []byte {
	switch v.k {
	case kNull:
		return append(dst, "null"...)
	case kString:
		return append(dst, v.s...)
	case kInt:
		return strconv.AppendInt(dst, v.n, 10)
	case kFloat:
		return appendJavaDouble(dst, v.f)
	case kBool:
		if v.n != 0 {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case kList, kGoList, kRange:
		if v.k == kList && v.o.(*vlist).json {
			return st.appendJSON(dst, v, st.strDepth)
		}
		if st.strDepth >= st.lim.MaxDepth {
			return append(dst, "[...]"...)
		}
		st.strDepth++
		defer func() { st.strDepth-- }()
		dst = append(dst, '[')
		n := seqLen(v)
		for i := range n {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			if len(dst) > st.lim.MaxOutput {
				break
			}
			dst = st.appendString(dst, seqAt(v, i))
		}
		return append(dst, ']')
	case kMap, kGoMap, kStrMap:
		if st.strDepth >= st.lim.MaxDepth {
			return append(dst, "{...}"...)
		}
		st.strDepth++
		defer func() { st.strDepth-- }()
		dst = append(dst, '{')
		for i, k := range mapKeys(v) {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			if len(dst) > st.lim.MaxOutput {
				break
			}
			e, _ := mapGet(v, k)
			dst = append(dst, k...)
			dst = append(dst, '=')
			dst = st.appendString(dst, e)
		}
		return append(dst, '}')
	case kObject:
		if s, ok := v.o.(interface {
			javaString(st *state, dst []byte) []byte
		}); ok {
			return s.javaString(st, dst)
		}
		return append(dst, "{}"...)
	case kBlock:
		return st.renderBlock(dst, v.o.(*defineNode))
	}
	return dst
}

// toString returns the Java toString() form of v.
func (st *state) toString(v value) string {
	if v.k == kString {
		return v.s
	}
	return string(st.appendString(nil, v))
}

// appendJavaDouble formats f as Java's Double.toString does.
func appendJavaDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	a := math.Abs(f)
	if a >= 1e-3 && a < 1e7 {
		start := len(dst)
		dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
		if !strings.Contains(string(dst[start:]), ".") {
			dst = append(dst, ".0"...)
		}
		return dst
	}
	// Scientific: d.dddE[-]n
	var tmp [32]byte
	s := strconv.AppendFloat(tmp[:0], f, 'e', -1, 64)
	mant, exp, _ := strings.Cut(string(s), "e")
	dst = append(dst, mant...)
	if !strings.Contains(mant, ".") {
		dst = append(dst, ".0"...)
	}
	dst = append(dst, 'E')
	if exp[0] == '-' {
		dst = append(dst, '-')
	}
	exp = strings.TrimLeft(exp[1:], "0")
	if exp == "" {
		exp = "0"
	}
	return append(dst, exp...)
}

// appendJSON appends v serialised as compact JSON (as $input.json does).
func (st *state) appendJSON(dst []byte, v value, depth int) []byte {
	if depth > st.lim.MaxDepth || len(dst) > st.lim.MaxOutput {
		return append(dst, "null"...)
	}
	switch v.k {
	case kNull:
		return append(dst, "null"...)
	case kString:
		return appendJSONString(dst, v.s)
	case kInt, kBool:
		return st.appendString(dst, v)
	case kFloat:
		if math.IsNaN(v.f) || math.IsInf(v.f, 0) {
			return append(dst, "null"...)
		}
		if v.f == math.Trunc(v.f) && math.Abs(v.f) < 1e15 {
			return strconv.AppendFloat(dst, v.f, 'f', 1, 64)
		}
		return strconv.AppendFloat(dst, v.f, 'g', -1, 64)
	case kList, kGoList, kRange:
		if st.strDepth >= st.lim.MaxDepth {
			return append(dst, "[...]"...)
		}
		st.strDepth++
		defer func() { st.strDepth-- }()
		dst = append(dst, '[')
		n := seqLen(v)
		for i := range n {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = st.appendJSON(dst, seqAt(v, i), depth+1)
		}
		return append(dst, ']')
	case kMap, kGoMap, kStrMap:
		dst = append(dst, '{')
		for i, k := range mapKeys(v) {
			if i > 0 {
				dst = append(dst, ',')
			}
			e, _ := mapGet(v, k)
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			dst = st.appendJSON(dst, e, depth+1)
		}
		return append(dst, '}')
	}
	return appendJSONString(dst, st.toString(v))
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string literal.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, s[start:i]...)
				dst = append(dst, `\ufffd`...)
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
