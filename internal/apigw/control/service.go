package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/internal/gateway"
	"github.com/cognate-dev/cognate/internal/store"
)

// Gateway is the part of the API gateway the control plane drives.
type Gateway interface {
	DeployStage(ctx context.Context, api *gateway.API, stage string, variables map[string]string, settings *gateway.StageSettings) (string, error)
	RemoveStage(ctx context.Context, apiID, name string) error
}

// Tester is a throw-away gateway that TestInvokeMethod deploys the
// current definition to and calls.
type Tester interface {
	Deploy(ctx context.Context, api *gateway.API, stage string, variables map[string]string) (string, error)
	Handler() http.Handler
}

// Store is the part of store.Store the control plane uses.
type Store interface {
	CreateObject(ctx context.Context, o store.Object) (store.Object, error)
	PutObject(ctx context.Context, o store.Object) (store.Object, error)
	GetObject(ctx context.Context, kind, key string) (store.Object, error)
	UpdateObject(ctx context.Context, kind, key string, fn func(store.Object) (store.Object, error)) (store.Object, error)
	ListObjects(ctx context.Context, kind string, page store.Page) ([]store.Object, error)
	DeleteObject(ctx context.Context, kind, key string) error
	PutDeployment(ctx context.Context, d store.Deployment) error
	GetDeployment(ctx context.Context, apiID, id string) (store.Deployment, error)
}

// Options configure a Service.
type Options struct {
	Store   Store
	Gateway Gateway
	// NewTester returns a scratch gateway for TestInvokeMethod.
	NewTester func() Tester
	// Functions and Tokens serve TestInvokeAuthorizer.
	Functions gateway.FunctionInvoker
	Tokens    gateway.TokenVerifier
	// Issuer is the iss claim of a pool's tokens (for Cognito authorizers).
	Issuer    func(poolID string) string
	Region    string
	AccountID string
	// Sealer seals API key values at rest (required for API keys).
	Sealer Sealer
	// Usage enforces API keys and usage plans (the gateway); nil disables them.
	Usage UsageGateway
	// Rate and Burst bound the control plane's request rate per node
	// (TooManyRequestsException beyond; defaults 100/s, burst 200).
	Rate, Burst float64
	Now         func() time.Time
	Logger      *slog.Logger
}

// Service is the API Gateway control plane.
type Service struct {
	o   Options
	log *slog.Logger

	bucketMu sync.Mutex
	tokens   float64
	last     time.Time
}

// New returns a Service.
func New(o Options) *Service {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.AccountID == "" {
		o.AccountID = "000000000000"
	}
	if o.Rate <= 0 {
		o.Rate = 100
	}
	if o.Burst <= 0 {
		o.Burst = 200
	}
	return &Service{o: o, log: o.Logger, tokens: o.Burst}
}

// allow takes one token from the control plane's bucket.
func (s *Service) allow() bool {
	s.bucketMu.Lock()
	defer s.bucketMu.Unlock()
	now := s.o.Now()
	if !s.last.IsZero() {
		s.tokens = min(s.o.Burst, s.tokens+now.Sub(s.last).Seconds()*s.o.Rate)
	}
	s.last = now
	if s.tokens < 1 {
		return false
	}
	s.tokens--
	return true
}

func (s *Service) epoch() float64 { return float64(s.o.Now().Unix()) }

func apiNotFound(account, id string) error {
	return notFound("Invalid API identifier specified %s:%s", account, id)
}

// load returns a REST API's definition.
func (s *Service) load(ctx context.Context, id string) (*restAPI, error) {
	o, err := s.o.Store.GetObject(ctx, kindRestAPI, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, apiNotFound(s.o.AccountID, id)
	}
	if err != nil {
		return nil, err
	}
	var a restAPI
	if err := json.Unmarshal(o.Data, &a); err != nil {
		return nil, fmt.Errorf("decode rest api %s: %w", id, err)
	}
	return &a, nil
}

// update rewrites a REST API's definition with fn, atomically.
func (s *Service) update(ctx context.Context, id string, fn func(a *restAPI) error) (*restAPI, error) {
	var out *restAPI
	_, err := s.o.Store.UpdateObject(ctx, kindRestAPI, id, func(o store.Object) (store.Object, error) {
		var a restAPI
		if err := json.Unmarshal(o.Data, &a); err != nil {
			return o, fmt.Errorf("decode rest api %s: %w", id, err)
		}
		if err := fn(&a); err != nil {
			return o, err
		}
		data, err := json.Marshal(&a)
		if err != nil {
			return o, err
		}
		o.Data, o.UpdatedAt, out = data, s.o.Now(), &a
		return o, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, apiNotFound(s.o.AccountID, id)
	}
	return out, err
}

// create stores a new REST API definition.
func (s *Service) create(ctx context.Context, a *restAPI) error {
	data, err := json.Marshal(a)
	if err != nil {
		return err
	}
	_, err = s.o.Store.CreateObject(ctx, store.Object{Kind: kindRestAPI, Key: a.ID, Data: data, UpdatedAt: s.o.Now()})
	if errors.Is(err, store.ErrAlreadyExists) {
		return conflict("A REST API with id %s already exists", a.ID)
	}
	return err
}

// snapshotOf is what a deployment freezes (the definition without its
// stages and deployment history).
func snapshotOf(a *restAPI) restAPI {
	c := *a
	c.Stages, c.Deployments, c.Tags = nil, nil, nil
	return c
}

// storeDeployment freezes a's current definition as deployment id.
func (s *Service) storeDeployment(ctx context.Context, a *restAPI, id string) error {
	data, err := json.Marshal(snapshot{API: snapshotOf(a)})
	if err != nil {
		return err
	}
	if err := s.o.Store.PutDeployment(ctx, store.Deployment{APIID: a.ID, ID: id, Snapshot: data, CreatedAt: s.o.Now()}); err != nil {
		return fmt.Errorf("store deployment %s/%s: %w", a.ID, id, err)
	}
	return nil
}

// deployed loads a deployment's frozen definition.
func (s *Service) deployed(ctx context.Context, apiID, id string) (*restAPI, error) {
	d, err := s.o.Store.GetDeployment(ctx, apiID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("Invalid Deployment identifier specified")
	}
	if err != nil {
		return nil, err
	}
	var snap snapshot
	if err := json.Unmarshal(d.Snapshot, &snap); err != nil {
		return nil, fmt.Errorf("decode deployment %s/%s: %w", apiID, id, err)
	}
	return &snap.API, nil
}

// serveStage points the gateway's stage at a deployment (every node
// follows through the store).
func (s *Service) serveStage(ctx context.Context, apiID string, st *stage) error {
	frozen, err := s.deployed(ctx, apiID, st.DeploymentID)
	if err != nil {
		return err
	}
	g, err := toGateway(frozen)
	if err != nil {
		return err
	}
	if _, err := s.o.Gateway.DeployStage(ctx, g, st.StageName, st.Variables, gatewaySettings(st)); err != nil {
		return badRequest("Deployment of stage %s failed: %v", st.StageName, err)
	}
	return nil
}

// AdoptConfigAPI makes an API the configuration file declares (already
// deployed to the gateway) visible and editable through the control plane:
// its definition, one deployment of it and its stages. Ids derive from the
// definition, so adopting the same file again changes nothing.
func (s *Service) AdoptConfigAPI(ctx context.Context, g *gateway.API, stages map[string]map[string]string) error {
	a := fromGateway(g, g.ID, s.o.Region, s.o.AccountID, s.epoch())
	data, _, err := gateway.Snapshot(g)
	if err != nil {
		return err
	}
	depID := stableID(6, g.ID, string(data))
	if old, err := s.load(ctx, g.ID); err == nil {
		a.CreatedDate = old.CreatedDate
		a.Tags = old.Tags
		a.Deployments = old.Deployments
	}
	if a.Deployments == nil {
		a.Deployments = map[string]*deployment{}
	}
	if a.Deployments[depID] == nil {
		a.Deployments[depID] = &deployment{ID: depID, Description: "Cognate configuration file", CreatedDate: s.epoch()}
	}
	a.Stages = map[string]*stage{}
	for name, vars := range stages {
		a.Stages[name] = &stage{StageName: name, DeploymentID: depID, Variables: vars, CacheClusterStatus: "NOT_AVAILABLE",
			MethodSettings: map[string]*methodSetting{}, CreatedDate: s.epoch(), LastUpdatedDate: s.epoch()}
	}
	if err := s.storeDeployment(ctx, a, depID); err != nil {
		return err
	}
	out, err := json.Marshal(a)
	if err != nil {
		return err
	}
	_, err = s.o.Store.PutObject(ctx, store.Object{Kind: kindRestAPI, Key: a.ID, Data: out, UpdatedAt: s.o.Now()})
	return err
}

// IsControlPath reports whether r is a call to the API Gateway management
// API rather than to a deployed API:
//   - Host apigateway.{region}.amazonaws.com (AWS's control-plane host), or
//   - a request signed for the "apigateway" service, or
//   - /restapis and /restapis/{id}/... unless the third segment after
//     /restapis/{id}/{stage}/ is _user_request_ (the data plane's
//     /restapis/{id}/{stage}/_user_request_/{path} URLs), or /tags/arn:aws:apigateway:...
func IsControlPath(r *http.Request) bool {
	host := strings.ToLower(r.Host)
	if strings.HasPrefix(host, "apigateway.") && strings.Contains(host, ".amazonaws.com") {
		return true
	}
	if signedFor(r, "apigateway") {
		return true
	}
	p := r.URL.Path
	if p == "/restapis" || p == "/restapis/" {
		return true
	}
	if rest, ok := strings.CutPrefix(p, "/restapis/"); ok {
		segs := strings.Split(rest, "/")
		return len(segs) < 3 || segs[2] != "_user_request_"
	}
	return strings.HasPrefix(p, "/tags/arn:aws:apigateway:") || strings.HasPrefix(p, "/tags/arn%3Aaws%3Aapigateway%3A")
}

// signedFor reports whether r's SigV4 credential scope names service.
func signedFor(r *http.Request, service string) bool {
	scope := "/" + service + "/aws4_request"
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "AWS4-HMAC-SHA256") && strings.Contains(a, scope) {
		return true
	}
	return strings.Contains(r.URL.Query().Get("X-Amz-Credential"), scope)
}

// gatewaySettings is what the gateway applies of a stage's settings.
func gatewaySettings(st *stage) *gateway.StageSettings {
	if len(st.MethodSettings) == 0 {
		return nil
	}
	out := &gateway.StageSettings{CacheClusterEnabled: st.CacheClusterEnabled, MethodSettings: map[string]gateway.MethodSetting{}}
	for k, ms := range st.MethodSettings {
		out.MethodSettings[k] = gateway.MethodSetting{
			ThrottlingBurstLimit: ms.ThrottlingBurstLimit, ThrottlingRateLimit: ms.ThrottlingRateLimit,
			CachingEnabled: ms.CachingEnabled, CacheTTLInSeconds: ms.CacheTTLInSeconds,
			RequireAuthorizationForCacheControl:    ms.RequireAuthorizationForCacheControl,
			UnauthorizedCacheControlHeaderStrategy: ms.UnauthorizedCacheControlHeaderStrategy,
		}
	}
	return out
}
