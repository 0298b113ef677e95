package gateway

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

const (
	unauthorized  = `{"message":"Unauthorized"}`
	implicitDeny  = `{"message":"User is not authorized to access this resource"}`
	explicitDeny  = `{"message":"User is not authorized to access this resource with an explicit deny"}`
	configError   = `{"message":null}`
	internalError = `{"message": "Internal server error"}`
)

func auth(v string) map[string]string { return map[string]string{"Authorization": v} }

func TestTokenAuthorizer(t *testing.T) {
	env := newTestEnv(t, nil)
	tests := []httpCase{
		{name: "missing token: 401 without calling", target: "/dev/notes", status: 401, errType: "UnauthorizedException", wantBody: unauthorized, calls: map[string]int{"notesAuthorizer": 0}},
		{name: "blank token", target: "/dev/notes", header: auth("  "), status: 401, errType: "UnauthorizedException", calls: map[string]int{"notesAuthorizer": 0}},
		{name: "allow: notes for alice", target: "/dev/notes", header: auth("allow-get"), status: 200, contains: []string{`"title":"Notes for alice"`}, calls: map[string]int{"notesAuthorizer": 1, "listAccountNotes": 1}},
		{name: "implicit deny", target: "/dev/notes", header: auth("elsewhere"), status: 403, errType: "AccessDeniedException", wantBody: implicitDeny, calls: map[string]int{"listAccountNotes": 1}},
		{name: "explicit deny", target: "/dev/notes", header: auth("deny"), status: 403, errType: "AccessDeniedException", wantBody: explicitDeny},
		{name: "function says Unauthorized", target: "/dev/notes", header: auth("unauthorized"), status: 401, errType: "UnauthorizedException", wantBody: unauthorized},
		{name: "function error", target: "/dev/notes", header: auth("boom"), status: 500, errType: "AuthorizerConfigurationException", wantBody: configError},
		{name: "nested context", target: "/dev/notes", header: auth("nested"), status: 500, errType: "AuthorizerConfigurationException", wantBody: configError},
		{name: "array context", target: "/dev/notes", header: auth("array"), status: 500, errType: "AuthorizerConfigurationException"},
		{name: "no principalId", target: "/dev/notes", header: auth("noprincipal"), status: 500, errType: "AuthorizerConfigurationException"},
		{name: "invalid policy", target: "/dev/notes", header: auth("badpolicy"), status: 500, errType: "AuthorizerConfigurationException"},
		{name: "result over 8 KiB", target: "/dev/notes", header: auth("huge"), status: 500, errType: "AuthorizerConfigurationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := env.inv.count("notesAuthorizer")
			notesBefore := env.inv.count("listAccountNotes")
			calls := tt.calls
			tt.calls = nil
			tt.run(t, env.h, env.inv)
			if n, ok := calls["notesAuthorizer"]; ok && env.inv.count("notesAuthorizer")-before != n {
				t.Fatalf("authorizer called %d times, want %d", env.inv.count("notesAuthorizer")-before, n)
			}
			if n, ok := calls["listAccountNotes"]; ok && env.inv.count("listAccountNotes")-notesBefore != n && tt.status == 200 {
				t.Fatalf("integration called %d times, want %d", env.inv.count("listAccountNotes")-notesBefore, n)
			}
			if tt.status != 200 && env.inv.count("listAccountNotes") != notesBefore {
				t.Fatal("integration called on a refused request")
			}
		})
	}
}

func TestTokenEventAndTemplate(t *testing.T) {
	env := newTestEnv(t, nil)
	httpCase{target: "/dev/notes?x=1", header: auth("Bearer allow-get"), status: 200, contains: []string{"Notes for alice"}}.run(t, env.h, env.inv)
	ev := string(env.inv.payload("notesAuthorizer"))
	want := `{"type":"TOKEN","authorizationToken":"Bearer allow-get","methodArn":"arn:aws:execute-api:us-east-1:000000000000:` + testAPIID + `/dev/GET/notes"}`
	if ev != want {
		t.Fatalf("authorizer event %s, want %s", ev, want)
	}
	payload := string(env.inv.payload("listAccountNotes"))
	for _, s := range []string{`"principalId" : "sub-alice"`, `"username" : "alice"`, `"email" : "alice@example.com"`,
		`"authorizer-principal-id" : "sub-alice"`, `"stage" : "dev"`, `"resource-path" : "/notes"`, `"x" : "1"`, `"color" : "blue"`} {
		if !strings.Contains(payload, s) {
			t.Fatalf("integration payload lacks %s:\n%s", s, payload)
		}
	}
}

func TestAuthorizerCache(t *testing.T) {
	env := newTestEnv(t, nil)
	// allow-get allows GET only: the first call caches the policy, the
	// second method is evaluated against the cached policy and denied
	// without calling the function again.
	httpCase{target: "/dev/notes", header: auth("allow-get"), status: 200, calls: map[string]int{"notesAuthorizer": 1}}.run(t, env.h, env.inv)
	httpCase{method: http.MethodPost, target: "/dev/notes", header: auth("allow-get"), status: 403, errType: "AccessDeniedException", wantBody: implicitDeny, calls: map[string]int{"notesAuthorizer": 1}}.run(t, env.h, env.inv)
	httpCase{target: "/dev/notes", header: auth("allow-get"), status: 200, calls: map[string]int{"notesAuthorizer": 1}}.run(t, env.h, env.inv)
	// Another resource of the same API through the cache too.
	httpCase{target: "/dev/proxy/1", header: auth("allow-get"), status: 201, calls: map[string]int{"notesAuthorizer": 1}}.run(t, env.h, env.inv)
	// Explicit deny cached per method ARN as well.
	httpCase{target: "/dev/notes", header: auth("deny"), status: 403, wantBody: explicitDeny, errType: "AccessDeniedException", calls: map[string]int{"notesAuthorizer": 2}}.run(t, env.h, env.inv)
	httpCase{method: http.MethodDelete, target: "/dev/notes", header: auth("deny"), status: 403, wantBody: implicitDeny, errType: "AccessDeniedException", calls: map[string]int{"notesAuthorizer": 2}}.run(t, env.h, env.inv)
	// Errors are not cached.
	httpCase{target: "/dev/notes", header: auth("boom"), status: 500, errType: "AuthorizerConfigurationException", calls: map[string]int{"notesAuthorizer": 3}}.run(t, env.h, env.inv)
	httpCase{target: "/dev/notes", header: auth("boom"), status: 500, errType: "AuthorizerConfigurationException", calls: map[string]int{"notesAuthorizer": 4}}.run(t, env.h, env.inv)
	// TTL expiry (default 300 s) with the injected clock.
	env.clock.Add(299 * time.Second)
	httpCase{target: "/dev/notes", header: auth("allow-get"), status: 200, calls: map[string]int{"notesAuthorizer": 4}}.run(t, env.h, env.inv)
	env.clock.Add(2 * time.Second)
	httpCase{target: "/dev/notes", header: auth("allow-get"), status: 200, calls: map[string]int{"notesAuthorizer": 5}}.run(t, env.h, env.inv)
}

// TestAuthorizerCachePerStage: a result cached on one stage is not reused on
// another (AWS caches per stage); "allow-get" allows its own stage only.
func TestAuthorizerCachePerStage(t *testing.T) {
	env := newTestEnv(t, nil)
	api := testAPI(env.backend.URL)
	if _, err := env.gw.Deploy(context.Background(), api, "prod", map[string]string{"color": "red", "fn": "echo"}); err != nil {
		t.Fatal(err)
	}
	httpCase{target: "/dev/notes", header: auth("allow-get"), status: 200, calls: map[string]int{"notesAuthorizer": 1}}.run(t, env.h, env.inv)
	httpCase{target: "/prod/notes", header: auth("allow-get"), status: 200, calls: map[string]int{"notesAuthorizer": 2}}.run(t, env.h, env.inv)
	httpCase{target: "/prod/notes", header: auth("allow-get"), status: 200, calls: map[string]int{"notesAuthorizer": 2}}.run(t, env.h, env.inv)
	httpCase{target: "/dev/notes", header: auth("allow-get"), status: 200, calls: map[string]int{"notesAuthorizer": 2}}.run(t, env.h, env.inv)
}

func TestAuthorizerCacheDisabledAndValidation(t *testing.T) {
	env := newTestEnv(t, nil)
	// tokv: TTL 0 and identityValidationExpression "Bearer [a-z-]+".
	tests := []httpCase{
		{name: "fails expression: no call", target: "/dev/validated", header: auth("allow-all"), status: 401, errType: "UnauthorizedException", wantBody: unauthorized, calls: map[string]int{"notesAuthorizer": 0}},
		{name: "partial match is not enough", target: "/dev/validated", header: auth("xBearer allow-all"), status: 401, errType: "UnauthorizedException", calls: map[string]int{"notesAuthorizer": 0}},
		{name: "passes", target: "/dev/validated", header: auth("Bearer allow-all"), status: 200, calls: map[string]int{"notesAuthorizer": 1}},
		{name: "not cached", target: "/dev/validated", header: auth("Bearer allow-all"), status: 200, calls: map[string]int{"notesAuthorizer": 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, env.h, env.inv) })
	}
}

func TestRequestAuthorizer(t *testing.T) {
	env := newTestEnv(t, nil)
	h := map[string]string{"X-Key": "good"}
	tests := []httpCase{
		{name: "missing query source: no call", target: "/dev/req", header: h, status: 401, errType: "UnauthorizedException", calls: map[string]int{"requestAuth": 0}},
		{name: "missing header source: no call", target: "/dev/req?key=good", status: 401, errType: "UnauthorizedException", calls: map[string]int{"requestAuth": 0}},
		{name: "wrong values", target: "/dev/req?key=bad", header: h, status: 401, errType: "UnauthorizedException", calls: map[string]int{"requestAuth": 1}},
		{name: "allowed; context in proxy event", target: "/dev/req?key=good", header: h, status: 201,
			contains: []string{`"principalId":"req-user"`, `"username":"bob"`}, calls: map[string]int{"requestAuth": 2}},
		{name: "cached by identity sources", target: "/dev/req?key=good", header: h, status: 201, calls: map[string]int{"requestAuth": 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, env.h, env.inv) })
	}
}
