package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// OpenAPI documents of HTTP APIs: OpenAPI 3.0 with API Gateway's HTTP API
// extensions — x-amazon-apigateway-integration (type aws_proxy or
// http_proxy, uri, httpMethod, payloadFormatVersion, timeoutInMillis,
// connectionType), x-amazon-apigateway-any-method, the $default path,
// security schemes with x-amazon-apigateway-authorizer (type jwt with
// jwtConfiguration and identitySource; type request with authorizerUri,
// authorizerPayloadFormatVersion, enableSimpleResponses,
// authorizerResultTtlInSeconds), route scopes in security requirements, and
// x-amazon-apigateway-cors.

type oaDoc struct {
	OpenAPI    string                                `json:"openapi" yaml:"openapi"`
	Info       oaInfo                                `json:"info" yaml:"info"`
	Paths      map[string]map[string]json.RawMessage `json:"paths" yaml:"paths"`
	Components *oaComponents                         `json:"components,omitempty" yaml:"components,omitempty"`
	Cors       *Cors                                 `json:"x-amazon-apigateway-cors,omitempty" yaml:"x-amazon-apigateway-cors,omitempty"`
	Version    string                                `json:"x-amazon-apigateway-importexport-version,omitempty" yaml:"x-amazon-apigateway-importexport-version,omitempty"`
}

type oaInfo struct {
	Title       string `json:"title" yaml:"title"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	Version     string `json:"version" yaml:"version"`
}

type oaComponents struct {
	SecuritySchemes map[string]*oaScheme `json:"securitySchemes,omitempty" yaml:"securitySchemes,omitempty"`
}

type oaScheme struct {
	Type       string        `json:"type" yaml:"type"`
	Name       string        `json:"name,omitempty" yaml:"name,omitempty"`
	In         string        `json:"in,omitempty" yaml:"in,omitempty"`
	Flows      *struct{}     `json:"flows,omitempty" yaml:"flows,omitempty"`
	Authorizer *oaAuthorizer `json:"x-amazon-apigateway-authorizer,omitempty" yaml:"x-amazon-apigateway-authorizer,omitempty"`
}

type oaAuthorizer struct {
	Type                           string            `json:"type" yaml:"type"`
	IdentitySource                 any               `json:"identitySource,omitempty" yaml:"identitySource,omitempty"`
	JWTConfiguration               *JWTConfiguration `json:"jwtConfiguration,omitempty" yaml:"jwtConfiguration,omitempty"`
	AuthorizerURI                  string            `json:"authorizerUri,omitempty" yaml:"authorizerUri,omitempty"`
	AuthorizerPayloadFormatVersion string            `json:"authorizerPayloadFormatVersion,omitempty" yaml:"authorizerPayloadFormatVersion,omitempty"`
	EnableSimpleResponses          bool              `json:"enableSimpleResponses,omitempty" yaml:"enableSimpleResponses,omitempty"`
	AuthorizerResultTTLInSeconds   int               `json:"authorizerResultTtlInSeconds,omitempty" yaml:"authorizerResultTtlInSeconds,omitempty"`
}

type oaOperation struct {
	OperationID string                `json:"operationId,omitempty" yaml:"operationId,omitempty"`
	Responses   map[string]any        `json:"responses,omitempty" yaml:"responses,omitempty"`
	Security    []map[string][]string `json:"security,omitempty" yaml:"security,omitempty"`
	Integration *oaIntegration        `json:"x-amazon-apigateway-integration,omitempty" yaml:"x-amazon-apigateway-integration,omitempty"`
}

type oaIntegration struct {
	Type                 string `json:"type" yaml:"type"`
	URI                  string `json:"uri,omitempty" yaml:"uri,omitempty"`
	HTTPMethod           string `json:"httpMethod,omitempty" yaml:"httpMethod,omitempty"`
	PayloadFormatVersion string `json:"payloadFormatVersion,omitempty" yaml:"payloadFormatVersion,omitempty"`
	TimeoutInMillis      int    `json:"timeoutInMillis,omitempty" yaml:"timeoutInMillis,omitempty"`
	ConnectionType       string `json:"connectionType,omitempty" yaml:"connectionType,omitempty"`
}

// anyMethod is the OpenAPI key of ANY routes.
const anyMethod = "x-amazon-apigateway-any-method"

var oaMethods = map[string]string{"get": "GET", "post": "POST", "put": "PUT", "patch": "PATCH", "delete": "DELETE",
	"head": "HEAD", "options": "OPTIONS", anyMethod: "ANY"}

// ImportOpenAPI reads an OpenAPI 3 document (YAML or JSON) into an API
// (routes, integrations, authorizers, CORS; no id, stages or deployments).
// Ids of the parts are derived from their content, so importing the same
// document twice gives the same API.
func ImportOpenAPI(data []byte) (*API, error) {
	var generic any
	if err := yaml.Unmarshal(data, &generic); err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	js, err := json.Marshal(normalize(generic))
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	var doc oaDoc
	if err := json.Unmarshal(js, &doc); err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		return nil, fmt.Errorf("openapi: HTTP APIs import OpenAPI 3 documents (openapi: %q)", doc.OpenAPI)
	}
	api := &API{Name: doc.Info.Title, Description: doc.Info.Description, Version: doc.Info.Version, ProtocolType: ProtocolHTTP,
		CorsConfiguration: doc.Cors, Routes: map[string]*Route{}, Integrations: map[string]*Integration{}, Authorizers: map[string]*Authorizer{}}
	authIDs := map[string]string{}
	if doc.Components != nil {
		for _, name := range slices.Sorted(maps.Keys(doc.Components.SecuritySchemes)) {
			sc := doc.Components.SecuritySchemes[name]
			if sc.Authorizer == nil {
				continue
			}
			a := &Authorizer{AuthorizerID: shortID("auth", name), Name: name, JWTConfiguration: sc.Authorizer.JWTConfiguration,
				AuthorizerURI: sc.Authorizer.AuthorizerURI, AuthorizerPayloadFormatVersion: sc.Authorizer.AuthorizerPayloadFormatVersion,
				EnableSimpleResponses: sc.Authorizer.EnableSimpleResponses, AuthorizerResultTTLInSeconds: sc.Authorizer.AuthorizerResultTTLInSeconds}
			switch strings.ToLower(sc.Authorizer.Type) {
			case "jwt":
				a.AuthorizerType = AuthorizerJWT
			case "request":
				a.AuthorizerType = AuthorizerRequest
			default:
				return nil, fmt.Errorf("openapi: security scheme %s: authorizer type %q: want jwt or request", name, sc.Authorizer.Type)
			}
			switch v := sc.Authorizer.IdentitySource.(type) {
			case string:
				for s := range strings.SplitSeq(v, ",") {
					if s = strings.TrimSpace(s); s != "" {
						a.IdentitySource = append(a.IdentitySource, s)
					}
				}
			case []any:
				for _, e := range v {
					if s, ok := e.(string); ok {
						a.IdentitySource = append(a.IdentitySource, s)
					}
				}
			}
			api.Authorizers[a.AuthorizerID] = a
			authIDs[name] = a.AuthorizerID
		}
	}
	for _, path := range slices.Sorted(maps.Keys(doc.Paths)) {
		for _, key := range slices.Sorted(maps.Keys(doc.Paths[path])) {
			method, ok := oaMethods[strings.ToLower(key)]
			if !ok {
				continue // parameters, summary, other extensions
			}
			var op oaOperation
			if err := json.Unmarshal(doc.Paths[path][key], &op); err != nil {
				return nil, fmt.Errorf("openapi: %s %s: %w", key, path, err)
			}
			routeKey := method + " " + path
			if path == DefaultRoute {
				routeKey = DefaultRoute
			}
			if _, _, err := ParseRouteKey(routeKey); err != nil {
				return nil, fmt.Errorf("openapi: %w", err)
			}
			rt := &Route{RouteID: shortID("route", routeKey), RouteKey: routeKey, AuthorizationType: AuthNone, OperationName: op.OperationID}
			if in := op.Integration; in != nil {
				integ := &Integration{IntegrationID: shortID("integ", routeKey), IntegrationURI: in.URI, IntegrationMethod: in.HTTPMethod,
					PayloadFormatVersion: in.PayloadFormatVersion, TimeoutInMillis: in.TimeoutInMillis, ConnectionType: in.ConnectionType}
				switch strings.ToLower(in.Type) {
				case "aws_proxy":
					integ.IntegrationType = IntegrationAWSProxy
				case "http_proxy":
					integ.IntegrationType = IntegrationHTTPProxy
				default:
					return nil, fmt.Errorf("openapi: %s: integration type %q: want aws_proxy or http_proxy", routeKey, in.Type)
				}
				if integ.ConnectionType == "" {
					integ.ConnectionType = "INTERNET"
				}
				api.Integrations[integ.IntegrationID] = integ
				rt.Target = "integrations/" + integ.IntegrationID
			}
			for _, req := range op.Security {
				for name, scopes := range req {
					id, ok := authIDs[name]
					if !ok {
						return nil, fmt.Errorf("openapi: %s: security scheme %q has no x-amazon-apigateway-authorizer", routeKey, name)
					}
					rt.AuthorizerID = id
					rt.AuthorizationScopes = scopes
					if api.Authorizers[id].AuthorizerType == AuthorizerJWT {
						rt.AuthorizationType = AuthJWT
					} else {
						rt.AuthorizationType = AuthCustom
					}
				}
			}
			api.Routes[rt.RouteID] = rt
		}
	}
	if err := Validate(api.TakeSnapshot()); err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	return api, nil
}

// shortID derives a stable 7-character id from a kind and a name.
func shortID(kind, name string) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + name))
	return hex.EncodeToString(sum[:])[:7]
}

// normalize turns YAML's map[string]any trees into JSON-encodable ones.
func normalize(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = normalize(e)
		}
		return v
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
	}
	return v
}

// ExportOpenAPI renders s (a deployment's snapshot, or the API's current
// definition) as an OpenAPI 3.0.1 document in JSON; withExtensions adds the
// x-amazon-apigateway-* extensions.
func ExportOpenAPI(api *API, s *Snapshot, withExtensions bool) ([]byte, error) {
	doc := oaDoc{OpenAPI: "3.0.1", Info: oaInfo{Title: api.Name, Description: api.Description, Version: api.Version},
		Paths: map[string]map[string]json.RawMessage{}}
	if doc.Info.Version == "" {
		doc.Info.Version = api.CreatedDate.UTC().Format("2006-01-02 15:04:05UTC")
	}
	if withExtensions {
		doc.Cors = s.Cors
		doc.Version = "1.0"
		for _, a := range s.Authorizers {
			if doc.Components == nil {
				doc.Components = &oaComponents{SecuritySchemes: map[string]*oaScheme{}}
			}
			sc := &oaScheme{Authorizer: &oaAuthorizer{JWTConfiguration: a.JWTConfiguration, AuthorizerURI: a.AuthorizerURI,
				AuthorizerPayloadFormatVersion: a.AuthorizerPayloadFormatVersion, EnableSimpleResponses: a.EnableSimpleResponses,
				AuthorizerResultTTLInSeconds: a.AuthorizerResultTTLInSeconds}}
			if len(a.IdentitySource) > 0 {
				sc.Authorizer.IdentitySource = strings.Join(a.IdentitySource, ", ")
			}
			if a.AuthorizerType == AuthorizerJWT {
				sc.Type, sc.Flows, sc.Authorizer.Type = "oauth2", &struct{}{}, "jwt"
			} else {
				sc.Type, sc.Name, sc.In, sc.Authorizer.Type = "apiKey", "Unused", "header", "request"
			}
			doc.Components.SecuritySchemes[a.Name] = sc
		}
	}
	for _, rt := range s.Routes {
		method, segs, err := ParseRouteKey(rt.RouteKey)
		if err != nil {
			return nil, err
		}
		path, key := DefaultRoute, anyMethod
		if method != "" {
			path = "/" + strings.Join(segs, "/")
			key = strings.ToLower(method)
			if method == "ANY" {
				key = anyMethod
			}
		}
		op := oaOperation{OperationID: rt.OperationName,
			Responses: map[string]any{"default": map[string]string{"description": "Default response for " + rt.RouteKey}}}
		if a := s.Authorizers[rt.AuthorizerID]; a != nil && rt.AuthorizationType != AuthNone && rt.AuthorizationType != "" {
			scopes := rt.AuthorizationScopes
			if scopes == nil {
				scopes = []string{}
			}
			op.Security = []map[string][]string{{a.Name: scopes}}
		}
		if withExtensions {
			if iid, ok := strings.CutPrefix(rt.Target, "integrations/"); ok {
				if in := s.Integrations[iid]; in != nil {
					op.Integration = &oaIntegration{Type: strings.ToLower(in.IntegrationType), URI: in.IntegrationURI, HTTPMethod: in.IntegrationMethod,
						PayloadFormatVersion: in.PayloadFormatVersion, TimeoutInMillis: in.TimeoutInMillis, ConnectionType: in.ConnectionType}
				}
			}
		}
		raw, err := json.Marshal(&op)
		if err != nil {
			return nil, err
		}
		if doc.Paths[path] == nil {
			doc.Paths[path] = map[string]json.RawMessage{}
		}
		doc.Paths[path][key] = raw
	}
	return json.MarshalIndent(&doc, "", "  ")
}
