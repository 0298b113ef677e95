package openapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/internal/gateway"

	"github.com/cognate-dev/cognate/internal/tokens"
)

type funcs map[string]func(payload []byte) ([]byte, string, error)

func (f funcs) InvokeFunction(_ context.Context, name string, payload []byte) ([]byte, string, error) {
	fn := f[name]
	if fn == nil {
		return nil, "", errors.New("no function " + name)
	}
	return fn(payload)
}

type verifier struct{}

func (verifier) Verify(_ context.Context, token string, want tokens.Expect) (tokens.Claims, error) {
	if want.PoolID != "us-east-1_Notes" || want.Issuer != "iss/"+want.PoolID {
		return nil, errors.New("unknown pool")
	}
	switch {
	case token == "id-alice" && want.TokenUse == tokens.UseID:
		return tokens.Claims{"sub": "s-1", "cognito:username": "alice", "token_use": "id"}, nil
	case token == "access-alice" && want.TokenUse == tokens.UseAccess:
		return tokens.Claims{"sub": "s-1", "username": "alice", "token_use": "access", "scope": "notes/read"}, nil
	}
	return nil, errors.New("invalid token")
}

var notesFuncs = funcs{
	"notesAuthorizer": func(p []byte) ([]byte, string, error) {
		var ev struct{ AuthorizationToken, MethodArn string }
		_ = json.Unmarshal(p, &ev)
		if ev.AuthorizationToken != "good" {
			return []byte(`{"errorMessage":"Unauthorized"}`), "Unhandled", nil
		}
		return []byte(`{"principalId":"s-1","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"*"}]},"context":{"username":"alice","email":"a@x"}}`), "", nil
	},
	"listAccountNotes": func(p []byte) ([]byte, string, error) {
		var ev struct {
			PolicyContext struct{ Username string } `json:"policyContext"`
		}
		if err := json.Unmarshal(p, &ev); err != nil {
			return nil, "", err
		}
		return []byte(`{"title":"Notes for ` + ev.PolicyContext.Username + `"}`), "", nil
	},
}

func load(t *testing.T, name string) *gateway.API {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	api, err := Import(data)
	if err != nil {
		t.Fatal(err)
	}
	return api
}

func TestImportModel(t *testing.T) {
	api := load(t, "notes.yaml")
	if api.Name != "notes" || len(api.Paths) != 4 {
		t.Fatalf("api %+v", api)
	}
	tok := api.Authorizers["notesAuthorizer"]
	if tok == nil || tok.Type != "TOKEN" || tok.ResultTTLSeconds == nil || *tok.ResultTTLSeconds != 300 || !strings.Contains(tok.URI, "function:notesAuthorizer/") {
		t.Fatalf("token authorizer %+v", tok)
	}
	cog := api.Authorizers["cognitoPool"]
	if cog == nil || cog.Type != "COGNITO_USER_POOLS" || len(cog.ProviderARNs) != 1 {
		t.Fatalf("cognito authorizer %+v", cog)
	}
	if _, ok := api.Authorizers["api_key"]; ok {
		t.Fatal("api key scheme imported as an authorizer")
	}
	get := api.Paths["/notes"]["GET"]
	if get.Authorizer != "notesAuthorizer" || get.Integration.Type != "AWS" || get.Integration.PassthroughBehavior != "WHEN_NO_TEMPLATES" || len(get.Integration.Responses) != 2 {
		t.Fatalf("GET /notes %+v", get)
	}
	if got := api.Paths["/scoped"]["GET"].AuthorizationScopes; len(got) != 1 || got[0] != "notes/read" {
		t.Fatalf("scopes %v", got)
	}
	anyM := api.Paths["/public/{proxy+}"]["ANY"]
	if anyM == nil || anyM.Authorizer != "" {
		t.Fatalf("any-method %+v", anyM)
	}
	if gr := api.GatewayResponses[gateway.Unauthorized]; gr == nil || gr.StatusCode != 401 {
		t.Fatalf("gateway responses %+v", api.GatewayResponses)
	}
}

func TestImportedAPIServes(t *testing.T) {
	gw := gateway.New(gateway.Options{Functions: notesFuncs, Tokens: verifier{}, Issuer: func(pool string) string { return "iss/" + pool }})
	for _, name := range []string{"notes.yaml", "notes-swagger.json"} {
		api := load(t, name)
		// Two APIs: the unprefixed URLs serve the one marked default.
		api.Default = name == "notes.yaml"
		if _, err := gw.Deploy(t.Context(), api, "dev", nil); err != nil {
			t.Fatal(err)
		}
	}
	h := gw.Handler()
	swaggerID := gateway.APIID("notes-swagger")
	tests := []struct {
		name, target, host, token string
		status                    int
		body                      string
	}{
		{"token authorizer", "/dev/notes", "", "good", 200, `{"title":"Notes for alice"}`},
		{"custom unauthorized response", "/dev/notes", "", "", 401, `{"message":"Unauthorized","hint":"log in"}`},
		{"authorizer says Unauthorized", "/dev/notes", "", "bad", 401, `{"message":"Unauthorized","hint":"log in"}`},
		{"cognito id token", "/dev/cognito/notes", "", "id-alice", 200, `{"title":"Notes for alice"}`},
		{"cognito access token refused without scopes", "/dev/cognito/notes", "", "access-alice", 401, ""},
		{"cognito scopes", "/dev/scoped", "", "access-alice", 200, `{"scoped":true}`},
		{"any method, no auth", "/dev/public/a/b", "", "", 200, `{"proxy":"a/b"}`},
		{"swagger api by host", "/dev/notes", swaggerID + ".execute-api.localhost", "good", 200, `{"title":"Notes for alice"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tt.target, nil)
			if tt.host != "" {
				req.Host = tt.host
			}
			if tt.token != "" {
				req.Header.Set("Authorization", tt.token)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status || (tt.body != "" && rec.Body.String() != tt.body) {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
		})
	}
}

func TestImportErrors(t *testing.T) {
	tests := []struct{ name, doc string }{
		{"not a document", `{"hello":1}`},
		{"malformed", `{`},
		{"method without integration", `{"openapi":"3.0.1","info":{"title":"x"},"paths":{"/a":{"get":{}}}}`},
		{"bad status code", `{"openapi":"3.0.1","info":{"title":"x"},"paths":{"/a":{"get":{"x-amazon-apigateway-integration":{"type":"mock","responses":{"default":{"statusCode":"abc"}}}}}}}`},
	}
	for _, tt := range tests {
		if _, err := Import([]byte(tt.doc)); err == nil {
			t.Errorf("%s: imported", tt.name)
		}
	}
}

func TestImportBinaryMediaTypesAndContentHandling(t *testing.T) {
	api, err := Import([]byte(`openapi: 3.0.1
info: {title: bin}
x-amazon-apigateway-binary-media-types: ["image~1png", "application/octet-stream"]
paths:
  /img:
    post:
      x-amazon-apigateway-integration:
        type: http
        httpMethod: POST
        uri: http://127.0.0.1:1/img
        contentHandling: convert_to_text
        responses:
          default: {statusCode: "200", contentHandling: CONVERT_TO_BINARY}
`))
	if err != nil {
		t.Fatal(err)
	}
	in := api.Paths["/img"]["POST"].Integration
	if len(api.BinaryMediaTypes) != 2 || api.BinaryMediaTypes[0] != "image~1png" || in.ContentHandling != "CONVERT_TO_TEXT" || in.Responses[0].ContentHandling != "CONVERT_TO_BINARY" {
		t.Fatalf("imported %+v %+v", api.BinaryMediaTypes, in)
	}
}

// TestImportRequestValidation: validators (default and per operation),
// parameters (path ones always required), requestBody models by $ref and
// inline, Swagger 2 body parameters and definitions.
func TestImportRequestValidation(t *testing.T) {
	api, err := Import([]byte(`openapi: 3.0.1
info: {title: val}
x-amazon-apigateway-request-validators:
  all: {validateRequestBody: true, validateRequestParameters: true}
  params: {validateRequestBody: false, validateRequestParameters: true}
x-amazon-apigateway-request-validator: params
components:
  schemas:
    Pet: {type: object, required: [type], properties: {type: {type: string}}}
paths:
  /pets/{id}:
    post:
      x-amazon-apigateway-request-validator: all
      parameters:
        - {name: id, in: path}
        - {name: q, in: query, required: true}
        - {name: X-Opt, in: header}
      requestBody:
        content:
          application/json: {schema: {$ref: "#/components/schemas/Pet"}}
          text/plain: {schema: {type: object}}
      x-amazon-apigateway-integration: {type: mock, requestTemplates: {application/json: '{"statusCode": 200}'}}
`))
	if err != nil {
		t.Fatal(err)
	}
	m := api.Paths["/pets/{id}"]["POST"]
	if api.RequestValidator != "params" || !api.RequestValidators["all"].ValidateRequestBody || m.RequestValidator != "all" {
		t.Fatalf("validators %+v %+v %q", api.RequestValidator, api.RequestValidators, m.RequestValidator)
	}
	if !m.RequestParameters["method.request.path.id"] || !m.RequestParameters["method.request.querystring.q"] || m.RequestParameters["method.request.header.X-Opt"] {
		t.Fatalf("parameters %v", m.RequestParameters)
	}
	if m.RequestModels["application/json"] != "Pet" || api.Models[m.RequestModels["text/plain"]] == nil || api.Models["Pet"] == nil {
		t.Fatalf("models %v %v", m.RequestModels, api.Models)
	}
	gw := gateway.New(gateway.Options{Functions: funcs{}})
	if _, err := gw.Deploy(t.Context(), api, "dev", nil); err != nil {
		t.Fatal(err)
	}
	h := gw.Handler()
	for _, tc := range []struct {
		target, body string
		status       int
	}{
		{"/dev/pets/1?q=x", `{"type":"dog"}`, 200},
		{"/dev/pets/1?q=x", `{}`, 400},
		{"/dev/pets/1", `{"type":"dog"}`, 400},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, tc.target, strings.NewReader(tc.body)))
		if rec.Code != tc.status {
			t.Errorf("%s %s: %d %s", tc.target, tc.body, rec.Code, rec.Body)
		}
	}

	sw, err := Import([]byte(`{"swagger": "2.0", "info": {"title": "sw"},
		"definitions": {"In": {"type": "object", "required": ["a"]}},
		"paths": {"/x": {"post": {"consumes": ["application/json"],
			"parameters": [{"name": "body", "in": "body", "schema": {"$ref": "#/definitions/In"}}],
			"x-amazon-apigateway-integration": {"type": "mock"}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if sw.Paths["/x"]["POST"].RequestModels["application/json"] != "In" || sw.Models["In"] == nil {
		t.Fatalf("swagger models %v %v", sw.Paths["/x"]["POST"].RequestModels, sw.Models)
	}
}
