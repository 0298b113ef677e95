package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/cognate-dev/cognate/internal/config"
	"github.com/cognate-dev/cognate/internal/functions"
	"github.com/cognate-dev/cognate/internal/gateway"
	"github.com/cognate-dev/cognate/internal/store"
)

// Plan is what applying a configuration file does, item by item ("pool
// notes-users", "function greet", "api hello stage v"). Removal is relative
// to the file this server applied last (at start or at the last reload):
// pools, clients and users made through the API are never removed.
type Plan struct {
	Create    []string `json:"create"`
	Update    []string `json:"update"`
	Remove    []string `json:"remove"`
	Unchanged []string `json:"unchanged"`
}

// plan compares cfg with what runs now.
func (c *components) plan(ctx context.Context, cfg *config.File) (*Plan, error) {
	p := &Plan{}
	existing, err := c.poolIDsByName(ctx)
	if err != nil {
		return nil, err
	}
	for _, pl := range cfg.Pools {
		if _, ok := existing[pl.Name]; ok {
			p.Unchanged = append(p.Unchanged, "pool "+pl.Name)
		} else {
			p.Create = append(p.Create, "pool "+pl.Name)
		}
	}
	for _, pl := range c.applied.Pools {
		if !slices.ContainsFunc(cfg.Pools, func(n config.Pool) bool { return n.Name == pl.Name }) {
			if _, ok := existing[pl.Name]; ok {
				p.Remove = append(p.Remove, "pool "+pl.Name)
			}
		}
	}
	wanted := map[string]bool{}
	for _, f := range cfg.Functions {
		wanted[f.Name] = true
		fc, err := c.functionConfig(cfg, f)
		exists, changed := false, true
		if err == nil { // unresolved references name pools not created yet: a change
			exists, changed, err = c.runner.Compare(fc, f.Runtime == functions.RuntimeBuiltin)
			if err != nil {
				return nil, fmt.Errorf("function %s: %w", f.Name, err)
			}
		} else {
			exists = slices.ContainsFunc(c.runner.Functions(), func(r functions.FunctionConfig) bool { return r.Name == f.Name })
		}
		switch {
		case !exists:
			p.Create = append(p.Create, "function "+f.Name)
		case changed:
			p.Update = append(p.Update, "function "+f.Name)
		default:
			p.Unchanged = append(p.Unchanged, "function "+f.Name)
		}
	}
	for _, f := range c.runner.Functions() {
		if !wanted[f.Name] {
			p.Remove = append(p.Remove, "function "+f.Name)
		}
	}
	for _, s := range c.removedStages(cfg) {
		p.Remove = append(p.Remove, "api "+s[0]+" stage "+s[1])
	}
	for _, name := range c.removedHTTPAPIs(cfg) {
		p.Remove = append(p.Remove, "http api "+name)
	}
	for _, a := range cfg.HTTPAPIs {
		if slices.ContainsFunc(c.applied.HTTPAPIs, func(n config.HTTPAPI) bool { return n.Name == a.Name }) {
			p.Update = append(p.Update, "http api "+a.Name+" (redeployed)")
		} else {
			p.Create = append(p.Create, "http api "+a.Name)
		}
	}
	served := map[string]bool{}
	for _, a := range c.applied.APIs {
		for _, s := range a.Stages {
			served[a.Name+"/"+s.Name] = true
		}
	}
	for _, a := range cfg.APIs {
		for _, s := range a.Stages {
			item := "api " + a.Name + " stage " + s.Name
			if served[a.Name+"/"+s.Name] {
				p.Update = append(p.Update, item+" (redeployed)")
			} else {
				p.Create = append(p.Create, item)
			}
		}
	}
	return p, nil
}

// removedHTTPAPIs are the HTTP APIs the last applied file had and cfg has not.
func (c *components) removedHTTPAPIs(cfg *config.File) []string {
	var out []string
	for _, a := range c.applied.HTTPAPIs {
		if !slices.ContainsFunc(cfg.HTTPAPIs, func(n config.HTTPAPI) bool { return n.Name == a.Name }) {
			out = append(out, a.Name)
		}
	}
	return out
}

// removedStages are the [api, stage] pairs the last applied file had and
// cfg has not.
func (c *components) removedStages(cfg *config.File) [][2]string {
	keep := map[string]bool{}
	for _, a := range cfg.APIs {
		for _, s := range a.Stages {
			keep[a.Name+"/"+s.Name] = true
		}
	}
	var out [][2]string
	for _, a := range c.applied.APIs {
		for _, s := range a.Stages {
			if !keep[a.Name+"/"+s.Name] {
				out = append(out, [2]string{a.Name, s.Name})
			}
		}
	}
	return out
}

// poolIDsByName lists the store's pools.
func (c *components) poolIDsByName(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	after := ""
	for {
		list, err := c.app.store.ListPools(ctx, store.Page{After: after, Limit: 60})
		if err != nil {
			return nil, fmt.Errorf("list pools: %w", err)
		}
		for _, p := range list {
			if _, dup := out[p.Name]; !dup {
				out[p.Name] = p.ID
			}
		}
		if len(list) < 60 {
			return out, nil
		}
		after = list[len(list)-1].ID
	}
}

// removeMissing removes what the last applied file had and cfg has not:
// functions, API stages, then pools (with their users).
func (c *components) removeMissing(ctx context.Context, cfg *config.File) error {
	wanted := map[string]bool{}
	for _, f := range cfg.Functions {
		wanted[f.Name] = true
	}
	for _, f := range c.runner.Functions() {
		if !wanted[f.Name] {
			c.runner.Remove(f.Name)
		}
	}
	for _, s := range c.removedStages(cfg) {
		if err := c.gateway.RemoveStage(ctx, gateway.APIID(s[0]), s[1]); err != nil {
			return fmt.Errorf("api %s: %w", s[0], err)
		}
		c.app.log.Info("api stage removed", "api", s[0], "stage", s[1])
	}
	for _, name := range c.removedHTTPAPIs(cfg) {
		if err := c.httpapiCtl.Remove(ctx, httpAPIID(name)); err != nil {
			return fmt.Errorf("http api %s: %w", name, err)
		}
		c.app.log.Info("http api removed", "api", name)
	}
	existing, err := c.poolIDsByName(ctx)
	if err != nil {
		return err
	}
	for _, pl := range c.applied.Pools {
		if slices.ContainsFunc(cfg.Pools, func(n config.Pool) bool { return n.Name == pl.Name }) {
			continue
		}
		if id, ok := existing[pl.Name]; ok {
			if err := c.pools.DeletePool(ctx, id); err != nil {
				return fmt.Errorf("remove pool %s: %w", pl.Name, err)
			}
			delete(c.refs.pools, pl.Name)
			delete(c.refs.issuers, pl.Name)
			c.app.log.Info("pool removed", "pool", pl.Name, "pool_id", id)
		}
	}
	return nil
}

// Apply reads the configuration file again and makes the server match it,
// removing what the file no longer declares; with dryRun it only returns
// the plan. SIGHUP and `cognate apply` call it.
func (a *App) Apply(ctx context.Context, dryRun bool) (*Plan, error) {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	if a.opts.ConfigPath == "" {
		return nil, errors.New("reload: no --config file (the built-in demo does not change)")
	}
	cfg, err := config.Load(a.opts.ConfigPath)
	if err != nil {
		return nil, fmt.Errorf("reload: %w", err)
	}
	p, err := a.parts.plan(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("reload: plan: %w", err)
	}
	if dryRun {
		return p, nil
	}
	if err := a.parts.sec.reload(a.opts, cfg); err != nil {
		return p, fmt.Errorf("reload: %w", err)
	}
	if _, err := a.parts.apply(ctx, cfg); err != nil {
		return p, fmt.Errorf("reload: apply configuration: %w", err)
	}
	a.parts.sec.hosts.Store(a.parts.hostSet(cfg))
	if err := a.parts.removeMissing(ctx, cfg); err != nil {
		return p, fmt.Errorf("reload: remove: %w", err)
	}
	a.parts.applied = cfg
	a.log.Info("configuration reloaded", "config", a.opts.ConfigPath,
		"created", len(p.Create), "updated", len(p.Update), "removed", len(p.Remove))
	return p, nil
}

// applyHandler serves POST /_cognate/apply[?dryRun=true] for `cognate apply`.
func (c *components) applyHandler(w http.ResponseWriter, r *http.Request) {
	dry := r.URL.Query().Get("dryRun") == "true"
	ctx, cancel := context.WithTimeout(r.Context(), BuildTimeout+time.Minute)
	defer cancel()
	p, err := c.app.Apply(ctx, dry)
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		w.WriteHeader(http.StatusConflict)
		json.NewEncoder(w).Encode(map[string]any{"message": err.Error(), "plan": p})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"dryRun": dry, "plan": p})
}
