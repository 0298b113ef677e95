package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/internal/rawheader"
)

// TestAuthorizerContextNumbers: a Lambda authorizer's whole-number context
// value renders as 1 (not 1.0) in templates, as AWS does.
func TestAuthorizerContextNumbers(t *testing.T) {
	env := newTestEnv(t, func(api *API, _ *Options) {
		api.Paths["/level"] = map[string]*Method{"GET": {Authorizer: "tok", Integration: Integration{Type: IntegrationMock,
			Responses: []IntegrationResponse{{StatusCode: 200, ResponseTemplates: map[string]string{
				"application/json": `{"level":"$context.authorizer.level","admin":"$context.authorizer.admin"}`}}}}}}
	})
	httpCase{target: "/dev/level", header: map[string]string{"Authorization": "Bearer allow-all"}, status: 200,
		wantBody: `{"level":"3","admin":"true"}`}.run(t, env.h, env.inv)
}

// TestRequestResponseOverrides follows AWS's override examples through an
// HTTP integration: the request template overrides a mapped header, a query
// string and a path parameter of the backend request; the response
// template reads the request override back and overrides the status and a
// header. Overriding one parameter twice is a 500.
func TestRequestResponseOverrides(t *testing.T) {
	env := newTestEnv(t, func(api *API, _ *Options) {
		api.Paths["/ov/{id}"] = map[string]*Method{"POST": {Integration: Integration{Type: IntegrationHTTP, HTTPMethod: "POST", URI: env0(api) + "/mapped/{id}",
			RequestParameters: map[string]string{"integration.request.header.X-Stage": "stageVariables.color"},
			RequestTemplates: map[string]string{"application/json": `#set($context.requestOverride.header.X-Stage = "over-$input.params('id')")
#set($context.requestOverride.querystring.q = "q q")
#set($context.requestOverride.path.id = "p/1")
$input.json('$')`},
			Responses: []IntegrationResponse{{StatusCode: 200, ResponseTemplates: map[string]string{"application/json": `#set($context.responseOverride.status = 202)
#set($context.responseOverride.header.X-Sent = $context.requestOverride.header.X-Stage)
{"backend":$input.json('$')}`}}}}}}
		api.Paths["/ovtwice"] = map[string]*Method{"GET": {Integration: Integration{Type: IntegrationMock,
			Responses: []IntegrationResponse{{StatusCode: 200, ResponseTemplates: map[string]string{"application/json": `#set($context.responseOverride.status = 400)#set($context.responseOverride.status = 401)`}}}}}}
	})
	rec := httpCase{method: http.MethodPost, target: "/dev/ov/7", body: `{"a":1}`, status: 202,
		contains: []string{`"path":"/mapped/p%2F1"`, `"query":"q=q+q"`, `"stage":"over-7"`, `"body":"{\"a\":1}"`}}.run(t, env.h, env.inv)
	if got := rec.Header().Get("X-Sent"); got != "over-7" {
		t.Fatalf("X-Sent = %q, want over-7", got)
	}
	httpCase{target: "/dev/ovtwice", status: 500, errType: "InternalServerErrorException", wantBody: `{"message":"Internal server error"}`}.run(t, env.h, env.inv)
}

// env0 is the test backend's base URL, read back from the fixture API.
func env0(api *API) string {
	return strings.TrimSuffix(api.Paths["/files/{proxy+}"]["ANY"].Integration.URI, "/files/{proxy}")
}

// proxyEventOf decodes the Lambda proxy event the echo function answered.
func proxyEventOf(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatalf("event: %v: %s", err, body)
	}
	return ev
}

// TestProxyEventFidelity checks the Lambda proxy input format: Host and
// AWS's added headers present, requestContext.deploymentId and
// identity.accessKey, %2B kept in path and pathParameters, and the REQUEST
// authorizer's path without the stage.
func TestProxyEventFidelity(t *testing.T) {
	env := newTestEnv(t, func(api *API, _ *Options) {
		api.Paths["/reqpath/{id}"] = map[string]*Method{"GET": {Authorizer: "req", Integration: Integration{Type: IntegrationAWSProxy, URI: "echo"}}}
	})
	rec := httpCase{target: "/dev/proxy/a%2Bb%20c", host: "abc.example:8080", header: map[string]string{"X-Forwarded-For": "203.0.113.9", "User-Agent": "Mozilla/5.0 (iPhone) Mobile", "Authorization": "Bearer allow-all"},
		status: 201}.run(t, env.h, env.inv)
	ev := proxyEventOf(t, rec.Body.Bytes())
	h := ev["headers"].(map[string]any)
	rc := ev["requestContext"].(map[string]any)
	id := rc["identity"].(map[string]any)
	switch {
	case ev["path"] != "/proxy/a%2Bb c", ev["pathParameters"].(map[string]any)["id"] != "a%2Bb c":
		t.Fatalf("path %v params %v", ev["path"], ev["pathParameters"])
	case h["Host"] != "abc.example:8080":
		t.Fatalf("Host %v", h["Host"])
	case h["X-Forwarded-For"] != "203.0.113.9, 192.0.2.1", h["X-Forwarded-Proto"] != "http", h["X-Forwarded-Port"] == nil:
		t.Fatalf("X-Forwarded-* %v", h)
	case !strings.HasPrefix(h["X-Amzn-Trace-Id"].(string), "Root=1-"), !strings.HasSuffix(h["Via"].(string), ".cloudfront.net (CloudFront)"):
		t.Fatalf("trace/via %v", h)
	case h["CloudFront-Is-Mobile-Viewer"] != "true", h["CloudFront-Is-Desktop-Viewer"] != "false", h["CloudFront-Forwarded-Proto"] != "http":
		t.Fatalf("CloudFront-* %v", h)
	case rc["deploymentId"] == "" || rc["deploymentId"] == nil:
		t.Fatalf("deploymentId %v", rc)
	}
	if v, ok := id["accessKey"]; !ok || v != nil {
		t.Fatalf("identity.accessKey %v %v", v, ok)
	}
	mv := ev["multiValueHeaders"].(map[string]any)
	if len(mv["Host"].([]any)) != 1 {
		t.Fatalf("multiValueHeaders %v", mv)
	}

	httpCase{target: "/dev/reqpath/7?key=good", header: map[string]string{"X-Key": "good"}, status: 201}.run(t, env.h, env.inv)
	var aev map[string]any
	_ = json.Unmarshal(env.inv.payload("requestAuth"), &aev)
	if aev["path"] != "/reqpath/7" || aev["resource"] != "/reqpath/{id}" {
		t.Fatalf("REQUEST authorizer path %v resource %v", aev["path"], aev["resource"])
	}
}

// TestProxyEventHeaderCase runs the gateway behind the raw-header recorder:
// the event keeps the client's spelling, merges names differing only in
// case into one entry (first spelling, values in order, last in headers).
func TestProxyEventHeaderCase(t *testing.T) {
	env := newTestEnv(t, nil)
	srv := httptest.NewUnstartedServer(env.h)
	srv.Listener = rawheader.Listener(srv.Listener)
	srv.Config.ConnContext = rawheader.ConnContext
	srv.Start()
	defer srv.Close()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /dev/proxy HTTP/1.1\r\nhost: x.example\r\nx-api-key: k1\r\nX-LOWER: 1\r\nx-lower: 2\r\nConnection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	ev := proxyEventOf(t, body)
	h := ev["headers"].(map[string]any)
	mv := ev["multiValueHeaders"].(map[string]any)
	if h["host"] != "x.example" || h["x-api-key"] != "k1" || h["X-LOWER"] != "2" || h["X-Api-Key"] != nil {
		t.Fatalf("headers %v", h)
	}
	if got := mv["X-LOWER"].([]any); len(got) != 2 || got[0] != "1" || got[1] != "2" {
		t.Fatalf("multiValueHeaders %v", mv)
	}
}

// TestProxyResultFidelity checks the Lambda proxy output format: header
// names keep the function's case, headers and multiValueHeaders merge (a
// value in both appears once), and isBase64Encoded bodies are decoded only
// when the first Accept type is a binary media type.
func TestProxyResultFidelity(t *testing.T) {
	setup := func(binary []string) *testEnv {
		return newTestEnv(t, func(api *API, _ *Options) {
			api.BinaryMediaTypes = binary
			api.Paths["/result"] = map[string]*Method{"GET": {Integration: Integration{Type: IntegrationAWSProxy, URI: "result"}}}
		})
	}
	result := func(context.Context, []byte) ([]byte, string, error) {
		return []byte(`{"statusCode":200,"headers":{"x-lower":"a","Set-Cookie":"c=3","content-type":"image/png"},
			"multiValueHeaders":{"set-cookie":["a=1","b=2"],"X-Lower":["a","b"]},"body":"aGk=","isBase64Encoded":true}`), "", nil
	}
	env := setup(nil)
	env.inv.funcs["result"] = result
	rec := httpCase{target: "/dev/result", header: map[string]string{"Accept": "image/png"}, status: 200, wantBody: "aGk="}.run(t, env.h, env.inv)
	hdr := rec.Result().Header
	if got := rec.Header()["X-Lower"]; len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Fatalf("X-Lower %v (all: %v)", got, hdr)
	}
	if got := rec.Header()["set-cookie"]; len(got) != 3 || got[2] != "c=3" {
		t.Fatalf("set-cookie %v (all: %v)", got, hdr)
	}
	if got := rec.Header()["content-type"]; len(got) != 1 || got[0] != "image/png" {
		t.Fatalf("content-type %v (all: %v)", got, hdr)
	}

	env = setup([]string{"image/*"})
	env.inv.funcs["result"] = result
	httpCase{target: "/dev/result", header: map[string]string{"Accept": "image/png"}, status: 200, wantBody: "hi"}.run(t, env.h, env.inv)
	httpCase{target: "/dev/result", header: map[string]string{"Accept": "text/html, image/png"}, status: 200, wantBody: "aGk="}.run(t, env.h, env.inv)
}

// TestProxyEventBinaryBody: a request body whose Content-Type is a binary
// media type reaches the function base64-encoded, text or not.
func TestProxyEventBinaryBody(t *testing.T) {
	env := newTestEnv(t, func(api *API, _ *Options) { api.BinaryMediaTypes = []string{"application/octet-stream"} })
	rec := httpCase{method: http.MethodPost, target: "/dev/proxy", body: "hello", header: map[string]string{"Content-Type": "application/octet-stream"}, status: 201}.run(t, env.h, env.inv)
	ev := proxyEventOf(t, rec.Body.Bytes())
	if ev["body"] != "aGVsbG8=" || ev["isBase64Encoded"] != true {
		t.Fatalf("body %v %v", ev["body"], ev["isBase64Encoded"])
	}
	rec = httpCase{method: http.MethodPost, target: "/dev/proxy", body: "hello", header: map[string]string{"Content-Type": "text/plain"}, status: 201}.run(t, env.h, env.inv)
	if ev := proxyEventOf(t, rec.Body.Bytes()); ev["body"] != "hello" || ev["isBase64Encoded"] != false {
		t.Fatalf("text body %v %v", ev["body"], ev["isBase64Encoded"])
	}
}
