package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// NewHTTPClient returns the client used for HTTP integrations by default:
// a pooled keep-alive transport sized for a gateway (many idle connections
// per backend), no proxy from the environment, no redirects followed.
func NewHTTPClient() *http.Client {
	t := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   512,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
	return &http.Client{
		Transport:     t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// hopHeaders are connection-level headers a proxy must not forward.
var hopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// copyEndToEnd copies src into dst without hop-by-hop headers (including
// those src's Connection header names).
func copyEndToEnd(dst, src http.Header) {
	for k, vs := range src {
		dst[k] = vs
	}
	for _, c := range src.Values("Connection") {
		for name := range strings.SplitSeq(c, ",") {
			if name = strings.TrimSpace(name); name != "" {
				dst.Del(name)
			}
		}
	}
	for _, h := range hopHeaders {
		delete(dst, h)
	}
}

// backendURL substitutes {name} and {name+} placeholders (from path
// parameter mappings, else same-named path parameters, escaped) and
// ${stageVariables.X} into the integration URI, then adds the query.
func (x *exchange) backendURL(rawQuery string) (*url.URL, error) {
	s := x.rt.integ.uri
	if strings.Contains(s, "${stageVariables.") {
		for k, v := range x.st.variables {
			s = strings.ReplaceAll(s, "${stageVariables."+k+"}", v)
		}
	}
	if strings.IndexByte(s, '{') >= 0 {
		// $context.requestOverride.path.X wins over the standard mappings.
		// Its value is one segment: '/' is escaped and a dot segment encoded,
		// so an override built from request data cannot climb the backend path.
		for k, v := range x.reqOverride.Path {
			v = escapeOneSegment(v)
			s = strings.ReplaceAll(strings.ReplaceAll(s, "{"+k+"+}", v), "{"+k+"}", v)
		}
		for _, pm := range x.rt.integ.params {
			if pm.loc != "path" {
				continue
			}
			v, _ := x.paramSource(pm.source)
			v = escapeSegments(v)
			s = strings.ReplaceAll(strings.ReplaceAll(s, "{"+pm.name+"+}", v), "{"+pm.name+"}", v)
		}
		for _, p := range x.params {
			s = strings.ReplaceAll(strings.ReplaceAll(s, "{"+p.name+"+}", p.raw), "{"+p.name+"}", p.raw)
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("backend url: %w", err)
	}
	q := rawQuery
	for _, pm := range x.rt.integ.params {
		if pm.loc != "querystring" {
			continue
		}
		if v, ok := x.paramSource(pm.source); ok {
			if q != "" {
				q += "&"
			}
			q += url.QueryEscape(pm.name) + "=" + url.QueryEscape(v)
		}
	}
	if u.RawQuery != "" && q != "" {
		u.RawQuery += "&" + q
	} else if q != "" {
		u.RawQuery = q
	}
	if len(x.reqOverride.QueryString) > 0 {
		vals := u.Query()
		for k, v := range x.reqOverride.QueryString {
			vals.Set(k, v)
		}
		u.RawQuery = vals.Encode()
	}
	return u, nil
}

// escapeOneSegment escapes v as a single path segment; "." and ".." are
// percent-encoded so they are no dot segments.
func escapeOneSegment(v string) string {
	if v == "." || v == ".." {
		return strings.Repeat("%2E", len(v))
	}
	return url.PathEscape(v)
}

// escapeSegments escapes each /-separated segment of a mapped value; dot
// segments are percent-encoded, so a value mapped from a header or query
// string cannot climb the backend path.
func escapeSegments(v string) string {
	if !needsSegmentEscape(v) {
		return v // the common case (a proxy path of plain segments): no allocation
	}
	parts := strings.Split(v, "/")
	for i, p := range parts {
		parts[i] = escapeOneSegment(p)
	}
	return strings.Join(parts, "/")
}

// needsSegmentEscape reports whether escapeSegments would change v: some
// segment is a dot segment or has a byte url.PathEscape escapes.
func needsSegmentEscape(v string) bool {
	for seg := range strings.SplitSeq(v, "/") {
		if seg == "." || seg == ".." || url.PathEscape(seg) != seg {
			return true
		}
	}
	return false
}

// newOutRequest is http.NewRequestWithContext(ctx, verb, u.String(), body)
// without printing u and parsing it again: the URL is the one backendURL
// parsed, and Host is derived from it as NewRequest derives it. The header
// map is sized for hint entries.
func newOutRequest(ctx context.Context, verb string, u *url.URL, body io.Reader, hint int) (*http.Request, error) {
	out, err := http.NewRequestWithContext(ctx, verb, "", body)
	if err != nil {
		return nil, err
	}
	u.Host = removeEmptyPort(u.Host)
	out.URL, out.Host = u, u.Host
	out.Header = make(http.Header, hint)
	return out, nil
}

// removeEmptyPort strips a trailing ":" from a host with an empty port, as
// net/http does for request URLs.
func removeEmptyPort(host string) string {
	if strings.LastIndex(host, ":") > strings.LastIndex(host, "]") {
		return strings.TrimSuffix(host, ":")
	}
	return host
}

// Canonical spellings of the headers the gateway sets on every request and
// answer (http.Header.Set would canonicalise them each time).
const (
	hdrRequestID = "X-Amzn-Requestid" // x-amzn-RequestId
	hdrAPIGWID   = "X-Amz-Apigw-Id"   // x-amz-apigw-id
)

// backendRequest builds the outgoing request; proxy forwards the client's
// end-to-end headers, query and body.
func (x *exchange) backendRequest(ctx context.Context, proxy bool, body io.Reader, length int64) (*http.Request, error) {
	verb := x.rt.integ.httpMethod
	if verb == "" || verb == "ANY" {
		verb = x.r.Method
	}
	rawQuery := ""
	if proxy {
		rawQuery = x.r.URL.RawQuery
	}
	u, err := x.backendURL(rawQuery)
	if err != nil {
		return nil, err
	}
	hint := 4 + len(x.rt.integ.params) + len(x.reqOverride.Header)
	if proxy {
		hint += len(x.r.Header)
	}
	out, err := newOutRequest(ctx, verb, u, body, hint)
	if err != nil {
		return nil, fmt.Errorf("backend request: %w", err)
	}
	out.ContentLength = length
	if proxy {
		copyEndToEnd(out.Header, x.r.Header)
	} else if ct := x.r.Header.Get("Content-Type"); ct != "" {
		out.Header.Set("Content-Type", ct)
	}
	for _, pm := range x.rt.integ.params {
		if pm.loc == "header" {
			if v, ok := x.paramSource(pm.source); ok {
				out.Header.Set(pm.name, v)
			}
		}
	}
	for k, v := range x.reqOverride.Header {
		out.Header.Set(k, v)
	}
	ip := x.sourceIP()
	if prior := x.r.Header.Values("X-Forwarded-For"); proxy && len(prior) > 0 {
		ip = strings.Join(prior, ", ") + ", " + ip
	}
	out.Header.Set("X-Forwarded-For", ip)
	out.Header.Set("X-Amzn-Apigateway-Api-Id", x.st.apiID)
	if _, ok := out.Header["User-Agent"]; !ok {
		out.Header["User-Agent"] = nil
	}
	return out, nil
}

// backendError classifies a failed backend round trip.
func (x *exchange) backendError(ctx context.Context, err error) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return gwErr(RequestTooLarge, err)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return &gatewayError{typ: IntegrationTimeout, spaced: true, err: err}
	default:
		return &gatewayError{typ: IntegrationFailure, status: http.StatusBadGateway, spaced: true, err: err}
	}
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// httpProxy is the HTTP_PROXY integration: the request streams to the
// backend and the answer streams back.
func (x *exchange) httpProxy() error {
	ctx, cancel := context.WithTimeout(x.r.Context(), x.integrationTimeout())
	defer cancel()
	var body io.Reader
	length := x.r.ContentLength
	switch {
	case x.bodyRead: // request validation read it already
		body, length = bytes.NewReader(x.body), int64(len(x.body))
	case x.r.Body != nil && x.r.Body != http.NoBody && x.r.ContentLength != 0:
		body = http.MaxBytesReader(x.w, x.r.Body, x.g.limits.MaxBodyBytes)
	}
	out, err := x.backendRequest(ctx, true, body, length)
	if err != nil {
		return gwErr(APIConfigurationError, err)
	}
	t0 := x.g.now()
	resp, err := x.g.roundTrip(out)
	if err != nil {
		x.integLatency = x.g.now().Sub(t0)
		return x.backendError(ctx, err)
	}
	defer resp.Body.Close()
	h := x.w.Header()
	copyEndToEnd(h, resp.Header)
	h[hdrRequestID] = []string{x.requestID}
	h[hdrAPIGWID] = []string{x.extendedID}
	x.w.WriteHeader(resp.StatusCode)
	x.status = resp.StatusCode
	bp := copyBufs.Get().(*[]byte)
	n, err := io.CopyBuffer(x.w, resp.Body, *bp)
	copyBufs.Put(bp)
	x.respBytes = n
	x.integLatency = x.g.now().Sub(t0)
	if err != nil {
		x.g.log.Warn("gateway backend body", "request_id", x.requestID, "err", err)
	}
	return nil
}

// httpMapped is the HTTP (non-proxy) integration: mapped request, response
// selected by the backend status code.
func (x *exchange) httpMapped() error {
	if err := x.readBody(); err != nil {
		return err
	}
	payload, err := x.requestPayload()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(x.r.Context(), x.integrationTimeout())
	defer cancel()
	out, err := x.backendRequest(ctx, false, strings.NewReader(string(payload)), int64(len(payload)))
	if err != nil {
		return gwErr(APIConfigurationError, err)
	}
	t0 := x.g.now()
	resp, err := x.g.client.Do(out)
	if err != nil {
		x.integLatency = x.g.now().Sub(t0)
		return x.backendError(ctx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, x.g.limits.MaxBodyBytes+1))
	x.integLatency = x.g.now().Sub(t0)
	if err != nil {
		return x.backendError(ctx, err)
	}
	if int64(len(data)) > x.g.limits.MaxBodyBytes {
		return &gatewayError{typ: IntegrationFailure, status: http.StatusBadGateway, spaced: true, err: errors.New("backend answer too large")}
	}
	cr, ok := x.rt.integ.selectResponse(statusString(resp.StatusCode), resp.StatusCode)
	if !ok {
		return gwErr(APIConfigurationError, errors.New("no integration response matches and none is default"))
	}
	return x.writeMapped(cr, data, resp.Header)
}

// roundTrip sends req without http.Client's redirect bookkeeping (it clones
// every request's headers): the gateway's client never follows redirects
// and has no jar or timeout.
func (g *Gateway) roundTrip(req *http.Request) (*http.Response, error) {
	return g.client.Transport.RoundTrip(req)
}
