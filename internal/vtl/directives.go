package vtl

import "strings"

// parseHash handles '#' at p.i: comments, directives, macro calls or text.
// A non-empty term reports a block terminator (#end, #else, #elseif).
func (p *parser) parseHash(tb *textBuf, nodes *[]node) (string, int, error) {
	start := p.i
	switch {
	case strings.HasPrefix(p.src[p.i:p.end], "##"):
		tb.flush()
		k := strings.IndexAny(p.src[p.i:p.end], "\r\n")
		if k < 0 {
			p.i = p.end
			return "", 0, nil
		}
		p.i += k + 1
		if p.src[p.i-1] == '\r' && p.i < p.end && p.src[p.i] == '\n' {
			p.i++
		}
		return "", 0, nil
	case strings.HasPrefix(p.src[p.i:p.end], "#*"):
		tb.flush()
		k := strings.Index(p.src[p.i+2:p.end], "*#")
		if k < 0 {
			return "", 0, p.errAt(start, "unterminated #* comment")
		}
		p.i += 2 + k + 2
		return "", 0, nil
	case strings.HasPrefix(p.src[p.i:p.end], "#[["):
		k := strings.Index(p.src[p.i+3:p.end], "]]#")
		if k < 0 {
			return "", 0, p.errAt(start, "unterminated #[[ text block")
		}
		tb.add(p.src[p.i+3 : p.i+3+k])
		tb.flush()
		p.i += 3 + k + 3
		return "", 0, nil
	}
	word, wend := p.directiveWord(p.i)
	if word == "" {
		tb.add("#")
		p.i++
		return "", 0, nil
	}
	switch word {
	case "end", "else":
		p.i = wend
		p.gobbleNewline()
		return word, start, nil
	case "elseif":
		p.i = wend
		return word, start, nil
	case "set":
		return "", 0, p.parseSet(tb, nodes, start, wend)
	case "if":
		tb.flush()
		return "", 0, p.parseIf(nodes, start, wend)
	case "foreach":
		tb.flush()
		return "", 0, p.parseForeach(nodes, start, wend)
	case "define":
		tb.flush()
		return "", 0, p.parseDefine(nodes, start, wend)
	case "macro":
		tb.flush()
		return "", 0, p.parseMacro(start, wend)
	case "break":
		tb.flush()
		p.i = wend
		if p.afterWS(wend) == '(' {
			p.skipWS()
			p.i++
			if _, err := p.parseArgs(')'); err != nil {
				return "", 0, err
			}
		}
		*nodes = append(*nodes, &breakNode{})
		return "", 0, nil
	case "stop":
		tb.flush()
		p.i = wend
		*nodes = append(*nodes, &stopNode{})
		return "", 0, nil
	case "include", "parse", "evaluate":
		return "", 0, p.errAt(start, "#%s is not supported", word)
	}
	// A macro call: #name(args) for a macro declared in this template.
	// Anything else is plain text.
	if p.t.macroNames[word] && p.afterWS(wend) == '(' {
		p.i = wend
		p.skipWS()
		p.i++
		save := p.i
		args, err := p.parseMacroArgs()
		if err == nil {
			tb.flush()
			raw := p.src[start:p.i]
			p.gobbleNewline()
			*nodes = append(*nodes, &macroCallNode{pos: start, name: word, args: args, raw: raw})
			return "", 0, nil
		}
		p.i = save
	}
	tb.add(p.src[start:wend])
	p.i = wend
	return "", 0, nil
}

// afterWS returns the first non-whitespace byte at or after offset j.
func (p *parser) afterWS(j int) byte {
	for j < p.end {
		switch p.src[j] {
		case ' ', '\t', '\n', '\r':
			j++
		default:
			return p.src[j]
		}
	}
	return 0
}

// open consumes optional whitespace and '(' after a directive word.
func (p *parser) open(start, wend int, name string) error {
	p.i = wend
	p.skipWS()
	if p.peek(0) != '(' {
		return p.errAt(start, "#%s requires '('", name)
	}
	p.i++
	p.skipWS()
	return nil
}

// close consumes ')' and the rest of the line if it is blank.
func (p *parser) close(name string) error {
	p.skipWS()
	if p.peek(0) != ')' {
		if p.i >= p.end {
			return p.errAt(p.i, "unexpected end of template in #%s, expected ')'", name)
		}
		return p.errAt(p.i, "unexpected %q in #%s, expected ')'", p.src[p.i], name)
	}
	p.i++
	p.gobbleNewline()
	return nil
}

func (p *parser) parseSet(tb *textBuf, nodes *[]node, start, wend int) error {
	if p.afterWS(wend) != '(' {
		tb.add(p.src[start:wend])
		p.i = wend
		return nil
	}
	if tb.onlySpaces() {
		tb.b = tb.b[:0]
	}
	tb.flush()
	if err := p.open(start, wend, "set"); err != nil {
		return err
	}
	if p.peek(0) != '$' {
		return p.errAt(p.i, "#set needs a reference on the left of '='")
	}
	target, _, ok, err := p.parseRef()
	if err != nil {
		return err
	}
	if !ok {
		return p.errAt(p.i, "#set needs a reference on the left of '='")
	}
	p.skipWS()
	if p.peek(0) != '=' {
		return p.errAt(p.i, "expected '=' in #set")
	}
	p.i++
	p.skipWS()
	val, err := p.parseExpr()
	if err != nil {
		return err
	}
	if err := p.close("set"); err != nil {
		return err
	}
	*nodes = append(*nodes, &setNode{pos: start, target: target, val: val})
	return nil
}

func (p *parser) parseIf(nodes *[]node, start, wend int) error {
	n := &ifNode{pos: start}
	word, pos := "if", start
	p.i = wend
	for {
		if err := p.open(pos, p.i, word); err != nil {
			return err
		}
		cond, err := p.parseExpr()
		if err != nil {
			return err
		}
		if err := p.close(word); err != nil {
			return err
		}
		body, term, tpos, err := p.parseBlock()
		if err != nil {
			return err
		}
		n.conds = append(n.conds, cond)
		n.blocks = append(n.blocks, body)
		switch term {
		case "elseif":
			word, pos = "elseif", tpos
			continue
		case "else":
			els, term2, tpos2, err := p.parseBlock()
			if err != nil {
				return err
			}
			if term2 != "end" {
				return p.unclosed(term2, tpos2, start, "#if")
			}
			n.els = els
		case "end":
		default:
			return p.unclosed(term, tpos, start, "#if")
		}
		*nodes = append(*nodes, n)
		return nil
	}
}

// unclosed reports a block that ended at the wrong terminator or at EOF.
func (p *parser) unclosed(term string, tpos, start int, what string) error {
	if term == "" {
		l, c := p.t.pos(start)
		return p.errAt(p.end, "missing #end for %s at line %d, column %d", what, l, c)
	}
	return p.errAt(tpos, "unexpected #%s in %s", term, what)
}

// block parses a body that must end with #end.
func (p *parser) block(start int, what string) ([]node, error) {
	body, term, tpos, err := p.parseBlock()
	if err != nil {
		return nil, err
	}
	if term != "end" {
		return nil, p.unclosed(term, tpos, start, what)
	}
	return body, nil
}

func (p *parser) parseForeach(nodes *[]node, start, wend int) error {
	if err := p.open(start, wend, "foreach"); err != nil {
		return err
	}
	if p.peek(0) != '$' {
		return p.errAt(p.i, "#foreach needs a loop variable")
	}
	v, _, ok, err := p.parseRef()
	if err != nil {
		return err
	}
	if !ok || len(v.segs) > 0 {
		return p.errAt(start, "#foreach needs a plain loop variable")
	}
	p.skipWS()
	if !strings.HasPrefix(p.src[p.i:p.end], "in") || (p.i+2 < p.end && isIdentChar(p.src[p.i+2])) {
		return p.errAt(p.i, "expected 'in' in #foreach")
	}
	p.i += 2
	p.skipWS()
	iter, err := p.parseExpr()
	if err != nil {
		return err
	}
	if err := p.close("foreach"); err != nil {
		return err
	}
	body, err := p.block(start, "#foreach")
	if err != nil {
		return err
	}
	*nodes = append(*nodes, &foreachNode{pos: start, slot: v.slot, iter: iter, body: body})
	return nil
}

func (p *parser) parseDefine(nodes *[]node, start, wend int) error {
	if err := p.open(start, wend, "define"); err != nil {
		return err
	}
	if p.peek(0) != '$' {
		return p.errAt(p.i, "#define needs a reference")
	}
	v, _, ok, err := p.parseRef()
	if err != nil {
		return err
	}
	if !ok || len(v.segs) > 0 {
		return p.errAt(start, "#define needs a plain reference")
	}
	if err := p.close("define"); err != nil {
		return err
	}
	body, err := p.block(start, "#define")
	if err != nil {
		return err
	}
	*nodes = append(*nodes, &defineNode{slot: v.slot, body: body})
	return nil
}

func (p *parser) parseMacro(start, wend int) error {
	if err := p.open(start, wend, "macro"); err != nil {
		return err
	}
	if p.i >= p.end || !isIdentStart(p.src[p.i]) {
		return p.errAt(p.i, "#macro needs a name")
	}
	j := p.i
	for j < p.end && isWordChar(p.src[j]) {
		j++
	}
	name := p.src[p.i:j]
	p.i = j
	if isDirective(name) {
		return p.errAt(start, "#macro cannot redefine #%s", name)
	}
	m := &macroDef{}
	for {
		p.skipWS()
		if p.peek(0) == ',' {
			p.i++
			continue
		}
		if p.peek(0) != '$' {
			break
		}
		r, _, ok, err := p.parseRef()
		if err != nil {
			return err
		}
		if !ok || len(r.segs) > 0 {
			return p.errAt(p.i, "bad #macro parameter")
		}
		m.params = append(m.params, r.slot)
	}
	if err := p.close("macro"); err != nil {
		return err
	}
	body, err := p.block(start, "#macro")
	if err != nil {
		return err
	}
	m.body = body
	p.t.macros[name] = m
	return nil
}

// parseMacroArgs parses macro call arguments separated by spaces or commas.
func (p *parser) parseMacroArgs() ([]expr, error) {
	var args []expr
	for {
		p.skipWS()
		switch p.peek(0) {
		case ')':
			p.i++
			return args, nil
		case ',':
			p.i++
			continue
		case 0:
			return nil, p.errAt(p.i, "unexpected end of template in macro call")
		}
		x, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		args = append(args, x)
	}
}
