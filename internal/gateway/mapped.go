package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// readBody reads the request body up to the size limit (413 beyond).
func (x *exchange) readBody() error {
	if x.bodyRead || x.r.Body == nil || x.r.Body == http.NoBody {
		return nil
	}
	x.bodyRead = true
	limit := x.g.limits.MaxBodyBytes
	data, err := io.ReadAll(io.LimitReader(x.r.Body, limit+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return gwErr(RequestTooLarge, err)
		}
		return gwErr(BadRequestBody, fmt.Errorf("read body: %w", err))
	}
	if int64(len(data)) > limit {
		return gwErr(RequestTooLarge, nil)
	}
	x.body = data
	return nil
}

// mappingRequest is the template input for the current request; body is
// $input's body (the request's, or the integration's for response templates).
func (x *exchange) mappingRequest(body []byte) *MappingRequest {
	mr := &MappingRequest{
		Body:           body,
		Path:           x.pathParams(),
		Context:        x.contextMap(),
		StageVariables: x.st.variables,
		Header:         make(map[string]string, len(x.r.Header)),
		QueryString:    make(map[string]string, len(x.query)),
	}
	if mr.Path == nil {
		mr.Path = map[string]string{}
	}
	if mr.StageVariables == nil {
		mr.StageVariables = map[string]string{}
	}
	for _, h := range x.sentHeaders() {
		mr.Header[h.name] = h.values[0]
	}
	for k, v := range x.query {
		mr.QueryString[k] = v[0]
	}
	return mr
}

// requestPayload is the integration request body: the request template for
// the content type, or the body passed through, per passthroughBehavior.
func (x *exchange) requestPayload() ([]byte, error) {
	integ := x.rt.integ
	body, binary, err := convertRequest(x.body, x.dep.binary.match(x.r.Header.Get("Content-Type")), integ.handling)
	if err != nil {
		return nil, &gatewayError{typ: BadRequestBody, err: err}
	}
	if binary {
		// Binary payloads pass through untouched: mapping templates apply to
		// text only (CONVERT_TO_TEXT makes them text).
		return body, nil
	}
	t, passthrough, unsupported := selectRequestTemplate(integ.templates, integ.behavior, x.r.Header.Get("Content-Type"))
	switch {
	case unsupported:
		return nil, gwErr(UnsupportedMediaType, nil)
	case passthrough:
		return body, nil
	}
	out, err := t.Render(x.mappingRequest(body))
	if err != nil {
		if isBadJSON(err) {
			return nil, &gatewayError{typ: BadRequestBody, message: "Could not parse request body into json", err: err}
		}
		return nil, gwErr(APIConfigurationError, fmt.Errorf("request template: %w", err))
	}
	return []byte(out), nil
}

// writeMapped applies an integration response: response parameters and the
// template chosen by Accept (else application/json, else the first).
func (x *exchange) writeMapped(cr *compiledResponse, body []byte, integHeader http.Header) error {
	h := x.w.Header()
	ct := "application/json"
	payloadBinary := x.dep.binary.match(integHeader.Get("Content-Type"))
	body, binary, err := convertResponse(body, payloadBinary, len(x.dep.binary) > 0,
		x.dep.binary.match(firstAccept(x.r.Header.Get("Accept"))), cr.handling)
	if err != nil {
		return gwErr(APIConfigurationError, err)
	}
	if binary {
		if v := integHeader.Get("Content-Type"); v != "" {
			ct = v
		} else if a := firstAccept(x.r.Header.Get("Accept")); a != "" {
			ct = a
		}
	} else if len(cr.templates) > 0 {
		t, key := pickResponseTemplate(cr.templates, x.r.Header.Get("Accept"))
		out, err := t.Render(x.mappingRequest(body))
		if err != nil {
			return gwErr(APIConfigurationError, fmt.Errorf("response template: %w", err))
		}
		body, ct = []byte(out), key
	} else if v := integHeader.Get("Content-Type"); v != "" {
		ct = v
	}
	h.Set("Content-Type", ct)
	for k, src := range cr.params {
		name, ok := strings.CutPrefix(k, "method.response.header.")
		if !ok {
			continue
		}
		if v, ok := responseParam(src, body, integHeader); ok {
			h.Set(name, v)
		}
	}
	// $context.responseOverride from the response template is final.
	for k, v := range x.respOverride.Header {
		h.Set(k, v)
	}
	status := cr.status
	if x.respOverride.Status != 0 {
		status = x.respOverride.Status
	}
	x.writeBody(status, body)
	return nil
}

func pickResponseTemplate(ts compiledTemplates, accept string) (Template, string) {
	if accept != "" {
		for part := range strings.SplitSeq(accept, ",") {
			mt := mediaType(strings.TrimSpace(part))
			if t := ts[mt]; t != nil {
				return t, mt
			}
		}
	}
	if t := ts["application/json"]; t != nil {
		return t, "application/json"
	}
	keys := make([]string, 0, len(ts))
	for k := range ts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return ts[keys[0]], keys[0]
}

// responseParam resolves 'literal', integration.response.header.X,
// integration.response.body and integration.response.body.FIELD (top-level
// JSON field).
func responseParam(src string, body []byte, h http.Header) (string, bool) {
	if len(src) >= 2 && src[0] == '\'' && src[len(src)-1] == '\'' {
		return src[1 : len(src)-1], true
	}
	if name, ok := strings.CutPrefix(src, "integration.response.header."); ok {
		v := h.Get(name)
		return v, v != ""
	}
	if src == "integration.response.body" {
		return string(body), true
	}
	if field, ok := strings.CutPrefix(src, "integration.response.body."); ok {
		var m map[string]any
		if json.Unmarshal(body, &m) != nil {
			return "", false
		}
		v, ok := m[field]
		return stringify(v), ok
	}
	return "", false
}

// writeBody writes the method response with the gateway's headers.
func (x *exchange) writeBody(status int, body []byte) {
	h := x.w.Header()
	h[hdrRequestID] = []string{x.requestID}
	h[hdrAPIGWID] = []string{x.extendedID}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	x.w.WriteHeader(status)
	n, _ := x.w.Write(body)
	x.status, x.respBytes = status, int64(n)
}
