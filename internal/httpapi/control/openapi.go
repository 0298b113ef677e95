package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"gopkg.in/yaml.v3"

	"github.com/cognate-dev/cognate/internal/httpapi"
	"github.com/cognate-dev/cognate/internal/store"
)

// importInput is ImportApi's and ReimportApi's body.
type importInput struct {
	Body string `json:"body"`
}

func (s *Service) importAPI(w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	var in importInput
	if err := decode(r, &in); err != nil {
		return err
	}
	imported, err := httpapi.ImportOpenAPI([]byte(in.Body))
	if err != nil {
		return badRequest("%s", err.Error())
	}
	if imported.Name == "" {
		return badRequest("The OpenAPI document needs info.title (the API's name)")
	}
	imported.ID = s.newAPIID(r)
	if err := s.fill(imported); err != nil {
		return err
	}
	if err := s.create(r.Context(), imported); err != nil {
		return err
	}
	return reply(w, http.StatusCreated, s.view(imported))
}

func (s *Service) reimportAPI(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	var in importInput
	if err := decode(r, &in); err != nil {
		return err
	}
	imported, err := httpapi.ImportOpenAPI([]byte(in.Body))
	if err != nil {
		return badRequest("%s", err.Error())
	}
	api, err := s.update(r.Context(), p["apiId"], func(api *httpapi.API) (bool, error) {
		api.Routes, api.Integrations, api.Authorizers = imported.Routes, imported.Integrations, imported.Authorizers
		api.CorsConfiguration = imported.CorsConfiguration
		if imported.Name != "" {
			api.Name = imported.Name
		}
		api.Description, api.Version = imported.Description, imported.Version
		return true, nil
	})
	if err != nil {
		return err
	}
	return reply(w, http.StatusCreated, s.view(api))
}

func (s *Service) exportAPI(w http.ResponseWriter, r *http.Request, p map[string]string) error {
	if p["specification"] != "OAS30" {
		return badRequest("Unsupported specification %q: want OAS30", p["specification"])
	}
	q := r.URL.Query()
	out := q.Get("outputType")
	if out != "JSON" && out != "YAML" {
		return badRequest("outputType must be JSON or YAML")
	}
	api, err := s.get(r.Context(), p["apiId"])
	if err != nil {
		return err
	}
	snap := api.TakeSnapshot()
	if name := q.Get("stageName"); name != "" {
		st := api.Stages[name]
		if st == nil {
			return notFound("Stage", "Invalid stage identifier specified")
		}
		d := api.Deployments[st.DeploymentID]
		if d == nil || d.Snapshot == nil {
			return badRequest("Stage %s has no deployment", name)
		}
		snap = d.Snapshot
	}
	doc, err := httpapi.ExportOpenAPI(api, snap, q.Get("includeExtensions") != "false")
	if err != nil {
		return err
	}
	ctype := "application/json"
	if out == "YAML" {
		var v any
		if err := json.Unmarshal(doc, &v); err != nil {
			return err
		}
		if doc, err = yaml.Marshal(v); err != nil {
			return err
		}
		ctype = "application/yaml"
	}
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(http.StatusOK)
	w.Write(doc)
	return nil
}

// StageSpec is a stage declared in the configuration file.
type StageSpec struct {
	Name      string
	Variables map[string]string
	Settings  *httpapi.RouteSettings
}

// Adopt stores an API declared in the configuration file (id chosen by
// the caller, definition imported from OpenAPI) with its stages deployed,
// replacing the stored one; the control plane then lists and edits it like
// any other. Re-adopting an unchanged definition keeps its deployment.
func (s *Service) Adopt(ctx context.Context, api *httpapi.API, stages []StageSpec) error {
	if err := s.fill(api); err != nil {
		return err
	}
	if err := validate(api); err != nil {
		return err
	}
	snap := api.TakeSnapshot()
	raw, err := json.Marshal(snap)
	if err != nil {
		return fmt.Errorf("encode snapshot: %w", err)
	}
	// The deployment id is the content hash, so every node and every reload agree.
	depID := contentID(raw)
	now := s.now()
	api.Deployments = map[string]*httpapi.Deployment{depID: {DeploymentID: depID, DeploymentStatus: "DEPLOYED", CreatedDate: now,
		Description: "Deployed from the configuration file", Snapshot: snap}}
	api.Stages = map[string]*httpapi.Stage{}
	for _, st := range stages {
		api.Stages[st.Name] = &httpapi.Stage{StageName: st.Name, DeploymentID: depID, StageVariables: st.Variables,
			DefaultRouteSettings: st.Settings, CreatedDate: now, LastUpdatedDate: now}
	}
	prev, err := s.o.Store.GetObject(ctx, httpapi.ObjectKind, api.ID)
	found := err == nil
	if found {
		var old httpapi.API
		if json.Unmarshal(prev.Data, &old) == nil {
			api.CreatedDate = old.CreatedDate
			for name, st := range api.Stages {
				if o := old.Stages[name]; o != nil {
					st.CreatedDate = o.CreatedDate
				}
			}
			if d := old.Deployments[depID]; d != nil {
				api.Deployments[depID].CreatedDate = d.CreatedDate
			}
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("get api %s: %w", api.ID, err)
	}
	data, err := json.Marshal(api)
	if err != nil {
		return fmt.Errorf("encode api: %w", err)
	}
	if found && string(prev.Data) == string(data) {
		s.publish(api, prev.Version)
		return nil
	}
	o, err := s.o.Store.PutObject(ctx, store.Object{Kind: httpapi.ObjectKind, Key: api.ID, Data: data, UpdatedAt: s.o.Now()})
	if err != nil {
		return fmt.Errorf("store api %s: %w", api.ID, err)
	}
	s.publish(api, o.Version)
	return nil
}

// Remove deletes an API (one the configuration file no longer declares);
// an unknown id is not an error.
func (s *Service) Remove(ctx context.Context, apiID string) error {
	if err := s.o.Store.DeleteObject(ctx, httpapi.ObjectKind, apiID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("delete api %s: %w", apiID, err)
	}
	if s.o.Gateway != nil {
		s.o.Gateway.Remove(apiID)
	}
	return nil
}
