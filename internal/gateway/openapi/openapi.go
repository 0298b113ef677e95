// Package openapi imports REST API definitions from OpenAPI 3 and Swagger 2
// documents (JSON or YAML) with API Gateway's extensions:
// x-amazon-apigateway-integration, x-amazon-apigateway-authorizer and
// x-amazon-apigateway-authtype in security schemes, method security with
// scopes, x-amazon-apigateway-gateway-responses and
// x-amazon-apigateway-any-method.
package openapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cognate-dev/cognate/internal/gateway"
)

// MaxDocumentSize bounds an imported document.
const MaxDocumentSize = 8 << 20

type document struct {
	OpenAPI string `json:"openapi" yaml:"openapi"`
	Swagger string `json:"swagger" yaml:"swagger"`
	Info    struct {
		Title string `json:"title" yaml:"title"`
	} `json:"info" yaml:"info"`
	Paths      map[string]map[string]any `json:"paths" yaml:"paths"`
	Components struct {
		SecuritySchemes map[string]securityScheme `json:"securitySchemes" yaml:"securitySchemes"`
		Schemas         map[string]any            `json:"schemas" yaml:"schemas"`
	} `json:"components" yaml:"components"`
	Definitions         map[string]any                       `json:"definitions" yaml:"definitions"`
	RequestValidators   map[string]*gateway.RequestValidator `json:"x-amazon-apigateway-request-validators" yaml:"x-amazon-apigateway-request-validators"`
	RequestValidator    string                               `json:"x-amazon-apigateway-request-validator" yaml:"x-amazon-apigateway-request-validator"`
	SecurityDefinitions map[string]securityScheme            `json:"securityDefinitions" yaml:"securityDefinitions"`
	Security            []map[string][]string                `json:"security" yaml:"security"`
	GatewayResponses    map[string]gatewayResponse           `json:"x-amazon-apigateway-gateway-responses" yaml:"x-amazon-apigateway-gateway-responses"`
	BinaryMediaTypes    []string                             `json:"x-amazon-apigateway-binary-media-types" yaml:"x-amazon-apigateway-binary-media-types"`
	APIKeySource        string                               `json:"x-amazon-apigateway-api-key-source" yaml:"x-amazon-apigateway-api-key-source"`
}

type securityScheme struct {
	Type       string         `json:"type" yaml:"type"`
	Name       string         `json:"name" yaml:"name"`
	In         string         `json:"in" yaml:"in"`
	AuthType   string         `json:"x-amazon-apigateway-authtype" yaml:"x-amazon-apigateway-authtype"`
	Authorizer *authorizerExt `json:"x-amazon-apigateway-authorizer" yaml:"x-amazon-apigateway-authorizer"`
}

type authorizerExt struct {
	Type                         string   `json:"type" yaml:"type"`
	AuthorizerURI                string   `json:"authorizerUri" yaml:"authorizerUri"`
	IdentitySource               string   `json:"identitySource" yaml:"identitySource"`
	IdentityValidationExpression string   `json:"identityValidationExpression" yaml:"identityValidationExpression"`
	ResultTTL                    *int     `json:"authorizerResultTtlInSeconds" yaml:"authorizerResultTtlInSeconds"`
	ProviderARNs                 []string `json:"providerARNs" yaml:"providerARNs"`
}

type operation struct {
	Security         *[]map[string][]string `json:"security" yaml:"security"`
	Integration      *integrationExt        `json:"x-amazon-apigateway-integration" yaml:"x-amazon-apigateway-integration"`
	RequestValidator string                 `json:"x-amazon-apigateway-request-validator" yaml:"x-amazon-apigateway-request-validator"`
	Parameters       []parameter            `json:"parameters" yaml:"parameters"`
	RequestBody      *struct {
		Content map[string]struct {
			Schema any `json:"schema"`
		} `json:"content"`
	} `json:"requestBody"`
	Consumes []string `json:"consumes"`
}

// parameter is an OpenAPI parameter object (Swagger 2 body parameters carry
// the schema).
type parameter struct {
	Name     string `json:"name"`
	In       string `json:"in"`
	Required bool   `json:"required"`
	Schema   any    `json:"schema"`
}

type integrationExt struct {
	Type                string                 `json:"type" yaml:"type"`
	HTTPMethod          string                 `json:"httpMethod" yaml:"httpMethod"`
	URI                 string                 `json:"uri" yaml:"uri"`
	PassthroughBehavior string                 `json:"passthroughBehavior" yaml:"passthroughBehavior"`
	TimeoutInMillis     int                    `json:"timeoutInMillis" yaml:"timeoutInMillis"`
	ContentHandling     string                 `json:"contentHandling" yaml:"contentHandling"`
	RequestTemplates    map[string]string      `json:"requestTemplates" yaml:"requestTemplates"`
	RequestParameters   map[string]string      `json:"requestParameters" yaml:"requestParameters"`
	CacheKeyParameters  []string               `json:"cacheKeyParameters" yaml:"cacheKeyParameters"`
	Responses           map[string]responseExt `json:"responses" yaml:"responses"`
}

type responseExt struct {
	ContentHandling    string            `json:"contentHandling" yaml:"contentHandling"`
	StatusCode         statusCode        `json:"statusCode" yaml:"statusCode"`
	ResponseParameters map[string]string `json:"responseParameters" yaml:"responseParameters"`
	ResponseTemplates  map[string]string `json:"responseTemplates" yaml:"responseTemplates"`
}

type gatewayResponse struct {
	StatusCode         statusCode        `json:"statusCode" yaml:"statusCode"`
	ResponseParameters map[string]string `json:"responseParameters" yaml:"responseParameters"`
	ResponseTemplates  map[string]string `json:"responseTemplates" yaml:"responseTemplates"`
}

// statusCode accepts 200 and "200".
type statusCode int

func (s *statusCode) set(v string) error {
	if v == "" {
		*s = 0
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 100 || n > 599 {
		return fmt.Errorf("statusCode %q", v)
	}
	*s = statusCode(n)
	return nil
}

// UnmarshalYAML accepts a number or a string.
func (s *statusCode) UnmarshalYAML(n *yaml.Node) error { return s.set(n.Value) }

// UnmarshalJSON accepts a number or a string.
func (s *statusCode) UnmarshalJSON(b []byte) error {
	return s.set(strings.Trim(string(b), `"`))
}

var verbs = map[string]string{"get": "GET", "put": "PUT", "post": "POST", "delete": "DELETE", "options": "OPTIONS",
	"head": "HEAD", "patch": "PATCH", "x-amazon-apigateway-any-method": "ANY"}

// Import converts an OpenAPI 3 or Swagger 2 document (JSON or YAML) into a
// gateway API named after info.title. Methods without
// x-amazon-apigateway-integration are refused; security schemes without
// x-amazon-apigateway-authorizer (API keys) are ignored.
func Import(data []byte) (*gateway.API, error) {
	if len(data) > MaxDocumentSize {
		return nil, fmt.Errorf("openapi: document larger than %d bytes", MaxDocumentSize)
	}
	var doc document
	var err error
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
		err = json.Unmarshal(t, &doc)
	} else {
		err = yaml.Unmarshal(data, &doc)
	}
	if err != nil {
		return nil, fmt.Errorf("openapi: decode: %w", err)
	}
	if doc.OpenAPI == "" && doc.Swagger == "" {
		return nil, errors.New("openapi: neither an openapi nor a swagger document")
	}
	schemes := doc.Components.SecuritySchemes
	if doc.Swagger != "" {
		schemes = doc.SecurityDefinitions
	}
	api := &gateway.API{Name: doc.Info.Title, Paths: map[string]map[string]*gateway.Method{},
		Authorizers: map[string]*gateway.Authorizer{}, GatewayResponses: map[gateway.ResponseType]*gateway.GatewayResponse{},
		BinaryMediaTypes: doc.BinaryMediaTypes, RequestValidators: doc.RequestValidators, RequestValidator: doc.RequestValidator,
		APIKeySource: strings.ToUpper(doc.APIKeySource)}
	schemas := doc.Components.Schemas
	if doc.Swagger != "" {
		schemas = doc.Definitions
	}
	if len(schemas) > 0 {
		api.Models = make(map[string]*gateway.Model, len(schemas))
		for name, s := range schemas {
			api.Models[name] = &gateway.Model{ContentType: "application/json", Schema: normalize(s)}
		}
	}
	var errs []error
	for name, s := range schemes {
		if s.Authorizer == nil {
			continue
		}
		a := s.Authorizer
		typ := strings.ToUpper(a.Type)
		if typ == "" && strings.EqualFold(s.AuthType, "cognito_user_pools") {
			typ = gateway.AuthorizerCognito
		}
		api.Authorizers[name] = &gateway.Authorizer{Type: typ, URI: a.AuthorizerURI, IdentitySource: a.IdentitySource,
			IdentityValidationExpression: a.IdentityValidationExpression, ResultTTLSeconds: a.ResultTTL, ProviderARNs: a.ProviderARNs}
	}
	for path, item := range doc.Paths {
		methods := map[string]*gateway.Method{}
		for key, raw := range item {
			verb, ok := verbs[strings.ToLower(key)]
			if !ok {
				continue // parameters, summary, servers …
			}
			m, err := convertOperation(raw, doc.Security, api, schemes)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s %s: %w", verb, path, err))
				continue
			}
			methods[verb] = m
		}
		api.Paths[path] = methods
	}
	for typ, gr := range doc.GatewayResponses {
		api.GatewayResponses[gateway.ResponseType(typ)] = &gateway.GatewayResponse{StatusCode: int(gr.StatusCode),
			ResponseParameters: gr.ResponseParameters, ResponseTemplates: gr.ResponseTemplates}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	return api, nil
}

// convertOperation converts one operation object (decoded generically, so
// it is re-encoded as JSON and decoded into operation).
func convertOperation(raw any, global []map[string][]string, api *gateway.API, schemes map[string]securityScheme) (*gateway.Method, error) {
	authorizers := api.Authorizers
	b, err := json.Marshal(normalize(raw))
	if err != nil {
		return nil, fmt.Errorf("encode operation: %w", err)
	}
	var op operation
	if err := json.Unmarshal(b, &op); err != nil {
		return nil, fmt.Errorf("decode operation: %w", err)
	}
	if op.Integration == nil {
		return nil, errors.New("no x-amazon-apigateway-integration")
	}
	in := op.Integration
	m := &gateway.Method{Integration: gateway.Integration{Type: strings.ToUpper(in.Type), HTTPMethod: in.HTTPMethod, URI: in.URI,
		RequestParameters: in.RequestParameters, RequestTemplates: in.RequestTemplates,
		PassthroughBehavior: strings.ToUpper(in.PassthroughBehavior), TimeoutMillis: in.TimeoutInMillis,
		ContentHandling: strings.ToUpper(in.ContentHandling), CacheKeyParameters: in.CacheKeyParameters}}
	patterns := make([]string, 0, len(in.Responses))
	for p := range in.Responses {
		patterns = append(patterns, p)
	}
	slices.Sort(patterns)
	for _, p := range patterns {
		r := in.Responses[p]
		sel := p
		if p == "default" {
			sel = ""
		}
		m.Integration.Responses = append(m.Integration.Responses, gateway.IntegrationResponse{SelectionPattern: sel,
			StatusCode: int(r.StatusCode), ResponseParameters: r.ResponseParameters, ResponseTemplates: r.ResponseTemplates,
			ContentHandling: strings.ToUpper(r.ContentHandling)})
	}
	m.RequestValidator = op.RequestValidator
	for _, p := range op.Parameters {
		loc := map[string]string{"query": "querystring", "header": "header", "path": "path"}[p.In]
		switch {
		case loc != "":
			if m.RequestParameters == nil {
				m.RequestParameters = map[string]bool{}
			}
			m.RequestParameters["method.request."+loc+"."+p.Name] = p.Required || p.In == "path"
		case p.In == "body" && p.Schema != nil:
			consumes := op.Consumes
			if len(consumes) == 0 {
				consumes = []string{"application/json"}
			}
			for _, ct := range consumes {
				m.RequestModels = setModel(m.RequestModels, ct, p.Schema, api)
			}
		}
	}
	if op.RequestBody != nil {
		for ct, c := range op.RequestBody.Content {
			if c.Schema != nil {
				m.RequestModels = setModel(m.RequestModels, ct, c.Schema, api)
			}
		}
	}
	security := global
	if op.Security != nil {
		security = *op.Security
	}
	for _, req := range security {
		for name := range req {
			if s, ok := schemes[name]; ok && strings.EqualFold(s.Type, "apiKey") && strings.EqualFold(s.Name, "x-api-key") && strings.EqualFold(s.In, "header") {
				m.APIKeyRequired = true // API Gateway's API key scheme
			}
		}
		for name, scopes := range req {
			if _, ok := authorizers[name]; !ok {
				continue // schemes Cognate does not enforce
			}
			m.Authorizer = name
			m.AuthorizationScopes = scopes
			break
		}
		if m.Authorizer != "" {
			break
		}
	}
	return m, nil
}

// normalize turns YAML's map[any]any-free output into JSON-encodable values
// (yaml.v3 decodes into map[string]any already; this guards nested keys).
func normalize(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = normalize(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[fmt.Sprint(k)] = normalize(e)
		}
		return out
	case []any:
		for i, e := range v {
			v[i] = normalize(e)
		}
		return v
	default:
		return v
	}
}

// setModel maps ct to the model a schema names ({"$ref":
// "#/components/schemas/X"} or "#/definitions/X"), or to a new model
// holding an inline schema.
func setModel(models map[string]string, ct string, schema any, api *gateway.API) map[string]string {
	if models == nil {
		models = map[string]string{}
	}
	if m, ok := schema.(map[string]any); ok {
		if ref, ok := m["$ref"].(string); ok && len(m) == 1 {
			name := ref[strings.LastIndexByte(ref, '/')+1:]
			name = strings.ReplaceAll(strings.ReplaceAll(name, "~1", "/"), "~0", "~")
			models[ct] = name
			return models
		}
	}
	if api.Models == nil {
		api.Models = map[string]*gateway.Model{}
	}
	// The name is derived from the schema so re-imports give the same API
	// snapshot (and deployment id).
	b, _ := json.Marshal(schema)
	sum := sha256.Sum256(b)
	name := "Inline" + hex.EncodeToString(sum[:6])
	api.Models[name] = &gateway.Model{ContentType: ct, Schema: schema}
	models[ct] = name
	return models
}
