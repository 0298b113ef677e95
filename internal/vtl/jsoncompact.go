package vtl

import "fmt"

// appendCompactJSON validates body as JSON and appends it without
// insignificant whitespace, in one pass (what $input.json('$') produces).
func appendCompactJSON(dst, body []byte) ([]byte, error) {
	c := compactor{src: body, dst: dst}
	c.ws()
	if err := c.value(0); err != nil {
		return dst, err
	}
	c.ws()
	if c.i != len(c.src) {
		return dst, c.fail("unexpected data after the top-level value")
	}
	return c.dst, nil
}

type compactor struct {
	src []byte
	dst []byte
	i   int
}

const maxCompactDepth = 512

func (c *compactor) fail(msg string) error {
	return fmt.Errorf("%w: request body: offset %d: %s", ErrInvalidJSON, c.i, msg)
}

func (c *compactor) ws() {
	for c.i < len(c.src) {
		switch c.src[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

func (c *compactor) value(depth int) error {
	if depth > maxCompactDepth {
		return c.fail("nested too deeply")
	}
	if c.i >= len(c.src) {
		return c.fail("unexpected end of input")
	}
	switch b := c.src[c.i]; {
	case b == '{' || b == '[':
		end := byte('}')
		if b == '[' {
			end = ']'
		}
		c.dst = append(c.dst, b)
		c.i++
		c.ws()
		if c.i < len(c.src) && c.src[c.i] == end {
			c.dst = append(c.dst, end)
			c.i++
			return nil
		}
		for {
			c.ws()
			if b == '{' {
				if c.i >= len(c.src) || c.src[c.i] != '"' {
					return c.fail("expected object key")
				}
				if err := c.str(); err != nil {
					return err
				}
				c.ws()
				if c.i >= len(c.src) || c.src[c.i] != ':' {
					return c.fail("expected ':'")
				}
				c.dst = append(c.dst, ':')
				c.i++
				c.ws()
			}
			if err := c.value(depth + 1); err != nil {
				return err
			}
			c.ws()
			if c.i < len(c.src) && c.src[c.i] == ',' {
				c.dst = append(c.dst, ',')
				c.i++
				continue
			}
			if c.i < len(c.src) && c.src[c.i] == end {
				c.dst = append(c.dst, end)
				c.i++
				return nil
			}
			return c.fail("expected ',' or '" + string(end) + "'")
		}
	case b == '"':
		return c.str()
	case b == '-' || isDigit(b):
		return c.number()
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(c.src)-c.i >= len(lit) && string(c.src[c.i:c.i+len(lit)]) == lit {
			c.dst = append(c.dst, lit...)
			c.i += len(lit)
			return nil
		}
	}
	return c.fail(fmt.Sprintf("unexpected character %q", c.src[c.i]))
}

func (c *compactor) str() error {
	start := c.i
	c.i++
	for c.i < len(c.src) {
		b := c.src[c.i]
		switch {
		case b == '"':
			c.i++
			c.dst = append(c.dst, c.src[start:c.i]...)
			return nil
		case b < 0x20:
			return c.fail("control character in string")
		case b == '\\':
			if c.i+1 >= len(c.src) {
				return c.fail("unterminated escape")
			}
			switch c.src[c.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				c.i += 2
			case 'u':
				if c.i+6 > len(c.src) || !isHex4(c.src[c.i+2:c.i+6]) {
					return c.fail("bad \\u escape")
				}
				c.i += 6
			default:
				return c.fail("bad escape")
			}
		default:
			c.i++
		}
	}
	return c.fail("unterminated string")
}

func isHex4(b []byte) bool {
	for _, x := range b {
		if !isDigit(x) && !(x >= 'a' && x <= 'f') && !(x >= 'A' && x <= 'F') {
			return false
		}
	}
	return true
}

func (c *compactor) number() error {
	start := c.i
	if c.src[c.i] == '-' {
		c.i++
	}
	digits := func() int {
		n := 0
		for c.i < len(c.src) && isDigit(c.src[c.i]) {
			c.i++
			n++
		}
		return n
	}
	if c.i < len(c.src) && c.src[c.i] == '0' {
		c.i++
	} else if digits() == 0 {
		return c.fail("bad number")
	}
	if c.i < len(c.src) && c.src[c.i] == '.' {
		c.i++
		if digits() == 0 {
			return c.fail("bad number")
		}
	}
	if c.i < len(c.src) && (c.src[c.i] == 'e' || c.src[c.i] == 'E') {
		c.i++
		if c.i < len(c.src) && (c.src[c.i] == '+' || c.src[c.i] == '-') {
			c.i++
		}
		if digits() == 0 {
			return c.fail("bad number")
		}
	}
	c.dst = append(c.dst, c.src[start:c.i]...)
	return nil
}
