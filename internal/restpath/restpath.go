// Package restpath matches REST API paths against templates such as
// "/restapis/{api}/resources/{res}", as the AWS management APIs Cognate
// serves declare their operations.
package restpath

import (
	"net/url"
	"strings"
)

// Pattern is a path template split into segments; "{name}" matches one
// non-empty segment.
type Pattern []string

// Parse splits a template such as "/2015-03-31/functions/{name}".
func Parse(template string) Pattern { return Split(template) }

// Split splits a (decoded) path into its segments.
func Split(path string) []string { return strings.Split(strings.Trim(path, "/"), "/") }

// SplitEscaped splits an escaped path into unescaped segments, so that an
// encoded slash stays inside its segment.
func SplitEscaped(escaped string) []string {
	segs := Split(escaped)
	for i := range segs {
		if u, err := url.PathUnescape(segs[i]); err == nil {
			segs[i] = u
		}
	}
	return segs
}

// Match reports whether segs fit the pattern and returns the named segments.
func (p Pattern) Match(segs []string) (map[string]string, bool) {
	if len(p) != len(segs) {
		return nil, false
	}
	vals := map[string]string{}
	for i, part := range p {
		if name, ok := strings.CutPrefix(part, "{"); ok {
			if segs[i] == "" {
				return nil, false
			}
			vals[strings.TrimSuffix(name, "}")] = segs[i]
			continue
		}
		if part != segs[i] {
			return nil, false
		}
	}
	return vals, true
}
