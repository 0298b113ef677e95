package vtl

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// u16 is a string viewed as Java's UTF-16 code units; ASCII strings are used
// as bytes directly.
type u16 struct {
	s     string
	units []uint16 // nil when s is ASCII
}

func newU16(s string) u16 {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return u16{s: s, units: utf16.Encode([]rune(s))}
		}
	}
	return u16{s: s}
}

func (u u16) len() int {
	if u.units == nil {
		return len(u.s)
	}
	return len(u.units)
}

func (u u16) slice(a, b int) string {
	if u.units == nil {
		return u.s[a:b]
	}
	return string(utf16.Decode(u.units[a:b]))
}

// index returns the UTF-16 index of sub at or after from, or -1.
func (u u16) index(sub string, from int) int {
	from = max(from, 0)
	if from > u.len() {
		return -1
	}
	if u.units == nil {
		i := strings.Index(u.s[from:], sub)
		if i < 0 {
			return -1
		}
		return i + from
	}
	rest := u.slice(from, u.len())
	i := strings.Index(rest, sub)
	if i < 0 {
		return -1
	}
	return from + len(utf16.Encode([]rune(rest[:i])))
}

func (u u16) lastIndex(sub string, from int) int {
	end := min(from+newU16(sub).len(), u.len())
	if end < 0 {
		return -1
	}
	pre := u.slice(0, end)
	i := strings.LastIndex(pre, sub)
	if i < 0 {
		return -1
	}
	return newU16(pre[:i]).len()
}

func argInt(args []value, i int) (int, bool) {
	if i >= len(args) {
		return 0, false
	}
	n, ok := toInt(args[i])
	return int(n), ok
}

// addStringMethods: java.lang.String's methods.
func addStringMethods(add func(recvKind, int, methodFn, ...string)) {
	str := func(fn func(st *state, s string, args []value) (value, bool, error)) methodFn {
		return func(st *state, v value, args []value) (value, bool, error) { return fn(st, v.s, args) }
	}
	add(recvString, 0, str(func(_ *state, s string, _ []value) (value, bool, error) {
		return found(intVal(int64(newU16(s).len())))
	}), "length")
	add(recvString, 0, str(func(_ *state, s string, _ []value) (value, bool, error) {
		return found(boolVal(s == ""))
	}), "isEmpty")
	add(recvString, 0, str(func(_ *state, s string, _ []value) (value, bool, error) {
		return found(strVal(strings.ToLower(s)))
	}), "toLowerCase")
	add(recvString, 0, str(func(_ *state, s string, _ []value) (value, bool, error) {
		return found(strVal(strings.ToUpper(s)))
	}), "toUpperCase")
	add(recvString, 0, str(func(_ *state, s string, _ []value) (value, bool, error) {
		return found(strVal(strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })))
	}), "trim")
	add(recvString, 0, str(func(_ *state, s string, _ []value) (value, bool, error) {
		return found(strVal(s))
	}), "toString", "intern")
	add(recvString, 0, str(func(_ *state, s string, _ []value) (value, bool, error) {
		var h int32
		for _, c := range utf16.Encode([]rune(s)) {
			h = 31*h + int32(c)
		}
		return found(intVal(int64(h)))
	}), "hashCode")
	add(recvString, 1, str(func(st *state, s string, args []value) (value, bool, error) {
		u := newU16(s)
		i, ok := argInt(args, 0)
		if !ok || i < 0 || i >= u.len() {
			return null, true, errorf("index %s out of range for length %d", st.toString(args[0]), u.len())
		}
		return found(strVal(u.slice(i, i+1)))
	}), "charAt")
	add(recvString, 1, str(func(st *state, s string, args []value) (value, bool, error) {
		u := newU16(s)
		i, ok := argInt(args, 0)
		if !ok || i < 0 || i > u.len() {
			return null, true, errorf("begin %s, length %d", st.toString(args[0]), u.len())
		}
		return found(strVal(u.slice(i, u.len())))
	}), "substring")
	add(recvString, 1, str(func(st *state, s string, args []value) (value, bool, error) {
		return found(intVal(int64(newU16(s).index(st.toString(args[0]), 0))))
	}), "indexOf")
	add(recvString, 1, str(func(st *state, s string, args []value) (value, bool, error) {
		u := newU16(s)
		return found(intVal(int64(u.lastIndex(st.toString(args[0]), u.len()))))
	}), "lastIndexOf")
	add(recvString, 1, str(func(st *state, s string, args []value) (value, bool, error) {
		return found(boolVal(strings.Contains(s, st.toString(args[0]))))
	}), "contains")
	add(recvString, 1, str(func(st *state, s string, args []value) (value, bool, error) {
		return found(boolVal(strings.HasPrefix(s, st.toString(args[0]))))
	}), "startsWith")
	add(recvString, 1, str(func(st *state, s string, args []value) (value, bool, error) {
		return found(boolVal(strings.HasSuffix(s, st.toString(args[0]))))
	}), "endsWith")
	add(recvString, 1, str(func(_ *state, s string, args []value) (value, bool, error) {
		return found(boolVal(args[0].k == kString && args[0].s == s))
	}), "equals")
	add(recvString, 1, str(func(st *state, s string, args []value) (value, bool, error) {
		return found(boolVal(!args[0].isNull() && strings.EqualFold(s, st.toString(args[0]))))
	}), "equalsIgnoreCase")
	add(recvString, 1, str(func(st *state, s string, args []value) (value, bool, error) {
		return found(strVal(s + st.toString(args[0])))
	}), "concat")
	add(recvString, 1, str(func(st *state, s string, args []value) (value, bool, error) {
		return found(intVal(int64(compareJava(s, st.toString(args[0])))))
	}), "compareTo")
	add(recvString, 1, str(func(st *state, s string, args []value) (value, bool, error) {
		re, err := compileJava("^(?:" + st.toString(args[0]) + ")$")
		if err != nil {
			return null, true, err
		}
		return found(boolVal(re.MatchString(s)))
	}), "matches")
	add(recvString, 1, str(func(st *state, s string, args []value) (value, bool, error) {
		return st.split(s, st.toString(args[0]), 0)
	}), "split")
	add(recvString, 2, str(func(_ *state, s string, args []value) (value, bool, error) {
		u := newU16(s)
		a, ok1 := argInt(args, 0)
		b, ok2 := argInt(args, 1)
		if !ok1 || !ok2 || a < 0 || b > u.len() || a > b {
			return null, true, errorf("begin %d, end %d, length %d", a, b, u.len())
		}
		return found(strVal(u.slice(a, b)))
	}), "substring")
	add(recvString, 2, str(func(st *state, s string, args []value) (value, bool, error) {
		from, _ := argInt(args, 1)
		return found(intVal(int64(newU16(s).index(st.toString(args[0]), from))))
	}), "indexOf")
	add(recvString, 2, str(func(st *state, s string, args []value) (value, bool, error) {
		from, _ := argInt(args, 1)
		return found(intVal(int64(newU16(s).lastIndex(st.toString(args[0]), from))))
	}), "lastIndexOf")
	add(recvString, 2, str(func(st *state, s string, args []value) (value, bool, error) {
		u := newU16(s)
		off, _ := argInt(args, 1)
		if off < 0 || off > u.len() {
			return found(falseVal)
		}
		return found(boolVal(strings.HasPrefix(u.slice(off, u.len()), st.toString(args[0]))))
	}), "startsWith")
	add(recvString, 2, str(func(st *state, s string, args []value) (value, bool, error) {
		return st.limitStr(strings.ReplaceAll(s, st.toString(args[0]), st.toString(args[1])))
	}), "replace")
	add(recvString, 2, str(func(st *state, s string, args []value) (value, bool, error) {
		return st.replaceRegex(s, st.toString(args[0]), st.toString(args[1]), true)
	}), "replaceAll")
	add(recvString, 2, str(func(st *state, s string, args []value) (value, bool, error) {
		return st.replaceRegex(s, st.toString(args[0]), st.toString(args[1]), false)
	}), "replaceFirst")
	add(recvString, 2, str(func(st *state, s string, args []value) (value, bool, error) {
		limit, _ := argInt(args, 1)
		return st.split(s, st.toString(args[0]), limit)
	}), "split")
}

func (st *state) limitStr(s string) (value, bool, error) {
	if len(s) > st.lim.MaxOutput {
		return null, true, fmt.Errorf("string exceeded %d bytes: %w", st.lim.MaxOutput, ErrLimit)
	}
	return strVal(s), true, nil
}

// compareJava compares strings by UTF-16 code units, as String.compareTo does.
func compareJava(a, b string) int {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			return int(ua[i]) - int(ub[i])
		}
	}
	return len(ua) - len(ub)
}

// split implements String.split(regex, limit): limit 0 drops trailing empty
// strings; a zero-width match at the start yields no leading empty string.
func (st *state) split(s, pattern string, limit int) (value, bool, error) {
	re, err := compileJava(pattern)
	if err != nil {
		return null, true, err
	}
	l := &vlist{}
	if s == "" {
		l.items = []value{strVal("")}
		return listVal(l), true, nil
	}
	last := 0
	for _, m := range re.FindAllStringIndex(s, -1) {
		if limit > 0 && len(l.items) == limit-1 {
			break
		}
		if m[0] == 0 && m[1] == 0 {
			continue
		}
		if len(l.items) >= st.lim.MaxSteps {
			return null, true, fmt.Errorf("split produced too many parts: %w", ErrLimit)
		}
		l.items = append(l.items, strVal(s[last:m[0]]))
		last = m[1]
	}
	l.items = append(l.items, strVal(s[last:]))
	if limit == 0 {
		for len(l.items) > 0 && l.items[len(l.items)-1].s == "" {
			l.items = l.items[:len(l.items)-1]
		}
	}
	return listVal(l), true, nil
}

func (st *state) replaceRegex(s, pattern, repl string, all bool) (value, bool, error) {
	re, err := compileJava(pattern)
	if err != nil {
		return null, true, err
	}
	tmpl, err := javaReplacement(repl, re.NumSubexp())
	if err != nil {
		return null, true, err
	}
	var out []byte
	last := 0
	for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
		out = append(out, s[last:m[0]]...)
		out = re.ExpandString(out, tmpl, s, m)
		last = m[1]
		if len(out) > st.lim.MaxOutput {
			return null, true, fmt.Errorf("string exceeded %d bytes: %w", st.lim.MaxOutput, ErrLimit)
		}
		if !all {
			break
		}
	}
	out = append(out, s[last:]...)
	return strVal(string(out)), true, nil
}

// javaReplacement converts a Java replacement string ($1, ${name}, \$) into
// Go's regexp template syntax.
func javaReplacement(r string, groups int) (string, error) {
	if !strings.ContainsAny(r, `$\`) {
		return r, nil
	}
	var b strings.Builder
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c == '\\':
			i++
			if i >= len(r) {
				return "", errors.New("character to be escaped is missing")
			}
			if r[i] == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(r[i])
			}
		case c == '$':
			i++
			if i < len(r) && r[i] == '{' {
				j := strings.IndexByte(r[i:], '}')
				if j < 0 {
					return "", errors.New("named capturing group is missing trailing '}'")
				}
				b.WriteString("${" + r[i+1:i+j] + "}")
				i += j
				continue
			}
			if i >= len(r) || !isDigit(r[i]) {
				return "", errors.New("illegal group reference")
			}
			g := int(r[i] - '0')
			for i+1 < len(r) && isDigit(r[i+1]) && g*10+int(r[i+1]-'0') <= groups {
				i++
				g = g*10 + int(r[i]-'0')
			}
			if g > groups {
				return "", fmt.Errorf("no group %d", g)
			}
			fmt.Fprintf(&b, "${%d}", g)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}
