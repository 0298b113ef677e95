package control

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cognate-dev/cognate/internal/gateway"
	"github.com/cognate-dev/cognate/internal/gateway/openapi"
	"github.com/cognate-dev/cognate/internal/store"
)

func storePage(after string) store.Page { return store.Page{After: after, Limit: 500} }

// verbKey is a method's key in an OpenAPI path item.
func verbKey(verb string) string {
	if verb == "ANY" {
		return "x-amazon-apigateway-any-method"
	}
	return strings.ToLower(verb)
}

// headerName reads "method.request.header.Authorization" as "Authorization".
func headerName(identitySource string) string {
	first, _, _ := strings.Cut(identitySource, ",")
	if name, ok := strings.CutPrefix(strings.TrimSpace(first), "method.request.header."); ok {
		return name
	}
	return "Unused"
}

// exportDocument renders a deployed definition as OpenAPI 3.0 ("oas30") or
// Swagger 2.0 ("swagger"); with apigateway extensions it carries the
// x-amazon-apigateway-* extensions an import needs.
func exportDocument(a *restAPI, region, stageName, kind string, extensions bool, deployed float64) map[string]any {
	doc := map[string]any{}
	info := map[string]any{"title": a.Name, "version": time.Unix(int64(deployed), 0).UTC().Format(time.RFC3339)}
	if a.Description != "" {
		info["description"] = a.Description
	}
	host := a.ID + ".execute-api." + region + ".amazonaws.com"
	swagger := kind == "swagger"
	if swagger {
		doc["swagger"], doc["host"], doc["basePath"], doc["schemes"] = "2.0", host, "/"+stageName, []string{"https"}
	} else {
		doc["openapi"] = "3.0.1"
		doc["servers"] = []any{map[string]any{"url": "https://" + host + "/{basePath}",
			"variables": map[string]any{"basePath": map[string]any{"default": stageName}}}}
	}
	doc["info"] = info
	names := map[string]string{}
	schemes := map[string]any{}
	for _, au := range a.Authorizers {
		names[au.ID] = au.Name
		ext := map[string]any{"type": strings.ToLower(au.Type)}
		if au.AuthorizerURI != "" {
			ext["authorizerUri"] = au.AuthorizerURI
		}
		if au.AuthorizerCredentials != "" {
			ext["authorizerCredentials"] = au.AuthorizerCredentials
		}
		if au.IdentitySource != "" {
			ext["identitySource"] = au.IdentitySource
		}
		if au.IdentityValidationExpression != "" {
			ext["identityValidationExpression"] = au.IdentityValidationExpression
		}
		if au.AuthorizerResultTTLInSeconds != nil {
			ext["authorizerResultTtlInSeconds"] = *au.AuthorizerResultTTLInSeconds
		}
		if len(au.ProviderARNs) > 0 {
			ext["providerARNs"] = au.ProviderARNs
		}
		authType := "custom"
		if au.Type == gateway.AuthorizerCognito {
			authType = "cognito_user_pools"
		}
		scheme := map[string]any{"type": "apiKey", "name": headerName(au.IdentitySource), "in": "header"}
		if extensions {
			scheme["x-amazon-apigateway-authtype"] = authType
			scheme["x-amazon-apigateway-authorizer"] = ext
		}
		schemes[au.Name] = scheme
	}
	paths := map[string]any{}
	for _, id := range slices.Sorted(maps.Keys(a.Resources)) {
		res := a.Resources[id]
		if len(res.Methods) == 0 {
			continue
		}
		item := map[string]any{}
		for verb, m := range res.Methods {
			item[verbKey(verb)] = exportOperation(m, names, swagger, extensions)
		}
		paths[a.fullPath(id)] = item
	}
	doc["paths"] = paths
	models := map[string]any{}
	for name, m := range a.Models {
		var schema any
		if json.Unmarshal([]byte(m.Schema), &schema) != nil || schema == nil {
			schema = map[string]any{}
		}
		models[name] = schema
	}
	if swagger {
		if len(schemes) > 0 {
			doc["securityDefinitions"] = schemes
		}
		if len(models) > 0 {
			doc["definitions"] = models
		}
	} else {
		comp := map[string]any{}
		if len(schemes) > 0 {
			comp["securitySchemes"] = schemes
		}
		if len(models) > 0 {
			comp["schemas"] = models
		}
		if len(comp) > 0 {
			doc["components"] = comp
		}
	}
	if extensions {
		if len(a.GatewayResponses) > 0 {
			grs := map[string]any{}
			for t, gr := range a.GatewayResponses {
				out := map[string]any{}
				if gr.StatusCode != "" {
					out["statusCode"] = gr.StatusCode
				}
				if len(gr.ResponseParameters) > 0 {
					out["responseParameters"] = gr.ResponseParameters
				}
				if len(gr.ResponseTemplates) > 0 {
					out["responseTemplates"] = gr.ResponseTemplates
				}
				grs[t] = out
			}
			doc["x-amazon-apigateway-gateway-responses"] = grs
		}
		if len(a.BinaryMediaTypes) > 0 {
			doc["x-amazon-apigateway-binary-media-types"] = a.BinaryMediaTypes
		}
	}
	return doc
}

func modelRef(name string, swagger bool) map[string]any {
	if swagger {
		return map[string]any{"$ref": "#/definitions/" + name}
	}
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

func exportOperation(m *method, names map[string]string, swagger, extensions bool) map[string]any {
	op := map[string]any{}
	if m.OperationName != "" {
		op["operationId"] = m.OperationName
	}
	var parameters []any
	for _, k := range slices.Sorted(maps.Keys(m.RequestParameters)) {
		rest, ok := strings.CutPrefix(k, "method.request.")
		if !ok {
			continue
		}
		where, name, _ := strings.Cut(rest, ".")
		in := map[string]string{"path": "path", "querystring": "query", "header": "header"}[where]
		if in == "" {
			continue
		}
		prm := map[string]any{"name": name, "in": in, "required": m.RequestParameters[k] || in == "path"}
		if swagger {
			prm["type"] = "string"
		} else {
			prm["schema"] = map[string]any{"type": "string"}
		}
		parameters = append(parameters, prm)
	}
	if len(parameters) > 0 {
		op["parameters"] = parameters
	}
	responses := map[string]any{}
	for code, mr := range m.MethodResponses {
		resp := map[string]any{"description": code + " response"}
		headers := map[string]any{}
		for k := range mr.ResponseParameters {
			if name, ok := strings.CutPrefix(k, "method.response.header."); ok {
				if swagger {
					headers[name] = map[string]any{"type": "string"}
				} else {
					headers[name] = map[string]any{"schema": map[string]any{"type": "string"}}
				}
			}
		}
		if len(headers) > 0 {
			resp["headers"] = headers
		}
		if len(mr.ResponseModels) > 0 {
			if swagger {
				for _, name := range mr.ResponseModels {
					resp["schema"] = modelRef(name, true)
					break
				}
			} else {
				content := map[string]any{}
				for ct, name := range mr.ResponseModels {
					content[ct] = map[string]any{"schema": modelRef(name, false)}
				}
				resp["content"] = content
			}
		}
		responses[code] = resp
	}
	op["responses"] = responses
	if m.AuthorizationType != gateway.AuthNone && names[m.AuthorizerID] != "" {
		scopes := m.AuthorizationScopes
		if scopes == nil {
			scopes = []string{}
		}
		op["security"] = []any{map[string]any{names[m.AuthorizerID]: scopes}}
	}
	if extensions && m.MethodIntegration != nil {
		in := m.MethodIntegration
		ext := map[string]any{"type": strings.ToLower(in.Type), "passthroughBehavior": strings.ToLower(in.PassthroughBehavior)}
		if in.HTTPMethod != "" {
			ext["httpMethod"] = in.HTTPMethod
		}
		if in.URI != "" {
			ext["uri"] = in.URI
		}
		if in.Credentials != "" {
			ext["credentials"] = in.Credentials
		}
		if in.TimeoutInMillis != 0 && in.TimeoutInMillis != 29000 {
			ext["timeoutInMillis"] = in.TimeoutInMillis
		}
		if in.ContentHandling != "" {
			ext["contentHandling"] = in.ContentHandling
		}
		if len(in.RequestParameters) > 0 {
			ext["requestParameters"] = in.RequestParameters
		}
		if len(in.RequestTemplates) > 0 {
			ext["requestTemplates"] = in.RequestTemplates
		}
		if len(in.CacheKeyParameters) > 0 {
			ext["cacheKeyParameters"] = in.CacheKeyParameters
		}
		if len(in.IntegrationResponses) > 0 {
			rs := map[string]any{}
			for code, ir := range in.IntegrationResponses {
				key := ir.SelectionPattern
				if key == "" {
					key = "default"
				}
				out := map[string]any{"statusCode": code}
				if len(ir.ResponseParameters) > 0 {
					out["responseParameters"] = ir.ResponseParameters
				}
				if len(ir.ResponseTemplates) > 0 {
					out["responseTemplates"] = ir.ResponseTemplates
				}
				if ir.ContentHandling != "" {
					out["contentHandling"] = ir.ContentHandling
				}
				rs[key] = out
			}
			ext["responses"] = rs
		}
		op["x-amazon-apigateway-integration"] = ext
	}
	return op
}

func (s *Service) getExport(w http.ResponseWriter, r *http.Request, p params) error {
	ctx := r.Context()
	a, err := s.load(ctx, p["api"])
	if err != nil {
		return err
	}
	st := a.Stages[p["stage"]]
	if st == nil {
		return stageNotFound()
	}
	kind := p["type"]
	if kind != "oas30" && kind != "swagger" {
		return badRequest("Invalid export type specified: %s. Valid values are oas30 and swagger", kind)
	}
	frozen, err := s.deployed(ctx, a.ID, st.DeploymentID)
	if err != nil {
		return err
	}
	exts := r.URL.Query().Get("extensions")
	extensions := strings.Contains(exts, "apigateway") || strings.Contains(exts, "integrations")
	var created float64
	if d := a.Deployments[st.DeploymentID]; d != nil {
		created = d.CreatedDate
	}
	doc := exportDocument(frozen, s.o.Region, st.StageName, kind, extensions, created)
	accept := r.Header.Get("Accept")
	var body []byte
	ct := "application/json"
	if strings.Contains(accept, "yaml") {
		ct = "application/yaml"
		body, err = yaml.Marshal(doc)
	} else {
		body, err = json.MarshalIndent(doc, "", "  ")
	}
	if err != nil {
		return err
	}
	ext := ".json"
	if ct == "application/yaml" {
		ext = ".yaml"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", `attachment; filename="`+kind+"_"+time.Unix(int64(created), 0).UTC().Format("2006-01-02T15:04:05Z")+ext+`"`)
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(body)
	return err
}

// rawDocument is the part of an OpenAPI document the gateway model lacks:
// method request parameters, method responses and models.
type rawDocument struct {
	Info struct {
		Description string `json:"description" yaml:"description"`
		Version     string `json:"version" yaml:"version"`
	} `json:"info" yaml:"info"`
	Paths      map[string]map[string]rawOperation `json:"paths" yaml:"paths"`
	Components struct {
		Schemas map[string]any `json:"schemas" yaml:"schemas"`
	} `json:"components" yaml:"components"`
	Definitions      map[string]any `json:"definitions" yaml:"definitions"`
	BinaryMediaTypes []string       `json:"x-amazon-apigateway-binary-media-types" yaml:"x-amazon-apigateway-binary-media-types"`
}

type rawOperation struct {
	OperationID string `json:"operationId" yaml:"operationId"`
	Parameters  []struct {
		Name     string `json:"name" yaml:"name"`
		In       string `json:"in" yaml:"in"`
		Required bool   `json:"required" yaml:"required"`
	} `json:"parameters" yaml:"parameters"`
	Responses map[string]struct {
		Headers map[string]any `json:"headers" yaml:"headers"`
		Content map[string]struct {
			Schema struct {
				Ref string `json:"$ref" yaml:"$ref"`
			} `json:"schema" yaml:"schema"`
		} `json:"content" yaml:"content"`
		Schema struct {
			Ref string `json:"$ref" yaml:"$ref"`
		} `json:"schema" yaml:"schema"`
	} `json:"responses" yaml:"responses"`
}

func decodeDocument(data []byte, v any) error {
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
		return json.Unmarshal(t, v)
	}
	return yaml.Unmarshal(data, v)
}

// definitionFrom imports an OpenAPI 2/3 document with API Gateway's extensions.
func (s *Service) definitionFrom(body []byte, apiID string) (*restAPI, error) {
	g, err := openapi.Import(body)
	if err != nil {
		return nil, badRequest("Errors found during import: %v", err)
	}
	if strings.TrimSpace(g.Name) == "" {
		return nil, badRequest("Errors found during import: the document has no info.title")
	}
	g.ID = apiID
	a := fromGateway(g, apiID, s.o.Region, s.o.AccountID, s.epoch())
	var raw rawDocument
	if err := decodeDocument(body, &raw); err != nil {
		return nil, badRequest("Errors found during import: %v", err)
	}
	a.Description, a.Version, a.BinaryMediaTypes = raw.Info.Description, raw.Info.Version, raw.BinaryMediaTypes
	schemas := raw.Components.Schemas
	if len(raw.Definitions) > 0 {
		schemas = raw.Definitions
	}
	for name, schema := range schemas {
		b, _ := json.Marshal(normalizeYAML(schema))
		if a.Models == nil {
			a.Models = map[string]*model{}
		}
		a.Models[name] = &model{ID: stableID(6, apiID, "model", name), Name: name, Schema: string(b), ContentType: "application/json"}
	}
	refName := func(ref string) string { return ref[strings.LastIndexByte(ref, '/')+1:] }
	for p, item := range raw.Paths {
		res := a.resourceByPath(p)
		if res == nil {
			continue
		}
		for key, op := range item {
			verb := strings.ToUpper(key)
			if key == "x-amazon-apigateway-any-method" {
				verb = "ANY"
			}
			m := res.Methods[verb]
			if m == nil {
				continue
			}
			m.OperationName = op.OperationID
			for _, prm := range op.Parameters {
				where := map[string]string{"path": "path", "query": "querystring", "header": "header"}[prm.In]
				if where == "" {
					continue
				}
				if m.RequestParameters == nil {
					m.RequestParameters = map[string]bool{}
				}
				m.RequestParameters["method.request."+where+"."+prm.Name] = prm.Required
			}
			for code, resp := range op.Responses {
				if !statusPattern.MatchString(code) {
					continue
				}
				if m.MethodResponses == nil {
					m.MethodResponses = map[string]*methodResponse{}
				}
				mr := m.MethodResponses[code]
				if mr == nil {
					mr = &methodResponse{StatusCode: code}
					m.MethodResponses[code] = mr
				}
				for h := range resp.Headers {
					if mr.ResponseParameters == nil {
						mr.ResponseParameters = map[string]bool{}
					}
					mr.ResponseParameters["method.response.header."+h] = false
				}
				for ct, c := range resp.Content {
					if c.Schema.Ref != "" {
						if mr.ResponseModels == nil {
							mr.ResponseModels = map[string]string{}
						}
						mr.ResponseModels[ct] = refName(c.Schema.Ref)
					}
				}
				if resp.Schema.Ref != "" {
					mr.ResponseModels = map[string]string{"application/json": refName(resp.Schema.Ref)}
				}
			}
		}
	}
	return a, nil
}

func normalizeYAML(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = normalizeYAML(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			if ks, ok := k.(string); ok {
				out[ks] = normalizeYAML(e)
			}
		}
		return out
	case []any:
		for i := range v {
			v[i] = normalizeYAML(v[i])
		}
	}
	return v
}

func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, badRequest("Could not read request body")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, badRequest("Request body must contain an OpenAPI or Swagger definition")
	}
	return body, nil
}

func (s *Service) importRestAPI(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	a, err := s.definitionFrom(body, newID(10))
	if err != nil {
		return err
	}
	if err := s.create(r.Context(), a); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, apiOut(a))
}

// putRestAPI is PutRestApi: mode=overwrite (default merge) replaces the
// definition's resources, authorizers, gateway responses and models with
// the document's; merge adds and replaces methods by path.
func (s *Service) putRestAPI(w http.ResponseWriter, r *http.Request, p params) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	mode := r.URL.Query().Get("mode")
	if mode == "" {
		mode = "merge"
	}
	if mode != "merge" && mode != "overwrite" {
		return badRequest("Invalid mode specified: %s. Valid values are merge and overwrite", mode)
	}
	imported, err := s.definitionFrom(body, p["api"])
	if err != nil {
		return err
	}
	a, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		if mode == "overwrite" {
			a.Resources, a.RootResourceID = imported.Resources, imported.RootResourceID
			a.Authorizers, a.GatewayResponses, a.Models = imported.Authorizers, imported.GatewayResponses, imported.Models
			a.BinaryMediaTypes = imported.BinaryMediaTypes
			if imported.Description != "" {
				a.Description = imported.Description
			}
			return nil
		}
		// merge: authorizers by name, methods by path, gateway responses and models by key.
		if a.Authorizers == nil {
			a.Authorizers = map[string]*authorizer{}
		}
		remap := map[string]string{}
		for id, au := range imported.Authorizers {
			for oid, old := range a.Authorizers {
				if old.Name == au.Name {
					delete(a.Authorizers, oid)
				}
			}
			a.Authorizers[id] = au
			remap[id] = id
		}
		for id, res := range imported.Resources {
			p := imported.fullPath(id)
			target := a.resourceByPath(p)
			if target == nil {
				parentPath := p[:strings.LastIndexByte(p, '/')]
				if parentPath == "" {
					parentPath = "/"
				}
				parent := a.resourceByPath(parentPath)
				if parent == nil {
					// Parents come first when sorted by path length; create the chain.
					parent = ensurePath(a, parentPath)
				}
				target = &resource{ID: newID(6), ParentID: parent.ID, PathPart: res.PathPart}
				a.Resources[target.ID] = target
			}
			for verb, m := range res.Methods {
				if target.Methods == nil {
					target.Methods = map[string]*method{}
				}
				target.Methods[verb] = m
			}
		}
		for t, gr := range imported.GatewayResponses {
			if a.GatewayResponses == nil {
				a.GatewayResponses = map[string]*gatewayResponse{}
			}
			a.GatewayResponses[t] = gr
		}
		for n, m := range imported.Models {
			if a.Models == nil {
				a.Models = map[string]*model{}
			}
			a.Models[n] = m
		}
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apiOut(a))
}

// ensurePath creates the resources of path p that do not exist.
func ensurePath(a *restAPI, p string) *resource {
	cur := a.Resources[a.RootResourceID]
	curPath := ""
	for _, part := range strings.Split(strings.Trim(p, "/"), "/") {
		if part == "" {
			continue
		}
		curPath += "/" + part
		next := a.resourceByPath(curPath)
		if next == nil {
			next = &resource{ID: newID(6), ParentID: cur.ID, PathPart: part}
			a.Resources[next.ID] = next
		}
		cur = next
	}
	return cur
}
