package gateway

import (
	"net/http"
	"strings"
	"testing"
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
