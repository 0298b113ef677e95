package vtl

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// parseJSON parses a JSON document into engine values, keeping object key
// order (as API Gateway's $input.path and $util.parseJson do).
func parseJSON(s string, maxDepth int) (value, error) {
	d := jsonDecoder{s: s, maxDepth: maxDepth}
	d.ws()
	v, err := d.parseValue(0)
	if err != nil {
		return null, err
	}
	d.ws()
	if d.i != len(d.s) {
		return null, d.errorf("unexpected data after the top-level value")
	}
	return v, nil
}

type jsonDecoder struct {
	s        string
	i        int
	maxDepth int
}

func (d *jsonDecoder) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", d.i, fmt.Sprintf(format, args...))
}

func (d *jsonDecoder) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *jsonDecoder) parseValue(depth int) (value, error) {
	if depth > d.maxDepth {
		return null, d.errorf("nested deeper than %d", d.maxDepth)
	}
	if d.i >= len(d.s) {
		return null, d.errorf("unexpected end of input")
	}
	switch c := d.s[d.i]; {
	case c == '{':
		d.i++
		m := newMap(4)
		d.ws()
		if d.i < len(d.s) && d.s[d.i] == '}' {
			d.i++
			return mapVal(m), nil
		}
		for {
			d.ws()
			if d.i >= len(d.s) || d.s[d.i] != '"' {
				return null, d.errorf("expected object key")
			}
			k, err := d.str()
			if err != nil {
				return null, err
			}
			d.ws()
			if d.i >= len(d.s) || d.s[d.i] != ':' {
				return null, d.errorf("expected ':'")
			}
			d.i++
			d.ws()
			v, err := d.parseValue(depth + 1)
			if err != nil {
				return null, err
			}
			m.put(k, v)
			d.ws()
			if d.i < len(d.s) && d.s[d.i] == ',' {
				d.i++
				continue
			}
			if d.i < len(d.s) && d.s[d.i] == '}' {
				d.i++
				return mapVal(m), nil
			}
			return null, d.errorf("expected ',' or '}'")
		}
	case c == '[':
		d.i++
		l := &vlist{json: true}
		d.ws()
		if d.i < len(d.s) && d.s[d.i] == ']' {
			d.i++
			return listVal(l), nil
		}
		for {
			d.ws()
			v, err := d.parseValue(depth + 1)
			if err != nil {
				return null, err
			}
			l.items = append(l.items, v)
			d.ws()
			if d.i < len(d.s) && d.s[d.i] == ',' {
				d.i++
				continue
			}
			if d.i < len(d.s) && d.s[d.i] == ']' {
				d.i++
				return listVal(l), nil
			}
			return null, d.errorf("expected ',' or ']'")
		}
	case c == '"':
		s, err := d.str()
		return strVal(s), err
	case c == '-' || isDigit(c):
		return d.number()
	}
	for _, lit := range [...]struct {
		w string
		v value
	}{{"true", trueVal}, {"false", falseVal}, {"null", null}} {
		if len(d.s)-d.i >= len(lit.w) && d.s[d.i:d.i+len(lit.w)] == lit.w {
			d.i += len(lit.w)
			return lit.v, nil
		}
	}
	return null, d.errorf("unexpected character %q", d.s[d.i])
}

func (d *jsonDecoder) number() (value, error) {
	start := d.i
	if d.s[d.i] == '-' {
		d.i++
	}
	digits := func() int {
		n := 0
		for d.i < len(d.s) && isDigit(d.s[d.i]) {
			d.i++
			n++
		}
		return n
	}
	if digits() == 0 {
		return null, d.errorf("bad number")
	}
	isFloat := false
	if d.i < len(d.s) && d.s[d.i] == '.' {
		d.i++
		isFloat = true
		if digits() == 0 {
			return null, d.errorf("bad number")
		}
	}
	if d.i < len(d.s) && (d.s[d.i] == 'e' || d.s[d.i] == 'E') {
		d.i++
		isFloat = true
		if d.i < len(d.s) && (d.s[d.i] == '+' || d.s[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			return null, d.errorf("bad number")
		}
	}
	text := d.s[start:d.i]
	if !isFloat {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return intVal(n), nil
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && !isRangeErr(err) {
		return null, d.errorf("bad number %q", text)
	}
	return floatVal(f), nil
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// str decodes a JSON string starting at the opening quote.
func (d *jsonDecoder) str() (string, error) {
	d.i++
	start := d.i
	for d.i < len(d.s) {
		c := d.s[d.i]
		if c == '"' {
			s := d.s[start:d.i]
			d.i++
			return s, nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		d.i++
	}
	buf := []byte(d.s[start:d.i])
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return string(buf), nil
		case c < 0x20:
			return "", d.errorf("control character in string")
		case c == '\\':
			if d.i+1 >= len(d.s) {
				return "", d.errorf("unterminated escape")
			}
			e := d.s[d.i+1]
			d.i += 2
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := d.hex4()
				if !ok {
					return "", d.errorf("bad \\u escape")
				}
				if utf16.IsSurrogate(r) {
					save := d.i
					if d.i+1 < len(d.s) && d.s[d.i] == '\\' && d.s[d.i+1] == 'u' {
						d.i += 2
						if r2, ok := d.hex4(); ok {
							if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
								buf = utf8.AppendRune(buf, dec)
								continue
							}
						}
					}
					d.i = save
					r = utf8.RuneError
				}
				buf = utf8.AppendRune(buf, r)
			default:
				return "", d.errorf("bad escape \\%c", e)
			}
		default:
			buf = append(buf, c)
			d.i++
		}
	}
	return "", d.errorf("unterminated string")
}

func (d *jsonDecoder) hex4() (rune, bool) {
	if d.i+4 > len(d.s) {
		return 0, false
	}
	n, err := strconv.ParseUint(d.s[d.i:d.i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	d.i += 4
	return rune(n), true
}
