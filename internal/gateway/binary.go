package gateway

import (
	"fmt"
	"strings"
)

// Content handling of integrations and integration responses.
const (
	ConvertToBinary = "CONVERT_TO_BINARY"
	ConvertToText   = "CONVERT_TO_TEXT"
)

// binaryTypes is an API's binaryMediaTypes: "type/subtype", "type/*" or
// "*/*" (OpenAPI exports write '/' as "~1").
type binaryTypes []string

func compileBinaryTypes(in []string) (binaryTypes, error) {
	out := make(binaryTypes, 0, len(in))
	for _, t := range in {
		t = strings.ToLower(strings.TrimSpace(strings.ReplaceAll(t, "~1", "/")))
		typ, sub, ok := strings.Cut(t, "/")
		if !ok || typ == "" || sub == "" || (typ == "*" && sub != "*") {
			return nil, fmt.Errorf("binaryMediaTypes: %q is not a media type", t)
		}
		out = append(out, t)
	}
	return out, nil
}

// match reports whether a Content-Type or Accept media type (parameters
// ignored) is one of the binary media types.
func (b binaryTypes) match(contentType string) bool {
	if len(b) == 0 || contentType == "" {
		return false
	}
	mt := mediaType(contentType)
	typ, _, _ := strings.Cut(mt, "/")
	for _, t := range b {
		switch {
		case t == mt, t == "*/*":
			return true
		case strings.HasSuffix(t, "/*") && t[:len(t)-2] == typ:
			return true
		}
	}
	return false
}

// firstAccept is the first media type of an Accept header: API Gateway
// considers only that one when it decides whether a response is binary.
func firstAccept(accept string) string {
	first, _, _ := strings.Cut(accept, ",")
	return strings.TrimSpace(first)
}

func validContentHandling(s string) bool {
	return s == "" || s == ConvertToBinary || s == ConvertToText
}
