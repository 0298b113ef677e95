package control

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/httpapi"
	"github.com/cognate-dev/cognate/internal/restpath"
	"github.com/cognate-dev/cognate/internal/store"
)

// MaxRequestBody bounds request bodies (imports carry whole OpenAPI documents).
const MaxRequestBody = 6 << 20

// operation is one apigatewayv2 operation.
type operation struct {
	method  string
	pattern restpath.Pattern
	name    string
	serve   func(s *Service, w http.ResponseWriter, r *http.Request, p map[string]string) error
}

var operations = []operation{
	{"POST", restpath.Parse("/v2/apis"), "CreateApi", (*Service).createAPI},
	{"PUT", restpath.Parse("/v2/apis"), "ImportApi", (*Service).importAPI},
	{"GET", restpath.Parse("/v2/apis"), "GetApis", (*Service).getAPIs},
	{"GET", restpath.Parse("/v2/apis/{apiId}"), "GetApi", (*Service).getAPI},
	{"PATCH", restpath.Parse("/v2/apis/{apiId}"), "UpdateApi", (*Service).updateAPI},
	{"PUT", restpath.Parse("/v2/apis/{apiId}"), "ReimportApi", (*Service).reimportAPI},
	{"DELETE", restpath.Parse("/v2/apis/{apiId}"), "DeleteApi", (*Service).deleteAPI},
	{"GET", restpath.Parse("/v2/apis/{apiId}/exports/{specification}"), "ExportApi", (*Service).exportAPI},
	{"DELETE", restpath.Parse("/v2/apis/{apiId}/cors"), "DeleteCorsConfiguration", (*Service).deleteCors},

	{"POST", restpath.Parse("/v2/apis/{apiId}/routes"), "CreateRoute", (*Service).createRoute},
	{"GET", restpath.Parse("/v2/apis/{apiId}/routes"), "GetRoutes", (*Service).getRoutes},
	{"GET", restpath.Parse("/v2/apis/{apiId}/routes/{id}"), "GetRoute", (*Service).getRoute},
	{"PATCH", restpath.Parse("/v2/apis/{apiId}/routes/{id}"), "UpdateRoute", (*Service).updateRoute},
	{"DELETE", restpath.Parse("/v2/apis/{apiId}/routes/{id}"), "DeleteRoute", (*Service).deleteRoute},

	{"POST", restpath.Parse("/v2/apis/{apiId}/integrations"), "CreateIntegration", (*Service).createIntegration},
	{"GET", restpath.Parse("/v2/apis/{apiId}/integrations"), "GetIntegrations", (*Service).getIntegrations},
	{"GET", restpath.Parse("/v2/apis/{apiId}/integrations/{id}"), "GetIntegration", (*Service).getIntegration},
	{"PATCH", restpath.Parse("/v2/apis/{apiId}/integrations/{id}"), "UpdateIntegration", (*Service).updateIntegration},
	{"DELETE", restpath.Parse("/v2/apis/{apiId}/integrations/{id}"), "DeleteIntegration", (*Service).deleteIntegration},

	{"POST", restpath.Parse("/v2/apis/{apiId}/authorizers"), "CreateAuthorizer", (*Service).createAuthorizer},
	{"GET", restpath.Parse("/v2/apis/{apiId}/authorizers"), "GetAuthorizers", (*Service).getAuthorizers},
	{"GET", restpath.Parse("/v2/apis/{apiId}/authorizers/{id}"), "GetAuthorizer", (*Service).getAuthorizer},
	{"PATCH", restpath.Parse("/v2/apis/{apiId}/authorizers/{id}"), "UpdateAuthorizer", (*Service).updateAuthorizer},
	{"DELETE", restpath.Parse("/v2/apis/{apiId}/authorizers/{id}"), "DeleteAuthorizer", (*Service).deleteAuthorizer},

	{"POST", restpath.Parse("/v2/apis/{apiId}/stages"), "CreateStage", (*Service).createStage},
	{"GET", restpath.Parse("/v2/apis/{apiId}/stages"), "GetStages", (*Service).getStages},
	{"GET", restpath.Parse("/v2/apis/{apiId}/stages/{id}"), "GetStage", (*Service).getStage},
	{"PATCH", restpath.Parse("/v2/apis/{apiId}/stages/{id}"), "UpdateStage", (*Service).updateStage},
	{"DELETE", restpath.Parse("/v2/apis/{apiId}/stages/{id}"), "DeleteStage", (*Service).deleteStage},

	{"POST", restpath.Parse("/v2/apis/{apiId}/deployments"), "CreateDeployment", (*Service).createDeployment},
	{"GET", restpath.Parse("/v2/apis/{apiId}/deployments"), "GetDeployments", (*Service).getDeployments},
	{"GET", restpath.Parse("/v2/apis/{apiId}/deployments/{id}"), "GetDeployment", (*Service).getDeployment},
	{"DELETE", restpath.Parse("/v2/apis/{apiId}/deployments/{id}"), "DeleteDeployment", (*Service).deleteDeployment},

	{"GET", restpath.Parse("/v2/tags/{arn}"), "GetTags", (*Service).getTags},
	{"POST", restpath.Parse("/v2/tags/{arn}"), "TagResource", (*Service).tagResource},
	{"DELETE", restpath.Parse("/v2/tags/{arn}"), "UntagResource", (*Service).untagResource},
}

// match finds the operation of r.
func match(r *http.Request) (*operation, map[string]string) {
	path := r.URL.EscapedPath()
	var segs []string
	if rest, ok := strings.CutPrefix(path, "/v2/tags/"); ok {
		// The ARN holds slashes: it is one parameter, escaped or not.
		arn, err := url.PathUnescape(rest)
		if err != nil {
			return nil, nil
		}
		segs = []string{"v2", "tags", arn}
	} else {
		segs = restpath.SplitEscaped(path)
	}
	for i := range operations {
		op := &operations[i]
		if op.method != r.Method {
			continue
		}
		if p, ok := op.pattern.Match(segs); ok {
			return op, p
		}
	}
	return nil, nil
}

// Handler serves the control plane (behind the SigV4 middleware).
func (s *Service) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op, p := match(r)
		if op == nil {
			writeError(w, &apiError{status: http.StatusNotFound, code: "NotFoundException",
				msg: "Unknown operation: the apigatewayv2 API has no operation " + r.Method + " " + r.URL.Path + " in Cognate"})
			return
		}
		if !s.allow() {
			writeError(w, errTooManyRequests)
			return
		}
		if err := op.serve(s, w, r, p); err != nil {
			if writeError(w, err) {
				s.log.Error("apigatewayv2 control", "operation", op.name, "err", err)
			}
		}
	})
}

// decode reads a JSON body into v (an empty body is {}).
func decode(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBody+1))
	if err != nil {
		return badRequest("Could not read request body")
	}
	if len(body) > MaxRequestBody {
		return badRequest("Request body exceeds %d bytes", MaxRequestBody)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return badRequest("Invalid request body: %s", err.Error())
	}
	return nil
}

func reply(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	if v == nil {
		w.WriteHeader(status)
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.WriteHeader(status)
	w.Write(b)
	return nil
}

// page returns one page of items sorted by key (maxResults, nextToken).
func page[T any](r *http.Request, m map[string]*T, key func(*T) string) (map[string]any, error) {
	items := slices.Collect(maps.Values(m))
	slices.SortFunc(items, func(a, b *T) int { return strings.Compare(key(a), key(b)) })
	start := 0
	if tok := r.URL.Query().Get("nextToken"); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 || n > len(items) {
			return nil, badRequest("Invalid nextToken")
		}
		start = n
	}
	limit := len(items)
	if v := r.URL.Query().Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, badRequest("Invalid maxResults")
		}
		limit = n
	}
	end := min(len(items), start+limit)
	out := map[string]any{"items": items[start:end]}
	if end < len(items) {
		out["nextToken"] = strconv.Itoa(end)
	}
	return out, nil
}

// apiView is an API as GetApi answers it.
type apiView struct {
	*httpapi.API
	APIEndpoint string `json:"apiEndpoint"`
}

func (s *Service) view(api *httpapi.API) apiView {
	v := *api
	v.Routes, v.Integrations, v.Authorizers, v.Stages, v.Deployments = nil, nil, nil, nil, nil
	return apiView{API: &v, APIEndpoint: "https://" + api.ID + ".execute-api." + s.o.Region + ".amazonaws.com"}
}

// createAPIInput is CreateApi's body (the API plus quick-create fields).
type createAPIInput struct {
	httpapi.API
	Target   string `json:"target"`
	RouteKey string `json:"routeKey"`
}

func (s *Service) now() time.Time { return s.o.Now().UTC().Truncate(time.Second) }

func (s *Service) createAPI(w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	var in createAPIInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Name == "" {
		return badRequest("Name is required")
	}
	if in.ProtocolType != httpapi.ProtocolHTTP {
		return badRequest("Unsupported protocol type %q: Cognate serves HTTP APIs (WEBSOCKET is not supported)", in.ProtocolType)
	}
	api := in.API
	api.ID = s.newAPIID(r)
	if err := s.fill(&api); err != nil {
		return err
	}
	if in.Target != "" {
		// Quick create: an integration, a route and an auto-deploying $default stage.
		typ, method := httpapi.IntegrationAWSProxy, "POST"
		if strings.HasPrefix(in.Target, "http://") || strings.HasPrefix(in.Target, "https://") {
			typ, method = httpapi.IntegrationHTTPProxy, "ANY"
		}
		integ := &httpapi.Integration{IntegrationID: newID(7), IntegrationType: typ, IntegrationURI: in.Target, IntegrationMethod: method,
			PayloadFormatVersion: "2.0", TimeoutInMillis: 30000, ConnectionType: "INTERNET"}
		if typ == httpapi.IntegrationHTTPProxy {
			integ.PayloadFormatVersion = "1.0"
		}
		key := in.RouteKey
		if key == "" {
			key = httpapi.DefaultRoute
		}
		rt := &httpapi.Route{RouteID: newID(7), RouteKey: key, AuthorizationType: httpapi.AuthNone, Target: "integrations/" + integ.IntegrationID}
		api.Integrations = map[string]*httpapi.Integration{integ.IntegrationID: integ}
		api.Routes = map[string]*httpapi.Route{rt.RouteID: rt}
		api.Stages = map[string]*httpapi.Stage{httpapi.DefaultStage: {StageName: httpapi.DefaultStage, AutoDeploy: true,
			CreatedDate: s.now(), LastUpdatedDate: s.now()}}
	}
	if err := validate(&api); err != nil {
		return err
	}
	s.autoDeploy(&api)
	if err := s.create(r.Context(), &api); err != nil {
		return err
	}
	return reply(w, http.StatusCreated, s.view(&api))
}

// newAPIID picks a fresh id, clear of REST APIs' ids.
func (s *Service) newAPIID(r *http.Request) string {
	for {
		id := newID(10)
		if s.o.RESTAPIExists == nil || !s.o.RESTAPIExists(r.Context(), id) {
			return id
		}
	}
}

// fill sets an API's defaults and checks its fields.
func (s *Service) fill(api *httpapi.API) error {
	api.ProtocolType = httpapi.ProtocolHTTP
	if api.RouteSelectionExpression == "" {
		api.RouteSelectionExpression = httpapi.DefaultRouteSelection
	}
	if api.RouteSelectionExpression != httpapi.DefaultRouteSelection {
		return badRequest("HTTP APIs support only the route selection expression %s", httpapi.DefaultRouteSelection)
	}
	if api.APIKeySelectionExpression == "" {
		api.APIKeySelectionExpression = "$request.header.x-api-key"
	}
	if api.CreatedDate.IsZero() {
		api.CreatedDate = s.now()
	}
	if api.CorsConfiguration != nil {
		if err := checkCors(api.CorsConfiguration); err != nil {
			return err
		}
	}
	return nil
}

// checkCors applies AWS's CORS rules: credentials cannot go with "*" origins,
// maxAge within -1..86400.
func checkCors(c *httpapi.Cors) error {
	if c.AllowCredentials && slices.Contains(c.AllowOrigins, "*") {
		return badRequest("allow-credentials cannot be true when allow-origins contains *")
	}
	if c.MaxAge != nil && (*c.MaxAge < -1 || *c.MaxAge > 86400) {
		return badRequest("maxAge must be between -1 and 86400")
	}
	return nil
}

func (s *Service) getAPIs(w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	all := map[string]*apiView{}
	p := storePage()
	for {
		objs, err := s.o.Store.ListObjects(r.Context(), httpapi.ObjectKind, p)
		if err != nil {
			return err
		}
		for _, o := range objs {
			var api httpapi.API
			if err := json.Unmarshal(o.Data, &api); err != nil {
				return err
			}
			v := s.view(&api)
			all[api.ID] = &v
		}
		if len(objs) < p.Limit {
			break
		}
		p.After = objs[len(objs)-1].Key
	}
	out, err := page(r, all, func(v *apiView) string { return v.ID })
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK, out)
}

func (s *Service) getAPI(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	api, err := s.get(r.Context(), p["apiId"])
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK, s.view(api))
}

func (s *Service) updateAPI(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	var patch map[string]json.RawMessage
	if err := decode(r, &patch); err != nil {
		return err
	}
	api, err := s.update(r.Context(), p["apiId"], func(api *httpapi.API) (bool, error) {
		keep := *api
		if err := applyPatch(api, patch, "apiId", "protocolType", "createdDate", "routes", "integrations", "authorizers", "stages", "deployments", "tags"); err != nil {
			return false, err
		}
		api.ID, api.Routes, api.Integrations, api.Authorizers, api.Stages, api.Deployments, api.Tags =
			keep.ID, keep.Routes, keep.Integrations, keep.Authorizers, keep.Stages, keep.Deployments, keep.Tags
		return true, s.fill(api)
	})
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK, s.view(api))
}

// applyPatch overlays the fields present in patch onto v, ignoring the
// read-only ones.
func applyPatch(v any, patch map[string]json.RawMessage, readOnly ...string) error {
	for _, k := range readOnly {
		delete(patch, k)
	}
	b, err := json.Marshal(patch)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return badRequest("Invalid request body: %s", err.Error())
	}
	return nil
}

func (s *Service) deleteAPI(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	id := p["apiId"]
	if _, err := s.get(r.Context(), id); err != nil {
		return err
	}
	if err := s.o.Store.DeleteObject(r.Context(), httpapi.ObjectKind, id); err != nil {
		return err
	}
	if s.o.Gateway != nil {
		s.o.Gateway.Remove(id)
	}
	return reply(w, http.StatusNoContent, nil)
}

func (s *Service) deleteCors(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	_, err := s.update(r.Context(), p["apiId"], func(api *httpapi.API) (bool, error) {
		if api.CorsConfiguration == nil {
			return false, notFound("CorsConfiguration", "Unable to find CorsConfiguration for API %s", api.ID)
		}
		api.CorsConfiguration = nil
		return true, nil
	})
	if err != nil {
		return err
	}
	return reply(w, http.StatusNoContent, nil)
}

func storePage() store.Page { return store.Page{Limit: 500} }
