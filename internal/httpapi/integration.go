package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/cognate-dev/cognate/internal/gateway"
)

// function calls an AWS_PROXY integration and writes its answer.
func (x *request) function(ctx context.Context) error {
	var payload []byte
	var err error
	if x.rt.integ.version == "1.0" {
		payload, err = x.event1()
	} else {
		payload, err = x.event2()
	}
	if err != nil {
		return fmt.Errorf("event: %w", err)
	}
	out, fnErr, err := x.g.o.Functions.InvokeFunction(ctx, x.rt.integ.function, payload)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			// HTTP APIs answer an integration timeout with 503.
			return errUnavailable
		}
		return fmt.Errorf("invoke %s: %w", x.rt.integ.function, err)
	}
	if fnErr != "" {
		x.g.log.Info("httpapi function error", "api", x.api.id, "function", x.rt.integ.function, "error", fnErr)
		return errInternal
	}
	var status int
	var h http.Header
	var body []byte
	var cookies []string
	if x.rt.integ.version == "1.0" {
		status, h, body, err = gateway.ParseProxyResponse(out, func(string) bool { return true })
	} else {
		status, h, body, cookies, err = parseResponse2(out)
	}
	if err != nil {
		x.g.log.Info("httpapi malformed function response", "api", x.api.id, "function", x.rt.integ.function, "err", err)
		return errInternal
	}
	x.write(status, h, cookies, body)
	return nil
}

// response2 is the structured payload 2.0 response.
type response2 struct {
	StatusCode        json.RawMessage            `json:"statusCode"`
	Headers           map[string]json.RawMessage `json:"headers"`
	MultiValueHeaders map[string][]string        `json:"multiValueHeaders"`
	Cookies           []string                   `json:"cookies"`
	Body              *string                    `json:"body"`
	IsBase64Encoded   bool                       `json:"isBase64Encoded"`
}

// parseResponse2 reads a payload 2.0 answer. An object with statusCode is
// a structured response; any other JSON value is the body of a 200
// application/json response, as AWS infers.
func parseResponse2(out []byte) (int, http.Header, []byte, []string, error) {
	trimmed := bytes.TrimSpace(out)
	if !json.Valid(trimmed) {
		return 0, nil, nil, nil, errors.New("function output is not JSON")
	}
	var probe map[string]json.RawMessage
	if trimmed[0] != '{' || json.Unmarshal(trimmed, &probe) != nil || probe["statusCode"] == nil {
		h := http.Header{"Content-Type": {"application/json"}}
		return http.StatusOK, h, trimmed, nil, nil
	}
	var r response2
	if err := json.Unmarshal(trimmed, &r); err != nil {
		return 0, nil, nil, nil, fmt.Errorf("response: %w", err)
	}
	status, err := strconv.Atoi(string(bytes.Trim(r.StatusCode, `"`)))
	if err != nil || status < 100 || status > 599 {
		return 0, nil, nil, nil, fmt.Errorf("statusCode %s", r.StatusCode)
	}
	h := http.Header{}
	for k, vs := range r.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for k, raw := range r.Headers {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return 0, nil, nil, nil, fmt.Errorf("header %q: %w", k, err)
		}
		switch v := v.(type) {
		case string:
			h.Set(k, v)
		case float64:
			h.Set(k, strconv.FormatFloat(v, 'f', -1, 64))
		case bool:
			h.Set(k, strconv.FormatBool(v))
		case nil:
		default:
			return 0, nil, nil, nil, fmt.Errorf("header %q is not a scalar", k)
		}
	}
	var body []byte
	if r.Body != nil {
		body = []byte(*r.Body)
		if r.IsBase64Encoded {
			if body, err = base64.StdEncoding.DecodeString(*r.Body); err != nil {
				return 0, nil, nil, nil, fmt.Errorf("body: %w", err)
			}
		}
	}
	return status, h, body, r.Cookies, nil
}

// framing are the headers the gateway owns.
var framing = map[string]bool{"Content-Length": true, "Transfer-Encoding": true, "Connection": true}

// write sends an integration's response with the CORS headers.
func (x *request) write(status int, h http.Header, cookies []string, body []byte) {
	x.writeHeader(status, h, cookies, int64(len(body)))
	if x.r.Method != http.MethodHead {
		x.w.Write(body)
	}
}

// writeHeader sends the status and headers; length < 0 leaves the framing
// to the server.
func (x *request) writeHeader(status int, h http.Header, cookies []string, length int64) {
	dst := x.w.Header()
	cors := x.st != nil && x.st.dep.cors != nil
	for k, vs := range h {
		ck := http.CanonicalHeaderKey(k)
		if framing[ck] {
			continue
		}
		if cors && strings.HasPrefix(ck, "Access-Control-") {
			// With a CORS configuration, API Gateway ignores the
			// integration's CORS headers.
			continue
		}
		dst[ck] = vs
	}
	for _, c := range cookies {
		dst.Add("Set-Cookie", c)
	}
	if _, ok := dst["Content-Type"]; !ok {
		// No Content-Type from the integration: send none (no sniffing).
		dst["Content-Type"] = nil
	}
	x.corsHeaders()
	if length >= 0 {
		dst.Set("Content-Length", strconv.FormatInt(length, 10))
	}
	x.w.WriteHeader(status)
}

// hopHeaders are not forwarded by a proxy (RFC 9110 §7.6.1); canonical names.
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Proxy-Authorization", "Proxy-Authenticate"}

// httpProxy forwards the request to an HTTP_PROXY integration.
func (x *request) httpProxy(ctx context.Context) error {
	u, err := x.backendURL()
	if err != nil {
		return err
	}
	if x.r.URL.RawQuery != "" {
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += x.r.URL.RawQuery
	}
	method := x.rt.integ.method
	if method == "" || method == "ANY" {
		method = x.r.Method
	}
	req := (&http.Request{Method: method, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: make(http.Header, len(x.r.Header)+4), Host: strings.TrimSuffix(u.Host, ":"),
		Body: http.NoBody, GetBody: func() (io.ReadCloser, error) { return http.NoBody, nil }}).WithContext(ctx)
	if len(x.body) > 0 {
		body := x.body
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	for k, vs := range x.r.Header {
		req.Header[k] = vs
	}
	for _, k := range hopHeaders {
		delete(req.Header, k)
	}
	delete(req.Header, "Host")
	req.ContentLength = int64(len(x.body))
	x.addedHeaders(func(k, v string) {
		ck := canonicalAdded[k]
		if k == "x-forwarded-for" {
			if prior := req.Header[ck]; len(prior) > 0 && prior[0] != "" {
				v = prior[0] + ", " + v
			}
		}
		req.Header[ck] = []string{v}
	})
	// A proxy passes redirects on: one round trip, no redirect following.
	resp, err := x.g.transport.RoundTrip(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return errUnavailable
		}
		x.g.log.Info("httpapi backend", "api", x.api.id, "err", err)
		return errInternal
	}
	defer resp.Body.Close()
	for _, k := range hopHeaders {
		delete(resp.Header, k)
	}
	// The response streams through (bounded by AWS's 10 MB payload limit).
	x.writeHeader(resp.StatusCode, resp.Header, nil, resp.ContentLength)
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	if _, err := io.CopyBuffer(x.w, io.LimitReader(resp.Body, maxResponse), *bp); err != nil {
		x.g.log.Info("httpapi backend body", "api", x.api.id, "err", err)
	}
	return nil
}

// maxResponse is AWS's limit on an HTTP API response payload.
const maxResponse = 10 << 20

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// backendURL is the integration URI with the route's path parameters.
func (x *request) backendURL() (*url.URL, error) {
	in := x.rt.integ
	if in.target == nil {
		target := in.uri
		for name, v := range x.params {
			target = strings.ReplaceAll(target, "{"+name+"}", escapeSegments(v))
		}
		u, err := url.Parse(target)
		if err != nil {
			return nil, fmt.Errorf("integration uri: %w", err)
		}
		return u, nil
	}
	u := *in.target
	if len(x.params) > 0 && strings.IndexByte(in.rawPath, '{') >= 0 {
		raw := in.rawPath
		for name, v := range x.params {
			raw = strings.ReplaceAll(raw, "{"+name+"}", escapeSegments(v))
		}
		p, err := url.PathUnescape(raw)
		if err != nil {
			return nil, fmt.Errorf("integration uri: %w", err)
		}
		u.Path, u.RawPath = p, raw
	}
	return &u, nil
}

// canonicalAdded maps addedHeaders' names to their canonical spelling.
var canonicalAdded = map[string]string{"x-forwarded-for": "X-Forwarded-For", "x-forwarded-proto": "X-Forwarded-Proto",
	"x-forwarded-port": "X-Forwarded-Port", "x-amzn-trace-id": "X-Amzn-Trace-Id"}

// escapeSegments escapes each segment of v for a URL path.
func escapeSegments(v string) string {
	parts := strings.Split(v, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}
