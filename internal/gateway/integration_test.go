package gateway

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestIntegrations(t *testing.T) {
	env := newTestEnv(t, nil)
	jsonCT := map[string]string{"Content-Type": "application/json"}
	tests := []httpCase{
		// HTTP_PROXY
		{name: "http proxy forwards method, path, query, body, headers", method: http.MethodPost, target: "/dev/files/a%20b/c?x=1&x=2",
			header: map[string]string{"Authorization": "abc", "X-Forwarded-For": "203.0.113.9", "Connection": "X-Hop", "X-Hop": "secret", "Keep-Alive": "timeout=5"},
			body:   "payload", status: 200,
			contains: []string{`"method":"POST"`, `"path":"/files/a%20b/c"`, `"query":"x=1\u0026x=2"`, `"body":"payload"`, `"auth":"abc"`,
				`"xff":"203.0.113.9, 192.0.2.1"`, `"hop":""`, `"keepalive":""`}},
		// MOCK
		{name: "mock status from template selects response", target: "/dev/mockstatus?code=404", status: 418, wantBody: `{"teapot":true}`},
		{name: "mock default response", target: "/dev/mockstatus?code=200", status: 200},
		{name: "mock template without statusCode", target: "/dev/mockbad", status: 500, errType: "InternalServerErrorException", wantBody: `{"message":"Internal server error"}`},
		// AWS (non-proxy)
		{name: "aws success: default response template", method: http.MethodPost, target: "/dev/failing", header: jsonCT, body: `{"a":1}`, status: 200, wantBody: `{"result":true}`},
		{name: "aws error selects by errorMessage", method: http.MethodPost, target: "/dev/failing", header: jsonCT, body: `{"Fail":"NotFound: note 7"}`, status: 404, wantBody: `{"error":"NotFound: note 7"}`},
		{name: "aws error second pattern", method: http.MethodPost, target: "/dev/failing", header: jsonCT, body: `{"Fail":"Invalid input"}`, status: 400},
		{name: "aws error pattern must match in full", method: http.MethodPost, target: "/dev/failing", header: jsonCT, body: `{"Fail":"xNotFound: 1"}`, status: 200, contains: []string{`"result":`}},
		{name: "aws NEVER passthrough: 415", method: http.MethodPost, target: "/dev/failing", header: map[string]string{"Content-Type": "text/plain"}, body: "x", status: 415, errType: "UnsupportedMediaTypeException", wantBody: `{"message":"Unsupported Media Type"}`},
		{name: "aws content type parameters ignored", method: http.MethodPost, target: "/dev/failing", header: map[string]string{"Content-Type": "application/json; charset=utf-8"}, body: `{}`, status: 200},
		{name: "aws invalid json body for template", method: http.MethodPost, target: "/dev/failing", header: jsonCT, body: `{nope`, status: 400, errType: "BadRequestException"},
		{name: "aws WHEN_NO_MATCH passthrough", method: http.MethodPost, target: "/dev/passthrough", header: map[string]string{"Content-Type": "text/plain"}, body: `{"Fail":"x"}`, status: 200, contains: []string{`"errorMessage":"x"`}},
		{name: "aws WHEN_NO_TEMPLATES with templates: 415", method: http.MethodPost, target: "/dev/notemplates", header: jsonCT, body: `{}`, status: 415, errType: "UnsupportedMediaTypeException"},
		{name: "aws WHEN_NO_TEMPLATES matching template", method: http.MethodPost, target: "/dev/notemplates", header: map[string]string{"Content-Type": "application/xml"}, body: `<x/>`, status: 200, wantBody: `{"ok":true}`},
		{name: "aws timeout 504", target: "/dev/slow", status: 504, errType: "InternalServerErrorException", wantBody: `{"message": "Endpoint request timed out"}`},
		// AWS_PROXY
		{name: "function name from a stage variable", target: "/dev/stagefn", status: 201, calls: map[string]int{"echo": 1}},
		{name: "proxy malformed body", target: "/dev/badproxy", status: 502, errType: "InternalServerErrorException", wantBody: internalError},
		{name: "proxy unknown field", target: "/dev/extrafield", status: 502, errType: "InternalServerErrorException", wantBody: internalError},
		{name: "proxy function error", target: "/dev/crashproxy", status: 502, errType: "InternalServerErrorException", wantBody: internalError},
		{name: "proxy missing function", target: "/dev/missingfn", status: 502, errType: "InternalServerErrorException", wantBody: internalError},
		// HTTP (non-proxy)
		{name: "http mapped", method: http.MethodPost, target: "/dev/http/7?q=search", header: jsonCT, body: `{"n":1}`, status: 200,
			contains: []string{`"path":"/mapped/7"`, `"query":"q=search"`, `"stage":"blue"`, `\"wrapped\":{\"n\":1}`, `\"id\":\"7\"`}},
		{name: "http timeout 504", target: "/dev/slowhttp", status: 504, errType: "InternalServerErrorException", wantBody: `{"message": "Endpoint request timed out"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, env.h, env.inv) })
	}
}

func TestHTTPProxyResponseHeaders(t *testing.T) {
	env := newTestEnv(t, nil)
	rec := httpCase{target: "/dev/files/x", status: 200}.run(t, env.h, env.inv)
	if rec.Header().Get("X-Backend") != "yes" {
		t.Fatal("backend header lost")
	}
	if rec.Header().Get("X-Secret-Hop") != "" || rec.Header().Get("Connection") != "" {
		t.Fatalf("hop-by-hop headers forwarded: %v", rec.Header())
	}
}

func TestHTTPMappedResponseParameters(t *testing.T) {
	env := newTestEnv(t, nil)
	rec := httpCase{method: http.MethodPost, target: "/dev/http/1", header: map[string]string{"Content-Type": "application/json"}, body: `{}`, status: 200}.run(t, env.h, env.inv)
	if rec.Header().Get("X-Backend") != "yes" {
		t.Fatalf("response parameter not mapped: %v", rec.Header())
	}
}

func TestAWSErrorResponseParameters(t *testing.T) {
	env := newTestEnv(t, nil)
	rec := httpCase{method: http.MethodPost, target: "/dev/failing", header: map[string]string{"Content-Type": "application/json"}, body: `{"Fail":"NotFound: x"}`, status: 404}.run(t, env.h, env.inv)
	if rec.Header().Get("X-Kind") != "not-found" {
		t.Fatalf("X-Kind = %q", rec.Header().Get("X-Kind"))
	}
}

func TestProxyEventShape(t *testing.T) {
	env := newTestEnv(t, nil)
	rec := httpCase{method: http.MethodPut, target: "/dev/proxy/a%20b?a=1&a=2&b=3", header: map[string]string{"Authorization": "allow-all", "X-Multi": "v"},
		body: "hello", status: 201}.run(t, env.h, env.inv)
	if got := rec.Header().Values("Set-Cookie"); len(got) != 2 || rec.Header().Get("X-Echo") != "1" || rec.Header().Get("X-Num") != "5" {
		t.Fatalf("response headers %v", rec.Header())
	}
	var ev struct {
		Resource                        string
		Path                            string
		HTTPMethod                      string
		Headers                         map[string]string
		MultiValueHeaders               map[string][]string
		QueryStringParameters           map[string]string
		MultiValueQueryStringParameters map[string][]string
		PathParameters                  map[string]string
		StageVariables                  map[string]string
		Body                            *string
		IsBase64Encoded                 bool
		RequestContext                  struct {
			Stage, ResourcePath, Path, HTTPMethod, RequestID, APIID string
			Identity                                                struct{ SourceIP string }
			Authorizer                                              map[string]any
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &ev); err != nil {
		t.Fatal(err)
	}
	rc := ev.RequestContext
	switch {
	case ev.Resource != "/proxy/{id}", ev.Path != "/proxy/a b", ev.HTTPMethod != "PUT":
		t.Fatalf("event head %+v", ev)
	case ev.Headers["X-Multi"] != "v", ev.MultiValueHeaders["X-Multi"][0] != "v":
		t.Fatalf("headers %v %v", ev.Headers, ev.MultiValueHeaders)
	case ev.QueryStringParameters["a"] != "2", len(ev.MultiValueQueryStringParameters["a"]) != 2, ev.QueryStringParameters["b"] != "3":
		t.Fatalf("query %v %v", ev.QueryStringParameters, ev.MultiValueQueryStringParameters)
	case ev.PathParameters["id"] != "a b", ev.StageVariables["color"] != "blue":
		t.Fatalf("params %v %v", ev.PathParameters, ev.StageVariables)
	case ev.Body == nil || *ev.Body != "hello" || ev.IsBase64Encoded:
		t.Fatalf("body %v %v", ev.Body, ev.IsBase64Encoded)
	case rc.Stage != "dev", rc.ResourcePath != "/proxy/{id}", rc.Path != "/dev/proxy/a%20b", rc.HTTPMethod != "PUT", rc.RequestID != rec.Header().Get("x-amzn-RequestId"), rc.APIID != testAPIID:
		t.Fatalf("requestContext %+v", rc)
	case rc.Identity.SourceIP != "192.0.2.1":
		t.Fatalf("identity %+v", rc.Identity)
	case rc.Authorizer["principalId"] != "sub-alice", rc.Authorizer["username"] != "alice", rc.Authorizer["admin"] != true, rc.Authorizer["level"] != float64(3):
		t.Fatalf("authorizer %v", rc.Authorizer)
	}
}

func TestProxyBinaryBody(t *testing.T) {
	env := newTestEnv(t, nil)
	rec := httpCase{method: http.MethodPost, target: "/dev/proxy", body: "\xff\xfe", status: 201}.run(t, env.h, env.inv)
	if !strings.Contains(rec.Body.String(), `"body":"//4=","isBase64Encoded":true`) {
		t.Fatalf("binary body not base64: %s", rec.Body)
	}
}

func TestParseProxyResponse(t *testing.T) {
	tests := []struct {
		name, out string
		status    int
		body      string
		ok        bool
	}{
		{"minimal", `{"statusCode":200}`, 200, "", true},
		{"string status", `{"statusCode":"404","body":"x"}`, 404, "x", true},
		{"base64", `{"statusCode":200,"body":"aGk=","isBase64Encoded":true}`, 200, "hi", true},
		{"bad base64", `{"statusCode":200,"body":"!!","isBase64Encoded":true}`, 0, "", false},
		{"no status", `{"body":"x"}`, 0, "", false},
		{"status out of range", `{"statusCode":99}`, 0, "", false},
		{"object header", `{"statusCode":200,"headers":{"a":{}}}`, 0, "", false},
		{"not json", `hello`, 0, "", false},
		{"array", `[]`, 0, "", false},
	}
	for _, tt := range tests {
		status, _, body, err := parseProxyResponse([]byte(tt.out), func(string) bool { return true })
		if (err == nil) != tt.ok || status != tt.status || string(body) != tt.body {
			t.Errorf("%s: got %d %q %v", tt.name, status, body, err)
		}
	}
}
