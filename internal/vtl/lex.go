package vtl

import (
	"strconv"
	"strings"
)

// parser holds the parse position over the template source. Parsing of
// text, directives and expressions is done directly on the source string
// (no separate token stream) because VTL's lexical rules depend on context.
type parser struct {
	t      *Template
	src    string
	i      int // current offset
	end    int // parse limit (end of template, or of an interpolated string)
	slot   map[string]int
	depth  int // expression and string nesting
	blocks int // block nesting
}

func isAlpha(c byte) bool      { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return isAlpha(c) || c == '_' }

// isIdentChar: Velocity 1.7 identifiers may contain '-' ($foo-bar is one name).
func isIdentChar(c byte) bool { return isAlpha(c) || isDigit(c) || c == '_' || c == '-' }

func isWordChar(c byte) bool { return isAlpha(c) || isDigit(c) || c == '_' || c == '@' }

func (p *parser) peek(off int) byte {
	if p.i+off < p.end {
		return p.src[p.i+off]
	}
	return 0
}

func (p *parser) errAt(off int, format string, args ...any) error {
	return p.t.errorAt(off, nil, format, args...)
}

// slotFor returns the variable slot of a name, allocating one if new.
func (p *parser) slotFor(name string) int {
	if s, ok := p.slot[name]; ok {
		return s
	}
	s := len(p.t.names)
	p.t.names = append(p.t.names, name)
	p.slot[name] = s
	return s
}

// skipWS skips spaces, tabs and newlines (whitespace inside directives).
func (p *parser) skipWS() {
	for p.i < p.end {
		switch p.src[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// gobbleNewline consumes "[ \t]*" followed by a newline, if present: Velocity
// 1.7 eats the rest of a line after a directive's closing parenthesis, #else
// and #end.
func (p *parser) gobbleNewline() {
	j := p.i
	for j < p.end && (p.src[j] == ' ' || p.src[j] == '\t') {
		j++
	}
	if j < p.end && p.src[j] == '\n' {
		p.i = j + 1
	} else if j < p.end && p.src[j] == '\r' {
		p.i = j + 1
		if p.i < p.end && p.src[p.i] == '\n' {
			p.i++
		}
	}
}

// readIdent reads an identifier at p.i (caller checked isIdentStart).
func (p *parser) readIdent() string {
	j := p.i
	for j < p.end && isIdentChar(p.src[j]) {
		j++
	}
	s := p.src[p.i:j]
	p.i = j
	return s
}

// parseRef parses a reference at p.i, which points at '$'. ok is false (and
// p.i unchanged) when the text is not a reference, e.g. "$ " or "$1".
func (p *parser) parseRef() (r *refExpr, quiet bool, ok bool, err error) {
	start := p.i
	j := p.i + 1
	if j < p.end && p.src[j] == '!' {
		quiet = true
		j++
	}
	formal := false
	if j < p.end && p.src[j] == '{' {
		formal = true
		j++
	}
	if j >= p.end || !isIdentStart(p.src[j]) {
		return nil, false, false, nil
	}
	p.i = j
	name := p.readIdent()
	r = &refExpr{pos: start, name: name, slot: p.slotFor(name)}
	for p.i < p.end {
		c := p.src[p.i]
		if c == '[' {
			pos := p.i
			p.i++
			p.skipWS()
			x, err := p.parseExpr()
			if err != nil {
				return nil, false, false, err
			}
			p.skipWS()
			if p.peek(0) != ']' {
				return nil, false, false, p.errAt(p.i, "expected ']' in index of $%s", name)
			}
			p.i++
			r.segs = append(r.segs, seg{kind: segIndex, pos: pos, args: []expr{x}})
			continue
		}
		if c != '.' || p.i+1 >= p.end || !isIdentStart(p.src[p.i+1]) {
			break
		}
		pos := p.i
		p.i++
		id := p.readIdent()
		if p.peek(0) == '(' {
			p.i++
			args, err := p.parseArgs(')')
			if err != nil {
				return nil, false, false, err
			}
			r.segs = append(r.segs, seg{kind: segCall, pos: pos, name: id, args: args})
			continue
		}
		r.segs = append(r.segs, seg{kind: segProp, pos: pos, name: id})
	}
	if formal {
		if p.peek(0) != '}' {
			return nil, false, false, p.errAt(p.i, "expected '}' to close ${%s", name)
		}
		p.i++
	}
	return r, quiet, true, nil
}

// parseArgs parses comma-separated expressions up to the closing byte.
func (p *parser) parseArgs(closer byte) ([]expr, error) {
	var args []expr
	p.skipWS()
	if p.peek(0) == closer {
		p.i++
		return args, nil
	}
	for {
		p.skipWS()
		x, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		args = append(args, x)
		p.skipWS()
		switch p.peek(0) {
		case ',':
			p.i++
		case closer:
			p.i++
			return args, nil
		default:
			if p.i >= p.end {
				return nil, p.errAt(p.i, "unexpected end of template, expected '%c'", closer)
			}
			return nil, p.errAt(p.i, "unexpected %q, expected ',' or '%c'", p.src[p.i], closer)
		}
	}
}

// parseNumber parses an integer or floating point literal at p.i.
func (p *parser) parseNumber() (expr, error) {
	start := p.i
	j := p.i
	if j < p.end && p.src[j] == '-' {
		j++
	}
	for j < p.end && isDigit(p.src[j]) {
		j++
	}
	isFloat := false
	if j+1 < p.end && p.src[j] == '.' && isDigit(p.src[j+1]) {
		isFloat = true
		j++
		for j < p.end && isDigit(p.src[j]) {
			j++
		}
	}
	if j < p.end && (p.src[j] == 'e' || p.src[j] == 'E') {
		k := j + 1
		if k < p.end && (p.src[k] == '+' || p.src[k] == '-') {
			k++
		}
		if k < p.end && isDigit(p.src[k]) {
			isFloat = true
			for k < p.end && isDigit(p.src[k]) {
				k++
			}
			j = k
		}
	}
	text := p.src[start:j]
	p.i = j
	if !isFloat {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return &litExpr{v: intVal(n)}, nil
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return nil, p.errAt(start, "invalid number %q", text)
	}
	return &litExpr{v: floatVal(f)}, nil
}

// parseString parses a single- or double-quoted string literal at p.i.
// Double-quoted strings containing '$' or '#' are interpolated.
func (p *parser) parseString() (expr, error) {
	start := p.i
	q := p.src[p.i]
	j := p.i + 1
	for j < p.end && p.src[j] != q {
		if q == '"' && p.src[j] == '\\' && j+1 < p.end {
			j++
		}
		j++
	}
	if j >= p.end {
		return nil, p.errAt(start, "unterminated string literal")
	}
	content := p.src[start+1 : j]
	p.i = j + 1
	if q == '"' && strings.ContainsAny(content, "$#") {
		saveI, saveEnd := p.i, p.end
		p.i, p.end = start+1, j
		p.depth++
		if p.depth > 32 {
			return nil, p.errAt(start, "string literals nested too deeply")
		}
		nodes, term, termPos, err := p.parseBlock()
		p.depth--
		if err != nil {
			return nil, err
		}
		if term != "" {
			return nil, p.errAt(termPos, "unexpected #%s in string literal", term)
		}
		p.i, p.end = saveI, saveEnd
		return &interpExpr{parts: nodes}, nil
	}
	if q == '"' {
		content = unescapeUnicode(content)
	}
	return &litExpr{v: strVal(content)}, nil
}

// unescapeUnicode replaces \uXXXX escapes, as Velocity does in string literals.
func unescapeUnicode(s string) string {
	if !strings.Contains(s, `\u`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+6 <= len(s) && s[i+1] == 'u' {
			if n, err := strconv.ParseUint(s[i+2:i+6], 16, 16); err == nil {
				b.WriteRune(rune(n))
				i += 5
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
