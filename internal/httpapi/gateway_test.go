package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cognate-dev/cognate/internal/tokens"
)

func newGateway(t *testing.T, inv *invoker, p *pool, api *API) *Gateway {
	t.Helper()
	o := Options{Functions: inv}
	if p != nil {
		o.JWT = NewJWTValidator(p.jwtOptions())
		o.Now = p.clock.Now
	}
	g := New(o)
	if err := g.Load(api, 1); err != nil {
		t.Fatal(err)
	}
	return g
}

func TestRouteSelection(t *testing.T) {
	inv := newInvoker(map[string]fnFunc{"echo": echo})
	routes := map[string]*Route{}
	for i, k := range []string{"GET /notes", "GET /notes/{id}", "ANY /notes/{id}", "GET /notes/special", "ANY /{proxy+}",
		"$default", "POST /items/{id}/tags/{tag+}", "GET /pets/{id}", "POST /pets/dog", "GET /"} {
		routes[string(rune('a'+i))] = &Route{RouteKey: k, Target: "integrations/i"}
	}
	g := newGateway(t, inv, nil, deployed("abc123", &Snapshot{Routes: routes, Integrations: map[string]*Integration{"i": integ("echo", "2.0")}}))
	for _, c := range []struct{ method, path, want string }{
		{"GET", "/notes", "GET /notes"},
		{"GET", "/notes/special", "GET /notes/special"},
		{"GET", "/notes/1", "GET /notes/{id}"},
		{"DELETE", "/notes/1", "ANY /notes/{id}"},
		{"GET", "/a/b/c", "ANY /{proxy+}"},
		{"POST", "/notes", "ANY /{proxy+}"},
		{"GET", "/", "GET /"},
		{"POST", "/", "$default"},
		{"POST", "/items/7/tags/x/y", "POST /items/{id}/tags/{tag+}"},
		// A more specific path without the method falls back to the parameter route.
		{"GET", "/pets/dog", "GET /pets/{id}"},
		{"POST", "/pets/dog", "POST /pets/dog"},
		{"GET", "/notes/", "GET /notes"},
	} {
		res, body := call(t, g.Handler(), c.method, c.path, nil, "")
		if res.StatusCode != 200 || body != c.want {
			t.Errorf("%s %s: %d %q, want %q", c.method, c.path, res.StatusCode, body, c.want)
		}
	}
	var ev events.APIGatewayV2HTTPRequest
	json.Unmarshal(inv.last("echo"), &ev)
	if ev.PathParameters != nil {
		t.Errorf("GET /notes/ has path parameters %v", ev.PathParameters)
	}
	call(t, g.Handler(), "POST", "/items/7/tags/x/y%20z", nil, "")
	json.Unmarshal(inv.last("echo"), &ev)
	if ev.PathParameters["id"] != "7" || ev.PathParameters["tag"] != "x/y z" {
		t.Errorf("path parameters %v", ev.PathParameters)
	}
	// No route and no $default: 404 {"message":"Not Found"}.
	g2 := newGateway(t, inv, nil, deployed("abc123", &Snapshot{Routes: map[string]*Route{"r": {RouteKey: "GET /x", Target: "integrations/i"}},
		Integrations: map[string]*Integration{"i": integ("echo", "2.0")}}))
	res, body := call(t, g2.Handler(), "GET", "/y", nil, "")
	if res.StatusCode != 404 || body != `{"message":"Not Found"}` || res.Header.Get("Content-Type") != "application/json" {
		t.Errorf("unrouted: %d %q", res.StatusCode, body)
	}
	res, _ = call(t, g2.Handler(), "GET", "/x", map[string]string{"Host": "other.execute-api.us-east-1.amazonaws.com"}, "")
	if res.StatusCode != 404 {
		t.Errorf("unknown api: %d", res.StatusCode)
	}
}

func TestParseRouteKey(t *testing.T) {
	for _, bad := range []string{"GET", "FETCH /x", "GET x", "GET /a//b", "GET /{p+}/x", "GET /a{b}", "GET /{a}/{a}", "get /x"} {
		if _, _, err := ParseRouteKey(bad); err == nil {
			t.Errorf("ParseRouteKey(%q) accepted", bad)
		}
	}
}

// strict decodes payload into v refusing unknown fields, as a strict
// aws-lambda-go handler would.
func strict(t *testing.T, payload []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("strict decode: %v\n%s", err, payload)
	}
}

func TestPayload2EventWithJWT(t *testing.T) {
	p := newPool(t)
	inv := newInvoker(map[string]fnFunc{"notes": func([]byte) ([]byte, string, error) {
		return []byte(`{"notes":[]}`), "", nil
	}})
	s := &Snapshot{
		Routes: map[string]*Route{
			"r1": {RouteKey: "GET /notes/{id}", Target: "integrations/i", AuthorizationType: AuthJWT, AuthorizerID: "a"},
			"r2": {RouteKey: "GET /scoped", Target: "integrations/i", AuthorizationType: AuthJWT, AuthorizerID: "a", AuthorizationScopes: []string{"notes/read"}},
		},
		Integrations: map[string]*Integration{"i": integ("notes", "2.0")},
		Authorizers: map[string]*Authorizer{"a": {Name: "cognito", AuthorizerType: AuthorizerJWT, IdentitySource: []string{"$request.header.Authorization"},
			JWTConfiguration: &JWTConfiguration{Issuer: testIssuer, Audience: []string{testClient}}}},
	}
	g := newGateway(t, inv, p, deployed("abc123", s, &Stage{StageName: "dev", StageVariables: map[string]string{"table": "notes"}}))
	id := p.sign(tokens.UseID, nil)
	res, body := call(t, g.Handler(), "GET", "/dev/notes/n%201?a=1&a=2&b=x%20y", map[string]string{
		"Authorization": "Bearer " + id, "Cookie": "c1=v1; c2=v2", "X-Multi": "one", "User-Agent": "test-agent",
	}, "")
	if res.StatusCode != 200 || body != `{"notes":[]}` || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("inferred response: %d %q %v", res.StatusCode, body, res.Header)
	}
	if res.Header.Get("Apigw-Requestid") == "" {
		t.Error("no apigw-requestid header")
	}
	payload := inv.last("notes")
	var ev events.APIGatewayV2HTTPRequest
	strict(t, payload, &ev)
	if ev.Version != "2.0" || ev.RouteKey != "GET /notes/{id}" || ev.RawPath != "/dev/notes/n%201" || ev.RawQueryString != "a=1&a=2&b=x%20y" {
		t.Errorf("event: %+v", ev)
	}
	if ev.QueryStringParameters["a"] != "1,2" || ev.QueryStringParameters["b"] != "x y" || ev.PathParameters["id"] != "n 1" {
		t.Errorf("parameters: %v %v", ev.QueryStringParameters, ev.PathParameters)
	}
	if strings.Join(ev.Cookies, "|") != "c1=v1|c2=v2" || ev.Headers["cookie"] != "" || ev.Headers["x-multi"] != "one" || ev.Headers["host"] == "" {
		t.Errorf("cookies %v headers %v", ev.Cookies, ev.Headers)
	}
	rc := ev.RequestContext
	if rc.Stage != "dev" || rc.APIID != "abc123" || rc.HTTP.Method != "GET" || rc.HTTP.Path != "/dev/notes/n 1" || rc.HTTP.UserAgent != "test-agent" ||
		rc.DomainName != "abc123.execute-api.us-east-1.amazonaws.com" || rc.DomainPrefix != "abc123" || rc.RouteKey != "GET /notes/{id}" || rc.TimeEpoch == 0 {
		t.Errorf("requestContext %+v", rc)
	}
	if ev.StageVariables["table"] != "notes" {
		t.Errorf("stage variables %v", ev.StageVariables)
	}
	claims := rc.Authorizer.JWT.Claims
	if claims["cognito:username"] != "alice" || claims["cognito:groups"] != "[admins users]" || claims["email_verified"] != "true" ||
		claims["exp"] != jsonNumber(p.clock.Now().Add(time.Hour).Unix()) {
		t.Errorf("claims %v", claims)
	}
	if rc.Authorizer.JWT.Scopes != nil {
		t.Errorf("scopes on a route without scopes: %v", rc.Authorizer.JWT.Scopes)
	}
	// Claims are strings in the raw JSON too, and scopes null.
	if !bytes.Contains(payload, []byte(`"exp":"`)) || !bytes.Contains(payload, []byte(`"scopes":null`)) {
		t.Errorf("raw payload: %s", payload)
	}

	// Duplicated headers are comma-joined.
	req := map[string]string{"Authorization": id}
	res, _ = call(t, g.Handler(), "GET", "/dev/notes/1", req, "")
	if res.StatusCode != 200 {
		t.Fatalf("token without Bearer: %d", res.StatusCode)
	}

	access := p.sign(tokens.UseAccess, nil)
	res, _ = call(t, g.Handler(), "GET", "/dev/scoped", map[string]string{"Authorization": access}, "")
	if res.StatusCode != 200 {
		t.Fatalf("scoped with scope: %d", res.StatusCode)
	}
	strict(t, inv.last("notes"), &ev)
	if strings.Join(ev.RequestContext.Authorizer.JWT.Scopes, " ") != "notes/read" || ev.RequestContext.Authorizer.JWT.Claims["client_id"] != testClient {
		t.Errorf("scoped authorizer %+v", ev.RequestContext.Authorizer.JWT)
	}
}

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestJWTRejections(t *testing.T) {
	p := newPool(t)
	inv := newInvoker(map[string]fnFunc{"notes": echo})
	s := &Snapshot{
		Routes: map[string]*Route{
			"r1": {RouteKey: "GET /notes", Target: "integrations/i", AuthorizationType: AuthJWT, AuthorizerID: "a"},
			"r2": {RouteKey: "GET /admin", Target: "integrations/i", AuthorizationType: AuthJWT, AuthorizerID: "a", AuthorizationScopes: []string{"notes/admin", "x"}},
		},
		Integrations: map[string]*Integration{"i": integ("notes", "2.0")},
		Authorizers: map[string]*Authorizer{"a": {Name: "cognito", AuthorizerType: AuthorizerJWT,
			JWTConfiguration: &JWTConfiguration{Issuer: testIssuer, Audience: []string{testClient}}}},
	}
	g := newGateway(t, inv, p, deployed("abc123", s))
	good := p.sign(tokens.UseID, nil)
	parts := strings.Split(good, ".")
	for _, c := range []struct {
		name, path, token string
		status            int
	}{
		{"no token", "/notes", "", 401},
		{"garbage", "/notes", "not-a-jwt", 401},
		{"bad signature", "/notes", parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-4] + "AAAA", 401},
		{"expired", "/notes", p.sign(tokens.UseID, map[string]any{"exp": p.clock.Now().Add(-time.Minute).Unix()}), 401},
		{"not yet valid", "/notes", p.sign(tokens.UseID, map[string]any{"nbf": p.clock.Now().Add(time.Hour).Unix()}), 401},
		{"issued in the future", "/notes", p.sign(tokens.UseID, map[string]any{"iat": p.clock.Now().Add(time.Hour).Unix()}), 401},
		{"wrong audience", "/notes", p.sign(tokens.UseID, map[string]any{"aud": "other"}), 401},
		{"access token of another client", "/notes", p.sign(tokens.UseAccess, map[string]any{"client_id": "other"}), 401},
		{"wrong issuer", "/notes", p.sign(tokens.UseID, map[string]any{"iss": "http://evil.test/x"}), 401},
		{"scope missing", "/admin", p.sign(tokens.UseAccess, nil), 403},
		{"id token has no scope", "/admin", good, 403},
		{"one of the scopes", "/admin", p.sign(tokens.UseAccess, map[string]any{"scope": "x"}), 200},
		{"good", "/notes", good, 200},
		{"access token", "/notes", p.sign(tokens.UseAccess, nil), 200},
	} {
		hdr := map[string]string{}
		if c.token != "" {
			hdr["Authorization"] = c.token
		}
		res, body := call(t, g.Handler(), "GET", c.path, hdr, "")
		want := map[int]string{401: `{"message":"Unauthorized"}`, 403: `{"message":"Forbidden"}`}[c.status]
		if res.StatusCode != c.status || want != "" && body != want {
			t.Errorf("%s: %d %q, want %d", c.name, res.StatusCode, body, c.status)
		}
		if c.status == 403 && !strings.Contains(res.Header.Get("Www-Authenticate"), `error="insufficient_scope"`) {
			t.Errorf("%s: www-authenticate %q", c.name, res.Header.Get("Www-Authenticate"))
		}
	}
	if n := inv.calls("notes"); n != 3 {
		t.Errorf("function called %d times, want 3 (only authorized requests)", n)
	}
	// Verified once per token, then cached (up to 1 s).
	tok := p.sign(tokens.UseID, map[string]any{"jti": "cache-me"})
	before := p.ver.count()
	for range 5 {
		if res, _ := call(t, g.Handler(), "GET", "/notes", map[string]string{"Authorization": tok}, ""); res.StatusCode != 200 {
			t.Fatal(res.StatusCode)
		}
	}
	if n := p.ver.count() - before; n != 1 {
		t.Errorf("token verified %d times, want 1", n)
	}
	p.clock.Add(1100 * time.Millisecond)
	call(t, g.Handler(), "GET", "/notes", map[string]string{"Authorization": tok}, "")
	if n := p.ver.count() - before; n != 2 {
		t.Errorf("token verified %d times after the cache lapsed, want 2", n)
	}
}

func TestResponse2(t *testing.T) {
	out := ""
	inv := newInvoker(map[string]fnFunc{"f": func([]byte) ([]byte, string, error) { return []byte(out), "", nil }})
	g := newGateway(t, inv, nil, deployed("abc123", &Snapshot{Routes: map[string]*Route{"r": {RouteKey: "$default", Target: "integrations/i"}},
		Integrations: map[string]*Integration{"i": integ("f", "2.0")}}))
	for _, c := range []struct {
		out, body, ctype string
		status           int
		cookies          []string
	}{
		{`{"hello":"world"}`, `{"hello":"world"}`, "application/json", 200, nil},
		{`"just a string"`, `"just a string"`, "application/json", 200, nil},
		{`[1,2]`, `[1,2]`, "application/json", 200, nil},
		{`{"statusCode":201,"headers":{"Content-Type":"text/plain","X-N":3},"body":"made","cookies":["a=1; Path=/","b=2"]}`, "made", "text/plain", 201, []string{"a=1; Path=/", "b=2"}},
		{`{"statusCode":"202","body":"aGk=","isBase64Encoded":true}`, "hi", "", 202, nil},
		{`{"statusCode":200,"headers":{"x":"y"},"multiValueHeaders":null,"body":"","cookies":null}`, "", "", 200, nil},
		{`{"statusCode":99}`, `{"message":"Internal Server Error"}`, "application/json", 500, nil},
		{`not json`, `{"message":"Internal Server Error"}`, "application/json", 500, nil},
	} {
		out = c.out
		res, body := call(t, g.Handler(), "GET", "/x", nil, "")
		if res.StatusCode != c.status || body != c.body || res.Header.Get("Content-Type") != c.ctype ||
			strings.Join(res.Header.Values("Set-Cookie"), "|") != strings.Join(c.cookies, "|") {
			t.Errorf("%s: %d %q %v", c.out, res.StatusCode, body, res.Header)
		}
	}
	inv.funcs["f"] = func([]byte) ([]byte, string, error) {
		return []byte(`{"errorMessage":"boom","errorType":"Error"}`), "Unhandled", nil
	}
	if res, body := call(t, g.Handler(), "GET", "/x", nil, ""); res.StatusCode != 500 || body != `{"message":"Internal Server Error"}` {
		t.Errorf("function error: %d %q", res.StatusCode, body)
	}
}

func TestPayload1(t *testing.T) {
	inv := newInvoker(map[string]fnFunc{"f": func([]byte) ([]byte, string, error) {
		return []byte(`{"statusCode":200,"headers":{"Content-Type":"text/plain"},"multiValueHeaders":{"X-A":["1","2"]},"body":"ok"}`), "", nil
	}})
	g := newGateway(t, inv, nil, deployed("abc123", &Snapshot{Routes: map[string]*Route{"r": {RouteKey: "POST /items/{id}", Target: "integrations/i"}},
		Integrations: map[string]*Integration{"i": integ("f", "1.0")}}))
	res, body := call(t, g.Handler(), "POST", "/items/7?q=1&q=2", map[string]string{"Content-Type": "application/json"}, `{"a":1}`)
	if res.StatusCode != 200 || body != "ok" || strings.Join(res.Header.Values("X-A"), ",") != "1,2" {
		t.Fatalf("%d %q %v", res.StatusCode, body, res.Header)
	}
	var ev events.APIGatewayProxyRequest
	strictish := json.NewDecoder(bytes.NewReader(inv.last("f")))
	if err := strictish.Decode(&ev); err != nil {
		t.Fatal(err)
	}
	if ev.Resource != "/items/{id}" || ev.Path != "/items/7" || ev.HTTPMethod != "POST" || ev.PathParameters["id"] != "7" ||
		ev.QueryStringParameters["q"] != "2" || strings.Join(ev.MultiValueQueryStringParameters["q"], ",") != "1,2" ||
		ev.Body != `{"a":1}` || ev.IsBase64Encoded || ev.RequestContext.Stage != "$default" || ev.Headers["Content-Type"] != "application/json" {
		t.Errorf("1.0 event %+v", ev)
	}
	if !bytes.Contains(inv.last("f"), []byte(`"version":"1.0"`)) {
		t.Error("no version 1.0")
	}
}

func TestBinaryBody(t *testing.T) {
	inv := newInvoker(map[string]fnFunc{"f": echo})
	g := newGateway(t, inv, nil, deployed("abc123", &Snapshot{Routes: map[string]*Route{"r": {RouteKey: "$default", Target: "integrations/i"}},
		Integrations: map[string]*Integration{"i": integ("f", "2.0")}}))
	call(t, g.Handler(), "POST", "/x", map[string]string{"Content-Type": "image/png"}, "\x89PNG")
	var ev events.APIGatewayV2HTTPRequest
	strict(t, inv.last("f"), &ev)
	if !ev.IsBase64Encoded || ev.Body != "iVBORw==" {
		t.Errorf("binary body %q %v", ev.Body, ev.IsBase64Encoded)
	}
	call(t, g.Handler(), "POST", "/x", map[string]string{"Content-Type": "application/json; charset=utf-8"}, `{"a":1}`)
	strict(t, inv.last("f"), &ev)
	if ev.IsBase64Encoded || ev.Body != `{"a":1}` || ev.Headers["content-length"] != "7" {
		t.Errorf("text body %q %v %v", ev.Body, ev.IsBase64Encoded, ev.Headers)
	}
}

func TestStagesAndThrottling(t *testing.T) {
	inv := newInvoker(map[string]fnFunc{"f": echo})
	one, burst := 0.0, 2
	api := deployed("abc123", &Snapshot{Routes: map[string]*Route{"r": {RouteKey: "GET /x", Target: "integrations/i"}},
		Integrations: map[string]*Integration{"i": integ("f", "2.0")}},
		&Stage{StageName: DefaultStage}, &Stage{StageName: "prod", DefaultRouteSettings: &RouteSettings{ThrottlingRateLimit: &one, ThrottlingBurstLimit: &burst}})
	g := newGateway(t, inv, nil, api)
	h := g.Handler()
	for i := range 2 {
		if res, _ := call(t, h, "GET", "/prod/x", nil, ""); res.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, res.StatusCode)
		}
	}
	if res, body := call(t, h, "GET", "/prod/x", nil, ""); res.StatusCode != 429 || body != `{"message":"Too Many Requests"}` {
		t.Errorf("over the burst: %d %q", res.StatusCode, body)
	}
	if res, _ := call(t, h, "GET", "/x", nil, ""); res.StatusCode != 200 {
		t.Errorf("$default stage: %d", res.StatusCode)
	}
	// The path form on Cognate's own host.
	if res, _ := call(t, h, "GET", "/restapis/abc123/$default/_user_request_/x", map[string]string{"Host": "localhost:4566"}, ""); res.StatusCode != 200 {
		t.Errorf("path form: %d", res.StatusCode)
	}
	var ev events.APIGatewayV2HTTPRequest
	strict(t, inv.last("f"), &ev)
	if ev.RawPath != "/x" || ev.RequestContext.Stage != "$default" {
		t.Errorf("path form event %q %q", ev.RawPath, ev.RequestContext.Stage)
	}
	if !g.Serves("abc123") || g.Serves("nope") {
		t.Error("Serves")
	}
	g.Remove("abc123")
	if res, _ := call(t, h, "GET", "/x", nil, ""); res.StatusCode != 404 {
		t.Errorf("removed api: %d", res.StatusCode)
	}
}

func TestCORS(t *testing.T) {
	inv := newInvoker(map[string]fnFunc{"f": func([]byte) ([]byte, string, error) {
		return []byte(`{"statusCode":200,"headers":{"Access-Control-Allow-Origin":"https://evil.test"},"body":"x"}`), "", nil
	}})
	age := 600
	s := &Snapshot{Routes: map[string]*Route{"r": {RouteKey: "GET /x", Target: "integrations/i", AuthorizationType: AuthCustom, AuthorizerID: "a"}},
		Integrations: map[string]*Integration{"i": integ("f", "2.0")},
		Authorizers:  map[string]*Authorizer{"a": {Name: "a", AuthorizerType: AuthorizerRequest, AuthorizerURI: "auth", EnableSimpleResponses: true, IdentitySource: []string{"$request.header.X-Key"}}},
		Cors: &Cors{AllowOrigins: []string{"https://app.test"}, AllowMethods: []string{"GET", "POST"}, AllowHeaders: []string{"authorization", "x-key"},
			ExposeHeaders: []string{"x-id"}, MaxAge: &age, AllowCredentials: true}}
	inv.funcs["auth"] = func([]byte) ([]byte, string, error) { return []byte(`{"isAuthorized":true}`), "", nil }
	g := newGateway(t, inv, nil, deployed("abc123", s))
	res, body := call(t, g.Handler(), "OPTIONS", "/x", map[string]string{"Origin": "https://app.test", "Access-Control-Request-Method": "POST"}, "")
	if res.StatusCode != 204 || body != "" || res.Header.Get("Access-Control-Allow-Origin") != "https://app.test" ||
		res.Header.Get("Access-Control-Allow-Methods") != "GET,POST" || res.Header.Get("Access-Control-Allow-Headers") != "authorization,x-key" ||
		res.Header.Get("Access-Control-Max-Age") != "600" || res.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("preflight: %d %v", res.StatusCode, res.Header)
	}
	if inv.calls("auth") != 0 {
		t.Error("preflight ran the authorizer")
	}
	res, _ = call(t, g.Handler(), "OPTIONS", "/x", map[string]string{"Origin": "https://evil.test", "Access-Control-Request-Method": "GET"}, "")
	if res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from a foreign origin: %d %v", res.StatusCode, res.Header)
	}
	res, _ = call(t, g.Handler(), "GET", "/x", map[string]string{"Origin": "https://app.test", "X-Key": "k"}, "")
	if res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Origin") != "https://app.test" || res.Header.Get("Access-Control-Expose-Headers") != "x-id" {
		t.Errorf("actual request: %d %v", res.StatusCode, res.Header)
	}
	res, _ = call(t, g.Handler(), "GET", "/x", map[string]string{"Origin": "https://app.test"}, "")
	if res.StatusCode != 401 || res.Header.Get("Access-Control-Allow-Origin") != "https://app.test" {
		t.Errorf("error response carries CORS headers: %d %v", res.StatusCode, res.Header)
	}
}

func TestLambdaAuthorizer(t *testing.T) {
	answer := `{"isAuthorized":true,"context":{"user":"alice","n":1}}`
	inv := newInvoker(map[string]fnFunc{"f": echo, "auth": func([]byte) ([]byte, string, error) { return []byte(answer), "", nil }})
	s := &Snapshot{
		Routes: map[string]*Route{
			"r1": {RouteKey: "GET /simple", Target: "integrations/i", AuthorizationType: AuthCustom, AuthorizerID: "simple"},
			"r2": {RouteKey: "GET /iam/{id}", Target: "integrations/i", AuthorizationType: AuthCustom, AuthorizerID: "iam"},
		},
		Integrations: map[string]*Integration{"i": integ("f", "2.0")},
		Authorizers: map[string]*Authorizer{
			"simple": {Name: "simple", AuthorizerType: AuthorizerRequest, AuthorizerURI: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:auth/invocations",
				AuthorizerPayloadFormatVersion: "2.0", EnableSimpleResponses: true, IdentitySource: []string{"$request.header.Authorization", "$request.querystring.k"},
				AuthorizerResultTTLInSeconds: 300},
			"iam": {Name: "iam", AuthorizerType: AuthorizerRequest, AuthorizerURI: "auth", AuthorizerPayloadFormatVersion: "2.0",
				IdentitySource: []string{"$request.header.Authorization"}},
		},
	}
	g := newGateway(t, inv, nil, deployed("abc123", s))
	h := g.Handler()
	if res, body := call(t, h, "GET", "/simple?k=1", nil, ""); res.StatusCode != 401 || body != `{"message":"Unauthorized"}` || inv.calls("auth") != 0 {
		t.Errorf("missing identity source: %d %q (authorizer calls %d)", res.StatusCode, body, inv.calls("auth"))
	}
	hdr := map[string]string{"Authorization": "tok-1", "Cookie": "a=b"}
	if res, _ := call(t, h, "GET", "/simple?k=1", hdr, ""); res.StatusCode != 200 {
		t.Fatalf("allowed: %d", res.StatusCode)
	}
	var aev events.APIGatewayV2CustomAuthorizerV2Request
	strict(t, inv.last("auth"), &aev)
	if aev.Type != "REQUEST" || aev.Version != "2.0" || strings.Join(aev.IdentitySource, ",") != "tok-1,1" || aev.RouteKey != "GET /simple" ||
		aev.RouteArn != "arn:aws:execute-api:us-east-1:000000000000:abc123/$default/GET/simple" || aev.Cookies[0] != "a=b" {
		t.Errorf("authorizer event %+v", aev)
	}
	var ev events.APIGatewayV2HTTPRequest
	strict(t, inv.last("f"), &ev)
	if ev.RequestContext.Authorizer.Lambda["user"] != "alice" {
		t.Errorf("authorizer.lambda %v", ev.RequestContext.Authorizer.Lambda)
	}
	// Cached by identity sources: the same values call no function.
	call(t, h, "GET", "/simple?k=1", hdr, "")
	if n := inv.calls("auth"); n != 1 {
		t.Errorf("authorizer called %d times, want 1 (cached)", n)
	}
	call(t, h, "GET", "/simple?k=2", hdr, "")
	if n := inv.calls("auth"); n != 2 {
		t.Errorf("authorizer called %d times, want 2 (new identity)", n)
	}
	answer = `{"isAuthorized":false}`
	if res, body := call(t, h, "GET", "/simple?k=3", hdr, ""); res.StatusCode != 403 || body != `{"message":"Forbidden"}` {
		t.Errorf("denied: %d %q", res.StatusCode, body)
	}
	// IAM policy responses are evaluated against the route ARN; no TTL, no cache.
	answer = `{"principalId":"u1","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"arn:aws:execute-api:us-east-1:000000000000:abc123/$default/GET/iam/1"}]},"context":{"k":"v"}}`
	if res, _ := call(t, h, "GET", "/iam/1", hdr, ""); res.StatusCode != 200 {
		t.Errorf("policy allows: %d", res.StatusCode)
	}
	if res, _ := call(t, h, "GET", "/iam/2", hdr, ""); res.StatusCode != 403 {
		t.Errorf("policy does not cover: %d", res.StatusCode)
	}
	answer = `{"isAuthorized":true}`
	if res, _ := call(t, h, "GET", "/iam/1", hdr, ""); res.StatusCode != 500 {
		t.Errorf("simple answer to a policy authorizer: %d", res.StatusCode)
	}
	inv.funcs["auth"] = func([]byte) ([]byte, string, error) {
		return []byte(`{"errorMessage":"Unauthorized","errorType":"Error"}`), "Unhandled", nil
	}
	if res, _ := call(t, h, "GET", "/iam/1", hdr, ""); res.StatusCode != 401 {
		t.Errorf("authorizer said Unauthorized: %d", res.StatusCode)
	}
}

func TestCompileRefusesBadDefinitions(t *testing.T) {
	for name, s := range map[string]*Snapshot{
		"unknown integration":   {Routes: map[string]*Route{"r": {RouteKey: "GET /x", Target: "integrations/nope"}}},
		"unknown authorizer":    {Routes: map[string]*Route{"r": {RouteKey: "GET /x", AuthorizationType: AuthJWT, AuthorizerID: "nope"}}},
		"jwt without issuer":    {Authorizers: map[string]*Authorizer{"a": {Name: "a", AuthorizerType: AuthorizerJWT}}},
		"cache without sources": {Authorizers: map[string]*Authorizer{"a": {Name: "a", AuthorizerType: AuthorizerRequest, AuthorizerURI: "f", AuthorizerResultTTLInSeconds: 5}}},
		"bad payload version":   {Integrations: map[string]*Integration{"i": integ("f", "3.0")}},
		"http without url":      {Integrations: map[string]*Integration{"i": {IntegrationType: IntegrationHTTPProxy, IntegrationURI: "ftp://x"}}},
	} {
		if _, err := compile("d", s); err == nil {
			t.Errorf("%s: compiled", name)
		}
	}
}

func TestHTTPProxy(t *testing.T) {
	var got *http.Request
	backend := newBackend(t, func(w http.ResponseWriter, r *http.Request) {
		got = r
		w.Header().Set("X-Backend", "yes")
		w.WriteHeader(202)
		w.Write([]byte("from backend"))
	})
	g := newGateway(t, newInvoker(nil), nil, deployed("abc123", &Snapshot{
		Routes:       map[string]*Route{"r": {RouteKey: "ANY /api/{proxy+}", Target: "integrations/h"}},
		Integrations: map[string]*Integration{"h": {IntegrationType: IntegrationHTTPProxy, IntegrationURI: backend + "/base/{proxy}", IntegrationMethod: "ANY"}}}))
	res, body := call(t, g.Handler(), "PUT", "/api/a/b%20c?x=1", map[string]string{"X-In": "1"}, "payload")
	if res.StatusCode != 202 || body != "from backend" || res.Header.Get("X-Backend") != "yes" {
		t.Fatalf("%d %q", res.StatusCode, body)
	}
	if got.Method != "PUT" || got.URL.EscapedPath() != "/base/a/b%20c" || got.URL.RawQuery != "x=1" || got.Header.Get("X-In") != "1" || got.Header.Get("X-Forwarded-For") == "" {
		t.Errorf("backend saw %s %s %v", got.Method, got.URL, got.Header)
	}
}

func TestRouteThrottlingAndAuthorizer1(t *testing.T) {
	inv := newInvoker(map[string]fnFunc{"f": echo, "auth": func([]byte) ([]byte, string, error) {
		return []byte(`{"principalId":"u","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"*"}]}}`), "", nil
	}})
	zero, one := 0.0, 1
	s := &Snapshot{
		Routes: map[string]*Route{
			"a": {RouteKey: "GET /limited", Target: "integrations/i"},
			"b": {RouteKey: "GET /free/{id}", Target: "integrations/i", AuthorizationType: AuthCustom, AuthorizerID: "v1"},
		},
		Integrations: map[string]*Integration{"i": integ("f", "2.0")},
		Authorizers: map[string]*Authorizer{"v1": {Name: "v1", AuthorizerType: AuthorizerRequest, AuthorizerURI: "auth",
			AuthorizerPayloadFormatVersion: "1.0", IdentitySource: []string{"$request.header.Authorization"}}},
	}
	g := newGateway(t, inv, nil, deployed("abc123", s, &Stage{StageName: DefaultStage,
		RouteSettings: map[string]*RouteSettings{"GET /limited": {ThrottlingRateLimit: &zero, ThrottlingBurstLimit: &one}}}))
	h := g.Handler()
	hdr := map[string]string{"Authorization": "tok"}
	if res, _ := call(t, h, "GET", "/limited", nil, ""); res.StatusCode != 200 {
		t.Fatalf("first: %d", res.StatusCode)
	}
	if res, _ := call(t, h, "GET", "/limited", nil, ""); res.StatusCode != 429 {
		t.Fatalf("route over its burst: %d", res.StatusCode)
	}
	for range 3 {
		if res, _ := call(t, h, "GET", "/free/7?q=1", hdr, ""); res.StatusCode != 200 {
			t.Fatalf("other route: %d", res.StatusCode)
		}
	}
	// Not strict: AWS's 1.0 requestContext (the REST one: domainName,
	// requestTime …) has more fields than aws-lambda-go's struct declares.
	var ev events.APIGatewayV2CustomAuthorizerV1Request
	if err := json.Unmarshal(inv.last("auth"), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Version != "1.0" || ev.Type != "REQUEST" || ev.IdentitySource != "tok" || ev.AuthorizationToken != "tok" ||
		ev.MethodArn != "arn:aws:execute-api:us-east-1:000000000000:abc123/$default/GET/free/7" || ev.Resource != "/free/{id}" ||
		ev.PathParameters["id"] != "7" || ev.QueryStringParameters["q"] != "1" || ev.RequestContext.Stage != "$default" {
		t.Errorf("1.0 authorizer event %+v", ev)
	}
}
