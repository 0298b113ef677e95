package gateway

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const testAPIID = "notesapi01"

func ptr[T any](v T) *T { return &v }

// allowPolicy is an authorizer answer with one statement.
func policyAnswer(principal, effect, resource string, ctx map[string]any) []byte {
	out, _ := json.Marshal(map[string]any{
		"principalId": principal,
		"policyDocument": map[string]any{"Version": "2012-10-17",
			"Statement": []any{map[string]any{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}}},
		"context": ctx,
	})
	return out
}

// tokenAuthorizer is the fake TOKEN authorizer function; its behaviour is
// chosen by the token.
func tokenAuthorizer(_ context.Context, payload []byte) ([]byte, string, error) {
	var ev struct{ Type, AuthorizationToken, MethodArn string }
	if err := json.Unmarshal(payload, &ev); err != nil || ev.Type != "TOKEN" {
		return fnError("bad event")
	}
	// arn:aws:execute-api:region:acct:api/stage/VERB/path → api/stage prefix.
	i := strings.Index(ev.MethodArn, "/")
	j := strings.Index(ev.MethodArn[i+1:], "/")
	base := ev.MethodArn[:i+1+j+1]
	ctx := map[string]any{"username": "alice", "email": "alice@example.com", "principalId": "sub-alice", "admin": true, "level": 3}
	switch strings.TrimPrefix(ev.AuthorizationToken, "Bearer ") {
	case "allow-get":
		return policyAnswer("sub-alice", "Allow", base+"GET/*", ctx), "", nil
	case "allow-all":
		return policyAnswer("sub-alice", "Allow", base+"*", ctx), "", nil
	case "deny":
		return policyAnswer("sub-alice", "Deny", ev.MethodArn, ctx), "", nil
	case "elsewhere":
		return policyAnswer("sub-alice", "Allow", "arn:aws:execute-api:*:*:other/*", ctx), "", nil
	case "unauthorized":
		return fnError("Unauthorized")
	case "boom":
		return fnError("something broke")
	case "nested":
		return policyAnswer("sub-alice", "Allow", "*", map[string]any{"user": map[string]any{"name": "alice"}}), "", nil
	case "array":
		return policyAnswer("sub-alice", "Allow", "*", map[string]any{"groups": []string{"a"}}), "", nil
	case "noprincipal":
		return []byte(`{"policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"*","Effect":"Allow","Resource":"*"}]}}`), "", nil
	case "badpolicy":
		return []byte(`{"principalId":"x","policyDocument":{"Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}}`), "", nil
	case "huge":
		return policyAnswer("sub-alice", "Allow", "*", map[string]any{"pad": strings.Repeat("x", 9000)}), "", nil
	}
	return fnError("Unauthorized")
}

// requestAuthorizer allows when header X-Key and query key are both "good".
func requestAuthorizer(_ context.Context, payload []byte) ([]byte, string, error) {
	var ev struct {
		Type                  string
		MethodArn             string
		Headers               map[string]string
		QueryStringParameters map[string]string
		RequestContext        map[string]any
	}
	if err := json.Unmarshal(payload, &ev); err != nil || ev.Type != "REQUEST" || ev.RequestContext["requestId"] == "" {
		return fnError("bad event")
	}
	if ev.Headers["X-Key"] == "good" && ev.QueryStringParameters["key"] == "good" {
		return policyAnswer("req-user", "Allow", ev.MethodArn, map[string]any{"username": "bob"}), "", nil
	}
	return fnError("Unauthorized")
}

// listNotes mimics the demo's listAccountNotes.
func listNotes(_ context.Context, payload []byte) ([]byte, string, error) {
	var ev struct {
		PolicyContext *struct{ Username string } `json:"policyContext"`
	}
	if err := json.Unmarshal(payload, &ev); err != nil {
		return fnError("decode event: " + err.Error())
	}
	user := "anonymous"
	if ev.PolicyContext != nil && ev.PolicyContext.Username != "" {
		user = ev.PolicyContext.Username
	}
	out, _ := json.Marshal(map[string]any{"title": "Notes for " + user, "notes": []any{map[string]string{"title": "note 1"}}})
	return out, "", nil
}

// echoProxy answers the proxy event as its body.
func echoProxy(_ context.Context, payload []byte) ([]byte, string, error) {
	out, _ := json.Marshal(map[string]any{"statusCode": 201, "headers": map[string]any{"X-Echo": "1", "X-Num": 5},
		"multiValueHeaders": map[string][]string{"Set-Cookie": {"a=1", "b=2"}}, "body": string(payload)})
	return out, "", nil
}

// slowFunc blocks until its context ends.
func slowFunc(ctx context.Context, _ []byte) ([]byte, string, error) {
	<-ctx.Done()
	return nil, "", ctx.Err()
}

func defaultFuncs() map[string]fakeFunc {
	return map[string]fakeFunc{
		"notesAuthorizer":  tokenAuthorizer,
		"requestAuth":      requestAuthorizer,
		"listAccountNotes": listNotes,
		"echo":             echoProxy,
		"slow":             slowFunc,
		"crash":            func(context.Context, []byte) ([]byte, string, error) { return fnError("crash") },
		"badproxy": func(context.Context, []byte) ([]byte, string, error) {
			return []byte(`{"statusCode":200,"body":{"not":"a string"}}`), "", nil
		},
		"extrafield": func(context.Context, []byte) ([]byte, string, error) {
			return []byte(`{"statusCode":200,"body":"x","surprise":1}`), "", nil
		},
		"failing": func(_ context.Context, p []byte) ([]byte, string, error) {
			var ev struct{ Fail string }
			_ = json.Unmarshal(p, &ev)
			if ev.Fail != "" {
				return fnError(ev.Fail)
			}
			return []byte(`{"ok":true}`), "", nil
		},
	}
}

const lambdaURI = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:%s/invocations"

func fnURI(name string) string { return strings.Replace(lambdaURI, "%s", name, 1) }

// testAPI is the API most scenarios run against; backend is the
// HTTP_PROXY target.
func testAPI(backend string) *API {
	tokenAuth := &Method{Authorizer: "tok", Integration: Integration{Type: IntegrationAWS, URI: fnURI("listAccountNotes"),
		RequestTemplates: map[string]string{"application/json": PolicyContextTemplate},
		Responses:        []IntegrationResponse{{StatusCode: 200}}}}
	mockOK := Integration{Type: IntegrationMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`},
		Responses: []IntegrationResponse{{StatusCode: 200, ResponseTemplates: map[string]string{"application/json": `{"id":"$input.params('id')","stage":"$context.stage","resource":"$context.resourcePath"}`}}}}
	return &API{
		ID:   testAPIID,
		Name: "notes",
		Authorizers: map[string]*Authorizer{
			"tok":     {Type: "TOKEN", URI: fnURI("notesAuthorizer"), IdentitySource: "method.request.header.Authorization"},
			"tokv":    {Type: "TOKEN", Function: "notesAuthorizer", IdentityValidationExpression: `Bearer [a-z-]+`, ResultTTLSeconds: ptr(0)},
			"req":     {Type: "REQUEST", Function: "requestAuth", IdentitySource: "method.request.header.X-Key, method.request.querystring.key"},
			"cognito": {Type: "COGNITO_USER_POOLS", ProviderARNs: []string{"arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_TestPool"}},
		},
		Paths: map[string]map[string]*Method{
			"/notes":     {"GET": tokenAuth, "POST": tokenAuth, "DELETE": tokenAuth},
			"/validated": {"GET": {Authorizer: "tokv", Integration: mockOK}},
			"/cognito/notes": {"GET": {Authorizer: "cognito", Integration: Integration{Type: IntegrationAWS, URI: fnURI("listAccountNotes"),
				RequestTemplates: map[string]string{"application/json": CognitoPolicyContextTemplate}}}},
			"/cognito/scoped": {"GET": {Authorizer: "cognito", AuthorizationScopes: []string{"notes/read"}, Integration: Integration{Type: IntegrationMock,
				Responses: []IntegrationResponse{{StatusCode: 200, ResponseTemplates: map[string]string{"application/json": `{"user":"$context.authorizer.claims.username"}`}}}}}},
			"/claims": {"GET": {Authorizer: "cognito", Integration: Integration{Type: IntegrationMock,
				Responses: []IntegrationResponse{{StatusCode: 200, ResponseTemplates: map[string]string{"application/json": `{"sub":"$context.authorizer.claims.sub","user":"$context.authorizer.claims['cognito:username']","groups":"$context.authorizer.claims['cognito:groups']","exp":"$context.authorizer.claims.exp"}`}}}}}},
			"/req":            {"GET": {Authorizer: "req", Integration: Integration{Type: IntegrationAWSProxy, URI: "echo"}}},
			"/items":          {"GET": {Integration: mockOK}},
			"/items/{id}":     {"GET": {Integration: mockOK}},
			"/items/special":  {"GET": {Integration: Integration{Type: IntegrationMock, Responses: []IntegrationResponse{{StatusCode: 200, ResponseTemplates: map[string]string{"application/json": `{"special":true}`}}}}}},
			"/files/{proxy+}": {"ANY": {Integration: Integration{Type: IntegrationHTTPProxy, HTTPMethod: "ANY", URI: backend + "/files/{proxy}"}}},
			"/proxy":          {"ANY": {Integration: Integration{Type: IntegrationAWSProxy, URI: fnURI("echo")}}},
			"/proxy/{id}":     {"ANY": {Authorizer: "tok", Integration: Integration{Type: IntegrationAWSProxy, URI: "echo"}}},
			"/stagefn":        {"GET": {Integration: Integration{Type: IntegrationAWSProxy, URI: fnURI("${stageVariables.fn}")}}},
			"/badproxy":       {"GET": {Integration: Integration{Type: IntegrationAWSProxy, URI: "badproxy"}}},
			"/extrafield":     {"GET": {Integration: Integration{Type: IntegrationAWSProxy, URI: "extrafield"}}},
			"/crashproxy":     {"GET": {Integration: Integration{Type: IntegrationAWSProxy, URI: "crash"}}},
			"/missingfn":      {"GET": {Integration: Integration{Type: IntegrationAWSProxy, URI: "nosuchfunction"}}},
			"/slow":           {"GET": {Integration: Integration{Type: IntegrationAWS, URI: "slow", TimeoutMillis: 50}}},
			"/slowhttp":       {"GET": {Integration: Integration{Type: IntegrationHTTPProxy, URI: backend + "/sleep", TimeoutMillis: 50}}},
			"/failing": {"POST": {Integration: Integration{Type: IntegrationAWS, URI: "failing", PassthroughBehavior: PassthroughNever,
				RequestTemplates: map[string]string{"application/json": `$input.json('$')`},
				Responses: []IntegrationResponse{
					{StatusCode: 200, ResponseTemplates: map[string]string{"application/json": `{"result":$input.json('$.ok')}`}},
					{SelectionPattern: `NotFound:.*`, StatusCode: 404, ResponseTemplates: map[string]string{"application/json": `{"error":"$input.path('$.errorMessage')"}`},
						ResponseParameters: map[string]string{"method.response.header.X-Kind": "'not-found'"}},
					{SelectionPattern: `Invalid.*`, StatusCode: 400},
				}}}},
			"/passthrough": {"POST": {Integration: Integration{Type: IntegrationAWS, URI: "failing"}}},
			"/notemplates": {"POST": {Integration: Integration{Type: IntegrationAWS, URI: "failing", PassthroughBehavior: PassthroughWhenNoTemplates,
				RequestTemplates: map[string]string{"application/xml": `{"xml":true}`}}}},
			"/mockstatus": {"GET": {Integration: Integration{Type: IntegrationMock,
				RequestTemplates: map[string]string{"application/json": `{"statusCode": $input.params('code')}`},
				Responses:        []IntegrationResponse{{StatusCode: 200}, {SelectionPattern: "4\\d\\d", StatusCode: 418, ResponseTemplates: map[string]string{"application/json": `{"teapot":true}`}}}}}},
			"/mockbad": {"GET": {Integration: Integration{Type: IntegrationMock, RequestTemplates: map[string]string{"application/json": `{"nope": 1}`}}}},
			"/http/{id}": {"POST": {Integration: Integration{Type: IntegrationHTTP, HTTPMethod: "POST", URI: backend + "/mapped/{id}",
				RequestParameters: map[string]string{"integration.request.header.X-Stage": "stageVariables.color", "integration.request.querystring.q": "method.request.querystring.q"},
				RequestTemplates:  map[string]string{"application/json": `{"wrapped":$input.json('$'),"id":"$input.params('id')"}`},
				Responses: []IntegrationResponse{
					{StatusCode: 200, ResponseTemplates: map[string]string{"application/json": `{"backend":$input.json('$')}`}, ResponseParameters: map[string]string{"method.response.header.X-Backend": "integration.response.header.X-Backend"}},
					{SelectionPattern: "5\\d\\d", StatusCode: 502},
				}}}},
		},
		GatewayResponses: map[ResponseType]*GatewayResponse{},
	}
}

// backend is the HTTP integration target: it echoes what it received.
func newBackend(t testing.TB) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/sleep" {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Backend", "yes")
		w.Header().Set("Connection", "X-Secret-Hop")
		w.Header().Set("X-Secret-Hop", "leak")
		w.Header().Set("Content-Type", "application/json")
		out, _ := json.Marshal(map[string]any{"method": r.Method, "path": r.URL.EscapedPath(), "query": r.URL.RawQuery,
			"xff": r.Header.Get("X-Forwarded-For"), "auth": r.Header.Get("Authorization"), "stage": r.Header.Get("X-Stage"),
			"hop": r.Header.Get("X-Hop"), "keepalive": r.Header.Get("Keep-Alive"), "body": string(body), "host": r.Host})
		_, _ = w.Write(out)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// testEnv is a gateway with the test API deployed on stage dev.
type testEnv struct {
	gw      *Gateway
	inv     *fakeInvoker
	issuer  *testIssuer
	clock   *fakeClock
	backend *httptest.Server
	h       http.Handler
}

func newTestEnv(t testing.TB, mutate func(*API, *Options)) *testEnv {
	t.Helper()
	clock := newFakeClock()
	env := &testEnv{inv: newFakeInvoker(defaultFuncs()), clock: clock, backend: newBackend(t)}
	env.issuer = newTestIssuer(t, clock.Now)
	opts := Options{Functions: env.inv, Tokens: env.issuer, Issuer: env.issuer.issuerOf, Logger: testLogger(t), Now: clock.Now,
		Limits: Limits{Rate: -1}}
	api := testAPI(env.backend.URL)
	if mutate != nil {
		mutate(api, &opts)
	}
	env.gw = New(opts)
	if _, err := env.gw.Deploy(context.Background(), api, "dev", map[string]string{"color": "blue", "fn": "echo"}); err != nil {
		t.Fatal(err)
	}
	env.h = env.gw.Handler()
	return env
}
