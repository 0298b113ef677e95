package gateway

import (
	"errors"
	"log/slog"
	"strconv"
	"strings"
)

// fail renders err as a gateway response: AWS's default status, body and
// x-amzn-ErrorType, or the API's customisation of the type (status,
// headers, application/json template). Details go to the log only.
func (x *exchange) fail(err error) {
	var ge *gatewayError
	if !errors.As(err, &ge) {
		ge = &gatewayError{typ: Default5XX, err: err}
	}
	status, errType, message, custom, customType := x.dep.responseFor(ge)
	body := defaultBody(message, ge.spaced)
	h := x.w.Header()
	for k := range h {
		delete(h, k)
	}
	h.Set("Content-Type", "application/json")
	h.Set("x-amzn-ErrorType", errType)
	if custom != nil {
		for k, src := range custom.ResponseParameters {
			name, ok := strings.CutPrefix(k, "gatewayresponse.header.")
			if !ok {
				continue
			}
			if v, ok := x.gatewayParam(src); ok {
				h.Set(name, v)
			}
		}
		if ts := x.dep.responseTemplates[customType]; len(ts) > 0 {
			// The template is chosen by Accept like a method response's
			// (else application/json, else the first); its key is the
			// response's Content-Type.
			t, ct := pickResponseTemplate(ts, x.r.Header.Get("Accept"))
			if out, terr := t.Render(x.errorMappingRequest(ge.typ, message, ge.validation)); terr == nil {
				body = []byte(out)
				h.Set("Content-Type", ct)
			} else {
				x.g.log.Warn("gateway response template", "request_id", x.requestID, "type", customType, "err", terr)
			}
		}
	}
	x.errType = string(ge.typ)
	lvl := slog.LevelDebug
	if status >= 500 && x.r.Context().Err() == nil { // a client that went away is not a server fault
		lvl = slog.LevelWarn
	}
	if ge.err != nil {
		x.g.log.Log(x.r.Context(), lvl, "gateway error", "request_id", x.requestID, "type", ge.typ, "status", status, "err", ge.err)
	}
	x.writeBody(status, body)
}

// gatewayParam resolves a gateway response parameter source: 'literal',
// method.request.{header|querystring|path}.X or stageVariables.X.
func (x *exchange) gatewayParam(src string) (string, bool) {
	if x.st == nil && !strings.HasPrefix(src, "'") && !strings.HasPrefix(src, "method.request.header.") {
		return "", false
	}
	if name, ok := strings.CutPrefix(src, "method.request.header."); ok {
		v := x.r.Header.Get(name)
		return v, v != ""
	}
	return x.paramSource(src)
}

// errorMappingRequest is the template input of gateway responses:
// $context.error.{message,messageString,responseType} on top of $context.
func (x *exchange) errorMappingRequest(t ResponseType, message, validation string) *MappingRequest {
	ctx := map[string]any{}
	var mr *MappingRequest
	if x.st != nil {
		mr = x.mappingRequest(nil)
		for k, v := range mr.Context {
			ctx[k] = v
		}
	} else {
		mr = &MappingRequest{Path: map[string]string{}, QueryString: map[string]string{}, Header: map[string]string{}, StageVariables: map[string]string{}}
		ctx["requestId"] = x.requestID
		ctx["extendedRequestId"] = x.extendedID
		ctx["httpMethod"] = x.r.Method
		if x.st != nil {
			ctx["apiId"], ctx["stage"] = x.st.apiID, x.st.name
			mr.StageVariables = x.st.variables
		}
	}
	messageString := "null"
	if message != "" {
		messageString = strconv.Quote(message)
	}
	ctx["error"] = map[string]any{"message": message, "messageString": messageString, "responseType": string(t),
		"validationErrorString": validation}
	mr.Context = ctx
	return mr
}
