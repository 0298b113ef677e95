package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// schemaKeys lists the YAML keys of each schema type, by Go type name.
var schemaKeys = func() map[string][]string {
	out := map[string][]string{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t.PkgPath() != reflect.TypeFor[File]().PkgPath() || out[t.Name()] != nil {
			return
		}
		keys := []string{}
		for i := range t.NumField() {
			f := t.Field(i)
			key := yamlKey(f)
			if key == "" {
				continue
			}
			keys = append(keys, key)
			walk(f.Type)
		}
		out[t.Name()] = keys
	}
	walk(reflect.TypeFor[File]())
	return out
}()

// yamlKey is a struct field's YAML key ("" when it has none).
func yamlKey(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if tag == "-" || tag == "" {
		return ""
	}
	return tag
}

// nearest returns the candidate closest to s (case-insensitive edit
// distance), or "" when none is close enough to be a likely typo.
// On a tie, a candidate that extends s (a missing suffix) wins, then the
// first in sorted order.
func nearest(s string, candidates []string) string {
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	best, bestD := "", len(s)/2+2
	for _, c := range sorted {
		d := editDistance(strings.ToLower(s), strings.ToLower(c))
		if d < bestD || (d == bestD && best != "" && strings.HasPrefix(c, s) && !strings.HasPrefix(best, s)) {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// didYouMean is " (did you mean X?)" for the nearest candidate, or the list
// of valid values when none is near.
func didYouMean(s string, candidates []string) string {
	if n := nearest(s, candidates); n != "" {
		return fmt.Sprintf(" (did you mean %q?)", n)
	}
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	return " (valid: " + strings.Join(sorted, ", ") + ")"
}

var (
	unknownFieldRe = regexp.MustCompile(`^line (\d+): field (\S+) not found in type config\.(\w+)$`)
	typeErrRe      = regexp.MustCompile("^line (\\d+): cannot unmarshal !!(\\w+) `([^`]*)` into (.+)$")
)

// explainDecodeError rewrites yaml's strict-decoding errors so that each
// names the field by its path (pools[0].clients[1].name) and suggests the
// nearest valid key for an unknown one.
func explainDecodeError(root *yaml.Node, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	idx := indexPaths(root)
	msgs := make([]string, 0, len(te.Errors))
	for _, e := range te.Errors {
		if m := unknownFieldRe.FindStringSubmatch(e); m != nil {
			line, _ := strconv.Atoi(m[1])
			path := idx.find(line, func(p pathEntry) bool { return p.key == m[2] })
			if path == "" {
				path = m[2]
			}
			msgs = append(msgs, fmt.Sprintf("%s (line %d): unknown field %q%s", path, line, m[2], didYouMean(m[2], schemaKeys[m[3]])))
			continue
		}
		if m := typeErrRe.FindStringSubmatch(e); m != nil {
			line, _ := strconv.Atoi(m[1])
			prefix := strings.TrimSuffix(m[3], "...")
			var value string
			path := idx.find(line, func(p pathEntry) bool {
				if p.value != nil && strings.HasPrefix(p.value.Value, prefix) {
					value = p.value.Value
					return true
				}
				return false
			})
			if path != "" {
				if value == "" {
					value = m[3]
				}
				msgs = append(msgs, fmt.Sprintf("%s (line %d): %s %q is not %s", path, line, kindName(m[2]), value, goTypeName(m[4])))
				continue
			}
		}
		msgs = append(msgs, e)
	}
	return fmt.Errorf("decode config: %s", strings.Join(msgs, "; "))
}

func kindName(tag string) string {
	switch tag {
	case "str":
		return "the string"
	case "int", "float":
		return "the number"
	case "seq":
		return "a list"
	case "map":
		return "a mapping"
	case "bool":
		return "the boolean"
	}
	return tag
}

func goTypeName(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list (write [" + "...] or one item per line with -)"
	case strings.HasPrefix(t, "map["):
		return "a mapping"
	case t == "int", t == "int32", t == "float64":
		return "a number"
	case t == "bool":
		return "true or false"
	case t == "string":
		return "a string"
	}
	return "a " + strings.TrimPrefix(t, "config.")
}

// pathEntry is one mapping entry of the document: where it is and its path.
type pathEntry struct {
	line  int
	key   string
	path  string
	value *yaml.Node
}

type pathIndex []pathEntry

// find returns the path of the first entry on line that ok accepts, or of
// the only entry on that line.
func (idx pathIndex) find(line int, ok func(pathEntry) bool) string {
	var onLine []pathEntry
	for _, p := range idx {
		if p.line == line || (p.value != nil && p.value.Line == line) {
			onLine = append(onLine, p)
		}
	}
	for _, p := range onLine {
		if ok(p) {
			return p.path
		}
	}
	if len(onLine) == 1 {
		return onLine[0].path
	}
	return ""
}

// indexPaths lists every mapping entry of the document with its path.
func indexPaths(root *yaml.Node) pathIndex {
	var out pathIndex
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				out = append(out, pathEntry{line: k.Line, key: k.Value, path: p, value: v})
				if k.Value == "definition" {
					continue // an inline OpenAPI document: not the schema
				}
				walk(v, p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	walk(root, "")
	return out
}
