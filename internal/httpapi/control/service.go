// Package control is the apigatewayv2 control plane for HTTP APIs: the
// REST-JSON /v2/apis… operations (Apis, Routes, Integrations, Authorizers,
// Stages, Deployments, CORS configuration, tags, OpenAPI import and
// export). Each API is one store object (httpapi.ObjectKind), so every node
// sees the same state; writes are atomic store updates, and auto-deploy
// stages get a new deployment with every change.
package control

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/internal/httpapi"
	"github.com/cognate-dev/cognate/internal/store"
)

// Store is the part of store.Store the control plane uses.
type Store interface {
	CreateObject(ctx context.Context, o store.Object) (store.Object, error)
	PutObject(ctx context.Context, o store.Object) (store.Object, error)
	GetObject(ctx context.Context, kind, key string) (store.Object, error)
	UpdateObject(ctx context.Context, kind, key string, fn func(store.Object) (store.Object, error)) (store.Object, error)
	ListObjects(ctx context.Context, kind string, page store.Page) ([]store.Object, error)
	DeleteObject(ctx context.Context, kind, key string) error
}

// Gateway is the data plane the control plane updates at once (other
// nodes follow through the store).
type Gateway interface {
	Load(api *httpapi.API, version int64) error
	Remove(apiID string)
}

// Taken reports whether an API id is used by a REST API (ids are shared).
type Taken func(ctx context.Context, id string) bool

// Options configure a Service.
type Options struct {
	Store   Store
	Gateway Gateway
	// RESTAPIExists keeps new ids clear of REST APIs' ids (optional).
	RESTAPIExists Taken
	Region        string
	AccountID     string
	Now           func() time.Time
	Logger        *slog.Logger
	// Rate and Burst bound the request rate per node (defaults 100/s, 200).
	Rate, Burst float64
}

// Service is the apigatewayv2 control plane.
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

// IsPath reports whether p is an apigatewayv2 management path.
func IsPath(p string) bool {
	return p == "/v2/apis" || strings.HasPrefix(p, "/v2/apis/") || strings.HasPrefix(p, "/v2/tags/")
}

// Sync loads every stored API into the gateway (startup).
func (s *Service) Sync(ctx context.Context) error {
	page := store.Page{Limit: 500}
	for {
		objs, err := s.o.Store.ListObjects(ctx, httpapi.ObjectKind, page)
		if err != nil {
			return fmt.Errorf("list http apis: %w", err)
		}
		for _, o := range objs {
			var api httpapi.API
			if err := json.Unmarshal(o.Data, &api); err != nil {
				return fmt.Errorf("api %s: %w", o.Key, err)
			}
			if err := s.o.Gateway.Load(&api, o.Version); err != nil {
				s.log.Warn("load http api", "api", o.Key, "err", err)
			}
		}
		if len(objs) < page.Limit {
			return nil
		}
		page.After = objs[len(objs)-1].Key
	}
}

// contentID is a 6-character id derived from data.
func contentID(data []byte) string {
	sum := sha256.Sum256(data)
	b := make([]byte, 6)
	for i := range b {
		b[i] = idAlphabet[int(sum[i])%len(idAlphabet)]
	}
	return string(b)
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// newID returns n random lower-case alphanumerics, as AWS's ids.
func newID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return string(b)
}

// get loads an API.
func (s *Service) get(ctx context.Context, apiID string) (*httpapi.API, error) {
	o, err := s.o.Store.GetObject(ctx, httpapi.ObjectKind, apiID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, s.noAPI(apiID)
	}
	if err != nil {
		return nil, fmt.Errorf("get api %s: %w", apiID, err)
	}
	var api httpapi.API
	if err := json.Unmarshal(o.Data, &api); err != nil {
		return nil, fmt.Errorf("decode api %s: %w", apiID, err)
	}
	return &api, nil
}

func (s *Service) noAPI(apiID string) error {
	return notFound("Api", "Invalid API identifier specified %s:%s", s.o.AccountID, apiID)
}

// create stores a new API.
func (s *Service) create(ctx context.Context, api *httpapi.API) error {
	data, err := json.Marshal(api)
	if err != nil {
		return fmt.Errorf("encode api: %w", err)
	}
	o, err := s.o.Store.CreateObject(ctx, store.Object{Kind: httpapi.ObjectKind, Key: api.ID, Data: data, UpdatedAt: s.o.Now()})
	if errors.Is(err, store.ErrAlreadyExists) {
		return conflict("API %s already exists", api.ID)
	}
	if err != nil {
		return fmt.Errorf("store api: %w", err)
	}
	s.publish(api, o.Version)
	return nil
}

// update changes an API atomically with fn; changed says whether the
// deployable parts changed (auto-deploy stages then get a new deployment).
func (s *Service) update(ctx context.Context, apiID string, fn func(api *httpapi.API) (changed bool, err error)) (*httpapi.API, error) {
	var out *httpapi.API
	o, err := s.o.Store.UpdateObject(ctx, httpapi.ObjectKind, apiID, func(o store.Object) (store.Object, error) {
		var api httpapi.API
		if err := json.Unmarshal(o.Data, &api); err != nil {
			return o, fmt.Errorf("decode api %s: %w", apiID, err)
		}
		changed, err := fn(&api)
		if err != nil {
			return o, err
		}
		if err := validate(&api); err != nil {
			return o, err
		}
		if changed {
			s.autoDeploy(&api)
		}
		prune(&api)
		data, err := json.Marshal(&api)
		if err != nil {
			return o, fmt.Errorf("encode api: %w", err)
		}
		o.Data, o.UpdatedAt = data, s.o.Now()
		out = &api
		return o, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, s.noAPI(apiID)
	}
	if err != nil {
		return nil, err
	}
	s.publish(out, o.Version)
	return out, nil
}

func (s *Service) publish(api *httpapi.API, version int64) {
	if s.o.Gateway == nil {
		return
	}
	if err := s.o.Gateway.Load(api, version); err != nil {
		s.log.Warn("load http api", "api", api.ID, "err", err)
	}
}

// validate compiles the API's current definition: what would not deploy is
// a BadRequestException now, not a broken stage later.
func validate(api *httpapi.API) error {
	if err := httpapi.Validate(api.TakeSnapshot()); err != nil {
		return badRequest("%s", err.Error())
	}
	return nil
}

// deploy snapshots the API into a new deployment.
func (s *Service) deploy(api *httpapi.API, description string, auto bool) *httpapi.Deployment {
	d := &httpapi.Deployment{DeploymentID: newID(6), Description: description, DeploymentStatus: "DEPLOYED",
		AutoDeployed: auto, CreatedDate: s.o.Now().UTC().Truncate(time.Second), Snapshot: api.TakeSnapshot()}
	if api.Deployments == nil {
		api.Deployments = map[string]*httpapi.Deployment{}
	}
	api.Deployments[d.DeploymentID] = d
	return d
}

// autoDeploy deploys the API to its auto-deploy stages.
func (s *Service) autoDeploy(api *httpapi.API) {
	var d *httpapi.Deployment
	for _, st := range api.Stages {
		if !st.AutoDeploy {
			continue
		}
		if d == nil {
			d = s.deploy(api, "Automatic deployment triggered by changes to the Api configuration", true)
		}
		st.DeploymentID = d.DeploymentID
		st.LastUpdatedDate = d.CreatedDate
		st.LastDeploymentStatusMessage = "Successfully deployed stage with deployment ID '" + d.DeploymentID + "'"
	}
}

// maxDeployments bounds the deployments kept besides the ones stages use.
const maxDeployments = 20

// prune drops the oldest deployments no stage points at.
func prune(api *httpapi.API) {
	if len(api.Deployments) <= maxDeployments {
		return
	}
	used := map[string]bool{}
	for _, st := range api.Stages {
		used[st.DeploymentID] = true
	}
	for len(api.Deployments) > maxDeployments {
		var oldest *httpapi.Deployment
		for _, d := range api.Deployments {
			if !used[d.DeploymentID] && (oldest == nil || d.CreatedDate.Before(oldest.CreatedDate)) {
				oldest = d
			}
		}
		if oldest == nil {
			return
		}
		delete(api.Deployments, oldest.DeploymentID)
	}
}

// Rule is the IAM action and resource of a request, as AWS authorizes
// apigatewayv2 calls: apigateway:{METHOD} on arn:aws:apigateway:{region}::{path}.
func (s *Service) Rule(r *http.Request) (string, string) {
	return "apigateway:" + r.Method, "arn:aws:apigateway:" + s.o.Region + "::" + strings.TrimPrefix(r.URL.Path, "/v2")
}
