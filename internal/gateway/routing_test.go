package gateway

import (
	"net/http"
	"testing"
)

const missingToken = `{"message":"Missing Authentication Token"}`

func TestRouting(t *testing.T) {
	env := newTestEnv(t, nil)
	tests := []httpCase{
		{name: "static", target: "/dev/items", status: 200, contains: []string{`"stage":"dev"`, `"resource":"/items"`}},
		{name: "param", target: "/dev/items/42", status: 200, contains: []string{`"id":"42"`, `"resource":"/items/{id}"`}},
		{name: "static beats param", target: "/dev/items/special", status: 200, wantBody: `{"special":true}`},
		{name: "param decoded once", target: "/dev/items/a%2520b", status: 200, contains: []string{`"id":"a%20b"`}},
		{name: "param with encoded slash stays one segment", target: "/dev/items/a%2Fb", status: 200, contains: []string{`"id":"a/b"`}},
		{name: "trailing slash", target: "/dev/items/", status: 200, contains: []string{`"resource":"/items"`}},
		{name: "unknown resource", target: "/dev/nothing", status: 403, errType: "MissingAuthenticationTokenException", wantBody: missingToken},
		{name: "unknown method", method: http.MethodPut, target: "/dev/items", status: 403, errType: "MissingAuthenticationTokenException", wantBody: missingToken},
		{name: "unknown stage", target: "/prod/items", status: 403, errType: "MissingAuthenticationTokenException", wantBody: missingToken},
		{name: "root without resource", target: "/dev/", status: 403, errType: "MissingAuthenticationTokenException"},
		{name: "no stage", target: "/", status: 403, errType: "MissingAuthenticationTokenException"},
		{name: "case differs", target: "/dev/Items", status: 403, errType: "MissingAuthenticationTokenException"},
		{name: "stage case differs", target: "/DEV/items", status: 403, errType: "MissingAuthenticationTokenException"},
		{name: "double slash", target: "/dev//items", status: 403, errType: "MissingAuthenticationTokenException"},
		{name: "double slash inside", target: "/dev/items//42", status: 403, errType: "MissingAuthenticationTokenException"},
		{name: "dot dot", target: "/dev/items/../notes", status: 403, errType: "MissingAuthenticationTokenException"},
		{name: "encoded dot dot slash", target: "/dev/items/..%2fnotes", status: 200, contains: []string{`"id":"../notes"`, `"resource":"/items/{id}"`}},
		{name: "encoded dot dot", target: "/dev/items/%2e%2e", status: 403, errType: "MissingAuthenticationTokenException"},
		{name: "single dot", target: "/dev/items/.", status: 403, errType: "MissingAuthenticationTokenException"},
		{name: "nul byte", target: "/dev/items/a%00b", status: 403, errType: "MissingAuthenticationTokenException"},
		{name: "greedy proxy", target: "/dev/files/a/b/c.txt", status: 200, contains: []string{`"path":"/files/a/b/c.txt"`}},
		{name: "greedy proxy needs a segment", target: "/dev/files", status: 403, errType: "MissingAuthenticationTokenException"},
		{name: "proxy keeps encoded slash encoded", target: "/dev/files/a%2F..%2Fsecret", status: 200, contains: []string{`"path":"/files/a%2F..%2Fsecret"`}},
		{name: "ANY method", method: http.MethodDelete, target: "/dev/files/x", status: 200, contains: []string{`"method":"DELETE"`}},
		{name: "host routing", host: testAPIID + ".execute-api.localhost:4566", target: "/dev/items/7", status: 200, contains: []string{`"id":"7"`}},
		{name: "host routing unknown api", host: "zzzzzzzzzz.execute-api.localhost", target: "/dev/items/7", status: 403, errType: "MissingAuthenticationTokenException"},
		{name: "restapis path", target: "/restapis/" + testAPIID + "/dev/_user_request_/items/9", status: 200, contains: []string{`"id":"9"`}},
		{name: "restapis bad marker", target: "/restapis/" + testAPIID + "/dev/user_request/items/9", status: 403, errType: "MissingAuthenticationTokenException"},
		{name: "restapis unknown api", target: "/restapis/nope/dev/_user_request_/items/9", status: 403, errType: "MissingAuthenticationTokenException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, env.h, env.inv) })
	}
}

func TestSplitPath(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		ok   bool
	}{
		{"", nil, true},
		{"/", nil, true},
		{"/a/b", []string{"a", "b"}, true},
		{"/a/b/", []string{"a", "b"}, true},
		{"/a//b", nil, false},
		{"//", nil, false},
		{"a/b", nil, false},
		{"/a/%2E%2E", nil, false},
		{"/a/%41", []string{"a", "A"}, true},
	}
	for _, tt := range tests {
		got, _, ok := splitPath(tt.in)
		if ok != tt.ok || len(got) != len(tt.want) {
			t.Errorf("splitPath(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("splitPath(%q) = %q, want %q", tt.in, got, tt.want)
			}
		}
	}
}

func TestDeployRejectsBadAPIs(t *testing.T) {
	tests := []struct {
		name string
		api  *API
	}{
		{"bad path", &API{Name: "x", Paths: map[string]map[string]*Method{"nope": {"GET": {Integration: Integration{Type: "MOCK"}}}}}},
		{"greedy not last", &API{Name: "x", Paths: map[string]map[string]*Method{"/{p+}/x": {"GET": {Integration: Integration{Type: "MOCK"}}}}}},
		{"conflicting params", &API{Name: "x", Paths: map[string]map[string]*Method{"/{a}": {"GET": {Integration: Integration{Type: "MOCK"}}}, "/{b}/c": {"GET": {Integration: Integration{Type: "MOCK"}}}}}},
		{"unknown verb", &API{Name: "x", Paths: map[string]map[string]*Method{"/a": {"FETCH": {Integration: Integration{Type: "MOCK"}}}}}},
		{"unknown authorizer", &API{Name: "x", Paths: map[string]map[string]*Method{"/a": {"GET": {Authorizer: "nope", Integration: Integration{Type: "MOCK"}}}}}},
		{"unknown integration", &API{Name: "x", Paths: map[string]map[string]*Method{"/a": {"GET": {Integration: Integration{Type: "SOAP"}}}}}},
		{"bad http uri", &API{Name: "x", Paths: map[string]map[string]*Method{"/a": {"GET": {Integration: Integration{Type: "HTTP_PROXY", URI: "ftp://x"}}}}}},
		{"bad lambda uri", &API{Name: "x", Paths: map[string]map[string]*Method{"/a": {"GET": {Integration: Integration{Type: "AWS", URI: "arn:aws:apigateway:us-east-1:s3:path/bucket"}}}}}},
		{"bad selection pattern", &API{Name: "x", Paths: map[string]map[string]*Method{"/a": {"GET": {Integration: Integration{Type: "MOCK", Responses: []IntegrationResponse{{SelectionPattern: "(", StatusCode: 400}}}}}}}},
		{"bad template", &API{Name: "x", Paths: map[string]map[string]*Method{"/a": {"GET": {Integration: Integration{Type: "MOCK", RequestTemplates: map[string]string{"application/json": "#if("}}}}}}},
		{"bad ttl", &API{Name: "x", Authorizers: map[string]*Authorizer{"a": {Type: "TOKEN", Function: "f", ResultTTLSeconds: ptr(4000)}}, Paths: map[string]map[string]*Method{}}},
		{"bad validation expression", &API{Name: "x", Authorizers: map[string]*Authorizer{"a": {Type: "TOKEN", Function: "f", IdentityValidationExpression: "("}}, Paths: map[string]map[string]*Method{}}},
		{"bad provider arn", &API{Name: "x", Authorizers: map[string]*Authorizer{"a": {Type: "COGNITO_USER_POOLS", ProviderARNs: []string{"arn:aws:s3:::bucket"}}}, Paths: map[string]map[string]*Method{}}},
		{"unknown gateway response", &API{Name: "x", Paths: map[string]map[string]*Method{}, GatewayResponses: map[ResponseType]*GatewayResponse{"NOPE": {}}}},
	}
	ti := newTestIssuer(t, newFakeClock().Now)
	gw := New(Options{Functions: newFakeInvoker(nil), Tokens: ti, Issuer: ti.issuerOf, Logger: testLogger(t)})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := gw.Deploy(t.Context(), tt.api, "dev", nil); err == nil {
				t.Fatal("deployed")
			}
		})
	}
	if len(gw.Routes()) != 0 {
		t.Fatal("a rejected API is served")
	}
}
