package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/cognate-dev/cognate/internal/store"
)

// DeploymentStore is the part of store.Store the gateway uses.
type DeploymentStore interface {
	PutDeployment(ctx context.Context, d store.Deployment) error
	GetDeployment(ctx context.Context, apiID, id string) (store.Deployment, error)
	PutStage(ctx context.Context, s store.Stage) (store.Stage, error)
	ListStages(ctx context.Context) ([]store.Stage, error)
	DeleteStage(ctx context.Context, apiID, name string) error
}

var _ DeploymentStore = store.Deployments(nil)

// Deploy snapshots api (an immutable deployment whose id is a hash of its
// content), points stageName at it with the given stage variables, persists
// both when a store is configured, and swaps the stage in atomically:
// requests already running finish on the previous deployment. Deploying an
// identical API again only updates the stage. api must not be modified after.
func (g *Gateway) Deploy(ctx context.Context, api *API, stageName string, variables map[string]string) (string, error) {
	return g.DeployStage(ctx, api, stageName, variables, nil)
}

// DeployStage is Deploy with the stage's method and cache settings (nil:
// none), stored with the stage so every node applies them.
func (g *Gateway) DeployStage(ctx context.Context, api *API, stageName string, variables map[string]string, settings *StageSettings) (string, error) {
	if api == nil {
		return "", errors.New("deploy: nil api")
	}
	if stageName == "" || strings.ContainsAny(stageName, "/ ") {
		return "", fmt.Errorf("deploy: bad stage name %q", stageName)
	}
	data, depID, err := snapshot(api)
	if err != nil {
		return "", fmt.Errorf("deploy: %w", err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	dep, err := g.compiledDeployment(api.ID, depID, api)
	if err != nil {
		return "", fmt.Errorf("deploy: %w", err)
	}
	st := &stage{apiID: api.ID, name: stageName, dep: dep, variables: maps.Clone(variables), settings: settings}
	var settingsJSON []byte
	if settings != nil && (settings.CacheClusterEnabled || len(settings.MethodSettings) > 0) {
		if settingsJSON, err = json.Marshal(settings); err != nil {
			return "", fmt.Errorf("deploy: stage settings: %w", err)
		}
	}
	if g.opts.Store != nil {
		if err := g.opts.Store.PutDeployment(ctx, store.Deployment{APIID: api.ID, ID: depID, Snapshot: data, CreatedAt: g.now()}); err != nil {
			return "", fmt.Errorf("deploy %s: store deployment: %w", api.ID, err)
		}
		saved, err := g.opts.Store.PutStage(ctx, store.Stage{APIID: api.ID, Name: stageName, DeploymentID: depID, Variables: st.variables, Settings: settingsJSON, UpdatedAt: g.now()})
		if err != nil {
			return "", fmt.Errorf("deploy %s: store stage %s: %w", api.ID, stageName, err)
		}
		st.version = saved.Version
	}
	g.install(st)
	g.log.Info("gateway deployed", "api", api.ID, "name", api.Name, "stage", stageName, "deployment", depID)
	return depID, nil
}

// compiledDeployment returns the compiled deployment, compiling it once.
// api may be nil when only the snapshot id is known (it must then be cached).
func (g *Gateway) compiledDeployment(apiID, depID string, api *API) (*deployment, error) {
	key := apiID + "/" + depID
	if d := g.compiled[key]; d != nil {
		return d, nil
	}
	d, err := g.compile(api, depID)
	if err != nil {
		return nil, err
	}
	g.compiled[key] = d
	return d, nil
}

// install publishes st, replacing any stage of the same name. Callers hold g.mu.
func (g *Gateway) install(st *stage) {
	old := g.state.Load()
	next := &routingState{apis: make(map[string]map[string]*stage, len(old.apis)+1), defaultAPI: old.defaultAPI}
	for id, stages := range old.apis {
		next.apis[id] = stages
	}
	stages := maps.Clone(next.apis[st.apiID])
	if stages == nil {
		stages = map[string]*stage{}
	}
	prev := stages[st.name]
	if prev != nil {
		st.bucket = prev.bucket
	}
	if st.bucket == nil {
		st.bucket = newTokenBucket(g.limits.Rate, g.limits.Burst, g.now)
	}
	st.ctl = g.compileControls(st, st.settings, prev)
	stages[st.name] = st
	next.apis[st.apiID] = stages
	next.defaultAPI = pickDefault(next)
	g.state.Store(next)
}

// uninstall stops serving a stage. Callers hold g.mu.
func (g *Gateway) uninstall(apiID, name string) {
	old := g.state.Load()
	if old.apis[apiID][name] == nil {
		return
	}
	next := &routingState{apis: maps.Clone(old.apis)}
	stages := maps.Clone(old.apis[apiID])
	delete(stages, name)
	if len(stages) == 0 {
		delete(next.apis, apiID)
	} else {
		next.apis[apiID] = stages
	}
	next.defaultAPI = pickDefault(next)
	g.state.Store(next)
}

// RemoveStage stops serving a stage and deletes it from the store (if
// any); other nodes drop it at their next Sync. Removing an unknown stage
// is not an error.
func (g *Gateway) RemoveStage(ctx context.Context, apiID, name string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.opts.Store != nil {
		if err := g.opts.Store.DeleteStage(ctx, apiID, name); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("remove stage %s/%s: %w", apiID, name, err)
		}
	}
	g.uninstall(apiID, name)
	return nil
}

// pickDefault chooses the API served without a Host or /restapis prefix:
// the only one, else the one marked default (the first by id if several).
func pickDefault(s *routingState) string {
	ids := slices.Sorted(maps.Keys(s.apis))
	if len(ids) == 1 {
		return ids[0]
	}
	for _, id := range ids {
		for _, st := range s.apis[id] {
			if st.dep.api.Default {
				return id
			}
		}
	}
	return ""
}

// Sync loads stages another node changed in the store (by Version) and
// swaps them in. Without a store it does nothing.
func (g *Gateway) Sync(ctx context.Context) error {
	if g.opts.Store == nil {
		return nil
	}
	stages, err := g.opts.Store.ListStages(ctx)
	if err != nil {
		return fmt.Errorf("sync: list stages: %w", err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	cur := g.state.Load()
	listed := make(map[[2]string]bool, len(stages))
	for _, s := range stages {
		listed[[2]string{s.APIID, s.Name}] = true
	}
	// Stages that came from the store (version > 0) and left it are removed.
	for id, ss := range cur.apis {
		for name, st := range ss {
			if st.version > 0 && !listed[[2]string{id, name}] {
				g.uninstall(id, name)
			}
		}
	}
	var errs []error
	for _, s := range stages {
		if have := cur.apis[s.APIID][s.Name]; have != nil && have.version >= s.Version {
			continue
		}
		dep := g.compiled[s.APIID+"/"+s.DeploymentID]
		if dep == nil {
			stored, err := g.opts.Store.GetDeployment(ctx, s.APIID, s.DeploymentID)
			if err != nil {
				errs = append(errs, fmt.Errorf("sync %s/%s: %w", s.APIID, s.Name, err))
				continue
			}
			var api API
			if err := json.Unmarshal(stored.Snapshot, &api); err != nil {
				errs = append(errs, fmt.Errorf("sync %s/%s: decode snapshot: %w", s.APIID, s.Name, err))
				continue
			}
			if dep, err = g.compiledDeployment(s.APIID, s.DeploymentID, &api); err != nil {
				errs = append(errs, fmt.Errorf("sync %s/%s: %w", s.APIID, s.Name, err))
				continue
			}
		}
		settings, err := decodeSettings(s.Settings)
		if err != nil {
			errs = append(errs, fmt.Errorf("sync %s/%s: %w", s.APIID, s.Name, err))
			continue
		}
		g.install(&stage{apiID: s.APIID, name: s.Name, dep: dep, variables: maps.Clone(s.Variables), version: s.Version, settings: settings})
		g.log.Info("gateway stage synced", "api", s.APIID, "stage", s.Name, "deployment", s.DeploymentID, "version", s.Version)
	}
	return errors.Join(errs...)
}

// RouteInfo describes one served method, for printing URLs.
type RouteInfo struct {
	APIID        string
	APIName      string
	Default      bool
	Stage        string
	DeploymentID string
	Method       string
	// Path is the resource path ("/notes/{id}").
	Path string
}

// Routes lists every served method ordered by API, stage, path and method.
func (g *Gateway) Routes() []RouteInfo {
	s := g.state.Load()
	var out []RouteInfo
	for id, stages := range s.apis {
		for name, st := range stages {
			for p, ms := range st.dep.api.Paths {
				for verb := range ms {
					out = append(out, RouteInfo{APIID: id, APIName: st.dep.api.Name, Default: id == s.defaultAPI,
						Stage: name, DeploymentID: st.dep.id, Method: strings.ToUpper(verb), Path: p})
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.APIID != b.APIID {
			return a.APIID < b.APIID
		}
		if a.Stage != b.Stage {
			return a.Stage < b.Stage
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Method < b.Method
	})
	return out
}
