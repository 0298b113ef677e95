package authorizer

import (
	"fmt"
	"strings"
)

// Source kinds of identity sources.
const (
	SourceHeader  = "header"
	SourceQuery   = "querystring"
	SourceStage   = "stageVariables"
	SourceContext = "context"
)

// Source is one identity source.
type Source struct {
	Kind string
	Name string
}

// ParseIdentitySource parses a comma-separated identity source list:
// method.request.header.X, method.request.querystring.X, stageVariables.X,
// context.X.
func ParseIdentitySource(s string) ([]Source, error) {
	var out []Source
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		var src Source
		switch {
		case strings.HasPrefix(part, "method.request.header."):
			src = Source{SourceHeader, strings.TrimPrefix(part, "method.request.header.")}
		case strings.HasPrefix(part, "method.request.querystring."):
			src = Source{SourceQuery, strings.TrimPrefix(part, "method.request.querystring.")}
		case strings.HasPrefix(part, "stageVariables."):
			src = Source{SourceStage, strings.TrimPrefix(part, "stageVariables.")}
		case strings.HasPrefix(part, "context."):
			src = Source{SourceContext, strings.TrimPrefix(part, "context.")}
		default:
			return nil, fmt.Errorf("identity source %q: unsupported", part)
		}
		if src.Name == "" {
			return nil, fmt.Errorf("identity source %q: empty name", part)
		}
		out = append(out, src)
	}
	return out, nil
}

// identity extracts the identity source values; ok is false when one is
// missing or empty (a 401 without calling the authorizer).
func (a *Authorizer) identity(in *Input) ([]string, bool) {
	if len(a.sources) == 0 {
		return nil, true
	}
	values := make([]string, 0, len(a.sources))
	for _, s := range a.sources {
		var v string
		switch s.Kind {
		case SourceHeader:
			v = in.Header.Get(s.Name)
		case SourceQuery:
			v = in.Query.Get(s.Name)
		case SourceStage:
			v = in.StageVariables[s.Name]
		case SourceContext:
			if in.Context != nil {
				v = in.Context(s.Name)
			}
		}
		if strings.TrimSpace(v) == "" {
			return nil, false
		}
		values = append(values, v)
	}
	return values, true
}
