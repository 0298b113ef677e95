package gateway

import (
	"encoding/base64"
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

// convertRequest applies an integration's contentHandling to a method
// request payload (AWS's request conversion table): isBinary says the
// request's Content-Type is a binary media type. It returns the payload and
// whether it is binary.
func convertRequest(body []byte, isBinary bool, handling string) ([]byte, bool, error) {
	switch {
	case handling == ConvertToBinary && !isBinary:
		out, err := base64.StdEncoding.DecodeString(string(body))
		if err != nil {
			return nil, false, fmt.Errorf("CONVERT_TO_BINARY: body is not base64: %w", err)
		}
		return out, true, nil
	case handling == ConvertToText && isBinary:
		return []byte(base64.StdEncoding.EncodeToString(body)), false, nil
	}
	return body, isBinary, nil
}

// convertResponse applies an integration response's contentHandling (AWS's
// response conversion table): payloadBinary says the integration answered
// a binary media type, binarySet that the API has binaryMediaTypes,
// acceptBinary that the first Accept type is one of them. It returns the
// method response payload and whether it is binary (templates then do not
// apply).
func convertResponse(body []byte, payloadBinary, binarySet, acceptBinary bool, handling string) ([]byte, bool, error) {
	decode := func() ([]byte, bool, error) {
		out, err := base64.StdEncoding.DecodeString(string(body))
		if err != nil {
			return nil, false, fmt.Errorf("CONVERT_TO_BINARY: integration response is not base64: %w", err)
		}
		return out, true, nil
	}
	encode := func() ([]byte, bool, error) { return []byte(base64.StdEncoding.EncodeToString(body)), false, nil }
	switch {
	case !binarySet:
		if handling == ConvertToBinary {
			return decode()
		}
		return body, false, nil
	case !payloadBinary:
		if handling == ConvertToBinary || handling == "" && acceptBinary {
			return decode()
		}
		return body, false, nil
	default:
		if handling == ConvertToText || handling == "" && !acceptBinary {
			return encode()
		}
		return body, true, nil
	}
}
