package gateway

import (
	"net/http"
	"testing"
)

// validatedAPI adds AWS's request-validation example shape: a validator for
// both, a model with required fields and a $ref, a GET with a required query
// string and header, and a POST whose body must match the model.
func validatedAPI(api *API, _ *Options) {
	api.Models = map[string]*Model{
		"Price": {Schema: map[string]any{"type": "number", "minimum": 0}},
		"Pet": {Schema: map[string]any{"type": "object", "required": []any{"type", "price"},
			"properties": map[string]any{
				"type":  map[string]any{"type": "string", "enum": []any{"dog", "cat", "fish"}},
				"price": map[string]any{"$ref": "#/definitions/Price"}}}},
	}
	api.RequestValidators = map[string]*RequestValidator{
		"all":    {ValidateRequestBody: true, ValidateRequestParameters: true},
		"params": {ValidateRequestParameters: true},
	}
	mock := Integration{Type: IntegrationMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`, "text/plain": `{"statusCode": 200}`},
		Responses: []IntegrationResponse{{StatusCode: 200, ResponseTemplates: map[string]string{"application/json": `{"ok":true}`}}}}
	api.Paths["/pets"] = map[string]*Method{
		"GET": {RequestValidator: "params", Integration: mock, RequestParameters: map[string]bool{
			"method.request.querystring.type": true, "method.request.header.X-Trace": true, "method.request.querystring.page": false}},
		"POST": {RequestValidator: "all", Integration: mock, RequestModels: map[string]string{"application/json": "Pet"}},
	}
	api.Paths["/pets/any"] = map[string]*Method{
		"POST": {RequestValidator: "all", Integration: mock, RequestModels: map[string]string{"$default": "Pet"}},
	}
	api.GatewayResponses[BadRequestBody] = &GatewayResponse{ResponseTemplates: map[string]string{
		"application/json": `{"message":$context.error.messageString,"details":"$util.escapeJavaScript($context.error.validationErrorString)"}`}}
}

func TestRequestValidation(t *testing.T) {
	env := newTestEnv(t, validatedAPI)
	tests := []httpCase{
		{name: "params ok", target: "/dev/pets?type=dog", header: map[string]string{"X-Trace": "1"}, status: 200, wantBody: `{"ok":true}`},
		{name: "params missing", target: "/dev/pets", status: 400, errType: "BadRequestException",
			wantBody: `{"message":"Missing required request parameters: [X-Trace, type]"}`},
		{name: "param blank", target: "/dev/pets?type=%20", header: map[string]string{"X-Trace": "1"}, status: 400, errType: "BadRequestException",
			wantBody: `{"message":"Missing required request parameters: [type]"}`},
		{name: "body ok", method: http.MethodPost, target: "/dev/pets", body: `{"type":"dog","price":9.5}`, status: 200},
		{name: "body missing field", method: http.MethodPost, target: "/dev/pets", body: `{"type":"dog"}`, status: 400, errType: "BadRequestException",
			contains: []string{`{"message":"Invalid request body","details":"[`, `price`}},
		{name: "body enum", method: http.MethodPost, target: "/dev/pets", body: `{"type":"cow","price":1}`, status: 400, errType: "BadRequestException"},
		{name: "body ref", method: http.MethodPost, target: "/dev/pets", body: `{"type":"cat","price":-1}`, status: 400, errType: "BadRequestException"},
		{name: "body not json", method: http.MethodPost, target: "/dev/pets", body: `{"type":`, status: 400, errType: "BadRequestException"},
		{name: "other content type not validated", method: http.MethodPost, target: "/dev/pets", body: `whatever`,
			header: map[string]string{"Content-Type": "text/plain"}, status: 200},
		{name: "$default model", method: http.MethodPost, target: "/dev/pets/any", body: `{}`,
			header: map[string]string{"Content-Type": "text/plain"}, status: 400, errType: "BadRequestException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, env.h, env.inv) })
	}
}

func TestValidationRefusesBadDeclarations(t *testing.T) {
	for name, mutate := range map[string]func(*API){
		"unknown validator": func(a *API) {
			a.Paths["/x"] = map[string]*Method{"GET": {RequestValidator: "nope", Integration: Integration{Type: "MOCK"}}}
		},
		"unknown model": func(a *API) {
			a.RequestValidators = map[string]*RequestValidator{"v": {ValidateRequestBody: true}}
			a.Paths["/x"] = map[string]*Method{"POST": {RequestValidator: "v", RequestModels: map[string]string{"application/json": "Nope"}, Integration: Integration{Type: "MOCK"}}}
		},
		"bad schema": func(a *API) { a.Models = map[string]*Model{"M": {Schema: map[string]any{"type": 42}}} },
		"remote ref": func(a *API) {
			a.Models = map[string]*Model{"M": {Schema: map[string]any{"$ref": "http://example.com/s.json"}}}
		},
		"bad parameter": func(a *API) {
			a.Paths["/x"] = map[string]*Method{"GET": {RequestParameters: map[string]bool{"query.x": true}, Integration: Integration{Type: "MOCK"}}}
		},
	} {
		t.Run(name, func(t *testing.T) {
			gw := New(Options{Functions: newFakeInvoker(nil), Logger: testLogger(t)})
			api := &API{Name: "v", Paths: map[string]map[string]*Method{}}
			mutate(api)
			if _, err := gw.Deploy(t.Context(), api, "dev", nil); err == nil {
				t.Fatal("deployed")
			}
		})
	}
}
