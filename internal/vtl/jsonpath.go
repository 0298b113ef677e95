package vtl

import (
	"fmt"
	"strconv"
	"strings"
)

// JSONPath subset used by $input.path and $input.json: "$", ".name",
// "['name']", "[n]" (negative counts from the end), "[*]", ".*" and "..name".

type pathStep struct {
	name  string
	index int
	kind  byte // 'k' key, 'i' index, '*' wildcard, 'r' recursive key, 'R' recursive wildcard
}

// parsePath parses a JSONPath expression. definite reports whether it can
// match at most one value.
func parsePath(p string) (steps []pathStep, definite bool, err error) {
	p = strings.TrimSpace(p)
	if p == "" || p[0] != '$' {
		return nil, false, fmt.Errorf("JSONPath %q must start with '$'", p)
	}
	definite = true
	i := 1
	for i < len(p) {
		switch {
		case strings.HasPrefix(p[i:], ".."):
			i += 2
			if i < len(p) && p[i] == '*' {
				steps = append(steps, pathStep{kind: 'R'})
				i++
				definite = false
				continue
			}
			name, n := pathName(p[i:])
			if name == "" {
				return nil, false, fmt.Errorf("JSONPath %q: name expected after '..'", p)
			}
			steps = append(steps, pathStep{kind: 'r', name: name})
			i += n
			definite = false
		case p[i] == '.':
			i++
			if i < len(p) && p[i] == '*' {
				steps = append(steps, pathStep{kind: '*'})
				i++
				definite = false
				continue
			}
			name, n := pathName(p[i:])
			if name == "" {
				return nil, false, fmt.Errorf("JSONPath %q: name expected after '.'", p)
			}
			steps = append(steps, pathStep{kind: 'k', name: name})
			i += n
		case p[i] == '[':
			j := strings.IndexByte(p[i:], ']')
			if j < 0 {
				return nil, false, fmt.Errorf("JSONPath %q: missing ']'", p)
			}
			inner := strings.TrimSpace(p[i+1 : i+j])
			i += j + 1
			switch {
			case inner == "*":
				steps = append(steps, pathStep{kind: '*'})
				definite = false
			case len(inner) >= 2 && (inner[0] == '\'' || inner[0] == '"') && inner[len(inner)-1] == inner[0]:
				steps = append(steps, pathStep{kind: 'k', name: inner[1 : len(inner)-1]})
			default:
				n, err := strconv.Atoi(inner)
				if err != nil {
					return nil, false, fmt.Errorf("JSONPath %q: unsupported selector [%s]", p, inner)
				}
				steps = append(steps, pathStep{kind: 'i', index: n})
			}
		default:
			return nil, false, fmt.Errorf("JSONPath %q: unexpected %q", p, p[i])
		}
	}
	return steps, definite, nil
}

func pathName(s string) (string, int) {
	n := 0
	for n < len(s) && s[n] != '.' && s[n] != '[' {
		n++
	}
	return s[:n], n
}

// evalPath applies steps to root. Definite paths return the value or null;
// others return a list of all matches.
func evalPath(root value, steps []pathStep, definite bool, limit int, work *int) value {
	cur := []value{root}
	for _, s := range steps {
		var next []value
		for _, v := range cur {
			next = stepValues(next, v, s, limit, work)
			if len(next) > limit {
				next = next[:limit]
			}
		}
		cur = next
	}
	if definite {
		if len(cur) == 0 {
			return null
		}
		return cur[0]
	}
	return listVal(&vlist{items: cur, json: true})
}

func stepValues(out []value, v value, s pathStep, limit int, work *int) []value {
	*work++
	switch s.kind {
	case 'k':
		if isMap(v) {
			if e, ok := mapGet(v, s.name); ok {
				out = append(out, e)
			}
		}
	case 'i':
		if isSeq(v) {
			n := seqLen(v)
			i := s.index
			if i < 0 {
				i += n
			}
			if i >= 0 && i < n {
				out = append(out, seqAt(v, i))
			}
		}
	case '*':
		out = appendChildren(out, v)
	case 'r', 'R':
		out = descend(out, v, s, limit, 0, work)
	}
	return out
}

func appendChildren(out []value, v value) []value {
	switch {
	case isMap(v):
		for _, k := range mapKeys(v) {
			e, _ := mapGet(v, k)
			out = append(out, e)
		}
	case isSeq(v):
		for i := range seqLen(v) {
			out = append(out, seqAt(v, i))
		}
	}
	return out
}

// descend collects, depth first, every value named s.name (or every value
// for "..*") under v.
func descend(out []value, v value, s pathStep, limit, depth int, work *int) []value {
	*work++
	if len(out) > limit || depth > 64 {
		return out
	}
	if s.kind == 'r' && isMap(v) {
		if e, ok := mapGet(v, s.name); ok {
			out = append(out, e)
		}
	}
	var kids []value
	kids = appendChildren(kids, v)
	for _, k := range kids {
		if s.kind == 'R' {
			out = append(out, k)
		}
		out = descend(out, k, s, limit, depth+1, work)
	}
	return out
}
