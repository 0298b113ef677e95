package vtl

import (
	"fmt"
	"regexp"
	"strings"
)

// Parse parses a template. Errors are *Error values carrying line and column.
func Parse(src string) (*Template, error) {
	t := &Template{src: src, macros: map[string]*macroDef{}}
	t.lines = append(t.lines, 0)
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			t.lines = append(t.lines, i+1)
		}
	}
	if len(src) > MaxTemplateSize {
		return nil, &Error{Line: 1, Column: 1, Msg: fmt.Sprintf("template is %d bytes, larger than %d", len(src), MaxTemplateSize), Err: ErrLimit}
	}
	p := &parser{t: t, src: src, end: len(src), slot: map[string]int{}}
	t.macroNames = declaredMacros(src)
	for _, n := range []struct {
		dst  *int
		name string
	}{
		{&t.slots.input, "input"}, {&t.slots.util, "util"}, {&t.slots.context, "context"},
		{&t.slots.stageVariables, "stageVariables"}, {&t.slots.foreach, "foreach"},
		{&t.slots.velocityCount, "velocityCount"}, {&t.slots.velocityHasNext, "velocityHasNext"},
	} {
		*n.dst = p.slotFor(n.name)
	}
	nodes, term, termPos, err := p.parseBlock()
	if err != nil {
		return nil, err
	}
	if term != "" {
		return nil, p.errAt(termPos, "unexpected #%s", term)
	}
	t.root = nodes
	return t, nil
}

var macroDecl = regexp.MustCompile(`#\{?macro\}?[ \t\r\n]*\([ \t\r\n]*([a-zA-Z_][a-zA-Z0-9_@]*)`)

// declaredMacros finds the names of the macros a template declares.
func declaredMacros(src string) map[string]bool {
	names := map[string]bool{}
	if !strings.Contains(src, "macro") {
		return names
	}
	for _, m := range macroDecl.FindAllStringSubmatch(src, -1) {
		names[m[1]] = true
	}
	return names
}

// maxBlockNesting bounds #if/#foreach/#macro/#define nesting.
const maxBlockNesting = 200

// textBuf accumulates literal text between nodes.
type textBuf struct {
	b     []byte
	nodes *[]node
}

func (tb *textBuf) add(s string) { tb.b = append(tb.b, s...) }

func (tb *textBuf) flush() {
	if len(tb.b) > 0 {
		*tb.nodes = append(*tb.nodes, &textNode{s: string(tb.b)})
		tb.b = tb.b[:0]
	}
}

// onlySpaces reports whether pending text is only spaces and tabs; Velocity
// 1.7 drops such text when it directly precedes #set.
func (tb *textBuf) onlySpaces() bool {
	return strings.Trim(string(tb.b), " \t") == ""
}

// parseBlock parses text and directives until the end of input or a block
// terminator (#end, #else, #elseif), which it returns with its offset.
func (p *parser) parseBlock() (nodes []node, term string, termPos int, err error) {
	p.blocks++
	defer func() { p.blocks-- }()
	if p.blocks > maxBlockNesting {
		return nil, "", 0, p.errAt(p.i, "directives nested deeper than %d", maxBlockNesting)
	}
	tb := &textBuf{nodes: &nodes}
	for p.i < p.end {
		k := strings.IndexAny(p.src[p.i:p.end], "$#\\")
		if k < 0 {
			tb.add(p.src[p.i:p.end])
			p.i = p.end
			break
		}
		tb.add(p.src[p.i : p.i+k])
		p.i += k
		switch p.src[p.i] {
		case '\\':
			if err := p.parseEscape(tb); err != nil {
				return nil, "", 0, err
			}
		case '$':
			r, quiet, ok, err := p.parseRefNode(p.i)
			if err != nil {
				return nil, "", 0, err
			}
			if !ok {
				tb.add("$")
				p.i++
				continue
			}
			r.quiet = quiet
			tb.flush()
			nodes = append(nodes, r)
		case '#':
			term, termPos, err := p.parseHash(tb, &nodes)
			if err != nil || term != "" {
				tb.flush()
				return nodes, term, termPos, err
			}
		}
	}
	tb.flush()
	return nodes, "", 0, nil
}

// parseRefNode parses a reference in text at offset start.
func (p *parser) parseRefNode(start int) (*refNode, bool, bool, error) {
	r, quiet, ok, err := p.parseRef()
	if err != nil || !ok {
		return nil, false, ok, err
	}
	return &refNode{ref: r, raw: p.src[start:p.i]}, quiet, true, nil
}

// parseEscape handles a run of backslashes before '$' or '#'.
func (p *parser) parseEscape(tb *textBuf) error {
	j := p.i
	for j < p.end && p.src[j] == '\\' {
		j++
	}
	n := j - p.i
	if j < p.end && p.src[j] == '$' {
		save := p.i
		p.i = j
		r, quiet, ok, err := p.parseRefNode(j)
		if err != nil {
			return err
		}
		if ok {
			r.quiet, r.escapes = quiet, n
			tb.flush()
			*tb.nodes = append(*tb.nodes, r)
			return nil
		}
		p.i = save
	}
	if j < p.end && p.src[j] == '#' {
		word, wend := p.directiveWord(j)
		if word != "" && (isDirective(word) || p.t.macroNames[word]) {
			tb.add(strings.Repeat(`\`, n/2))
			if n%2 == 1 {
				tb.add(p.src[j:wend])
				p.i = wend
			} else {
				p.i = j
			}
			return nil
		}
	}
	tb.add(p.src[p.i:j])
	p.i = j
	return nil
}

func isDirective(w string) bool {
	switch w {
	case "set", "if", "elseif", "else", "end", "foreach", "break", "stop", "define", "macro",
		"include", "parse", "evaluate":
		return true
	}
	return false
}

// directiveWord reads "#word" or "#{word}" at offset at (pointing at '#').
// It returns the word and the offset just past it.
func (p *parser) directiveWord(at int) (string, int) {
	j := at + 1
	braced := j < p.end && p.src[j] == '{'
	if braced {
		j++
	}
	s := j
	if j >= p.end || !(isAlpha(p.src[j]) || p.src[j] == '_' || (!braced && p.src[j] == '@')) {
		return "", at
	}
	for j < p.end && isWordChar(p.src[j]) {
		j++
	}
	w := p.src[s:j]
	if braced {
		if j >= p.end || p.src[j] != '}' {
			return "", at
		}
		j++
	}
	return w, j
}
