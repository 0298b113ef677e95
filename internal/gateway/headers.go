package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/cognate-dev/cognate/internal/rawheader"
)

// header is one request header as a Lambda proxy event or a mapping
// template sees it: the client's spelling and all its values.
type header struct {
	name   string
	values []string
}

// sentHeaders returns the request's headers with the names as the client
// spelled them (the first spelling when a name repeats in another case;
// values merged in order), Host included, as API Gateway passes them on.
// Without a recorded spelling (HTTP/2, tests) names are Go's canonical ones.
// Computed once per request.
func (x *exchange) sentHeaders() []header {
	if x.headers != nil {
		return x.headers
	}
	out := make([]header, 0, len(x.r.Header)+1)
	names, ok := rawheader.Names(x.r)
	if ok {
		done := make(map[string]bool, len(names))
		for _, n := range names {
			ck := http.CanonicalHeaderKey(n)
			if done[ck] {
				continue
			}
			done[ck] = true
			if ck == "Host" {
				out = append(out, header{n, []string{x.r.Host}})
			} else if vs := x.r.Header[ck]; len(vs) > 0 {
				out = append(out, header{n, vs})
			}
		}
		// Anything Go knows that was not recorded keeps its canonical name.
		for ck, vs := range x.r.Header {
			if !done[ck] {
				out = append(out, header{ck, vs})
			}
		}
	} else {
		out = append(out, header{"Host", []string{x.r.Host}})
		for ck, vs := range x.r.Header {
			out = append(out, header{ck, vs})
		}
	}
	x.headers = out
	return out
}

// awsAddedHeaders are the headers API Gateway's front door (CloudFront for
// edge-optimised endpoints) adds to what a Lambda proxy integration sees.
// CloudFront-Viewer-Country is Options.ViewerCountry: Cognate has no
// geolocation data, so the country is configured, and left out when not.
func (x *exchange) awsAddedHeaders(sent []header) []header {
	hs := make([]header, len(sent), len(sent)+12)
	copy(hs, sent)
	find := func(name string) int {
		for i := range hs {
			if strings.EqualFold(hs[i].name, name) {
				return i
			}
		}
		return -1
	}
	set := func(name, value string, replace bool) {
		if i := find(name); i >= 0 {
			if replace {
				hs[i].values = []string{value}
			}
			return
		}
		hs = append(hs, header{name, []string{value}})
	}
	ip := x.sourceIP()
	xff := ip
	if i := find("X-Forwarded-For"); i >= 0 {
		xff = strings.Join(hs[i].values, ", ") + ", " + ip
	}
	set("X-Forwarded-For", xff, true)
	proto, port := "http", "80"
	if x.r.TLS != nil {
		proto, port = "https", "443"
	}
	if a, ok := x.r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, p, err := net.SplitHostPort(a.String()); err == nil {
			port = p
		}
	}
	set("X-Forwarded-Port", port, true)
	set("X-Forwarded-Proto", proto, true)
	set("X-Amzn-Trace-Id", x.traceID(), false)
	set("Via", "1.1 "+x.cloudFrontID()+".cloudfront.net (CloudFront)", false)
	set("X-Amz-Cf-Id", x.extendedID, false)
	set("CloudFront-Forwarded-Proto", proto, true)
	ua := x.r.UserAgent()
	mobile := strings.Contains(ua, "Mobi")
	tablet := strings.Contains(ua, "iPad") || strings.Contains(ua, "Tablet")
	tv := strings.Contains(ua, "SmartTV") || strings.Contains(ua, "SMART-TV")
	set("CloudFront-Is-Desktop-Viewer", fmt.Sprint(!mobile && !tablet && !tv), true)
	set("CloudFront-Is-Mobile-Viewer", fmt.Sprint(mobile), true)
	set("CloudFront-Is-SmartTV-Viewer", fmt.Sprint(tv), true)
	set("CloudFront-Is-Tablet-Viewer", fmt.Sprint(tablet), true)
	if c := x.g.opts.ViewerCountry; c != "" {
		set("CloudFront-Viewer-Country", c, true)
	}
	return hs
}

// traceID is the X-Amzn-Trace-Id: the client's, else a new X-Ray root
// (1-{epoch seconds, 8 hex}-{96 random bits, 24 hex}).
func (x *exchange) traceID() string {
	if v := x.r.Header.Get("X-Amzn-Trace-Id"); v != "" {
		return v
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("Root=1-%08x-%s", x.start.Unix(), hex.EncodeToString(b[:]))
}

// cloudFrontID is the distribution-like id in Via: derived from the
// request id, 32 hex digits as CloudFront's.
func (x *exchange) cloudFrontID() string {
	return strings.ReplaceAll(x.requestID, "-", "")
}

// eventHeader is the request's headers for a REQUEST authorizer event:
// as sent plus AWS's added ones, keyed by the sent spelling.
func (x *exchange) eventHeader() http.Header {
	hs := x.awsAddedHeaders(x.sentHeaders())
	h := make(http.Header, len(hs))
	for _, e := range hs {
		h[e.name] = e.values
	}
	return h
}
