package app

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	apigwcontrol "github.com/cognate-dev/cognate/internal/apigw/control"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/config"
	"github.com/cognate-dev/cognate/internal/demo"
	"github.com/cognate-dev/cognate/internal/functions"
	"github.com/cognate-dev/cognate/internal/gateway"
	"github.com/cognate-dev/cognate/internal/gateway/openapi"
	"github.com/cognate-dev/cognate/internal/httpapi"
	httpapicontrol "github.com/cognate-dev/cognate/internal/httpapi/control"
	"github.com/cognate-dev/cognate/internal/store"
	"github.com/cognate-dev/cognate/internal/tokens"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// BuildTimeout bounds a function's build command (npm ci, go build ...).
const BuildTimeout = 5 * time.Minute

// summary is what apply set up, for the banner.
type summary struct {
	pools     []poolSummary
	functions []functions.FunctionConfig
	routes    []gateway.RouteInfo
	// httpRoutes are the configuration file's HTTP API routes: [api id, stage, route key].
	httpRoutes [][3]string
}

type poolSummary struct {
	name, id string
	clients  [][2]string // name, id
}

// demoConfig is the built-in notes demo.
func demoConfig() (*config.File, error) {
	f, err := config.Parse(demo.ConfigYAML())
	if err != nil {
		return nil, fmt.Errorf("demo config: %w", err)
	}
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("demo config: %w", err)
	}
	return f, nil
}

// apply makes the store and runtime match cfg: pools, clients, groups and
// users are found by name or created (existing ones are left as they are),
// functions are registered, and each API stage is deployed.
func (c *components) apply(ctx context.Context, cfg *config.File) (*summary, error) {
	sum := &summary{}
	c.kmsKeys.Store(&cfg.KMSKeys)
	for _, p := range cfg.Pools {
		ps, err := c.applyPool(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("pool %s: %w", p.Name, err)
		}
		sum.pools = append(sum.pools, ps)
	}
	for _, f := range cfg.Functions {
		fc, err := c.applyFunction(ctx, cfg, f)
		if err != nil {
			return nil, fmt.Errorf("function %s: %w", f.Name, err)
		}
		sum.functions = append(sum.functions, fc)
	}
	for _, a := range cfg.APIs {
		if err := c.applyAPI(ctx, cfg, a); err != nil {
			return nil, fmt.Errorf("api %s: %w", a.Name, err)
		}
	}
	for _, a := range cfg.HTTPAPIs {
		routes, err := c.applyHTTPAPI(ctx, cfg, a)
		if err != nil {
			return nil, fmt.Errorf("http api %s: %w", a.Name, err)
		}
		sum.httpRoutes = append(sum.httpRoutes, routes...)
	}
	keys, plans := usagePlans(cfg)
	if err := c.apigw.AdoptConfigUsage(ctx, keys, plans); err != nil {
		return nil, fmt.Errorf("api keys and usage plans: %w", err)
	}
	sum.routes = c.gateway.Routes()
	return sum, nil
}

func (c *components) applyPool(ctx context.Context, p config.Pool) (poolSummary, error) {
	spec := userpool.PoolSpec{
		Name: p.Name, UsernameAttributes: p.UsernameAttributes, AliasAttributes: p.AliasAttributes,
		AutoVerifiedAttributes: p.AutoVerifiedAttributes, CaseSensitive: p.CaseSensitive, CustomAttributes: p.CustomAttributes,
	}
	if pp := p.PasswordPolicy; pp != nil {
		spec.PasswordMinLength = pp.MinimumLength
		spec.RequireUppercase, spec.RequireLowercase = pp.RequireUppercase, pp.RequireLowercase
		spec.RequireNumbers, spec.RequireSymbols = pp.RequireNumbers, pp.RequireSymbols
	}
	id, err := c.pools.EnsurePool(ctx, spec)
	if err != nil {
		return poolSummary{}, err
	}
	if p.LambdaConfig != nil {
		if err := c.applyTriggers(ctx, id, p.LambdaConfig); err != nil {
			return poolSummary{}, err
		}
	}
	if err := c.keys.Ensure(ctx, id); err != nil {
		return poolSummary{}, fmt.Errorf("signing keys: %w", err)
	}
	c.refs.pools[p.Name] = id
	c.refs.issuers[p.Name] = c.issuer(id)
	ps := poolSummary{name: p.Name, id: id}
	for _, cl := range p.Clients {
		spec := userpool.ClientSpec{Name: cl.Name, GenerateSecret: cl.GenerateSecret, ExplicitAuthFlows: cl.ExplicitAuthFlows}
		// Validate already checked these parse as positive durations.
		spec.IDTokenValidity, _ = time.ParseDuration(orZero(cl.IDTokenValidity))
		spec.AccessTokenValidity, _ = time.ParseDuration(orZero(cl.AccessTokenValidity))
		spec.RefreshTokenValidity, _ = time.ParseDuration(orZero(cl.RefreshTokenValidity))
		cid, err := c.pools.EnsureClient(ctx, id, spec)
		if err != nil {
			return ps, fmt.Errorf("client %s: %w", cl.Name, err)
		}
		c.refs.clients[p.Name+"/"+cl.Name] = cid
		ps.clients = append(ps.clients, [2]string{cl.Name, cid})
	}
	for _, g := range p.Groups {
		now := c.app.opts.Now()
		err := c.app.store.CreateGroup(ctx, store.Group{
			PoolID: id, Name: g.Name, Description: g.Description, Precedence: g.Precedence, CreatedAt: now, UpdatedAt: now,
		})
		if err != nil && !errors.Is(err, store.ErrAlreadyExists) {
			return ps, fmt.Errorf("group %s: %w", g.Name, err)
		}
	}
	for _, u := range p.Users {
		if _, err := c.pools.EnsureUser(ctx, id, userpool.UserSpec{
			Username: u.Username, Password: u.Password, Attributes: u.Attributes, Groups: u.Groups,
		}); err != nil {
			return ps, fmt.Errorf("user %s: %w", u.Username, err)
		}
	}
	return ps, nil
}

// functionConfig is the runner's view of a configured function, with its
// references resolved and the fingerprint of its code.
func (c *components) functionConfig(cfg *config.File, f config.Function) (functions.FunctionConfig, error) {
	env, err := c.refs.resolveMap(f.Environment)
	if err != nil {
		return functions.FunctionConfig{}, fmt.Errorf("environment: %w", err)
	}
	fc := functions.FunctionConfig{
		Name: f.Name, Runtime: f.Runtime, Handler: f.Handler, Command: f.Command, Dir: cfg.Path(f.Dir),
		Environment: env, Timeout: time.Duration(f.Timeout) * time.Second, MemorySize: f.MemorySize,
		ReservedConcurrency: f.ReservedConcurrency,
	}
	if f.Runtime != functions.RuntimeBuiltin && fc.Dir != "" {
		// A missing directory is reported by Check, after the build.
		fc.CodeVersion, _ = functions.CodeFingerprint(fc.Dir)
	}
	return fc, nil
}

func (c *components) applyFunction(ctx context.Context, cfg *config.File, f config.Function) (functions.FunctionConfig, error) {
	fc, err := c.functionConfig(cfg, f)
	if err != nil {
		return fc, err
	}
	var h functions.BuiltinHandler
	if f.Runtime == functions.RuntimeBuiltin {
		if h, err = c.builtin(f.Handler, fc.Environment); err != nil {
			return fc, err
		}
	} else {
		if len(f.Build) > 0 {
			if err := c.runBuild(ctx, f.Name, fc.Dir, f.Build); err != nil {
				return fc, err
			}
			if fc.CodeVersion, err = functions.CodeFingerprint(fc.Dir); err != nil {
				return fc, err
			}
		}
		if err := functions.Check(fc, ""); err != nil {
			return fc, err
		}
	}
	// Apply keeps an unchanged function warm and swaps a changed one in.
	_, err = c.runner.Apply(fc, h)
	return fc, err
}

// runBuild runs a function's build command in its directory.
func (c *components) runBuild(ctx context.Context, name, dir string, argv []string) error {
	ctx, cancel := context.WithTimeout(ctx, BuildTimeout)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("build %q: %w\n%s", strings.Join(argv, " "), err, strings.TrimSpace(string(out)))
	}
	c.app.log.Info("function built", "function", name, "command", strings.Join(argv, " "), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// builtin returns the Go handler a builtin function names.
func (c *components) builtin(name string, env map[string]string) (functions.BuiltinHandler, error) {
	switch name {
	case "listAccountNotes":
		return demo.ListAccountNotes, nil
	case "notesAuthorizer":
		poolID := env["POOL_ID"]
		if poolID == "" {
			return nil, errors.New("builtin notesAuthorizer needs POOL_ID in its environment (e.g. ${pool:notes-users})")
		}
		issuer := c.issuer(poolID)
		return demo.NewNotesAuthorizer(func(ctx context.Context, token string) (map[string]any, error) {
			return c.verifier.Verify(ctx, token, tokens.Expect{PoolID: poolID, Issuer: issuer, TokenUse: tokens.UseID})
		}), nil
	default:
		return nil, fmt.Errorf("no builtin handler %q (builtins: listAccountNotes, notesAuthorizer)", name)
	}
}

func (c *components) applyAPI(ctx context.Context, cfg *config.File, a config.API) error {
	doc, err := cfg.OpenAPIDocument(a)
	if err != nil {
		return err
	}
	resolved, err := c.refs.resolve(string(doc))
	if err != nil {
		return err
	}
	api, err := openapi.Import([]byte(resolved))
	if err != nil {
		return fmt.Errorf("import OpenAPI: %w", err)
	}
	api.Name = a.Name
	api.ID = gateway.APIID(a.Name)
	api.Default = a.Default // the gateway also serves the only API without a prefix
	stages := map[string]map[string]string{}
	for _, s := range a.Stages {
		vars, err := c.refs.resolveMap(s.Variables)
		if err != nil {
			return fmt.Errorf("stage %s variables: %w", s.Name, err)
		}
		if _, err := c.gateway.Deploy(ctx, api, s.Name, vars); err != nil {
			return fmt.Errorf("deploy stage %s: %w", s.Name, err)
		}
		stages[s.Name] = vars
	}
	// The API is also visible and editable through the API Gateway control plane.
	if err := c.apigw.AdoptConfigAPI(ctx, api, stages); err != nil {
		return fmt.Errorf("control plane: %w", err)
	}
	return nil
}

// httpAPIID is the id of a configuration file's HTTP API: derived from its
// name (apart from REST APIs' ids), so every node and reload agree.
func httpAPIID(name string) string {
	sum := sha256.Sum256([]byte("httpapi\x00" + name))
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 10)
	for i := range b {
		b[i] = alphabet[int(sum[i])%len(alphabet)]
	}
	return string(b)
}

// applyHTTPAPI imports an HTTP API's OpenAPI document (references
// resolved) and stores it with its stages deployed.
func (c *components) applyHTTPAPI(ctx context.Context, cfg *config.File, a config.HTTPAPI) ([][3]string, error) {
	doc, err := cfg.HTTPAPIDocument(a)
	if err != nil {
		return nil, err
	}
	resolved, err := c.refs.resolve(string(doc))
	if err != nil {
		return nil, err
	}
	api, err := httpapi.ImportOpenAPI([]byte(resolved))
	if err != nil {
		return nil, fmt.Errorf("import OpenAPI: %w", err)
	}
	api.ID, api.Name = httpAPIID(a.Name), a.Name
	stages := a.Stages
	if len(stages) == 0 {
		stages = []config.HTTPStage{{Name: httpapi.DefaultStage}}
	}
	specs := make([]httpapicontrol.StageSpec, 0, len(stages))
	for _, s := range stages {
		vars, err := c.refs.resolveMap(s.Variables)
		if err != nil {
			return nil, fmt.Errorf("stage %s variables: %w", s.Name, err)
		}
		spec := httpapicontrol.StageSpec{Name: s.Name, Variables: vars}
		if s.ThrottlingRateLimit != nil || s.ThrottlingBurstLimit != nil {
			spec.Settings = &httpapi.RouteSettings{ThrottlingRateLimit: s.ThrottlingRateLimit, ThrottlingBurstLimit: s.ThrottlingBurstLimit}
		}
		specs = append(specs, spec)
	}
	var routes [][3]string
	for _, s := range specs {
		for _, r := range api.Routes {
			routes = append(routes, [3]string{api.ID, s.Name, r.RouteKey})
		}
	}
	slices.SortFunc(routes, func(x, y [3]string) int { return strings.Compare(x[1]+" "+x[2], y[1]+" "+y[2]) })
	return routes, c.httpapiCtl.Adopt(ctx, api, specs)
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

// usagePlans converts the file's API keys and usage plans; ids are derived
// from names so every node (and every reload) agrees on them.
func usagePlans(cfg *config.File) ([]apigwcontrol.ConfigKey, []apigwcontrol.ConfigPlan) {
	keys := make([]apigwcontrol.ConfigKey, 0, len(cfg.APIKeys))
	for _, k := range cfg.APIKeys {
		keys = append(keys, apigwcontrol.ConfigKey{Name: k.Name, Value: k.Value, Enabled: k.Enabled == nil || *k.Enabled})
	}
	plans := make([]apigwcontrol.ConfigPlan, 0, len(cfg.UsagePlans))
	for _, p := range cfg.UsagePlans {
		up := apigwcontrol.ConfigPlan{Name: p.Name, Keys: p.APIKeys}
		for _, s := range p.APIStages {
			up.Stages = append(up.Stages, gateway.PlanStage{APIID: gateway.APIID(s.API), Stage: s.Stage})
		}
		if t := p.Throttle; t != nil {
			up.Throttle = &gateway.PlanThrottle{RateLimit: t.RateLimit, BurstLimit: t.BurstLimit}
		}
		if q := p.Quota; q != nil {
			up.Quota = &gateway.PlanQuota{Limit: q.Limit, Period: q.Period}
		}
		plans = append(plans, up)
	}
	return keys, plans
}
