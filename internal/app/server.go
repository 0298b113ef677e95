package app

import (
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	apigwcontrol "github.com/cognate-dev/cognate/internal/apigw/control"
	lambdacontrol "github.com/cognate-dev/cognate/internal/functions/control"
	"github.com/cognate-dev/cognate/internal/httpapi"
	httpapicontrol "github.com/cognate-dev/cognate/internal/httpapi/control"
	"github.com/cognate-dev/cognate/internal/iam"
)

// Limits of the listener, explicit and configurable through Options.
const (
	// DefaultMaxHeaderBytes is the listener's hard cap on request line plus
	// headers. It is above the gateway's own 10 KiB limit so that the gateway
	// answers 431 itself, in AWS's shape; Go answers past this cap.
	DefaultMaxHeaderBytes = 64 << 10
	// DefaultReadHeaderTimeout bounds how long a client may take to send headers.
	DefaultReadHeaderTimeout = 5 * time.Second
	// DefaultReadTimeout bounds reading a whole request, body included, so a
	// client dribbling its body cannot hold a connection (Go clears the read
	// deadline once the body is read, so long handlers are not cut short).
	DefaultReadTimeout = 30 * time.Second
	// DefaultWriteTimeout is above the gateway's longest integration timeout (29 s).
	DefaultWriteTimeout = 35 * time.Second
	// DefaultIdleTimeout closes idle keep-alive connections.
	DefaultIdleTimeout = 120 * time.Second
	// DefaultDrainTimeout is how long SIGTERM waits for requests in flight.
	DefaultDrainTimeout = 30 * time.Second
	// DefaultMaxConnections bounds the main listener's open connections
	// (each costs about 35 KB while open; see docs/PERFORMANCE.md).
	DefaultMaxConnections = 4096
)

// routes dispatches one listener to the components (docs/ARCHITECTURE.md,
// "The listener"):
// X-Amz-Target Cognito calls, the JWKS and OpenID documents, the Lambda Invoke
// API, Cognate's own endpoints, and everything else to the API gateway.
type routes struct {
	hosts     *atomic.Pointer[hostSet]
	userpool  http.Handler
	wellKnown http.Handler
	invoke    http.Handler // the Lambda API (management and Invoke)
	query     http.Handler // IAM and STS (AWS query protocol)
	admin     http.Handler
	gateway   http.Handler
	// oauth serves the authorization server and managed login (on pool
	// domains and under /{poolId}/); it reports whether it took the request.
	oauth func(w http.ResponseWriter, r *http.Request) bool
	apigw http.Handler // the API Gateway management API (apigwcontrol.IsControlPath)
	// apigwv2 is the apigatewayv2 management API (/v2/apis…, /v2/tags/…).
	apigwv2 http.Handler
}

const cognitoTargetPrefix = "AWSCognitoIdentityProviderService."

func (rt *routes) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if len(r.TransferEncoding) > 0 {
		// net/http frames a request that has both Transfer-Encoding and
		// Content-Length by the former and drops the latter; RFC 9112 §6.1
		// requires closing the connection after answering it, so nothing
		// smuggled behind it is read as a second request.
		w = &closeAfterReply{ResponseWriter: w}
	}
	if !rt.hosts.Load().allows(r.Host) {
		refuseHost(w, r.Host)
		return
	}
	p := r.URL.Path
	if rt.oauth != nil && r.Header.Get("X-Amz-Target") == "" && rt.oauth(w, r) {
		return
	}
	switch {
	case strings.HasPrefix(r.Header.Get("X-Amz-Target"), cognitoTargetPrefix):
		rt.userpool.ServeHTTP(w, r)
	case p == "/" && iam.IsQueryCall(r):
		rt.query.ServeHTTP(w, r)
	case p == "/" && (r.Method == http.MethodPost || r.Method == http.MethodOptions):
		// Browsers' CORS preflight and target-less posts get the JSON protocol's answers.
		rt.userpool.ServeHTTP(w, r)
	case lambdacontrol.IsPath(p):
		rt.invoke.ServeHTTP(w, r)
	case strings.HasPrefix(p, "/_cognate/"):
		rt.admin.ServeHTTP(w, r)
	case isWellKnown(p):
		// Public documents: browsers (oidc-client-ts, aws-jwt-verify) read them cross-origin.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		rt.wellKnown.ServeHTTP(w, r)
	case httpapicontrol.IsPath(p) && !isExecuteAPIHost(r.Host):
		rt.apigwv2.ServeHTTP(w, r)
	case apigwcontrol.IsControlPath(r):
		rt.apigw.ServeHTTP(w, r)
	default:
		rt.gateway.ServeHTTP(w, r)
	}
}

// poolIDPattern matches user pool ids such as us-east-1_AbC123xyZ.
var poolIDPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]_[0-9A-Za-z]+$`)

// isWellKnown reports whether p is /{poolId}/.well-known/{document}: the
// issuer's JWKS and OpenID configuration. Only a region-shaped pool id takes
// the path from the gateway.
func isWellKnown(p string) bool {
	rest, ok := strings.CutPrefix(p, "/")
	if !ok {
		return false
	}
	pool, doc, ok := strings.Cut(rest, "/.well-known/")
	return ok && (doc == "jwks.json" || doc == "openid-configuration") && poolIDPattern.MatchString(pool)
}

// closeAfterReply makes the server close the connection after the response.
type closeAfterReply struct {
	http.ResponseWriter
	wrote bool
}

func (c *closeAfterReply) WriteHeader(code int) {
	if !c.wrote {
		c.wrote = true
		c.ResponseWriter.Header().Set("Connection", "close")
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *closeAfterReply) Write(b []byte) (int, error) {
	if !c.wrote {
		c.WriteHeader(http.StatusOK)
	}
	return c.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (c *closeAfterReply) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// isExecuteAPIHost reports whether host is an invoke URL's {apiId}.execute-api.* host.
func isExecuteAPIHost(host string) bool {
	_, ok := httpapi.APIIDFromHost(host)
	return ok
}

// dataPlane sends requests for HTTP APIs (by the Host's or the
// /restapis/{apiId}/ path's API id) to the HTTP API gateway and
// everything else to the REST gateway.
type dataPlane struct {
	rest http.Handler
	http *httpapi.Gateway
}

func (d *dataPlane) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id, ok := httpapi.APIIDFromHost(r.Host)
	if !ok {
		id, ok = httpapi.APIIDFromPath(r.URL.EscapedPath())
	}
	if ok && d.http.Serves(id) {
		d.http.Handler().ServeHTTP(w, r)
		return
	}
	d.rest.ServeHTTP(w, r)
}
