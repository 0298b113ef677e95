package httpapi

import (
	"strings"
	"testing"
)

const notesOpenAPI = `
openapi: 3.0.1
info: {title: notes-http, version: "1.0"}
x-amazon-apigateway-cors:
  allowOrigins: ["https://app.test"]
  allowMethods: [GET]
paths:
  /notes:
    get:
      security: [{cognito: []}]
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:lambda:us-east-1:000000000000:function:notes
        payloadFormatVersion: "2.0"
  /admin/{proxy+}:
    x-amazon-apigateway-any-method:
      security: [{cognito: [notes/admin]}]
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: ANY, uri: "http://backend.test/{proxy}", payloadFormatVersion: "1.0"}
  /open:
    post:
      security: [{lambda: []}]
      x-amazon-apigateway-integration: {type: aws_proxy, uri: notes, payloadFormatVersion: "1.0"}
  $default:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration: {type: aws_proxy, uri: notes, payloadFormatVersion: "2.0"}
components:
  securitySchemes:
    cognito:
      type: oauth2
      flows: {}
      x-amazon-apigateway-authorizer:
        type: jwt
        identitySource: $request.header.Authorization
        jwtConfiguration: {issuer: "http://cognate.test/us-east-1_Notes1", audience: [client-notes]}
    lambda:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authorizer:
        type: request
        identitySource: $request.header.Authorization, $request.querystring.k
        authorizerUri: auth
        authorizerPayloadFormatVersion: "2.0"
        enableSimpleResponses: true
        authorizerResultTtlInSeconds: 60
`

func routeSummary(api *API) string {
	var out []string
	for _, r := range api.Routes {
		s := r.RouteKey + " " + r.AuthorizationType + " " + strings.Join(r.AuthorizationScopes, ",")
		if iid, ok := strings.CutPrefix(r.Target, "integrations/"); ok {
			in := api.Integrations[iid]
			s += " " + in.IntegrationType + " " + in.IntegrationURI + " " + in.PayloadFormatVersion
		}
		if a := api.Authorizers[r.AuthorizerID]; a != nil {
			s += " " + a.Name + " " + a.AuthorizerType + " " + strings.Join(a.IdentitySource, ",")
		}
		out = append(out, s)
	}
	sortStrings(out)
	return strings.Join(out, "\n")
}

func TestOpenAPIImportExportRoundTrip(t *testing.T) {
	api, err := ImportOpenAPI([]byte(notesOpenAPI))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"$default NONE  AWS_PROXY notes 2.0",
		"ANY /admin/{proxy+} JWT notes/admin HTTP_PROXY http://backend.test/{proxy} 1.0 cognito JWT $request.header.Authorization",
		"GET /notes JWT  AWS_PROXY arn:aws:lambda:us-east-1:000000000000:function:notes 2.0 cognito JWT $request.header.Authorization",
		"POST /open CUSTOM  AWS_PROXY notes 1.0 lambda REQUEST $request.header.Authorization,$request.querystring.k",
	}, "\n")
	if got := routeSummary(api); got != want {
		t.Fatalf("imported:\n%s\nwant:\n%s", got, want)
	}
	if api.Name != "notes-http" || api.CorsConfiguration == nil || api.CorsConfiguration.AllowOrigins[0] != "https://app.test" {
		t.Fatalf("api %+v", api)
	}
	doc, err := ExportOpenAPI(api, api.TakeSnapshot(), true)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"x-amazon-apigateway-any-method"`, `"$default"`, `"x-amazon-apigateway-authorizer"`, `"notes/admin"`, `"x-amazon-apigateway-cors"`} {
		if !strings.Contains(string(doc), s) {
			t.Errorf("export lacks %s:\n%s", s, doc)
		}
	}
	again, err := ImportOpenAPI(doc)
	if err != nil {
		t.Fatalf("re-import: %v\n%s", err, doc)
	}
	if got := routeSummary(again); got != want {
		t.Fatalf("round trip:\n%s\nwant:\n%s", got, want)
	}
	bare, _ := ExportOpenAPI(api, api.TakeSnapshot(), false)
	// ANY routes stay x-amazon-apigateway-any-method: OpenAPI has no other way to say ANY.
	if strings.Contains(string(bare), "x-amazon-apigateway-integration") || strings.Contains(string(bare), "x-amazon-apigateway-authorizer") {
		t.Errorf("export without extensions has extensions:\n%s", bare)
	}
	for name, bad := range map[string]string{
		"swagger 2":           "swagger: '2.0'\ninfo: {title: x}\npaths: {}",
		"unknown scheme":      "openapi: 3.0.1\ninfo: {title: x}\npaths: {/x: {get: {security: [{nope: []}]}}}",
		"unknown integration": "openapi: 3.0.1\ninfo: {title: x}\npaths: {/x: {get: {x-amazon-apigateway-integration: {type: mock}}}}",
	} {
		if _, err := ImportOpenAPI([]byte(bad)); err == nil {
			t.Errorf("%s: imported", name)
		}
	}
}
