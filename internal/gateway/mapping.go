package gateway

import (
	"errors"
	"mime"
	"strings"

	"github.com/cognate-dev/cognate/internal/vtl"
)

// MappingRequest is what a mapping template sees: the request body,
// parameters by location ($input.params()), $context and $stageVariables.
// It mirrors vtl.Request.
type MappingRequest struct {
	Body           []byte
	Path           map[string]string
	QueryString    map[string]string
	Header         map[string]string
	Context        map[string]any
	StageVariables map[string]string
}

// Template is a parsed mapping template; Render must be safe for concurrent use.
type Template interface {
	Render(r *MappingRequest) (string, error)
}

// compiledTemplates are an integration's request or response templates by
// content type.
type compiledTemplates map[string]Template

func (g *Gateway) compileTemplates(src map[string]string) (compiledTemplates, error) {
	if len(src) == 0 {
		return nil, nil
	}
	out := make(compiledTemplates, len(src))
	for ct, s := range src {
		t, err := compileTemplate(s)
		if err != nil {
			return nil, &templateError{contentType: ct, err: err}
		}
		out[strings.ToLower(ct)] = t
	}
	return out, nil
}

type templateError struct {
	contentType string
	err         error
}

// Error names the content type of the failing template.
func (e *templateError) Error() string { return "template " + e.contentType + ": " + e.err.Error() }

// Unwrap returns the parse error.
func (e *templateError) Unwrap() error { return e.err }

// mediaType is the request's media type without parameters, lower-cased;
// API Gateway assumes application/json when there is none.
func mediaType(contentType string) string {
	if contentType == "" {
		return "application/json"
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0]))
	}
	return mt
}

// selectRequestTemplate applies passthroughBehavior: it returns the template
// for the media type, or nil with passthrough true, or unsupported true (415).
func selectRequestTemplate(ts compiledTemplates, behavior, contentType string) (t Template, passthrough, unsupported bool) {
	if t := ts[mediaType(contentType)]; t != nil {
		return t, false, false
	}
	switch behavior {
	case PassthroughNever:
		return nil, false, true
	case PassthroughWhenNoTemplates:
		if len(ts) > 0 {
			return nil, false, true
		}
	}
	return nil, true, false
}

// vtlTemplate adapts a vtl.Template to Template.
type vtlTemplate struct{ t *vtl.Template }

// Render renders with API Gateway semantics.
func (v vtlTemplate) Render(r *MappingRequest) (string, error) {
	return v.t.RenderAPIGateway((*vtl.Request)(r))
}

// compileTemplate parses a mapping template with internal/vtl.
func compileTemplate(src string) (Template, error) {
	t, err := vtl.Parse(src)
	if err != nil {
		return nil, err
	}
	return vtlTemplate{t}, nil
}

// isBadJSON reports whether a render error means the request body is not JSON.
func isBadJSON(err error) bool { return errors.Is(err, vtl.ErrInvalidJSON) }
