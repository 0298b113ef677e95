package vtl

import "strings"

// Expression grammar (Velocity 1.7 precedence, lowest first):
//
//	or:   and ( ("||" | "or") and )*
//	and:  eq ( ("&&" | "and") eq )*
//	eq:   rel ( ("==" | "eq" | "!=" | "ne") rel )*
//	rel:  add ( ("<" | "lt" | ">" | "gt" | "<=" | "le" | ">=" | "ge") add )*
//	add:  mul ( ("+" | "-") mul )*
//	mul:  unary ( ("*" | "/" | "%") unary )*
//	unary: ("!" | "not" | "-") unary | primary

func (p *parser) parseExpr() (expr, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 200 {
		return nil, p.errAt(p.i, "expression nested too deeply")
	}
	return p.parseBinary(0)
}

var precedence = [][]string{
	{"||", "or"},
	{"&&", "and"},
	{"==", "eq", "!=", "ne"},
	{"<=", "le", ">=", "ge", "<", "lt", ">", "gt"},
	{"+", "-"},
	{"*", "/", "%"},
}

// canonical maps word operators to their symbols.
var canonical = map[string]string{
	"or": "||", "and": "&&", "eq": "==", "ne": "!=", "le": "<=", "ge": ">=", "lt": "<", "gt": ">",
}

func (p *parser) parseBinary(level int) (expr, error) {
	if level == len(precedence) {
		return p.parseUnary()
	}
	l, err := p.parseBinary(level + 1)
	if err != nil {
		return nil, err
	}
	for {
		save := p.i
		p.skipWS()
		op := p.matchOp(precedence[level])
		if op == "" {
			p.i = save
			return l, nil
		}
		pos := p.i
		p.i += len(op)
		p.skipWS()
		r, err := p.parseBinary(level + 1)
		if err != nil {
			return nil, err
		}
		if c, ok := canonical[op]; ok {
			op = c
		}
		l = &binExpr{pos: pos, op: op, l: l, r: r}
	}
}

// matchOp returns the operator of ops found at p.i, or "".
func (p *parser) matchOp(ops []string) string {
	rest := p.src[p.i:p.end]
	for _, op := range ops {
		if !strings.HasPrefix(rest, op) {
			continue
		}
		if isAlpha(op[0]) {
			if len(rest) > len(op) && isIdentChar(rest[len(op)]) {
				continue
			}
		} else if (op == "<" || op == ">") && len(rest) > 1 && rest[1] == '=' {
			continue
		}
		return op
	}
	return ""
}

func (p *parser) parseUnary() (expr, error) {
	p.skipWS()
	if p.peek(0) == '!' && p.peek(1) != '=' {
		p.i++
		x, err := p.parseUnary()
		return &notExpr{x: x}, err
	}
	if p.matchOp([]string{"not"}) != "" {
		p.i += 3
		x, err := p.parseUnary()
		return &notExpr{x: x}, err
	}
	if p.peek(0) == '-' {
		if isDigit(p.peek(1)) {
			return p.parseNumber()
		}
		pos := p.i
		p.i++
		x, err := p.parseUnary()
		return &negExpr{pos: pos, x: x}, err
	}
	return p.parsePrimary()
}

func (p *parser) parsePrimary() (expr, error) {
	p.skipWS()
	if p.i >= p.end {
		return nil, p.errAt(p.i, "unexpected end of template in expression")
	}
	c := p.src[p.i]
	switch {
	case c == '$':
		r, _, ok, err := p.parseRef()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, p.errAt(p.i, "invalid reference")
		}
		return r, nil
	case c == '"' || c == '\'':
		return p.parseString()
	case isDigit(c):
		return p.parseNumber()
	case c == '(':
		p.i++
		x, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		p.skipWS()
		if p.peek(0) != ')' {
			return nil, p.errAt(p.i, "expected ')'")
		}
		p.i++
		return x, nil
	case c == '[':
		return p.parseList()
	case c == '{':
		return p.parseMap()
	case isAlpha(c):
		j := p.i
		for j < p.end && isIdentChar(p.src[j]) {
			j++
		}
		switch w := p.src[p.i:j]; w {
		case "true", "false":
			p.i = j
			return &litExpr{v: boolVal(w == "true")}, nil
		case "null":
			p.i = j
			return &litExpr{v: null}, nil
		default:
			return nil, p.errAt(p.i, "unexpected word %q in expression", w)
		}
	}
	return nil, p.errAt(p.i, "unexpected %q in expression", c)
}

// parseList parses [a, b, c] or a range [from..to].
func (p *parser) parseList() (expr, error) {
	start := p.i
	p.i++
	p.skipWS()
	if p.peek(0) == ']' {
		p.i++
		return &listExpr{}, nil
	}
	first, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	p.skipWS()
	if p.peek(0) == '.' && p.peek(1) == '.' {
		p.i += 2
		p.skipWS()
		to, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		p.skipWS()
		if p.peek(0) != ']' {
			return nil, p.errAt(p.i, "expected ']' to close range")
		}
		p.i++
		return &rangeExpr{pos: start, from: first, to: to}, nil
	}
	items := []expr{first}
	for {
		p.skipWS()
		switch p.peek(0) {
		case ']':
			p.i++
			return &listExpr{items: items}, nil
		case ',':
			p.i++
			x, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			items = append(items, x)
		default:
			return nil, p.errAt(p.i, "expected ',' or ']' in list")
		}
	}
}

// parseMap parses {key: value, ...}.
func (p *parser) parseMap() (expr, error) {
	p.i++
	m := &mapExpr{}
	for {
		p.skipWS()
		if p.peek(0) == '}' {
			p.i++
			return m, nil
		}
		if len(m.keys) > 0 {
			if p.peek(0) != ',' {
				return nil, p.errAt(p.i, "expected ',' or '}' in map")
			}
			p.i++
		}
		k, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		p.skipWS()
		if p.peek(0) != ':' {
			return nil, p.errAt(p.i, "expected ':' in map")
		}
		p.i++
		v, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		m.keys = append(m.keys, k)
		m.vals = append(m.vals, v)
	}
}
