package control

import (
	"net/http"
	"slices"

	"github.com/cognate-dev/cognate/internal/httpapi"
)

// --- routes

func (s *Service) createRoute(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	var in httpapi.Route
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.RouteKey == "" {
		return badRequest("RouteKey is required")
	}
	if _, _, err := httpapi.ParseRouteKey(in.RouteKey); err != nil {
		return badRequest("%s", err.Error())
	}
	in.RouteID = newID(7)
	if in.AuthorizationType == "" {
		in.AuthorizationType = httpapi.AuthNone
	}
	_, err := s.update(r.Context(), p["apiId"], func(api *httpapi.API) (bool, error) {
		for _, rt := range api.Routes {
			if rt.RouteKey == in.RouteKey {
				return false, conflict("Route with key %s already exists for this API", in.RouteKey)
			}
		}
		if api.Routes == nil {
			api.Routes = map[string]*httpapi.Route{}
		}
		api.Routes[in.RouteID] = &in
		return true, nil
	})
	if err != nil {
		return err
	}
	return reply(w, http.StatusCreated, &in)
}

func (s *Service) getRoutes(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	api, err := s.get(r.Context(), p["apiId"])
	if err != nil {
		return err
	}
	out, err := page(r, api.Routes, func(v *httpapi.Route) string { return v.RouteID })
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK, out)
}

func (s *Service) getRoute(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	api, err := s.get(r.Context(), p["apiId"])
	if err != nil {
		return err
	}
	rt := api.Routes[p["id"]]
	if rt == nil {
		return notFound("Route", "Invalid Route identifier specified %s", p["id"])
	}
	return reply(w, http.StatusOK, rt)
}

func (s *Service) updateRoute(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	patch, err := decodePatch(r)
	if err != nil {
		return err
	}
	var out *httpapi.Route
	_, err = s.update(r.Context(), p["apiId"], func(api *httpapi.API) (bool, error) {
		rt := api.Routes[p["id"]]
		if rt == nil {
			return false, notFound("Route", "Invalid Route identifier specified %s", p["id"])
		}
		if err := applyPatch(rt, patch, "routeId"); err != nil {
			return false, err
		}
		if _, _, err := httpapi.ParseRouteKey(rt.RouteKey); err != nil {
			return false, badRequest("%s", err.Error())
		}
		for id, other := range api.Routes {
			if id != rt.RouteID && other.RouteKey == rt.RouteKey {
				return false, conflict("Route with key %s already exists for this API", rt.RouteKey)
			}
		}
		out = rt
		return true, nil
	})
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK, out)
}

func (s *Service) deleteRoute(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	_, err := s.update(r.Context(), p["apiId"], func(api *httpapi.API) (bool, error) {
		if api.Routes[p["id"]] == nil {
			return false, notFound("Route", "Invalid Route identifier specified %s", p["id"])
		}
		delete(api.Routes, p["id"])
		return true, nil
	})
	if err != nil {
		return err
	}
	return reply(w, http.StatusNoContent, nil)
}

// --- integrations

func (s *Service) createIntegration(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	var in httpapi.Integration
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.IntegrationType == "" {
		return badRequest("IntegrationType is required")
	}
	in.IntegrationID = newID(7)
	fillIntegration(&in)
	_, err := s.update(r.Context(), p["apiId"], func(api *httpapi.API) (bool, error) {
		if api.Integrations == nil {
			api.Integrations = map[string]*httpapi.Integration{}
		}
		api.Integrations[in.IntegrationID] = &in
		return true, nil
	})
	if err != nil {
		return err
	}
	return reply(w, http.StatusCreated, &in)
}

// fillIntegration sets AWS's defaults: POST for functions, 30 s, INTERNET.
func fillIntegration(in *httpapi.Integration) {
	if in.IntegrationType == httpapi.IntegrationAWSProxy && in.IntegrationMethod == "" {
		in.IntegrationMethod = "POST"
	}
	if in.TimeoutInMillis == 0 {
		in.TimeoutInMillis = 30000
	}
	if in.ConnectionType == "" {
		in.ConnectionType = "INTERNET"
	}
}

func (s *Service) getIntegrations(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	api, err := s.get(r.Context(), p["apiId"])
	if err != nil {
		return err
	}
	out, err := page(r, api.Integrations, func(v *httpapi.Integration) string { return v.IntegrationID })
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK, out)
}

func (s *Service) getIntegration(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	api, err := s.get(r.Context(), p["apiId"])
	if err != nil {
		return err
	}
	in := api.Integrations[p["id"]]
	if in == nil {
		return notFound("Integration", "Invalid Integration identifier specified %s", p["id"])
	}
	return reply(w, http.StatusOK, in)
}

func (s *Service) updateIntegration(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	patch, err := decodePatch(r)
	if err != nil {
		return err
	}
	var out *httpapi.Integration
	_, err = s.update(r.Context(), p["apiId"], func(api *httpapi.API) (bool, error) {
		in := api.Integrations[p["id"]]
		if in == nil {
			return false, notFound("Integration", "Invalid Integration identifier specified %s", p["id"])
		}
		if err := applyPatch(in, patch, "integrationId"); err != nil {
			return false, err
		}
		fillIntegration(in)
		out = in
		return true, nil
	})
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK, out)
}

func (s *Service) deleteIntegration(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	_, err := s.update(r.Context(), p["apiId"], func(api *httpapi.API) (bool, error) {
		if api.Integrations[p["id"]] == nil {
			return false, notFound("Integration", "Invalid Integration identifier specified %s", p["id"])
		}
		for _, rt := range api.Routes {
			if rt.Target == "integrations/"+p["id"] {
				return false, conflict("Integration %s is in use by route %s", p["id"], rt.RouteKey)
			}
		}
		delete(api.Integrations, p["id"])
		return true, nil
	})
	if err != nil {
		return err
	}
	return reply(w, http.StatusNoContent, nil)
}

// --- authorizers

func (s *Service) createAuthorizer(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	var in httpapi.Authorizer
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Name == "" || in.AuthorizerType == "" {
		return badRequest("Name and AuthorizerType are required")
	}
	if in.AuthorizerType == httpapi.AuthorizerRequest && in.AuthorizerPayloadFormatVersion == "" {
		// AWS requires it for Lambda authorizers created through the API.
		return badRequest("AuthorizerPayloadFormatVersion is required for REQUEST authorizers")
	}
	in.AuthorizerID = newID(6)
	_, err := s.update(r.Context(), p["apiId"], func(api *httpapi.API) (bool, error) {
		for _, a := range api.Authorizers {
			if a.Name == in.Name {
				return false, conflict("Authorizer with name %s already exists for this API", in.Name)
			}
		}
		if api.Authorizers == nil {
			api.Authorizers = map[string]*httpapi.Authorizer{}
		}
		api.Authorizers[in.AuthorizerID] = &in
		return true, nil
	})
	if err != nil {
		return err
	}
	return reply(w, http.StatusCreated, &in)
}

func (s *Service) getAuthorizers(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	api, err := s.get(r.Context(), p["apiId"])
	if err != nil {
		return err
	}
	out, err := page(r, api.Authorizers, func(v *httpapi.Authorizer) string { return v.AuthorizerID })
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK, out)
}

func (s *Service) getAuthorizer(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	api, err := s.get(r.Context(), p["apiId"])
	if err != nil {
		return err
	}
	a := api.Authorizers[p["id"]]
	if a == nil {
		return notFound("Authorizer", "Invalid Authorizer identifier specified %s", p["id"])
	}
	return reply(w, http.StatusOK, a)
}

func (s *Service) updateAuthorizer(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	patch, err := decodePatch(r)
	if err != nil {
		return err
	}
	var out *httpapi.Authorizer
	_, err = s.update(r.Context(), p["apiId"], func(api *httpapi.API) (bool, error) {
		a := api.Authorizers[p["id"]]
		if a == nil {
			return false, notFound("Authorizer", "Invalid Authorizer identifier specified %s", p["id"])
		}
		if err := applyPatch(a, patch, "authorizerId"); err != nil {
			return false, err
		}
		out = a
		return true, nil
	})
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK, out)
}

func (s *Service) deleteAuthorizer(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	_, err := s.update(r.Context(), p["apiId"], func(api *httpapi.API) (bool, error) {
		if api.Authorizers[p["id"]] == nil {
			return false, notFound("Authorizer", "Invalid Authorizer identifier specified %s", p["id"])
		}
		for _, rt := range api.Routes {
			if rt.AuthorizerID == p["id"] {
				return false, conflict("Authorizer %s is in use by route %s", p["id"], rt.RouteKey)
			}
		}
		delete(api.Authorizers, p["id"])
		return true, nil
	})
	if err != nil {
		return err
	}
	return reply(w, http.StatusNoContent, nil)
}

// --- stages

func (s *Service) createStage(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	var in httpapi.Stage
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.StageName == "" {
		return badRequest("StageName is required")
	}
	if !validStageName(in.StageName) {
		return badRequest("Stage name only allows a-zA-Z0-9_- or $default")
	}
	in.CreatedDate, in.LastUpdatedDate = s.now(), s.now()
	_, err := s.update(r.Context(), p["apiId"], func(api *httpapi.API) (bool, error) {
		if api.Stages[in.StageName] != nil {
			return false, conflict("Stage %s already exists", in.StageName)
		}
		if in.DeploymentID != "" && api.Deployments[in.DeploymentID] == nil {
			return false, badRequest("Invalid deployment identifier specified %s", in.DeploymentID)
		}
		if api.Stages == nil {
			api.Stages = map[string]*httpapi.Stage{}
		}
		api.Stages[in.StageName] = &in
		// A new auto-deploy stage is deployed at once.
		return in.AutoDeploy, nil
	})
	if err != nil {
		return err
	}
	return reply(w, http.StatusCreated, &in)
}

func validStageName(n string) bool {
	if n == httpapi.DefaultStage {
		return true
	}
	if len(n) == 0 || len(n) > 128 {
		return false
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func (s *Service) getStages(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	api, err := s.get(r.Context(), p["apiId"])
	if err != nil {
		return err
	}
	out, err := page(r, api.Stages, func(v *httpapi.Stage) string { return v.StageName })
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK, out)
}

func (s *Service) getStage(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	api, err := s.get(r.Context(), p["apiId"])
	if err != nil {
		return err
	}
	st := api.Stages[p["id"]]
	if st == nil {
		return notFound("Stage", "Invalid stage identifier specified")
	}
	return reply(w, http.StatusOK, st)
}

func (s *Service) updateStage(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	patch, err := decodePatch(r)
	if err != nil {
		return err
	}
	var out *httpapi.Stage
	_, err = s.update(r.Context(), p["apiId"], func(api *httpapi.API) (bool, error) {
		st := api.Stages[p["id"]]
		if st == nil {
			return false, notFound("Stage", "Invalid stage identifier specified")
		}
		wasAuto := st.AutoDeploy
		if err := applyPatch(st, patch, "stageName", "createdDate", "tags"); err != nil {
			return false, err
		}
		if st.DeploymentID != "" && api.Deployments[st.DeploymentID] == nil {
			return false, badRequest("Invalid deployment identifier specified %s", st.DeploymentID)
		}
		st.LastUpdatedDate = s.now()
		out = st
		return st.AutoDeploy && !wasAuto, nil
	})
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK, out)
}

func (s *Service) deleteStage(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	_, err := s.update(r.Context(), p["apiId"], func(api *httpapi.API) (bool, error) {
		if api.Stages[p["id"]] == nil {
			return false, notFound("Stage", "Invalid stage identifier specified")
		}
		delete(api.Stages, p["id"])
		return false, nil
	})
	if err != nil {
		return err
	}
	return reply(w, http.StatusNoContent, nil)
}

// --- deployments

func (s *Service) createDeployment(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	var in struct {
		Description string `json:"description"`
		StageName   string `json:"stageName"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	var d *httpapi.Deployment
	_, err := s.update(r.Context(), p["apiId"], func(api *httpapi.API) (bool, error) {
		var st *httpapi.Stage
		if in.StageName != "" {
			if st = api.Stages[in.StageName]; st == nil {
				return false, notFound("Stage", "Invalid stage identifier specified")
			}
		}
		if len(api.Routes) == 0 {
			return false, badRequest("At least one route is required before deploying the Api.")
		}
		d = s.deploy(api, in.Description, false)
		if st != nil {
			st.DeploymentID, st.LastUpdatedDate = d.DeploymentID, s.now()
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	return reply(w, http.StatusCreated, deploymentView(d))
}

func deploymentView(d *httpapi.Deployment) *httpapi.Deployment {
	v := *d
	v.Snapshot = nil
	return &v
}

func (s *Service) getDeployments(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	api, err := s.get(r.Context(), p["apiId"])
	if err != nil {
		return err
	}
	views := map[string]*httpapi.Deployment{}
	for id, d := range api.Deployments {
		views[id] = deploymentView(d)
	}
	out, err := page(r, views, func(v *httpapi.Deployment) string { return v.DeploymentID })
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK, out)
}

func (s *Service) getDeployment(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	api, err := s.get(r.Context(), p["apiId"])
	if err != nil {
		return err
	}
	d := api.Deployments[p["id"]]
	if d == nil {
		return notFound("Deployment", "Invalid Deployment identifier specified %s", p["id"])
	}
	return reply(w, http.StatusOK, deploymentView(d))
}

func (s *Service) deleteDeployment(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	_, err := s.update(r.Context(), p["apiId"], func(api *httpapi.API) (bool, error) {
		if api.Deployments[p["id"]] == nil {
			return false, notFound("Deployment", "Invalid Deployment identifier specified %s", p["id"])
		}
		for _, st := range api.Stages {
			if st.DeploymentID == p["id"] {
				return false, badRequest("Deployment %s is used by stage %s", p["id"], st.StageName)
			}
		}
		delete(api.Deployments, p["id"])
		return false, nil
	})
	if err != nil {
		return err
	}
	return reply(w, http.StatusNoContent, nil)
}

// --- tags

// tagTarget resolves arn:aws:apigateway:{region}::/apis/{apiId}[/stages/{stage}].
func (s *Service) tagTarget(arn string) (apiID, stage string, err error) {
	prefix := "arn:aws:apigateway:" + s.o.Region + "::/apis/"
	rest, ok := cutPrefix(arn, prefix)
	if !ok {
		return "", "", badRequest("Invalid resource ARN %s", arn)
	}
	parts := splitPath(rest)
	switch {
	case len(parts) == 1:
		return parts[0], "", nil
	case len(parts) == 3 && parts[1] == "stages":
		return parts[0], parts[2], nil
	}
	return "", "", badRequest("Invalid resource ARN %s", arn)
}

func (s *Service) getTags(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	apiID, stage, err := s.tagTarget(p["arn"])
	if err != nil {
		return err
	}
	api, err := s.get(r.Context(), apiID)
	if err != nil {
		return err
	}
	tags := api.Tags
	if stage != "" {
		st := api.Stages[stage]
		if st == nil {
			return notFound("Stage", "Invalid stage identifier specified")
		}
		tags = st.Tags
	}
	if tags == nil {
		tags = map[string]string{}
	}
	return reply(w, http.StatusOK, map[string]any{"tags": tags})
}

func (s *Service) tagResource(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	var in struct {
		Tags map[string]string `json:"tags"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := s.editTags(r, p["arn"], func(tags map[string]string) map[string]string {
		if tags == nil {
			tags = map[string]string{}
		}
		for k, v := range in.Tags {
			tags[k] = v
		}
		return tags
	}); err != nil {
		return err
	}
	return reply(w, http.StatusCreated, struct{}{})
}

func (s *Service) untagResource(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	keys := r.URL.Query()["tagKeys"]
	if err := s.editTags(r, p["arn"], func(tags map[string]string) map[string]string {
		for k := range tags {
			if slices.Contains(keys, k) {
				delete(tags, k)
			}
		}
		return tags
	}); err != nil {
		return err
	}
	return reply(w, http.StatusNoContent, nil)
}

func (s *Service) editTags(r *http.Request, arn string, fn func(map[string]string) map[string]string) error {
	apiID, stage, err := s.tagTarget(arn)
	if err != nil {
		return err
	}
	_, err = s.update(r.Context(), apiID, func(api *httpapi.API) (bool, error) {
		if stage == "" {
			api.Tags = fn(api.Tags)
			return false, nil
		}
		st := api.Stages[stage]
		if st == nil {
			return false, notFound("Stage", "Invalid stage identifier specified")
		}
		st.Tags = fn(st.Tags)
		return false, nil
	})
	return err
}
