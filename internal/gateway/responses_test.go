package gateway

import (
	"net/http"
	"strings"
	"testing"
)

func TestGatewayResponseCustomisation(t *testing.T) {
	env := newTestEnv(t, func(api *API, _ *Options) {
		api.GatewayResponses = map[ResponseType]*GatewayResponse{
			Unauthorized: {StatusCode: 401, ResponseParameters: map[string]string{"gatewayresponse.header.WWW-Authenticate": "'Bearer'", "gatewayresponse.header.X-Req": "method.request.header.X-Trace"},
				ResponseTemplates: map[string]string{"application/json": `{"error":$context.error.messageString,"type":"$context.error.responseType","stage":"$context.stage"}`}},
			Default4XX: {ResponseParameters: map[string]string{"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}},
			Default5XX: {StatusCode: 503},
		}
	})
	rec := httpCase{target: "/dev/notes", header: map[string]string{"X-Trace": "t-1"}, status: 401, errType: "UnauthorizedException",
		wantBody: `{"error":"Unauthorized","type":"UNAUTHORIZED","stage":"dev"}`}.run(t, env.h, env.inv)
	if rec.Header().Get("WWW-Authenticate") != "Bearer" || rec.Header().Get("X-Req") != "t-1" {
		t.Fatalf("headers %v", rec.Header())
	}
	// DEFAULT_4XX applies to 4xx types without their own customisation,
	// keeping AWS's default body.
	rec = httpCase{target: "/dev/nothing", status: 403, errType: "MissingAuthenticationTokenException", wantBody: missingToken}.run(t, env.h, env.inv)
	if rec.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("DEFAULT_4XX header missing: %v", rec.Header())
	}
	// DEFAULT_5XX overrides the status of 5xx types.
	httpCase{target: "/dev/notes", header: auth("boom"), status: 503, errType: "AuthorizerConfigurationException", wantBody: configError}.run(t, env.h, env.inv)
}

func TestDefaultGatewayResponses(t *testing.T) {
	for typ, def := range responseDefaults {
		if !typ.Known() {
			continue
		}
		var d *deployment
		status, errType, msg, custom, _ := d.responseFor(&gatewayError{typ: typ})
		if status != def.status || errType == "" || custom != nil || msg != def.message {
			t.Errorf("%s: %d %q %q", typ, status, errType, msg)
		}
	}
	want := map[ResponseType]int{AccessDenied: 403, Unauthorized: 401, MissingAuthenticationToken: 403, AuthorizerConfigurationError: 500,
		AuthorizerFailure: 500, IntegrationFailure: 504, IntegrationTimeout: 504, RequestTooLarge: 413, Throttled: 429, UnsupportedMediaType: 415}
	for typ, status := range want {
		if responseDefaults[typ].status != status {
			t.Errorf("%s default status %d, want %d", typ, responseDefaults[typ].status, status)
		}
	}
}

func TestLimits(t *testing.T) {
	env := newTestEnv(t, func(_ *API, o *Options) { o.Limits.MaxBodyBytes = 1 << 10 })
	big := strings.Repeat("x", 2<<10)
	tests := []httpCase{
		{name: "url too long", target: "/dev/items/" + strings.Repeat("a", 11<<10), status: 414, errType: "RequestURITooLongException"},
		{name: "headers too large", target: "/dev/items", header: map[string]string{"X-Big": strings.Repeat("h", 11<<10)}, status: 431, errType: "RequestHeaderFieldsTooLargeException"},
		{name: "body too large (content-length)", method: http.MethodPost, target: "/dev/proxy", body: big, status: 413, errType: "RequestTooLargeException", wantBody: `{"message":"Request Too Long"}`, calls: map[string]int{"echo": 0}},
		{name: "body too large to http proxy", method: http.MethodPost, target: "/dev/files/x", body: big, status: 413, errType: "RequestTooLargeException"},
		{name: "body at the limit", method: http.MethodPost, target: "/dev/proxy", body: big[:1<<10], status: 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, env.h, env.inv) })
	}
}

func TestChunkedBodyTooLarge(t *testing.T) {
	env := newTestEnv(t, func(_ *API, o *Options) { o.Limits.MaxBodyBytes = 1 << 10 })
	req := newRequestUnknownLength(http.MethodPost, "/dev/proxy", strings.Repeat("y", 4<<10))
	rec := serve(env.h, req)
	if rec.Code != 413 || rec.Header().Get("x-amzn-ErrorType") != "RequestTooLargeException" {
		t.Fatalf("status %d %v", rec.Code, rec.Header())
	}
	if env.inv.count("echo") != 0 {
		t.Fatal("function called with an oversized body")
	}
}

func TestMethodARNTooLong(t *testing.T) {
	env := newTestEnv(t, nil)
	httpCase{target: "/dev/proxy/" + strings.Repeat("p", 1700), header: auth("allow-all"), status: 414, errType: "RequestURITooLongException", calls: map[string]int{"notesAuthorizer": 0}}.run(t, env.h, env.inv)
}

func TestThrottling(t *testing.T) {
	env := newTestEnv(t, func(_ *API, o *Options) { o.Limits.Rate, o.Limits.Burst = 1, 2 })
	ok := httpCase{target: "/dev/items", status: 200}
	throttled := httpCase{target: "/dev/items", status: 429, errType: "TooManyRequestsException", wantBody: `{"message":"Too Many Requests"}`}
	ok.run(t, env.h, env.inv)
	ok.run(t, env.h, env.inv)
	throttled.run(t, env.h, env.inv)
	env.clock.Add(1000 * 1000 * 1000) // one second refills one token
	ok.run(t, env.h, env.inv)
	throttled.run(t, env.h, env.inv)
}

// TestGatewayResponseFallbackStatusAndTemplates: a status on DEFAULT_4XX
// changes 4XX types that have their own entry without a status; templates
// are chosen by Accept and set the Content-Type; bad customisations are
// refused at deploy.
func TestGatewayResponseFallbackStatusAndTemplates(t *testing.T) {
	env := newTestEnv(t, func(api *API, _ *Options) {
		api.GatewayResponses = map[ResponseType]*GatewayResponse{
			Default4XX: {StatusCode: 418},
			MissingAuthenticationToken: {ResponseTemplates: map[string]string{
				"application/json": `{"gone":"$context.path"}`,
				"text/html":        `<p>$context.error.message</p>`}},
		}
	})
	rec := httpCase{target: "/dev/nothing", header: map[string]string{"Accept": "text/html"}, status: 418, errType: "MissingAuthenticationTokenException",
		wantBody: `<p>Missing Authentication Token</p>`}.run(t, env.h, env.inv)
	if ct := rec.Header().Get("Content-Type"); ct != "text/html" {
		t.Fatalf("Content-Type %q", ct)
	}
	httpCase{target: "/dev/nothing", status: 418, errType: "MissingAuthenticationTokenException", wantBody: `{"gone":"/dev/nothing"}`}.run(t, env.h, env.inv)

	for name, gr := range map[string]*GatewayResponse{
		"status":    {StatusCode: 42},
		"parameter": {ResponseParameters: map[string]string{"method.response.header.X": "'y'"}},
		"template":  {ResponseTemplates: map[string]string{"application/json": "#if("}},
	} {
		gw := New(Options{Functions: newFakeInvoker(nil), Logger: testLogger(t)})
		api := &API{Name: "g", Paths: map[string]map[string]*Method{}, GatewayResponses: map[ResponseType]*GatewayResponse{Unauthorized: gr}}
		if _, err := gw.Deploy(t.Context(), api, "dev", nil); err == nil {
			t.Errorf("%s: deployed", name)
		}
	}
}
