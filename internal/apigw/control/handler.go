package control

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/cognate-dev/cognate/internal/gateway"
	"github.com/cognate-dev/cognate/internal/restpath"
)

type params map[string]string

type route struct {
	method string
	parts  restpath.Pattern
	op     string
	serve  func(s *Service, w http.ResponseWriter, r *http.Request, p params) error
}

func rt(method, pattern, op string, serve func(*Service, http.ResponseWriter, *http.Request, params) error) route {
	return route{method, restpath.Parse(pattern), op, serve}
}

const (
	pAPI     = "/restapis/{api}"
	pRes     = pAPI + "/resources/{res}"
	pMethod  = pRes + "/methods/{verb}"
	pInteg   = pMethod + "/integration"
	pAuth    = pAPI + "/authorizers"
	pDeploy  = pAPI + "/deployments"
	pStage   = pAPI + "/stages"
	pGwResp  = pAPI + "/gatewayresponses"
	pValid   = pAPI + "/requestvalidators"
	pModels  = pAPI + "/models"
	pTagsARN = "/tags/{arn}"
)

// routes are API Gateway's REST API management operations.
var routes = []route{
	rt("GET", "/restapis", "GetRestApis", (*Service).getRestAPIs),
	rt("POST", "/restapis", "CreateRestApi", (*Service).createRestAPI),
	rt("GET", pAPI, "GetRestApi", (*Service).getRestAPI),
	rt("PATCH", pAPI, "UpdateRestApi", (*Service).updateRestAPI),
	rt("PUT", pAPI, "PutRestApi", (*Service).putRestAPI),
	rt("DELETE", pAPI, "DeleteRestApi", (*Service).deleteRestAPI),

	rt("GET", pAPI+"/resources", "GetResources", (*Service).getResources),
	rt("GET", pRes, "GetResource", (*Service).getResource),
	rt("POST", pRes, "CreateResource", (*Service).createResource),
	rt("PATCH", pRes, "UpdateResource", (*Service).updateResource),
	rt("DELETE", pRes, "DeleteResource", (*Service).deleteResource),

	rt("PUT", pMethod, "PutMethod", (*Service).putMethod),
	rt("GET", pMethod, "GetMethod", (*Service).getMethod),
	rt("PATCH", pMethod, "UpdateMethod", (*Service).updateMethod),
	rt("DELETE", pMethod, "DeleteMethod", (*Service).deleteMethod),
	rt("POST", pMethod, "TestInvokeMethod", (*Service).testInvokeMethod),

	rt("PUT", pMethod+"/responses/{code}", "PutMethodResponse", (*Service).putMethodResponse),
	rt("GET", pMethod+"/responses/{code}", "GetMethodResponse", (*Service).getMethodResponse),
	rt("PATCH", pMethod+"/responses/{code}", "UpdateMethodResponse", (*Service).updateMethodResponse),
	rt("DELETE", pMethod+"/responses/{code}", "DeleteMethodResponse", (*Service).deleteMethodResponse),

	rt("PUT", pInteg, "PutIntegration", (*Service).putIntegration),
	rt("GET", pInteg, "GetIntegration", (*Service).getIntegration),
	rt("PATCH", pInteg, "UpdateIntegration", (*Service).updateIntegration),
	rt("DELETE", pInteg, "DeleteIntegration", (*Service).deleteIntegration),

	rt("PUT", pInteg+"/responses/{code}", "PutIntegrationResponse", (*Service).putIntegrationResponse),
	rt("GET", pInteg+"/responses/{code}", "GetIntegrationResponse", (*Service).getIntegrationResponse),
	rt("PATCH", pInteg+"/responses/{code}", "UpdateIntegrationResponse", (*Service).updateIntegrationResponse),
	rt("DELETE", pInteg+"/responses/{code}", "DeleteIntegrationResponse", (*Service).deleteIntegrationResponse),

	rt("POST", pAuth, "CreateAuthorizer", (*Service).createAuthorizer),
	rt("GET", pAuth, "GetAuthorizers", (*Service).getAuthorizers),
	rt("GET", pAuth+"/{auth}", "GetAuthorizer", (*Service).getAuthorizer),
	rt("PATCH", pAuth+"/{auth}", "UpdateAuthorizer", (*Service).updateAuthorizer),
	rt("DELETE", pAuth+"/{auth}", "DeleteAuthorizer", (*Service).deleteAuthorizer),
	rt("POST", pAuth+"/{auth}", "TestInvokeAuthorizer", (*Service).testInvokeAuthorizer),

	rt("POST", pDeploy, "CreateDeployment", (*Service).createDeployment),
	rt("GET", pDeploy, "GetDeployments", (*Service).getDeployments),
	rt("GET", pDeploy+"/{dep}", "GetDeployment", (*Service).getDeployment),
	rt("PATCH", pDeploy+"/{dep}", "UpdateDeployment", (*Service).updateDeployment),
	rt("DELETE", pDeploy+"/{dep}", "DeleteDeployment", (*Service).deleteDeployment),

	rt("POST", pStage, "CreateStage", (*Service).createStage),
	rt("GET", pStage, "GetStages", (*Service).getStages),
	rt("GET", pStage+"/{stage}", "GetStage", (*Service).getStage),
	rt("PATCH", pStage+"/{stage}", "UpdateStage", (*Service).updateStage),
	rt("DELETE", pStage+"/{stage}", "DeleteStage", (*Service).deleteStage),
	rt("GET", pStage+"/{stage}/exports/{type}", "GetExport", (*Service).getExport),

	rt("GET", pGwResp, "GetGatewayResponses", (*Service).getGatewayResponses),
	rt("GET", pGwResp+"/{type}", "GetGatewayResponse", (*Service).getGatewayResponse),
	rt("PUT", pGwResp+"/{type}", "PutGatewayResponse", (*Service).putGatewayResponse),
	rt("PATCH", pGwResp+"/{type}", "UpdateGatewayResponse", (*Service).updateGatewayResponse),
	rt("DELETE", pGwResp+"/{type}", "DeleteGatewayResponse", (*Service).deleteGatewayResponse),

	rt("POST", pValid, "CreateRequestValidator", (*Service).createValidator),
	rt("GET", pValid, "GetRequestValidators", (*Service).getValidators),
	rt("GET", pValid+"/{val}", "GetRequestValidator", (*Service).getValidator),
	rt("PATCH", pValid+"/{val}", "UpdateRequestValidator", (*Service).updateValidator),
	rt("DELETE", pValid+"/{val}", "DeleteRequestValidator", (*Service).deleteValidator),

	rt("POST", pModels, "CreateModel", (*Service).createModel),
	rt("GET", pModels, "GetModels", (*Service).getModels),
	rt("GET", pModels+"/{model}", "GetModel", (*Service).getModel),
	rt("PATCH", pModels+"/{model}", "UpdateModel", (*Service).updateModel),
	rt("DELETE", pModels+"/{model}", "DeleteModel", (*Service).deleteModel),

	rt("POST", "/apikeys", "CreateApiKey", (*Service).createAPIKey),
	rt("GET", "/apikeys", "GetApiKeys", (*Service).getAPIKeys),
	rt("GET", "/apikeys/{key}", "GetApiKey", (*Service).getAPIKey),
	rt("PATCH", "/apikeys/{key}", "UpdateApiKey", (*Service).updateAPIKey),
	rt("DELETE", "/apikeys/{key}", "DeleteApiKey", (*Service).deleteAPIKey),
	rt("POST", "/usageplans", "CreateUsagePlan", (*Service).createUsagePlan),
	rt("GET", "/usageplans", "GetUsagePlans", (*Service).getUsagePlans),
	rt("GET", "/usageplans/{plan}", "GetUsagePlan", (*Service).getUsagePlan),
	rt("PATCH", "/usageplans/{plan}", "UpdateUsagePlan", (*Service).updateUsagePlan),
	rt("DELETE", "/usageplans/{plan}", "DeleteUsagePlan", (*Service).deleteUsagePlan),
	rt("POST", "/usageplans/{plan}/keys", "CreateUsagePlanKey", (*Service).createUsagePlanKey),
	rt("GET", "/usageplans/{plan}/keys", "GetUsagePlanKeys", (*Service).getUsagePlanKeys),
	rt("GET", "/usageplans/{plan}/keys/{key}", "GetUsagePlanKey", (*Service).getUsagePlanKey),
	rt("DELETE", "/usageplans/{plan}/keys/{key}", "DeleteUsagePlanKey", (*Service).deleteUsagePlanKey),
	rt("GET", "/usageplans/{plan}/usage", "GetUsage", (*Service).getUsage),
	rt("PATCH", "/usageplans/{plan}/keys/{key}/usage", "UpdateUsage", (*Service).updateUsage),

	rt("GET", pTagsARN, "GetTags", (*Service).getTags),
	rt("PUT", pTagsARN, "TagResource", (*Service).tagResource),
	rt("DELETE", pTagsARN, "UntagResource", (*Service).untagResource),
}

func match(r *http.Request) (*route, params) {
	segs := restpath.SplitEscaped(r.URL.EscapedPath())
	for i := range routes {
		rt := &routes[i]
		if rt.method != r.Method {
			continue
		}
		if p, ok := rt.parts.Match(segs); ok {
			return rt, p
		}
	}
	return nil, nil
}

// Rule names the IAM action (apigateway:VERB) and resource
// (arn:aws:apigateway:REGION::/path) of a request, as API Gateway's IAM does.
func (s *Service) Rule(r *http.Request) (string, string) {
	return "apigateway:" + r.Method, "arn:aws:apigateway:" + s.o.Region + "::" + r.URL.Path
}

// Handler serves the management API (behind the SigV4 middleware).
func (s *Service) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, p := match(r)
		if rt == nil {
			writeError(w, &apiError{http.StatusNotFound, "UnknownOperationException",
				"Unknown operation: the apigateway API has no operation " + r.Method + " " + r.URL.Path + " in Cognate"})
			return
		}
		if !s.allow() {
			writeError(w, errTooManyRequests)
			return
		}
		if err := rt.serve(s, w, r, p); err != nil {
			if writeError(w, err) {
				s.log.Error("apigateway control", "operation", rt.op, "err", err)
			}
		}
	})
}

func decode(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return badRequest("Could not read request body")
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return badRequest("Invalid request body: %v", err)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// page applies limit/position to ids (sorted) and returns the page and the next position.
func page(r *http.Request, ids []string) ([]string, string, error) {
	q := r.URL.Query()
	limit := 25
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return nil, "", badRequest("1 validation error detected: Value '%s' at 'limit' failed to satisfy constraint: Member must have value between 1 and 500", v)
		}
		limit = n
	}
	start := 0
	if pos := q.Get("position"); pos != "" {
		i, found := slices.BinarySearch(ids, pos)
		if found {
			i++
		}
		start = i
	}
	end := min(start+limit, len(ids))
	out := ids[start:end]
	next := ""
	if end < len(ids) && len(out) > 0 {
		next = out[len(out)-1]
	}
	return out, next, nil
}

type list[T any] struct {
	Items    []T    `json:"item"`
	Position string `json:"position,omitempty"`
}

// --- rest APIs ---

type restAPIOut struct {
	ID                        string                 `json:"id"`
	Name                      string                 `json:"name"`
	Description               string                 `json:"description,omitempty"`
	CreatedDate               float64                `json:"createdDate"`
	Version                   string                 `json:"version,omitempty"`
	BinaryMediaTypes          []string               `json:"binaryMediaTypes,omitempty"`
	MinimumCompressionSize    *int                   `json:"minimumCompressionSize,omitempty"`
	APIKeySource              string                 `json:"apiKeySource"`
	EndpointConfiguration     *endpointConfiguration `json:"endpointConfiguration,omitempty"`
	Policy                    string                 `json:"policy,omitempty"`
	Tags                      map[string]string      `json:"tags,omitempty"`
	DisableExecuteAPIEndpoint bool                   `json:"disableExecuteApiEndpoint"`
	RootResourceID            string                 `json:"rootResourceId"`
}

func apiOut(a *restAPI) restAPIOut {
	return restAPIOut{ID: a.ID, Name: a.Name, Description: a.Description, CreatedDate: a.CreatedDate, Version: a.Version,
		BinaryMediaTypes: a.BinaryMediaTypes, MinimumCompressionSize: a.MinimumCompressionSize, APIKeySource: a.APIKeySource,
		EndpointConfiguration: a.EndpointConfiguration, Policy: a.Policy, Tags: a.Tags,
		DisableExecuteAPIEndpoint: a.DisableExecuteAPIEndpoint, RootResourceID: a.RootResourceID}
}

func (s *Service) listAll(ctx context.Context) ([]*restAPI, error) {
	var out []*restAPI
	pg := struct{ after string }{}
	for {
		objs, err := s.o.Store.ListObjects(ctx, kindRestAPI, storePage(pg.after))
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			var a restAPI
			if err := json.Unmarshal(o.Data, &a); err != nil {
				return nil, err
			}
			out = append(out, &a)
		}
		if len(objs) < 500 {
			return out, nil
		}
		pg.after = objs[len(objs)-1].Key
	}
}

func (s *Service) getRestAPIs(w http.ResponseWriter, r *http.Request, _ params) error {
	all, err := s.listAll(r.Context())
	if err != nil {
		return err
	}
	byID := map[string]*restAPI{}
	for _, a := range all {
		byID[a.ID] = a
	}
	ids, next, err := page(r, slices.Sorted(maps.Keys(byID)))
	if err != nil {
		return err
	}
	out := list[restAPIOut]{Items: []restAPIOut{}, Position: next}
	for _, id := range ids {
		out.Items = append(out.Items, apiOut(byID[id]))
	}
	return writeJSON(w, http.StatusOK, out)
}

type createRestAPIInput struct {
	Name                      string                 `json:"name"`
	Description               string                 `json:"description"`
	Version                   string                 `json:"version"`
	CloneFrom                 string                 `json:"cloneFrom"`
	BinaryMediaTypes          []string               `json:"binaryMediaTypes"`
	MinimumCompressionSize    *int                   `json:"minimumCompressionSize"`
	APIKeySource              string                 `json:"apiKeySource"`
	EndpointConfiguration     *endpointConfiguration `json:"endpointConfiguration"`
	Policy                    string                 `json:"policy"`
	Tags                      map[string]string      `json:"tags"`
	DisableExecuteAPIEndpoint bool                   `json:"disableExecuteApiEndpoint"`
}

func (s *Service) newAPI(name string) *restAPI {
	a := &restAPI{ID: newID(10), Name: name, CreatedDate: s.epoch(), APIKeySource: "HEADER",
		EndpointConfiguration: &endpointConfiguration{Types: []string{"EDGE"}}, Resources: map[string]*resource{}}
	root := &resource{ID: newID(10)}
	a.Resources[root.ID] = root
	a.RootResourceID = root.ID
	return a
}

func (s *Service) createRestAPI(w http.ResponseWriter, r *http.Request, p params) error {
	if r.URL.Query().Get("mode") == "import" {
		return s.importRestAPI(w, r)
	}
	var in createRestAPIInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if strings.TrimSpace(in.Name) == "" {
		return badRequest("Invalid REST API name specified: the name must not be empty")
	}
	ctx := r.Context()
	a := s.newAPI(in.Name)
	if in.CloneFrom != "" {
		src, err := s.load(ctx, in.CloneFrom)
		if err != nil {
			return err
		}
		id, created := a.ID, a.CreatedDate
		cp := snapshotOf(src)
		a = &cp
		// New ids for the clone, keeping its structure.
		a.ID, a.CreatedDate, a.Name = id, created, in.Name
		a.Deployments, a.Stages = nil, nil
	}
	a.Description, a.Version, a.Policy, a.Tags = in.Description, in.Version, in.Policy, in.Tags
	a.DisableExecuteAPIEndpoint, a.MinimumCompressionSize = in.DisableExecuteAPIEndpoint, in.MinimumCompressionSize
	if len(in.BinaryMediaTypes) > 0 {
		a.BinaryMediaTypes = in.BinaryMediaTypes
	}
	if in.APIKeySource != "" {
		if in.APIKeySource != "HEADER" && in.APIKeySource != "AUTHORIZER" {
			return badRequest("Invalid API Key source specified: must be HEADER or AUTHORIZER")
		}
		a.APIKeySource = in.APIKeySource
	}
	if in.EndpointConfiguration != nil && len(in.EndpointConfiguration.Types) > 0 {
		for _, t := range in.EndpointConfiguration.Types {
			if t != "EDGE" && t != "REGIONAL" && t != "PRIVATE" {
				return badRequest("Invalid endpoint configuration type: %s", t)
			}
		}
		a.EndpointConfiguration = in.EndpointConfiguration
	}
	if err := s.create(ctx, a); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, apiOut(a))
}

func (s *Service) getRestAPI(w http.ResponseWriter, r *http.Request, p params) error {
	a, err := s.load(r.Context(), p["api"])
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apiOut(a))
}

type patchInput struct {
	PatchOperations []patchOp `json:"patchOperations"`
}

func (s *Service) updateRestAPI(w http.ResponseWriter, r *http.Request, p params) error {
	var in patchInput
	if err := decode(r, &in); err != nil {
		return err
	}
	a, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		if err := applyPatch(a, in.PatchOperations, "name", "description", "version", "binaryMediaTypes",
			"minimumCompressionSize", "apiKeySource", "policy", "disableExecuteApiEndpoint", "endpointConfiguration"); err != nil {
			return err
		}
		if strings.TrimSpace(a.Name) == "" {
			return badRequest("Invalid REST API name specified: the name must not be empty")
		}
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apiOut(a))
}

func (s *Service) deleteRestAPI(w http.ResponseWriter, r *http.Request, p params) error {
	ctx := r.Context()
	a, err := s.load(ctx, p["api"])
	if err != nil {
		return err
	}
	for name := range a.Stages {
		if err := s.o.Gateway.RemoveStage(ctx, a.ID, name); err != nil {
			return err
		}
	}
	if err := s.o.Store.DeleteObject(ctx, kindRestAPI, a.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// --- resources ---

type resourceOut struct {
	ID              string             `json:"id"`
	ParentID        string             `json:"parentId,omitempty"`
	PathPart        string             `json:"pathPart,omitempty"`
	Path            string             `json:"path"`
	ResourceMethods map[string]*method `json:"resourceMethods,omitempty"`
}

func (a *restAPI) resourceOut(r *resource, embed bool) resourceOut {
	out := resourceOut{ID: r.ID, ParentID: r.ParentID, PathPart: r.PathPart, Path: a.fullPath(r.ID)}
	if len(r.Methods) > 0 {
		out.ResourceMethods = map[string]*method{}
		for verb, m := range r.Methods {
			if embed {
				out.ResourceMethods[verb] = m
			} else {
				out.ResourceMethods[verb] = &method{}
			}
		}
	}
	return out
}

// MarshalJSON renders an embedded-less method stub as {}.
func (m *method) MarshalJSON() ([]byte, error) {
	if m.HTTPMethod == "" {
		return []byte("{}"), nil
	}
	type plain method
	return json.Marshal((*plain)(m))
}

func (s *Service) getResources(w http.ResponseWriter, r *http.Request, p params) error {
	a, err := s.load(r.Context(), p["api"])
	if err != nil {
		return err
	}
	ids, next, err := page(r, slices.Sorted(maps.Keys(a.Resources)))
	if err != nil {
		return err
	}
	embed := slices.Contains(r.URL.Query()["embed"], "methods")
	out := list[resourceOut]{Items: []resourceOut{}, Position: next}
	for _, id := range ids {
		out.Items = append(out.Items, a.resourceOut(a.Resources[id], embed))
	}
	return writeJSON(w, http.StatusOK, out)
}

func resourceNotFound() error { return notFound("Invalid Resource identifier specified") }

func (s *Service) getResource(w http.ResponseWriter, r *http.Request, p params) error {
	a, err := s.load(r.Context(), p["api"])
	if err != nil {
		return err
	}
	res := a.Resources[p["res"]]
	if res == nil {
		return resourceNotFound()
	}
	return writeJSON(w, http.StatusOK, a.resourceOut(res, slices.Contains(r.URL.Query()["embed"], "methods")))
}

var pathPartPattern = regexp.MustCompile(`^(?:[A-Za-z0-9._~:@!$&'()*+,;=-]+|\{[A-Za-z0-9._-]+\+?\})$`)

// checkPathPart validates a new path part among its siblings.
func (a *restAPI) checkPathPart(parentID, part, self string) error {
	if !pathPartPattern.MatchString(part) {
		return badRequest("Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace.")
	}
	for id, sib := range a.Resources {
		if id == self || sib.ParentID != parentID {
			continue
		}
		if sib.PathPart == part {
			return conflict("Another resource with the same parent already has this name: %s", part)
		}
		if strings.HasPrefix(part, "{") && strings.HasPrefix(sib.PathPart, "{") {
			return badRequest("A sibling (%s) of this resource already has a variable path part -- only one is allowed", sib.PathPart)
		}
	}
	if parent := a.Resources[parentID]; parent != nil && strings.HasSuffix(parent.PathPart, "+}") {
		return badRequest("Cannot create a child of a resource with a greedy path variable: %s", parent.PathPart)
	}
	return nil
}

func (s *Service) createResource(w http.ResponseWriter, r *http.Request, p params) error {
	var in struct {
		PathPart string `json:"pathPart"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	var created *resource
	a, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		if a.Resources[p["res"]] == nil {
			return resourceNotFound()
		}
		if err := a.checkPathPart(p["res"], in.PathPart, ""); err != nil {
			return err
		}
		created = &resource{ID: newID(6), ParentID: p["res"], PathPart: in.PathPart}
		a.Resources[created.ID] = created
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, a.resourceOut(created, false))
}

func (s *Service) updateResource(w http.ResponseWriter, r *http.Request, p params) error {
	var in patchInput
	if err := decode(r, &in); err != nil {
		return err
	}
	var res *resource
	a, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		res = a.Resources[p["res"]]
		if res == nil {
			return resourceNotFound()
		}
		if res.ParentID == "" {
			return badRequest("Cannot modify the root resource")
		}
		next := *res
		if err := applyPatch(&next, in.PatchOperations, "pathPart", "parentId"); err != nil {
			return err
		}
		if a.Resources[next.ParentID] == nil {
			return notFound("Invalid Resource identifier specified (parent %s)", next.ParentID)
		}
		for id := next.ParentID; id != ""; id = a.Resources[id].ParentID {
			if id == res.ID {
				return badRequest("A resource cannot be moved under itself")
			}
		}
		if err := a.checkPathPart(next.ParentID, next.PathPart, res.ID); err != nil {
			return err
		}
		*res = next
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a.resourceOut(res, false))
}

func (s *Service) deleteResource(w http.ResponseWriter, r *http.Request, p params) error {
	_, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		res := a.Resources[p["res"]]
		if res == nil {
			return resourceNotFound()
		}
		if res.ParentID == "" {
			return badRequest("Cannot delete the root resource")
		}
		// The resource and everything below it.
		doomed := map[string]bool{res.ID: true}
		for changed := true; changed; {
			changed = false
			for id, c := range a.Resources {
				if !doomed[id] && doomed[c.ParentID] {
					doomed[id], changed = true, true
				}
			}
		}
		for id := range doomed {
			delete(a.Resources, id)
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// --- methods ---

func methodNotFound() error { return notFound("Invalid Method identifier specified") }

var verbPattern = regexp.MustCompile(`^(GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS|ANY)$`)

// methodOf finds a method (nil with NotFoundException when absent).
func methodOf(a *restAPI, p params) (*resource, *method, error) {
	res := a.Resources[p["res"]]
	if res == nil {
		return nil, nil, resourceNotFound()
	}
	m := res.Methods[strings.ToUpper(p["verb"])]
	if m == nil {
		return res, nil, methodNotFound()
	}
	return res, m, nil
}

type putMethodInput struct {
	AuthorizationType   string            `json:"authorizationType"`
	AuthorizerID        string            `json:"authorizerId"`
	APIKeyRequired      bool              `json:"apiKeyRequired"`
	OperationName       string            `json:"operationName"`
	RequestParameters   map[string]bool   `json:"requestParameters"`
	RequestModels       map[string]string `json:"requestModels"`
	RequestValidatorID  string            `json:"requestValidatorId"`
	AuthorizationScopes []string          `json:"authorizationScopes"`
}

var authTypes = []string{gateway.AuthNone, gateway.AuthCognito, gateway.AuthCustom, "AWS_IAM"}

// checkMethodAuth validates a method's authorization settings against the API's authorizers.
func checkMethodAuth(a *restAPI, m *method) error {
	if !slices.Contains(authTypes, m.AuthorizationType) {
		return badRequest("Invalid authorization type specified. Valid values are NONE, AWS_IAM, CUSTOM and COGNITO_USER_POOLS.")
	}
	switch m.AuthorizationType {
	case gateway.AuthCustom, gateway.AuthCognito:
		au := a.Authorizers[m.AuthorizerID]
		if au == nil {
			return badRequest("Invalid authorizer ID specified. Setting the authorization type to %s requires a valid authorizer.", m.AuthorizationType)
		}
		if (m.AuthorizationType == gateway.AuthCognito) != (au.Type == gateway.AuthorizerCognito) {
			return badRequest("Authorizer %s is of type %s, which does not match authorization type %s", au.ID, au.Type, m.AuthorizationType)
		}
	default:
		if m.AuthorizerID != "" {
			return badRequest("Authorizer ID must not be set when the authorization type is %s", m.AuthorizationType)
		}
	}
	if len(m.AuthorizationScopes) > 0 && m.AuthorizationType != gateway.AuthCognito {
		return badRequest("Authorization scopes are supported only with COGNITO_USER_POOLS authorization")
	}
	if m.RequestValidatorID != "" && a.Validators[m.RequestValidatorID] == nil {
		return badRequest("Invalid Request Validator identifier specified")
	}
	return nil
}

func (s *Service) putMethod(w http.ResponseWriter, r *http.Request, p params) error {
	var in putMethodInput
	if err := decode(r, &in); err != nil {
		return err
	}
	verb := strings.ToUpper(p["verb"])
	if !verbPattern.MatchString(verb) {
		return badRequest("Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY")
	}
	var m *method
	_, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		res := a.Resources[p["res"]]
		if res == nil {
			return resourceNotFound()
		}
		if res.Methods[verb] != nil {
			return conflict("Method already exists for this resource")
		}
		m = &method{HTTPMethod: verb, AuthorizationType: in.AuthorizationType, AuthorizerID: in.AuthorizerID,
			APIKeyRequired: in.APIKeyRequired, OperationName: in.OperationName, RequestParameters: in.RequestParameters,
			RequestModels: in.RequestModels, RequestValidatorID: in.RequestValidatorID, AuthorizationScopes: in.AuthorizationScopes}
		if err := checkMethodAuth(a, m); err != nil {
			return err
		}
		if res.Methods == nil {
			res.Methods = map[string]*method{}
		}
		res.Methods[verb] = m
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, m)
}

func (s *Service) getMethod(w http.ResponseWriter, r *http.Request, p params) error {
	a, err := s.load(r.Context(), p["api"])
	if err != nil {
		return err
	}
	_, m, err := methodOf(a, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, m)
}

func (s *Service) updateMethod(w http.ResponseWriter, r *http.Request, p params) error {
	var in patchInput
	if err := decode(r, &in); err != nil {
		return err
	}
	var m *method
	_, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		_, cur, err := methodOf(a, p)
		if err != nil {
			return err
		}
		next := *cur
		next.RequestParameters = maps.Clone(cur.RequestParameters)
		next.RequestModels = maps.Clone(cur.RequestModels)
		if err := applyPatch(&next, in.PatchOperations, "authorizationType", "authorizerId", "apiKeyRequired",
			"operationName", "requestParameters", "requestModels", "requestValidatorId", "authorizationScopes"); err != nil {
			return err
		}
		if next.AuthorizationType == gateway.AuthNone || next.AuthorizationType == "AWS_IAM" {
			next.AuthorizerID = ""
		}
		if err := checkMethodAuth(a, &next); err != nil {
			return err
		}
		*cur = next
		m = cur
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, m)
}

func (s *Service) deleteMethod(w http.ResponseWriter, r *http.Request, p params) error {
	_, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		res, _, err := methodOf(a, p)
		if err != nil {
			return err
		}
		delete(res.Methods, strings.ToUpper(p["verb"]))
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- method responses ---

var statusPattern = regexp.MustCompile(`^[1-5]\d\d$`)

func responseNotFound() error { return notFound("Invalid Response status code specified") }

func (s *Service) putMethodResponse(w http.ResponseWriter, r *http.Request, p params) error {
	var in struct {
		ResponseParameters map[string]bool   `json:"responseParameters"`
		ResponseModels     map[string]string `json:"responseModels"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	code := p["code"]
	if !statusPattern.MatchString(code) {
		return badRequest("Invalid status code specified: %s", code)
	}
	for k := range in.ResponseParameters {
		if !strings.HasPrefix(k, "method.response.header.") {
			return badRequest("Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid method response parameter: %s]", k)
		}
	}
	mr := &methodResponse{StatusCode: code, ResponseParameters: in.ResponseParameters, ResponseModels: in.ResponseModels}
	_, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		_, m, err := methodOf(a, p)
		if err != nil {
			return err
		}
		if m.MethodResponses[code] != nil {
			return conflict("Response already exists for this resource")
		}
		if m.MethodResponses == nil {
			m.MethodResponses = map[string]*methodResponse{}
		}
		m.MethodResponses[code] = mr
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, mr)
}

func (s *Service) getMethodResponse(w http.ResponseWriter, r *http.Request, p params) error {
	a, err := s.load(r.Context(), p["api"])
	if err != nil {
		return err
	}
	_, m, err := methodOf(a, p)
	if err != nil {
		return err
	}
	mr := m.MethodResponses[p["code"]]
	if mr == nil {
		return responseNotFound()
	}
	return writeJSON(w, http.StatusOK, mr)
}

func (s *Service) updateMethodResponse(w http.ResponseWriter, r *http.Request, p params) error {
	var in patchInput
	if err := decode(r, &in); err != nil {
		return err
	}
	var mr *methodResponse
	_, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		_, m, err := methodOf(a, p)
		if err != nil {
			return err
		}
		if mr = m.MethodResponses[p["code"]]; mr == nil {
			return responseNotFound()
		}
		return applyPatch(mr, in.PatchOperations, "responseParameters", "responseModels")
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mr)
}

func (s *Service) deleteMethodResponse(w http.ResponseWriter, r *http.Request, p params) error {
	_, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		_, m, err := methodOf(a, p)
		if err != nil {
			return err
		}
		if m.MethodResponses[p["code"]] == nil {
			return responseNotFound()
		}
		delete(m.MethodResponses, p["code"])
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- integrations ---

type putIntegrationInput struct {
	Type                string            `json:"type"`
	HTTPMethod          string            `json:"httpMethod"`
	URI                 string            `json:"uri"`
	ConnectionType      string            `json:"connectionType"`
	ConnectionID        string            `json:"connectionId"`
	Credentials         string            `json:"credentials"`
	RequestParameters   map[string]string `json:"requestParameters"`
	RequestTemplates    map[string]string `json:"requestTemplates"`
	PassthroughBehavior string            `json:"passthroughBehavior"`
	CacheNamespace      string            `json:"cacheNamespace"`
	CacheKeyParameters  []string          `json:"cacheKeyParameters"`
	ContentHandling     string            `json:"contentHandling"`
	TimeoutInMillis     *int              `json:"timeoutInMillis"`
}

var integrationTypes = []string{gateway.IntegrationMock, gateway.IntegrationHTTP, gateway.IntegrationHTTPProxy, gateway.IntegrationAWS, gateway.IntegrationAWSProxy}

// checkIntegration validates an integration as API Gateway does.
func checkIntegration(in *integration) error {
	if !slices.Contains(integrationTypes, in.Type) {
		return badRequest("Invalid integration type specified. Valid values are HTTP, HTTP_PROXY, AWS, AWS_PROXY and MOCK.")
	}
	if in.Type != gateway.IntegrationMock {
		if in.HTTPMethod == "" {
			return badRequest("Enumeration value for HttpMethod must be non-empty")
		}
		if in.URI == "" {
			return badRequest("Invalid HTTP endpoint specified for URI")
		}
	}
	switch in.Type {
	case gateway.IntegrationAWS, gateway.IntegrationAWSProxy:
		if !strings.HasPrefix(in.URI, "arn:") {
			return badRequest("AWS ARN for integration must contain path or action")
		}
		if _, err := gateway.FunctionFromURI(in.URI); err != nil {
			return badRequest("Cognate integrates AWS and AWS_PROXY methods with Lambda functions only: %v", err)
		}
		if in.Type == gateway.IntegrationAWSProxy && in.HTTPMethod != "POST" {
			return badRequest("Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations.")
		}
	case gateway.IntegrationHTTP, gateway.IntegrationHTTPProxy:
		u, err := url.Parse(in.URI)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return badRequest("Invalid HTTP endpoint specified for URI")
		}
	}
	switch in.PassthroughBehavior {
	case "", gateway.PassthroughWhenNoMatch, gateway.PassthroughWhenNoTemplates, gateway.PassthroughNever:
	default:
		return badRequest("Invalid passthrough behavior specified. Valid values are WHEN_NO_MATCH, WHEN_NO_TEMPLATES and NEVER.")
	}
	switch in.ContentHandling {
	case "", "CONVERT_TO_BINARY", "CONVERT_TO_TEXT":
	default:
		return badRequest("Invalid content handling specified. Valid values are CONVERT_TO_BINARY and CONVERT_TO_TEXT.")
	}
	if in.TimeoutInMillis < 50 || in.TimeoutInMillis > 29000 {
		return badRequest("Timeout should be between 50 ms and 29000 ms")
	}
	return nil
}

func (s *Service) putIntegration(w http.ResponseWriter, r *http.Request, p params) error {
	var in putIntegrationInput
	if err := decode(r, &in); err != nil {
		return err
	}
	integ := &integration{Type: strings.ToUpper(in.Type), HTTPMethod: strings.ToUpper(in.HTTPMethod), URI: in.URI,
		ConnectionType: in.ConnectionType, ConnectionID: in.ConnectionID, Credentials: in.Credentials,
		RequestParameters: in.RequestParameters, RequestTemplates: in.RequestTemplates, PassthroughBehavior: in.PassthroughBehavior,
		CacheNamespace: in.CacheNamespace, CacheKeyParameters: in.CacheKeyParameters, ContentHandling: in.ContentHandling,
		TimeoutInMillis: 29000}
	if in.TimeoutInMillis != nil {
		integ.TimeoutInMillis = *in.TimeoutInMillis
	}
	if integ.PassthroughBehavior == "" {
		integ.PassthroughBehavior = gateway.PassthroughWhenNoMatch
	}
	if integ.CacheKeyParameters == nil {
		integ.CacheKeyParameters = []string{}
	}
	if err := checkIntegration(integ); err != nil {
		return err
	}
	_, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		res, m, err := methodOf(a, p)
		if err != nil {
			return err
		}
		if integ.CacheNamespace == "" {
			integ.CacheNamespace = res.ID
		}
		m.MethodIntegration = integ
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, integ)
}

func integrationOf(a *restAPI, p params) (*method, *integration, error) {
	_, m, err := methodOf(a, p)
	if err != nil {
		return nil, nil, err
	}
	if m.MethodIntegration == nil {
		return m, nil, notFound("No integration defined for method")
	}
	return m, m.MethodIntegration, nil
}

func (s *Service) getIntegration(w http.ResponseWriter, r *http.Request, p params) error {
	a, err := s.load(r.Context(), p["api"])
	if err != nil {
		return err
	}
	_, in, err := integrationOf(a, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, in)
}

func (s *Service) updateIntegration(w http.ResponseWriter, r *http.Request, p params) error {
	var in patchInput
	if err := decode(r, &in); err != nil {
		return err
	}
	var out *integration
	_, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		m, cur, err := integrationOf(a, p)
		if err != nil {
			return err
		}
		next := *cur
		next.RequestParameters = maps.Clone(cur.RequestParameters)
		next.RequestTemplates = maps.Clone(cur.RequestTemplates)
		if err := applyPatch(&next, in.PatchOperations, "type", "httpMethod", "uri", "connectionType", "connectionId",
			"credentials", "requestParameters", "requestTemplates", "passthroughBehavior", "cacheNamespace",
			"cacheKeyParameters", "contentHandling", "timeoutInMillis"); err != nil {
			return err
		}
		if err := checkIntegration(&next); err != nil {
			return err
		}
		m.MethodIntegration, out = &next, &next
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Service) deleteIntegration(w http.ResponseWriter, r *http.Request, p params) error {
	_, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		m, _, err := integrationOf(a, p)
		if err != nil {
			return err
		}
		m.MethodIntegration = nil
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- integration responses ---

func checkIntegrationResponse(m *method, ir *integrationResponse) error {
	for k, v := range ir.ResponseParameters {
		name, ok := strings.CutPrefix(k, "method.response.header.")
		if !ok {
			return badRequest("Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression specified: %s]", k)
		}
		if mr := m.MethodResponses[ir.StatusCode]; mr == nil || !hasKey(mr.ResponseParameters, k) {
			return badRequest("Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression parameter specified: method.response.header.%s]", name)
		}
		if !strings.HasPrefix(v, "'") && !strings.HasPrefix(v, "integration.response.") && !strings.HasPrefix(v, "context.") && !strings.HasPrefix(v, "stageVariables.") {
			return badRequest("Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression specified: %s]", v)
		}
	}
	if ir.SelectionPattern != "" {
		if _, err := regexp.Compile(ir.SelectionPattern); err != nil {
			return badRequest("Invalid selection pattern specified: %s", ir.SelectionPattern)
		}
	}
	return nil
}

func hasKey[V any](m map[string]V, k string) bool {
	_, ok := m[k]
	return ok
}

func (s *Service) putIntegrationResponse(w http.ResponseWriter, r *http.Request, p params) error {
	var in struct {
		SelectionPattern   string            `json:"selectionPattern"`
		ResponseParameters map[string]string `json:"responseParameters"`
		ResponseTemplates  map[string]string `json:"responseTemplates"`
		ContentHandling    string            `json:"contentHandling"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	ir := &integrationResponse{StatusCode: p["code"], SelectionPattern: in.SelectionPattern,
		ResponseParameters: in.ResponseParameters, ResponseTemplates: in.ResponseTemplates, ContentHandling: in.ContentHandling}
	_, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		m, integ, err := integrationOf(a, p)
		if err != nil {
			return err
		}
		if m.MethodResponses[ir.StatusCode] == nil {
			return responseNotFound()
		}
		if err := checkIntegrationResponse(m, ir); err != nil {
			return err
		}
		if integ.IntegrationResponses == nil {
			integ.IntegrationResponses = map[string]*integrationResponse{}
		}
		integ.IntegrationResponses[ir.StatusCode] = ir
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, ir)
}

func (s *Service) getIntegrationResponse(w http.ResponseWriter, r *http.Request, p params) error {
	a, err := s.load(r.Context(), p["api"])
	if err != nil {
		return err
	}
	_, integ, err := integrationOf(a, p)
	if err != nil {
		return err
	}
	ir := integ.IntegrationResponses[p["code"]]
	if ir == nil {
		return responseNotFound()
	}
	return writeJSON(w, http.StatusOK, ir)
}

func (s *Service) updateIntegrationResponse(w http.ResponseWriter, r *http.Request, p params) error {
	var in patchInput
	if err := decode(r, &in); err != nil {
		return err
	}
	var out *integrationResponse
	_, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		m, integ, err := integrationOf(a, p)
		if err != nil {
			return err
		}
		cur := integ.IntegrationResponses[p["code"]]
		if cur == nil {
			return responseNotFound()
		}
		next := *cur
		next.ResponseParameters = maps.Clone(cur.ResponseParameters)
		next.ResponseTemplates = maps.Clone(cur.ResponseTemplates)
		if err := applyPatch(&next, in.PatchOperations, "selectionPattern", "responseParameters", "responseTemplates", "contentHandling"); err != nil {
			return err
		}
		if err := checkIntegrationResponse(m, &next); err != nil {
			return err
		}
		integ.IntegrationResponses[p["code"]], out = &next, &next
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Service) deleteIntegrationResponse(w http.ResponseWriter, r *http.Request, p params) error {
	_, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		_, integ, err := integrationOf(a, p)
		if err != nil {
			return err
		}
		if integ.IntegrationResponses[p["code"]] == nil {
			return responseNotFound()
		}
		delete(integ.IntegrationResponses, p["code"])
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- authorizers ---

func authorizerNotFound() error { return notFound("Invalid Authorizer identifier specified") }

type authorizerInput struct {
	Name                         string   `json:"name"`
	Type                         string   `json:"type"`
	ProviderARNs                 []string `json:"providerARNs"`
	AuthType                     string   `json:"authType"`
	AuthorizerURI                string   `json:"authorizerUri"`
	AuthorizerCredentials        string   `json:"authorizerCredentials"`
	IdentitySource               string   `json:"identitySource"`
	IdentityValidationExpression string   `json:"identityValidationExpression"`
	AuthorizerResultTTLInSeconds *int     `json:"authorizerResultTtlInSeconds"`
}

// checkAuthorizer validates an authorizer as API Gateway does.
func checkAuthorizer(a *restAPI, au *authorizer) error {
	if strings.TrimSpace(au.Name) == "" {
		return badRequest("Authorizer name must be non-empty")
	}
	for id, other := range a.Authorizers {
		if id != au.ID && other.Name == au.Name {
			return conflict("Authorizer with name %s already exists for this API", au.Name)
		}
	}
	switch au.Type {
	case gateway.AuthorizerToken, gateway.AuthorizerRequest:
		if au.AuthorizerURI == "" {
			return badRequest("Authorizer URI must be non-empty for %s authorizers", au.Type)
		}
		if _, err := gateway.FunctionFromURI(au.AuthorizerURI); err != nil {
			return badRequest("Invalid Authorizer URI: %s. Authorizer URI should be a valid API Gateway ARN that represents a Lambda function invocation.", au.AuthorizerURI)
		}
		if au.Type == gateway.AuthorizerToken {
			if au.IdentitySource == "" {
				return badRequest("Identity Source must be non-empty for TOKEN authorizers")
			}
			if !strings.HasPrefix(au.IdentitySource, "method.request.header.") {
				return badRequest("Invalid identity source specified: %s. TOKEN authorizers take one method.request.header.NAME", au.IdentitySource)
			}
		}
	case gateway.AuthorizerCognito:
		if len(au.ProviderARNs) == 0 {
			return badRequest("ProviderARNs need to be specified for COGNITO_USER_POOLS authorizers")
		}
		for _, arn := range au.ProviderARNs {
			if _, err := gateway.PoolFromARN(arn); err != nil {
				return badRequest("Invalid ProviderARN specified: %s", arn)
			}
		}
		if au.IdentitySource == "" {
			au.IdentitySource = "method.request.header.Authorization"
		}
	default:
		return badRequest("Invalid authorizer type specified. Valid values are TOKEN, REQUEST and COGNITO_USER_POOLS.")
	}
	if au.IdentityValidationExpression != "" {
		if _, err := regexp.Compile(au.IdentityValidationExpression); err != nil {
			return badRequest("Invalid identity validation expression specified: %s", au.IdentityValidationExpression)
		}
	}
	if t := au.AuthorizerResultTTLInSeconds; t != nil && (*t < 0 || *t > 3600) {
		return badRequest("Authorizer result TTL must be between 0 and 3600 seconds")
	}
	return nil
}

func (s *Service) createAuthorizer(w http.ResponseWriter, r *http.Request, p params) error {
	var in authorizerInput
	if err := decode(r, &in); err != nil {
		return err
	}
	au := &authorizer{ID: newID(6), Name: in.Name, Type: strings.ToUpper(in.Type), ProviderARNs: in.ProviderARNs, AuthType: in.AuthType,
		AuthorizerURI: in.AuthorizerURI, AuthorizerCredentials: in.AuthorizerCredentials, IdentitySource: in.IdentitySource,
		IdentityValidationExpression: in.IdentityValidationExpression, AuthorizerResultTTLInSeconds: in.AuthorizerResultTTLInSeconds}
	if au.AuthorizerResultTTLInSeconds == nil {
		ttl := 300
		au.AuthorizerResultTTLInSeconds = &ttl
	}
	_, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		if err := checkAuthorizer(a, au); err != nil {
			return err
		}
		if a.Authorizers == nil {
			a.Authorizers = map[string]*authorizer{}
		}
		if len(a.Authorizers) >= 10 {
			return &apiError{http.StatusTooManyRequests, "LimitExceededException", "The maximum number of authorizers for this API has been reached (10)"}
		}
		a.Authorizers[au.ID] = au
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, au)
}

func (s *Service) getAuthorizers(w http.ResponseWriter, r *http.Request, p params) error {
	a, err := s.load(r.Context(), p["api"])
	if err != nil {
		return err
	}
	ids, next, err := page(r, slices.Sorted(maps.Keys(a.Authorizers)))
	if err != nil {
		return err
	}
	out := list[*authorizer]{Items: []*authorizer{}, Position: next}
	for _, id := range ids {
		out.Items = append(out.Items, a.Authorizers[id])
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Service) getAuthorizer(w http.ResponseWriter, r *http.Request, p params) error {
	a, err := s.load(r.Context(), p["api"])
	if err != nil {
		return err
	}
	au := a.Authorizers[p["auth"]]
	if au == nil {
		return authorizerNotFound()
	}
	return writeJSON(w, http.StatusOK, au)
}

func (s *Service) updateAuthorizer(w http.ResponseWriter, r *http.Request, p params) error {
	var in patchInput
	if err := decode(r, &in); err != nil {
		return err
	}
	var out *authorizer
	_, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		cur := a.Authorizers[p["auth"]]
		if cur == nil {
			return authorizerNotFound()
		}
		next := *cur
		next.ProviderARNs = slices.Clone(cur.ProviderARNs)
		if err := applyPatch(&next, in.PatchOperations, "name", "type", "providerARNs", "authType", "authorizerUri",
			"authorizerCredentials", "identitySource", "identityValidationExpression", "authorizerResultTtlInSeconds"); err != nil {
			return err
		}
		if err := checkAuthorizer(a, &next); err != nil {
			return err
		}
		a.Authorizers[next.ID], out = &next, &next
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Service) deleteAuthorizer(w http.ResponseWriter, r *http.Request, p params) error {
	_, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		if a.Authorizers[p["auth"]] == nil {
			return authorizerNotFound()
		}
		for _, res := range a.Resources {
			for _, m := range res.Methods {
				if m.AuthorizerID == p["auth"] {
					return conflict("Cannot delete authorizer '%s', is referenced in method: %s/%s", a.Authorizers[p["auth"]].Name, m.HTTPMethod, a.fullPath(res.ID))
				}
			}
		}
		delete(a.Authorizers, p["auth"])
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// --- deployments ---

type createDeploymentInput struct {
	StageName           string            `json:"stageName"`
	StageDescription    string            `json:"stageDescription"`
	Description         string            `json:"description"`
	CacheClusterEnabled bool              `json:"cacheClusterEnabled"`
	CacheClusterSize    string            `json:"cacheClusterSize"`
	Variables           map[string]string `json:"variables"`
	TracingEnabled      bool              `json:"tracingEnabled"`
}

var (
	stageNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	varNamePattern   = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)
	varValuePattern  = regexp.MustCompile(`^[A-Za-z0-9\-._~:/?#&=, ]{0,512}$`)
)

func checkVariables(vars map[string]string) error {
	for k, v := range vars {
		if !varNamePattern.MatchString(k) {
			return badRequest("Stage variable name %s must be alphanumeric or underscore", k)
		}
		if !varValuePattern.MatchString(v) {
			return badRequest("Stage variable value %s for variable %s contains invalid characters", v, k)
		}
	}
	return nil
}

func (s *Service) createDeployment(w http.ResponseWriter, r *http.Request, p params) error {
	var in createDeploymentInput
	if err := decode(r, &in); err != nil {
		return err
	}
	ctx := r.Context()
	if in.StageName != "" && !stageNamePattern.MatchString(in.StageName) {
		return badRequest("Stage name only allows a-zA-Z0-9_")
	}
	if err := checkVariables(in.Variables); err != nil {
		return err
	}
	a, err := s.load(ctx, p["api"])
	if err != nil {
		return err
	}
	if _, err := toGateway(a); err != nil {
		return err
	}
	dep := &deployment{ID: newID(6), Description: in.Description, CreatedDate: s.epoch()}
	if err := s.storeDeployment(ctx, a, dep.ID); err != nil {
		return err
	}
	// The stage is served first: a deployment the gateway refuses changes nothing.
	newStage := func(a *restAPI) *stage {
		st := a.Stages[in.StageName]
		if st == nil {
			st = &stage{StageName: in.StageName, Description: in.StageDescription, CacheClusterStatus: "NOT_AVAILABLE",
				MethodSettings: map[string]*methodSetting{}, CreatedDate: s.epoch(), CacheClusterEnabled: in.CacheClusterEnabled,
				CacheClusterSize: in.CacheClusterSize, TracingEnabled: in.TracingEnabled}
		} else {
			c := *st
			st = &c
		}
		st.DeploymentID, st.LastUpdatedDate = dep.ID, s.epoch()
		if in.Variables != nil {
			st.Variables = in.Variables
		}
		return st
	}
	if in.StageName != "" {
		if err := s.serveStage(ctx, a.ID, newStage(a)); err != nil {
			return err
		}
	}
	_, err = s.update(ctx, a.ID, func(a *restAPI) error {
		if a.Deployments == nil {
			a.Deployments = map[string]*deployment{}
		}
		a.Deployments[dep.ID] = dep
		if in.StageName == "" {
			return nil
		}
		if a.Stages == nil {
			a.Stages = map[string]*stage{}
		}
		a.Stages[in.StageName] = newStage(a)
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, dep)
}

func (s *Service) getDeployments(w http.ResponseWriter, r *http.Request, p params) error {
	a, err := s.load(r.Context(), p["api"])
	if err != nil {
		return err
	}
	ids, next, err := page(r, slices.Sorted(maps.Keys(a.Deployments)))
	if err != nil {
		return err
	}
	out := list[*deployment]{Items: []*deployment{}, Position: next}
	for _, id := range ids {
		out.Items = append(out.Items, a.Deployments[id])
	}
	return writeJSON(w, http.StatusOK, out)
}

func deploymentNotFound() error { return notFound("Invalid Deployment identifier specified") }

func (s *Service) getDeployment(w http.ResponseWriter, r *http.Request, p params) error {
	a, err := s.load(r.Context(), p["api"])
	if err != nil {
		return err
	}
	d := a.Deployments[p["dep"]]
	if d == nil {
		return deploymentNotFound()
	}
	if slices.Contains(r.URL.Query()["embed"], "apisummary") {
		frozen, err := s.deployed(r.Context(), a.ID, d.ID)
		if err != nil {
			return err
		}
		summary := map[string]map[string]map[string]any{}
		for id, res := range frozen.Resources {
			for verb, m := range res.Methods {
				p := frozen.fullPath(id)
				if summary[p] == nil {
					summary[p] = map[string]map[string]any{}
				}
				summary[p][verb] = map[string]any{"authorizationType": m.AuthorizationType, "apiKeyRequired": m.APIKeyRequired}
			}
		}
		return writeJSON(w, http.StatusOK, map[string]any{"id": d.ID, "description": d.Description, "createdDate": d.CreatedDate, "apiSummary": summary})
	}
	return writeJSON(w, http.StatusOK, d)
}

func (s *Service) updateDeployment(w http.ResponseWriter, r *http.Request, p params) error {
	var in patchInput
	if err := decode(r, &in); err != nil {
		return err
	}
	var out *deployment
	_, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		d := a.Deployments[p["dep"]]
		if d == nil {
			return deploymentNotFound()
		}
		out = d
		return applyPatch(d, in.PatchOperations, "description")
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Service) deleteDeployment(w http.ResponseWriter, r *http.Request, p params) error {
	_, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		if a.Deployments[p["dep"]] == nil {
			return deploymentNotFound()
		}
		for _, st := range a.Stages {
			if st.DeploymentID == p["dep"] {
				return badRequest("Active stages pointing to this deployment must be moved or deleted")
			}
		}
		delete(a.Deployments, p["dep"])
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// --- stages ---

func stageNotFound() error { return notFound("Invalid Stage identifier specified") }

func (s *Service) createStage(w http.ResponseWriter, r *http.Request, p params) error {
	var in struct {
		StageName           string            `json:"stageName"`
		DeploymentID        string            `json:"deploymentId"`
		Description         string            `json:"description"`
		CacheClusterEnabled bool              `json:"cacheClusterEnabled"`
		CacheClusterSize    string            `json:"cacheClusterSize"`
		Variables           map[string]string `json:"variables"`
		TracingEnabled      bool              `json:"tracingEnabled"`
		Tags                map[string]string `json:"tags"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if !stageNamePattern.MatchString(in.StageName) {
		return badRequest("Stage name only allows a-zA-Z0-9_")
	}
	if err := checkVariables(in.Variables); err != nil {
		return err
	}
	st := &stage{StageName: in.StageName, DeploymentID: in.DeploymentID, Description: in.Description,
		CacheClusterEnabled: in.CacheClusterEnabled, CacheClusterSize: in.CacheClusterSize, CacheClusterStatus: "NOT_AVAILABLE",
		MethodSettings: map[string]*methodSetting{}, Variables: in.Variables, TracingEnabled: in.TracingEnabled, Tags: in.Tags,
		CreatedDate: s.epoch(), LastUpdatedDate: s.epoch()}
	ctx := r.Context()
	cur, err := s.load(ctx, p["api"])
	if err != nil {
		return err
	}
	if cur.Deployments[in.DeploymentID] == nil {
		return badRequest("Invalid deployment identifier specified")
	}
	if cur.Stages[in.StageName] != nil {
		return conflict("Stage already exists")
	}
	if err := s.serveStage(ctx, cur.ID, st); err != nil {
		return err
	}
	_, err = s.update(ctx, p["api"], func(a *restAPI) error {
		if a.Stages[in.StageName] != nil {
			return conflict("Stage already exists")
		}
		if a.Stages == nil {
			a.Stages = map[string]*stage{}
		}
		a.Stages[in.StageName] = st
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, st)
}

func (s *Service) getStages(w http.ResponseWriter, r *http.Request, p params) error {
	a, err := s.load(r.Context(), p["api"])
	if err != nil {
		return err
	}
	want := r.URL.Query().Get("deploymentId")
	out := struct {
		Item []*stage `json:"item"`
	}{Item: []*stage{}}
	for _, name := range slices.Sorted(maps.Keys(a.Stages)) {
		if want == "" || a.Stages[name].DeploymentID == want {
			out.Item = append(out.Item, a.Stages[name])
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Service) getStage(w http.ResponseWriter, r *http.Request, p params) error {
	a, err := s.load(r.Context(), p["api"])
	if err != nil {
		return err
	}
	st := a.Stages[p["stage"]]
	if st == nil {
		return stageNotFound()
	}
	return writeJSON(w, http.StatusOK, st)
}

// stagePatchFields are the stage's own patchable fields; other paths are
// /{resourcePath}/{httpMethod}/{group}/{setting} method settings.
var stagePatchFields = []string{"description", "deploymentId", "variables", "cacheClusterEnabled", "cacheClusterSize",
	"tracingEnabled", "accessLogSettings", "clientCertificateId", "documentationVersion", "webAclArn"}

// methodSettingKeys maps a patch path's {group}/{setting} to the MethodSetting field.
var methodSettingKeys = map[string]string{
	"metrics/enabled": "metricsEnabled", "logging/loglevel": "loggingLevel", "logging/dataTrace": "dataTraceEnabled",
	"throttling/burstLimit": "throttlingBurstLimit", "throttling/rateLimit": "throttlingRateLimit",
	"caching/enabled": "cachingEnabled", "caching/ttlInSeconds": "cacheTtlInSeconds", "caching/dataEncrypted": "cacheDataEncrypted",
	"caching/requireAuthorizationForCacheControl":    "requireAuthorizationForCacheControl",
	"caching/unauthorizedCacheControlHeaderStrategy": "unauthorizedCacheControlHeaderStrategy",
}

func patchStage(st *stage, ops []patchOp) error {
	for _, op := range ops {
		segs := splitPatchPath(op.Path)
		if len(segs) > 0 && slices.Contains(stagePatchFields, segs[0]) {
			if err := applyPatch(st, []patchOp{op}, stagePatchFields...); err != nil {
				return err
			}
			continue
		}
		if len(segs) < 3 {
			return invalidPatch(op)
		}
		field, ok := methodSettingKeys[segs[len(segs)-2]+"/"+segs[len(segs)-1]]
		if !ok {
			return invalidPatch(op)
		}
		key := strings.TrimPrefix(strings.Join(segs[:len(segs)-2], "/"), "/")
		if st.MethodSettings == nil {
			st.MethodSettings = map[string]*methodSetting{}
		}
		if op.Op == "remove" && len(segs) == 3 {
			delete(st.MethodSettings, key)
			continue
		}
		ms := st.MethodSettings[key]
		if ms == nil {
			ms = defaultMethodSetting()
			st.MethodSettings[key] = ms
		}
		sub := op
		sub.Path = "/" + field
		if err := applyPatch(ms, []patchOp{sub}, field); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) updateStage(w http.ResponseWriter, r *http.Request, p params) error {
	var in patchInput
	if err := decode(r, &in); err != nil {
		return err
	}
	ctx := r.Context()
	patched := func(a *restAPI) (*stage, error) {
		cur := a.Stages[p["stage"]]
		if cur == nil {
			return nil, stageNotFound()
		}
		next := *cur
		next.Variables = maps.Clone(cur.Variables)
		next.MethodSettings = map[string]*methodSetting{}
		for k, v := range cur.MethodSettings {
			c := *v
			next.MethodSettings[k] = &c
		}
		if err := patchStage(&next, in.PatchOperations); err != nil {
			return nil, err
		}
		if a.Deployments[next.DeploymentID] == nil {
			return nil, badRequest("Invalid deployment identifier specified")
		}
		if err := checkVariables(next.Variables); err != nil {
			return nil, err
		}
		next.LastUpdatedDate = s.epoch()
		return &next, nil
	}
	cur, err := s.load(ctx, p["api"])
	if err != nil {
		return err
	}
	next, err := patched(cur)
	if err != nil {
		return err
	}
	// Served first: a stage the gateway refuses is left as it was.
	if err := s.serveStage(ctx, cur.ID, next); err != nil {
		return err
	}
	var out *stage
	_, err = s.update(ctx, p["api"], func(a *restAPI) error {
		next, err := patched(a)
		if err != nil {
			return err
		}
		a.Stages[next.StageName], out = next, next
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Service) deleteStage(w http.ResponseWriter, r *http.Request, p params) error {
	ctx := r.Context()
	a, err := s.update(ctx, p["api"], func(a *restAPI) error {
		if a.Stages[p["stage"]] == nil {
			return stageNotFound()
		}
		delete(a.Stages, p["stage"])
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.o.Gateway.RemoveStage(ctx, a.ID, p["stage"]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// --- gateway responses ---

func gatewayResponseOf(a *restAPI, t string) (*gatewayResponse, error) {
	rt := gateway.ResponseType(t)
	if !rt.Known() {
		return nil, badRequest("Invalid gateway response type specified: %s", t)
	}
	if gr := a.GatewayResponses[t]; gr != nil {
		return gr, nil
	}
	return &gatewayResponse{ResponseType: t, StatusCode: strconv.Itoa(rt.DefaultStatus()), DefaultResponse: true,
		ResponseParameters: map[string]string{}, ResponseTemplates: map[string]string{"application/json": `{"message":$context.error.messageString}`}}, nil
}

func (s *Service) getGatewayResponses(w http.ResponseWriter, r *http.Request, p params) error {
	a, err := s.load(r.Context(), p["api"])
	if err != nil {
		return err
	}
	out := list[*gatewayResponse]{Items: []*gatewayResponse{}}
	for _, t := range gateway.ResponseTypes() {
		gr, _ := gatewayResponseOf(a, string(t))
		out.Items = append(out.Items, gr)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Service) getGatewayResponse(w http.ResponseWriter, r *http.Request, p params) error {
	a, err := s.load(r.Context(), p["api"])
	if err != nil {
		return err
	}
	gr, err := gatewayResponseOf(a, p["type"])
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, gr)
}

func (s *Service) putGatewayResponse(w http.ResponseWriter, r *http.Request, p params) error {
	var in struct {
		StatusCode         string            `json:"statusCode"`
		ResponseParameters map[string]string `json:"responseParameters"`
		ResponseTemplates  map[string]string `json:"responseTemplates"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.StatusCode != "" && !statusPattern.MatchString(in.StatusCode) {
		return badRequest("Invalid status code specified: %s", in.StatusCode)
	}
	gr := &gatewayResponse{ResponseType: p["type"], StatusCode: in.StatusCode, ResponseParameters: in.ResponseParameters, ResponseTemplates: in.ResponseTemplates}
	_, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		if _, err := gatewayResponseOf(a, p["type"]); err != nil {
			return err
		}
		if a.GatewayResponses == nil {
			a.GatewayResponses = map[string]*gatewayResponse{}
		}
		a.GatewayResponses[p["type"]] = gr
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, gr)
}

func (s *Service) updateGatewayResponse(w http.ResponseWriter, r *http.Request, p params) error {
	var in patchInput
	if err := decode(r, &in); err != nil {
		return err
	}
	var out *gatewayResponse
	_, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		cur, err := gatewayResponseOf(a, p["type"])
		if err != nil {
			return err
		}
		next := *cur
		next.DefaultResponse = false
		next.ResponseParameters = maps.Clone(cur.ResponseParameters)
		next.ResponseTemplates = maps.Clone(cur.ResponseTemplates)
		if err := applyPatch(&next, in.PatchOperations, "statusCode", "responseParameters", "responseTemplates"); err != nil {
			return err
		}
		if a.GatewayResponses == nil {
			a.GatewayResponses = map[string]*gatewayResponse{}
		}
		a.GatewayResponses[p["type"]], out = &next, &next
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Service) deleteGatewayResponse(w http.ResponseWriter, r *http.Request, p params) error {
	_, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		if _, err := gatewayResponseOf(a, p["type"]); err != nil {
			return err
		}
		if a.GatewayResponses[p["type"]] == nil {
			return notFound("Invalid Gateway Response identifier specified")
		}
		delete(a.GatewayResponses, p["type"])
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// --- request validators ---

func (s *Service) createValidator(w http.ResponseWriter, r *http.Request, p params) error {
	var in requestValidator
	if err := decode(r, &in); err != nil {
		return err
	}
	in.ID = newID(6)
	_, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		for _, v := range a.Validators {
			if v.Name == in.Name {
				return conflict("Validator with name %s already exists", in.Name)
			}
		}
		if a.Validators == nil {
			a.Validators = map[string]*requestValidator{}
		}
		a.Validators[in.ID] = &in
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, &in)
}

func (s *Service) getValidators(w http.ResponseWriter, r *http.Request, p params) error {
	a, err := s.load(r.Context(), p["api"])
	if err != nil {
		return err
	}
	ids, next, err := page(r, slices.Sorted(maps.Keys(a.Validators)))
	if err != nil {
		return err
	}
	out := list[*requestValidator]{Items: []*requestValidator{}, Position: next}
	for _, id := range ids {
		out.Items = append(out.Items, a.Validators[id])
	}
	return writeJSON(w, http.StatusOK, out)
}

func validatorNotFound() error { return notFound("Invalid Request Validator identifier specified") }

func (s *Service) getValidator(w http.ResponseWriter, r *http.Request, p params) error {
	a, err := s.load(r.Context(), p["api"])
	if err != nil {
		return err
	}
	v := a.Validators[p["val"]]
	if v == nil {
		return validatorNotFound()
	}
	return writeJSON(w, http.StatusOK, v)
}

func (s *Service) updateValidator(w http.ResponseWriter, r *http.Request, p params) error {
	var in patchInput
	if err := decode(r, &in); err != nil {
		return err
	}
	var out *requestValidator
	_, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		v := a.Validators[p["val"]]
		if v == nil {
			return validatorNotFound()
		}
		out = v
		return applyPatch(v, in.PatchOperations, "name", "validateRequestBody", "validateRequestParameters")
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Service) deleteValidator(w http.ResponseWriter, r *http.Request, p params) error {
	_, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		if a.Validators[p["val"]] == nil {
			return validatorNotFound()
		}
		for _, res := range a.Resources {
			for _, m := range res.Methods {
				if m.RequestValidatorID == p["val"] {
					return conflict("Cannot delete request validator %s: it is used by method %s %s", p["val"], m.HTTPMethod, a.fullPath(res.ID))
				}
			}
		}
		delete(a.Validators, p["val"])
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// --- models ---

var modelNamePattern = regexp.MustCompile(`^[A-Za-z0-9]{1,255}$`)

func (s *Service) createModel(w http.ResponseWriter, r *http.Request, p params) error {
	var in model
	if err := decode(r, &in); err != nil {
		return err
	}
	if !modelNamePattern.MatchString(in.Name) {
		return badRequest("Model name must be alphanumeric")
	}
	if in.ContentType == "" {
		return badRequest("Content type must be non-empty")
	}
	if in.Schema != "" && !json.Valid([]byte(in.Schema)) {
		return badRequest("Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified]")
	}
	in.ID = newID(6)
	_, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		if a.Models[in.Name] != nil {
			return conflict("Model name already exists for this REST API")
		}
		if a.Models == nil {
			a.Models = map[string]*model{}
		}
		a.Models[in.Name] = &in
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, &in)
}

func (s *Service) getModels(w http.ResponseWriter, r *http.Request, p params) error {
	a, err := s.load(r.Context(), p["api"])
	if err != nil {
		return err
	}
	names, next, err := page(r, slices.Sorted(maps.Keys(a.Models)))
	if err != nil {
		return err
	}
	out := list[*model]{Items: []*model{}, Position: next}
	for _, n := range names {
		out.Items = append(out.Items, a.Models[n])
	}
	return writeJSON(w, http.StatusOK, out)
}

func modelNotFound() error { return notFound("Invalid model name specified") }

func (s *Service) getModel(w http.ResponseWriter, r *http.Request, p params) error {
	a, err := s.load(r.Context(), p["api"])
	if err != nil {
		return err
	}
	m := a.Models[p["model"]]
	if m == nil {
		return modelNotFound()
	}
	return writeJSON(w, http.StatusOK, m)
}

func (s *Service) updateModel(w http.ResponseWriter, r *http.Request, p params) error {
	var in patchInput
	if err := decode(r, &in); err != nil {
		return err
	}
	var out *model
	_, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		m := a.Models[p["model"]]
		if m == nil {
			return modelNotFound()
		}
		if err := applyPatch(m, in.PatchOperations, "description", "schema"); err != nil {
			return err
		}
		if m.Schema != "" && !json.Valid([]byte(m.Schema)) {
			return badRequest("Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified]")
		}
		out = m
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Service) deleteModel(w http.ResponseWriter, r *http.Request, p params) error {
	_, err := s.update(r.Context(), p["api"], func(a *restAPI) error {
		if a.Models[p["model"]] == nil {
			return modelNotFound()
		}
		for _, res := range a.Resources {
			for _, m := range res.Methods {
				for _, name := range m.RequestModels {
					if name == p["model"] {
						return conflict("Cannot delete model '%s', is referenced in method request: %s/%s", name, a.fullPath(res.ID), m.HTTPMethod)
					}
				}
			}
		}
		delete(a.Models, p["model"])
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// --- tags ---

// tagTarget reads the REST API (and stage) an apigateway ARN names:
// arn:aws:apigateway:REGION::/restapis/ID[/stages/NAME].
func tagTarget(arn string) (apiID, stageName string, err error) {
	_, path, ok := strings.Cut(arn, "::")
	if !strings.HasPrefix(arn, "arn:aws:apigateway:") || !ok {
		return "", "", badRequest("Invalid ARN specified in the request: %s", arn)
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(segs) == 2 && segs[0] == "restapis":
		return segs[1], "", nil
	case len(segs) == 4 && segs[0] == "restapis" && segs[2] == "stages":
		return segs[1], segs[3], nil
	}
	return "", "", badRequest("Cognate tags REST APIs and stages only: %s", arn)
}

func (s *Service) getTags(w http.ResponseWriter, r *http.Request, p params) error {
	apiID, stageName, err := tagTarget(p["arn"])
	if err != nil {
		return err
	}
	a, err := s.load(r.Context(), apiID)
	if err != nil {
		return err
	}
	tags := a.Tags
	if stageName != "" {
		st := a.Stages[stageName]
		if st == nil {
			return stageNotFound()
		}
		tags = st.Tags
	}
	if tags == nil {
		tags = map[string]string{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"tags": tags})
}

func (s *Service) retag(ctx context.Context, arn string, fn func(map[string]string) map[string]string) error {
	apiID, stageName, err := tagTarget(arn)
	if err != nil {
		return err
	}
	_, err = s.update(ctx, apiID, func(a *restAPI) error {
		if stageName == "" {
			a.Tags = fn(maps.Clone(a.Tags))
			return nil
		}
		st := a.Stages[stageName]
		if st == nil {
			return stageNotFound()
		}
		st.Tags = fn(maps.Clone(st.Tags))
		return nil
	})
	return err
}

func (s *Service) tagResource(w http.ResponseWriter, r *http.Request, p params) error {
	var in struct {
		Tags map[string]string `json:"tags"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	err := s.retag(r.Context(), p["arn"], func(t map[string]string) map[string]string {
		if t == nil {
			t = map[string]string{}
		}
		maps.Copy(t, in.Tags)
		return t
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) untagResource(w http.ResponseWriter, r *http.Request, p params) error {
	keys := r.URL.Query()["tagKeys"]
	err := s.retag(r.Context(), p["arn"], func(t map[string]string) map[string]string {
		for _, k := range keys {
			delete(t, k)
		}
		return t
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

var _ = errors.New
