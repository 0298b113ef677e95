package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Error answers of HTTP APIs: status and {"message": ...} as AWS sends them.
var (
	errNotFound     = &httpError{http.StatusNotFound, "Not Found"}
	errUnauthorized = &httpError{http.StatusUnauthorized, "Unauthorized"}
	errForbidden    = &httpError{http.StatusForbidden, "Forbidden"}
	errThrottled    = &httpError{http.StatusTooManyRequests, "Too Many Requests"}
	errTooLarge     = &httpError{http.StatusRequestEntityTooLarge, "Request Entity Too Large"}
	errInternal     = &httpError{http.StatusInternalServerError, "Internal Server Error"}
	errUnavailable  = &httpError{http.StatusServiceUnavailable, "Service Unavailable"}
)

type httpError struct {
	status  int
	message string
}

func (e *httpError) Error() string { return e.message }

// request is one request's state.
type request struct {
	g   *Gateway
	w   http.ResponseWriter
	r   *http.Request
	api *capi
	st  *cstage
	rt  *croute

	start     time.Time
	requestID string
	// path is the escaped path after the stage; stagePrefix "/{stage}" or "".
	path        string
	stagePrefix string
	segs        []string
	params      map[string]string
	body        []byte
	jwt         *jwtResult
	lambda      map[string]any
	// wwwAuth is the WWW-Authenticate header of a JWT rejection.
	wwwAuth string
}

// Handler serves HTTP API stages: Host {apiId}.execute-api.* (stage as first
// path segment, else $default) and /restapis/{apiId}/{stage}/_user_request_/{path}.
func (g *Gateway) Handler() http.Handler { return http.HandlerFunc(g.serveHTTP) }

func (g *Gateway) serveHTTP(w http.ResponseWriter, r *http.Request) {
	x := &request{g: g, w: w, r: r, start: g.o.Now(), requestID: newRequestID()}
	w.Header().Set("Apigw-Requestid", x.requestID)
	if err := x.run(); err != nil {
		x.fail(err)
	}
}

// newRequestID is an id shaped like AWS's apigw-requestid (16 base64
// characters); it identifies, it protects nothing, so math/rand serves.
func newRequestID() string {
	var b [10]byte
	binary.LittleEndian.PutUint64(b[:8], mrand.Uint64())
	binary.LittleEndian.PutUint16(b[8:], uint16(mrand.Uint32()))
	return base64.StdEncoding.EncodeToString(b[:])
}

func (x *request) fail(err error) {
	var he *httpError
	if !errors.As(err, &he) {
		x.g.log.Error("httpapi request", "api", apiID(x.api), "err", err)
		he = errInternal
	}
	h := x.w.Header()
	if x.wwwAuth != "" {
		h.Set("Www-Authenticate", x.wwwAuth)
	}
	h.Set("Content-Type", "application/json")
	x.corsHeaders()
	x.w.WriteHeader(he.status)
	x.w.Write([]byte(`{"message":"` + he.message + `"}`))
}

func apiID(a *capi) string {
	if a == nil {
		return ""
	}
	return a.id
}

func (x *request) run() error {
	api, st, path, prefix, ok := x.g.resolve(x.r)
	if !ok {
		return errNotFound
	}
	x.api, x.st, x.path, x.stagePrefix = api, st, path, prefix
	if !st.bucket.allow() {
		return errThrottled
	}
	if x.r.ContentLength > x.g.o.MaxBodyBytes {
		return errTooLarge
	}
	segs, ok := splitDecoded(path)
	if !ok {
		return errNotFound
	}
	x.segs = segs
	if x.preflight() {
		return nil
	}
	dep := st.dep
	rt := dep.root.match(x.r.Method, segs)
	if rt == nil {
		rt = dep.def
	}
	if rt == nil {
		return errNotFound
	}
	x.rt = rt
	if !st.routes[rt.key].allow() {
		return errThrottled
	}
	x.params = rt.pathParams(segs)
	if x.r.Body != nil && x.r.Body != http.NoBody {
		b, err := io.ReadAll(io.LimitReader(x.r.Body, x.g.o.MaxBodyBytes+1))
		if err != nil {
			return &httpError{http.StatusBadRequest, "Bad Request"}
		}
		if int64(len(b)) > x.g.o.MaxBodyBytes {
			return errTooLarge
		}
		x.body = b
	}
	if err := x.authorize(); err != nil {
		return err
	}
	if rt.integ == nil {
		// A route without a target: AWS answers 404 {"message":"Not Found"}.
		return errNotFound
	}
	ctx, cancel := context.WithTimeout(x.r.Context(), rt.integ.timeout)
	defer cancel()
	switch rt.integ.typ {
	case IntegrationHTTPProxy:
		return x.httpProxy(ctx)
	default:
		return x.function(ctx)
	}
}

// splitDecoded splits an escaped path into decoded segments, merging empty
// ones; it refuses bad escapes, NUL bytes and dot segments.
func splitDecoded(escaped string) ([]string, bool) {
	var out []string
	for s := range strings.SplitSeq(escaped, "/") {
		if s == "" {
			continue
		}
		d, err := url.PathUnescape(s)
		if err != nil || d == "." || d == ".." || strings.IndexByte(d, 0) >= 0 {
			return nil, false
		}
		out = append(out, d)
	}
	return out, true
}

// rawPath is the request path as AWS reports it: with the stage prefix.
func (x *request) rawPath() string {
	p := x.path
	if p == "" {
		p = "/"
	}
	return x.stagePrefix + p
}

// sourceIP is the connection's client address (X-Forwarded-For is not trusted).
func (x *request) sourceIP() string {
	host, _, err := net.SplitHostPort(x.r.RemoteAddr)
	if err != nil {
		return x.r.RemoteAddr
	}
	return host
}

// routeArn is arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path}.
func (x *request) routeArn() string {
	p := strings.TrimPrefix(x.path, "/")
	return "arn:aws:execute-api:" + x.g.o.Region + ":" + x.g.o.AccountID + ":" + x.api.id + "/" + x.st.name + "/" + x.r.Method + "/" + p
}

// requestTimeLayout is requestContext.time's format.
const requestTimeLayout = "02/Jan/2006:15:04:05 -0700"

// traceID is an X-Amzn-Trace-Id root for the request: 1-{epoch hex}-{96 random bits}.
func traceID(now time.Time) string {
	var b [40]byte
	out := append(b[:0], "Root=1-"...)
	out = strconv.AppendInt(out, now.Unix(), 16)
	out = append(out, '-')
	const hexDigits = "0123456789abcdef"
	v := mrand.Uint64()
	w := mrand.Uint32()
	for i := range 16 {
		out = append(out, hexDigits[(v>>(4*i))&15])
	}
	for i := range 8 {
		out = append(out, hexDigits[(w>>(4*i))&15])
	}
	return string(out)
}

// bodyReader is the buffered request body.
func (x *request) bodyReader() io.Reader {
	if len(x.body) == 0 {
		return http.NoBody
	}
	return bytes.NewReader(x.body)
}
