package gateway

import (
	"net/http"
	"slices"
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
		// API Gateway routes x//y like x/y, also before and after the stage.
		{name: "double slash", target: "/dev//items", status: 200, contains: []string{`"resource":"/items"`}},
		{name: "double slash inside", target: "/dev/items//42", status: 200, contains: []string{`"id":"42"`}},
		{name: "double slash before stage", target: "//dev/items/42", status: 200, contains: []string{`"id":"42"`}},
		{name: "plus kept encoded", target: "/dev/items/a%2Bb", status: 200, contains: []string{`"id":"a%2Bb"`}},
		{name: "dot dot", target: "/dev/items/../notes", status: 403, errType: "MissingAuthenticationTokenException"},
		{name: "encoded dot dot slash", target: "/dev/items/..%2fnotes", status: 403, errType: "MissingAuthenticationTokenException"},
		{name: "encoded slash dot", target: "/dev/items/a%2F.", status: 403, errType: "MissingAuthenticationTokenException"},
		{name: "encoded backslash dot dot", target: "/dev/items/..%5Cnotes", status: 403, errType: "MissingAuthenticationTokenException"},
		{name: "encoded dot dot", target: "/dev/items/%2e%2e", status: 403, errType: "MissingAuthenticationTokenException"},
		{name: "single dot", target: "/dev/items/.", status: 403, errType: "MissingAuthenticationTokenException"},
		{name: "nul byte", target: "/dev/items/a%00b", status: 403, errType: "MissingAuthenticationTokenException"},
		{name: "greedy proxy", target: "/dev/files/a/b/c.txt", status: 200, contains: []string{`"path":"/files/a/b/c.txt"`}},
		{name: "greedy proxy needs a segment", target: "/dev/files", status: 403, errType: "MissingAuthenticationTokenException"},
		{name: "proxy keeps encoded slash encoded", target: "/dev/files/a%2Fb/c", status: 200, contains: []string{`"path":"/files/a%2Fb/c"`}},
		{name: "proxy keeps plus encoded", target: "/dev/files/a%2Bb", status: 200, contains: []string{`"path":"/files/a%2Bb"`}},
		{name: "proxy refuses dot dot behind encoded slash", target: "/dev/files/a%2F..%2Fsecret", status: 403, errType: "MissingAuthenticationTokenException"},
		{name: "proxy refuses encoded dot dot", target: "/dev/files/a/%2E%2E/secret", status: 403, errType: "MissingAuthenticationTokenException"},
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
		{"/a//b", []string{"a", "b"}, true},
		{"//", nil, true},
		{"/a/b%2F..", nil, false},
		{"/a/%2e%2E%2fb", nil, false},
		{"/a/%2Fb", []string{"a", "/b"}, true},
		{"/a%2Bb", []string{"a%2Bb"}, true},
		{"/a/%zz", nil, false},
		{"a/b", nil, false},
		{"/a/%2E%2E", nil, false},
		{"/a/%41", []string{"a", "A"}, true},
	}
	for _, tt := range tests {
		got, _, ok := splitPath(tt.in, KeepUnchanged)
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

func TestEscapedSlashActions(t *testing.T) {
	tests := []struct {
		action EscapedSlashAction
		in     string
		want   []string
		raw    []string
		ok     bool
	}{
		{KeepUnchanged, "/files/a%2Fb", []string{"files", "a/b"}, []string{"files", "a%2Fb"}, true},
		{KeepUnchanged, "/files/a%5cb", []string{"files", `a\b`}, []string{"files", "a%5cb"}, true},
		{KeepUnchanged, "/files/a%2F..%2Fb", nil, nil, false},
		{RejectRequest, "/files/a%2Fb", nil, nil, false},
		{RejectRequest, "/files/a%5Cb", nil, nil, false},
		{RejectRequest, "/files/a%41b", []string{"files", "aAb"}, []string{"files", "a%41b"}, true},
		{UnescapeAndForward, "/files/a%2Fb", []string{"files", "a", "b"}, []string{"files", "a", "b"}, true},
		{UnescapeAndForward, "/files/a%2F%2Fb%5Cc", []string{"files", "a", "b", "c"}, []string{"files", "a", "b", "c"}, true},
		{UnescapeAndForward, "/files/a%2F..%2Fb", nil, nil, false},
		{UnescapeAndForward, "/files/a%2F%2e", nil, nil, false},
	}
	for _, tt := range tests {
		got, raw, ok := splitPath(tt.in, tt.action)
		if ok != tt.ok || !slices.Equal(got, tt.want) || !slices.Equal(raw, tt.raw) {
			t.Errorf("%s splitPath(%q) = %q %q %v; want %q %q %v", tt.action, tt.in, got, raw, ok, tt.want, tt.raw, tt.ok)
		}
	}
	for _, s := range []string{"", "keep_unchanged", "REJECT_REQUEST", "Unescape_And_Forward"} {
		if _, err := ParseEscapedSlashAction(s); err != nil {
			t.Errorf("ParseEscapedSlashAction(%q): %v", s, err)
		}
	}
	if _, err := ParseEscapedSlashAction("UNESCAPE_AND_REDIRECT"); err == nil {
		t.Error("UNESCAPE_AND_REDIRECT accepted")
	}
}

// TestEscapedSlashesThroughHTTPProxy: what the backend of a {proxy+}
// HTTP_PROXY integration receives under each action.
func TestEscapedSlashesThroughHTTPProxy(t *testing.T) {
	for _, tc := range []struct {
		action EscapedSlashAction
		target string
		status int
		path   string
	}{
		{KeepUnchanged, "/dev/files/a%2Fb", 200, `"path":"/files/a%2Fb"`},
		{KeepUnchanged, "/dev/files/x/..%2F..%2Fetc", 403, ""},
		{RejectRequest, "/dev/files/a%2Fb", 403, ""},
		{RejectRequest, "/dev/files/a/b", 200, `"path":"/files/a/b"`},
		{UnescapeAndForward, "/dev/files/a%2Fb", 200, `"path":"/files/a/b"`},
		{UnescapeAndForward, "/dev/files/a%2F..%2F..%2Fb", 403, ""},
	} {
		t.Run(string(tc.action)+tc.target, func(t *testing.T) {
			env := newTestEnv(t, func(_ *API, o *Options) { o.EscapedSlashes = tc.action })
			c := httpCase{target: tc.target, status: tc.status}
			if tc.status == 403 {
				c.errType, c.wantBody = "MissingAuthenticationTokenException", missingToken
			} else {
				c.contains = []string{tc.path}
			}
			c.run(t, env.h, env.inv)
		})
	}
}
