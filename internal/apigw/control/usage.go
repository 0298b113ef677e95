package control

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/gateway"
	"github.com/cognate-dev/cognate/internal/store"
)

// Store object kinds of API keys and usage plans.
const (
	kindAPIKey    = "apigw.apikey"
	kindUsagePlan = "apigw.usageplan"
)

// Sealer encrypts API key values at rest (*secret.Sealer).
type Sealer interface {
	Seal(plaintext, aad []byte) []byte
	Open(sealed, aad []byte) ([]byte, error)
}

// UsageGateway is the part of the gateway that enforces keys and plans and
// answers GetUsage.
type UsageGateway interface {
	SetUsagePlans(keys []gateway.APIKey, plans []gateway.UsagePlan) error
	GetUsage(ctx context.Context, planID, keyID, startDate, endDate string) (*gateway.Usage, error)
}

// apiKeyRecord is an API key as stored: the value sealed (GetApiKey with
// includeValue returns it, so it cannot be a one-way hash).
type apiKeyRecord struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	CustomerID  string            `json:"customerId,omitempty"`
	Enabled     bool              `json:"enabled"`
	Sealed      []byte            `json:"sealed"`
	StageKeys   []string          `json:"stageKeys,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	Created     float64           `json:"createdDate"`
	Updated     float64           `json:"lastUpdatedDate"`
	// Config marks keys the configuration file declares (re-applying the file rewrites them).
	Config bool `json:"config,omitempty"`
}

type planThrottle struct {
	BurstLimit int     `json:"burstLimit"`
	RateLimit  float64 `json:"rateLimit"`
}

type planQuota struct {
	Limit  int64  `json:"limit"`
	Offset int    `json:"offset"`
	Period string `json:"period"`
}

type planStage struct {
	APIID string `json:"apiId"`
	Stage string `json:"stage"`
}

// usagePlanRecord is a usage plan as stored (and, but for Config and
// KeyIDs, as API Gateway's UsagePlan shape).
type usagePlanRecord struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	APIStages   []planStage       `json:"apiStages"`
	Throttle    *planThrottle     `json:"throttle,omitempty"`
	Quota       *planQuota        `json:"quota,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	KeyIDs      []string          `json:"keyIds,omitempty"`
	Config      bool              `json:"config,omitempty"`
}

type apiKeyOut struct {
	ID              string            `json:"id"`
	Value           string            `json:"value,omitempty"`
	Name            string            `json:"name"`
	CustomerID      string            `json:"customerId,omitempty"`
	Description     string            `json:"description,omitempty"`
	Enabled         bool              `json:"enabled"`
	CreatedDate     float64           `json:"createdDate"`
	LastUpdatedDate float64           `json:"lastUpdatedDate"`
	StageKeys       []string          `json:"stageKeys"`
	Tags            map[string]string `json:"tags,omitempty"`
}

type usagePlanOut struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	APIStages   []planStage       `json:"apiStages"`
	Throttle    *planThrottle     `json:"throttle,omitempty"`
	Quota       *planQuota        `json:"quota,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
}

type usagePlanKeyOut struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	Value string `json:"value,omitempty"`
	Name  string `json:"name"`
}

// keyAAD binds a sealed value to its key id.
func keyAAD(id string) []byte { return []byte("apigw.apikey/" + id) }

// MinKeyValue is the shortest API key value API Gateway accepts.
const MinKeyValue = 20

func (s *Service) keyValue(k *apiKeyRecord) (string, error) {
	if s.o.Sealer == nil {
		return "", errors.New("api keys: no sealer configured")
	}
	v, err := s.o.Sealer.Open(k.Sealed, keyAAD(k.ID))
	if err != nil {
		return "", fmt.Errorf("open api key %s: %w", k.ID, err)
	}
	return string(v), nil
}

func (s *Service) keyOut(k *apiKeyRecord, withValue bool) (apiKeyOut, error) {
	out := apiKeyOut{ID: k.ID, Name: k.Name, CustomerID: k.CustomerID, Description: k.Description, Enabled: k.Enabled,
		CreatedDate: k.Created, LastUpdatedDate: k.Updated, StageKeys: k.StageKeys, Tags: k.Tags}
	if out.StageKeys == nil {
		out.StageKeys = []string{}
	}
	if withValue {
		v, err := s.keyValue(k)
		if err != nil {
			return out, err
		}
		out.Value = v
	}
	return out, nil
}

func planOut(p *usagePlanRecord) usagePlanOut {
	out := usagePlanOut{ID: p.ID, Name: p.Name, Description: p.Description, APIStages: p.APIStages, Throttle: p.Throttle, Quota: p.Quota, Tags: p.Tags}
	if out.APIStages == nil {
		out.APIStages = []planStage{}
	}
	return out
}

func listAll[T any](ctx context.Context, st Store, kind string) ([]T, error) {
	var out []T
	pg := store.Page{Limit: 500}
	for {
		objs, err := st.ListObjects(ctx, kind, pg)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", kind, err)
		}
		for _, o := range objs {
			var v T
			if err := json.Unmarshal(o.Data, &v); err != nil {
				return nil, fmt.Errorf("decode %s %s: %w", kind, o.Key, err)
			}
			out = append(out, v)
		}
		if len(objs) < pg.Limit {
			return out, nil
		}
		pg.After = objs[len(objs)-1].Key
	}
}

func getRecord[T any](ctx context.Context, st Store, kind, id string, missing error) (*T, error) {
	o, err := st.GetObject(ctx, kind, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, missing
	}
	if err != nil {
		return nil, err
	}
	var v T
	if err := json.Unmarshal(o.Data, &v); err != nil {
		return nil, fmt.Errorf("decode %s %s: %w", kind, id, err)
	}
	return &v, nil
}

func updateRecord[T any](ctx context.Context, s *Service, kind, id string, missing error, fn func(*T) error) (*T, error) {
	var out T
	_, err := s.o.Store.UpdateObject(ctx, kind, id, func(o store.Object) (store.Object, error) {
		var v T
		if err := json.Unmarshal(o.Data, &v); err != nil {
			return o, fmt.Errorf("decode %s %s: %w", kind, id, err)
		}
		if err := fn(&v); err != nil {
			return o, err
		}
		data, err := json.Marshal(&v)
		if err != nil {
			return o, err
		}
		o.Data, o.UpdatedAt, out = data, s.o.Now(), v
		return o, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, missing
	}
	if err != nil {
		return nil, err
	}
	return &out, nil
}

var (
	errKeyNotFound  = notFound("Invalid API Key identifier specified")
	errPlanNotFound = notFound("Invalid Usage Plan ID specified")
)

// SyncUsage loads every API key and usage plan from the store into the
// gateway; every node runs it (Run), so keys and plans created on one node
// are enforced by all within a second.
func (s *Service) SyncUsage(ctx context.Context) error {
	if s.o.Usage == nil {
		return nil
	}
	keys, err := listAll[apiKeyRecord](ctx, s.o.Store, kindAPIKey)
	if err != nil {
		return err
	}
	plans, err := listAll[usagePlanRecord](ctx, s.o.Store, kindUsagePlan)
	if err != nil {
		return err
	}
	gk := make([]gateway.APIKey, 0, len(keys))
	loaded := map[string]bool{}
	for i := range keys {
		v, err := s.keyValue(&keys[i])
		if err != nil {
			// Sealed under another server key: this key admits nothing, the others still work.
			s.log.Warn("api key cannot be opened; it is refused until re-created", "key", keys[i].ID, "err", err)
			continue
		}
		gk = append(gk, gateway.APIKey{ID: keys[i].ID, Name: keys[i].Name, Value: v, Enabled: keys[i].Enabled})
		loaded[keys[i].ID] = true
	}
	gp := make([]gateway.UsagePlan, 0, len(plans))
	for _, p := range plans {
		up := gateway.UsagePlan{ID: p.ID, Name: p.Name}
		for _, k := range p.KeyIDs {
			if loaded[k] { // a plan may name a key deleted meanwhile
				up.KeyIDs = append(up.KeyIDs, k)
			}
		}
		for _, st := range p.APIStages {
			up.Stages = append(up.Stages, gateway.PlanStage{APIID: st.APIID, Stage: st.Stage})
		}
		if t := p.Throttle; t != nil {
			up.Throttle = &gateway.PlanThrottle{RateLimit: t.RateLimit, BurstLimit: t.BurstLimit}
		}
		if q := p.Quota; q != nil {
			up.Quota = &gateway.PlanQuota{Limit: q.Limit, Period: q.Period}
		}
		gp = append(gp, up)
	}
	return s.o.Usage.SetUsagePlans(gk, gp)
}

// RunUsage re-loads keys and plans every interval until ctx ends.
func (s *Service) RunUsage(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.SyncUsage(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("usage plan sync", "err", err)
			}
		}
	}
}

// synced applies a change on this node at once (others follow within RunUsage's interval).
func (s *Service) synced(ctx context.Context) {
	if err := s.SyncUsage(ctx); err != nil {
		s.log.Warn("usage plan sync", "err", err)
	}
}

// ConfigKey is an API key the configuration file declares.
type ConfigKey struct {
	Name, Value string
	Enabled     bool
}

// ConfigPlan is a usage plan the configuration file declares.
type ConfigPlan struct {
	Name     string
	Stages   []gateway.PlanStage
	Throttle *gateway.PlanThrottle
	Quota    *gateway.PlanQuota
	Keys     []string // key names
}

// AdoptConfigUsage stores the configuration file's API keys and usage plans
// (ids derived from their names, as before they were stored), removes the
// ones an earlier file declared and this one does not, and loads the result
// into the gateway. Keys and plans created through the API are untouched.
func (s *Service) AdoptConfigUsage(ctx context.Context, keys []ConfigKey, plans []ConfigPlan) error {
	if s.o.Sealer == nil {
		if len(keys) > 0 {
			return errors.New("api keys: no sealer configured")
		}
	}
	now := s.epoch()
	want := map[string]bool{}
	for _, k := range keys {
		if len(k.Value) < MinKeyValue {
			return fmt.Errorf("api key %q: value must be at least %d characters", k.Name, MinKeyValue)
		}
		id := gateway.KeyID(k.Name)
		want[kindAPIKey+"/"+id] = true
		rec := apiKeyRecord{ID: id, Name: k.Name, Enabled: k.Enabled, Created: now, Updated: now, Config: true}
		if old, err := getRecord[apiKeyRecord](ctx, s.o.Store, kindAPIKey, id, errKeyNotFound); err == nil {
			rec.Created, rec.Tags, rec.StageKeys, rec.Description, rec.CustomerID = old.Created, old.Tags, old.StageKeys, old.Description, old.CustomerID
			if v, err := s.keyValue(old); err == nil && v == k.Value && old.Enabled == k.Enabled && old.Name == k.Name {
				continue // unchanged: keep the stored record (and its dates)
			}
		}
		rec.Sealed = s.o.Sealer.Seal([]byte(k.Value), keyAAD(id))
		if err := s.put(ctx, kindAPIKey, id, &rec); err != nil {
			return err
		}
	}
	for _, p := range plans {
		id := gateway.PlanID(p.Name)
		want[kindUsagePlan+"/"+id] = true
		rec := usagePlanRecord{ID: id, Name: p.Name, Config: true, APIStages: []planStage{}}
		for _, st := range p.Stages {
			rec.APIStages = append(rec.APIStages, planStage{APIID: st.APIID, Stage: st.Stage})
		}
		if t := p.Throttle; t != nil {
			rec.Throttle = &planThrottle{BurstLimit: t.BurstLimit, RateLimit: t.RateLimit}
		}
		if q := p.Quota; q != nil {
			rec.Quota = &planQuota{Limit: q.Limit, Period: q.Period}
		}
		for _, k := range p.Keys {
			rec.KeyIDs = append(rec.KeyIDs, gateway.KeyID(k))
		}
		if old, err := getRecord[usagePlanRecord](ctx, s.o.Store, kindUsagePlan, id, errPlanNotFound); err == nil {
			rec.Tags, rec.Description = old.Tags, old.Description
		}
		if err := s.put(ctx, kindUsagePlan, id, &rec); err != nil {
			return err
		}
	}
	// Drop what an earlier file declared and this one no longer does.
	oldKeys, err := listAll[apiKeyRecord](ctx, s.o.Store, kindAPIKey)
	if err != nil {
		return err
	}
	for _, k := range oldKeys {
		if k.Config && !want[kindAPIKey+"/"+k.ID] {
			if err := s.deleteKeyEverywhere(ctx, k.ID); err != nil {
				return err
			}
		}
	}
	oldPlans, err := listAll[usagePlanRecord](ctx, s.o.Store, kindUsagePlan)
	if err != nil {
		return err
	}
	for _, p := range oldPlans {
		if p.Config && !want[kindUsagePlan+"/"+p.ID] {
			if err := s.o.Store.DeleteObject(ctx, kindUsagePlan, p.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
	}
	return s.SyncUsage(ctx)
}

func (s *Service) put(ctx context.Context, kind, id string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := s.o.Store.PutObject(ctx, store.Object{Kind: kind, Key: id, Data: data, UpdatedAt: s.o.Now()}); err != nil {
		return fmt.Errorf("store %s %s: %w", kind, id, err)
	}
	return nil
}

// --- API keys ---

type stageKeyIn struct {
	RestAPIID string `json:"restApiId"`
	StageName string `json:"stageName"`
}

func (s *Service) createAPIKey(w http.ResponseWriter, r *http.Request, _ params) error {
	var in struct {
		Name               string            `json:"name"`
		Description        string            `json:"description"`
		Enabled            bool              `json:"enabled"`
		GenerateDistinctID bool              `json:"generateDistinctId"`
		Value              string            `json:"value"`
		StageKeys          []stageKeyIn      `json:"stageKeys"`
		CustomerID         string            `json:"customerId"`
		Tags               map[string]string `json:"tags"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if s.o.Sealer == nil {
		return errors.New("api keys: no sealer configured")
	}
	if in.Value == "" {
		in.Value = (rand.Text() + rand.Text())[:40] // 40 characters, like the keys API Gateway generates
	} else if len(in.Value) < MinKeyValue {
		return badRequest("API Key value should be at least %d characters", MinKeyValue)
	} else if len(in.Value) > 128 {
		return badRequest("API Key value should be at most 128 characters")
	}
	ctx := r.Context()
	existing, err := listAll[apiKeyRecord](ctx, s.o.Store, kindAPIKey)
	if err != nil {
		return err
	}
	for i := range existing {
		if v, err := s.keyValue(&existing[i]); err == nil && v == in.Value {
			return conflict("API Key already exists")
		}
	}
	now := s.epoch()
	rec := apiKeyRecord{ID: newID(10), Name: in.Name, Description: in.Description, CustomerID: in.CustomerID, Enabled: in.Enabled,
		Tags: in.Tags, Created: now, Updated: now}
	if rec.Name == "" {
		rec.Name = rec.ID
	}
	for _, sk := range in.StageKeys {
		rec.StageKeys = append(rec.StageKeys, sk.RestAPIID+"/"+sk.StageName)
	}
	rec.Sealed = s.o.Sealer.Seal([]byte(in.Value), keyAAD(rec.ID))
	data, err := json.Marshal(&rec)
	if err != nil {
		return err
	}
	if _, err := s.o.Store.CreateObject(ctx, store.Object{Kind: kindAPIKey, Key: rec.ID, Data: data, UpdatedAt: s.o.Now()}); err != nil {
		return fmt.Errorf("store api key: %w", err)
	}
	s.synced(ctx)
	out, err := s.keyOut(&rec, true)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

func (s *Service) getAPIKeys(w http.ResponseWriter, r *http.Request, _ params) error {
	keys, err := listAll[apiKeyRecord](r.Context(), s.o.Store, kindAPIKey)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	withValues := q.Get("includeValues") == "true"
	byID := map[string]*apiKeyRecord{}
	var ids []string
	for i := range keys {
		k := &keys[i]
		if n := q.Get("name"); n != "" && !strings.HasPrefix(k.Name, n) {
			continue // nameQuery matches names by prefix
		}
		if c := q.Get("customerId"); c != "" && k.CustomerID != c {
			continue
		}
		byID[k.ID] = k
		ids = append(ids, k.ID)
	}
	slices.Sort(ids)
	pg, next, err := page(r, ids)
	if err != nil {
		return err
	}
	out := list[apiKeyOut]{Items: []apiKeyOut{}, Position: next}
	for _, id := range pg {
		k, err := s.keyOut(byID[id], withValues)
		if err != nil {
			return err
		}
		out.Items = append(out.Items, k)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Service) getAPIKey(w http.ResponseWriter, r *http.Request, p params) error {
	k, err := getRecord[apiKeyRecord](r.Context(), s.o.Store, kindAPIKey, p["key"], errKeyNotFound)
	if err != nil {
		return err
	}
	out, err := s.keyOut(k, r.URL.Query().Get("includeValue") == "true")
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Service) updateAPIKey(w http.ResponseWriter, r *http.Request, p params) error {
	var in struct {
		PatchOperations []patchOp `json:"patchOperations"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	k, err := updateRecord(r.Context(), s, kindAPIKey, p["key"], errKeyNotFound, func(k *apiKeyRecord) error {
		for _, op := range in.PatchOperations {
			v := ""
			if op.Value != nil {
				v = *op.Value
			}
			if op.Op != "replace" {
				return badRequest("Invalid patch operation specified. Must be 'replace'")
			}
			switch op.Path {
			case "/name":
				k.Name = v
			case "/description":
				k.Description = v
			case "/customerId":
				k.CustomerID = v
			case "/enabled":
				b, err := strconv.ParseBool(v)
				if err != nil {
					return badRequest("Invalid value for /enabled: %s", v)
				}
				k.Enabled = b
			default:
				return badRequest("Invalid patch path '%s' specified for op 'replace'. Must be one of: [/name, /description, /customerId, /enabled]", op.Path)
			}
		}
		k.Updated = s.epoch()
		return nil
	})
	if err != nil {
		return err
	}
	s.synced(r.Context())
	out, err := s.keyOut(k, false)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// deleteKeyEverywhere deletes a key and takes it out of every plan.
func (s *Service) deleteKeyEverywhere(ctx context.Context, id string) error {
	plans, err := listAll[usagePlanRecord](ctx, s.o.Store, kindUsagePlan)
	if err != nil {
		return err
	}
	for _, pl := range plans {
		if !slices.Contains(pl.KeyIDs, id) {
			continue
		}
		if _, err := updateRecord(ctx, s, kindUsagePlan, pl.ID, errPlanNotFound, func(p *usagePlanRecord) error {
			p.KeyIDs = slices.DeleteFunc(p.KeyIDs, func(k string) bool { return k == id })
			return nil
		}); err != nil && !errors.Is(err, errPlanNotFound) {
			return err
		}
	}
	err = s.o.Store.DeleteObject(ctx, kindAPIKey, id)
	if errors.Is(err, store.ErrNotFound) {
		return errKeyNotFound
	}
	return err
}

func (s *Service) deleteAPIKey(w http.ResponseWriter, r *http.Request, p params) error {
	if err := s.deleteKeyEverywhere(r.Context(), p["key"]); err != nil {
		return err
	}
	s.synced(r.Context())
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// --- usage plans ---

// checkPlan validates a plan's throttle, quota and stages.
func (s *Service) checkPlan(ctx context.Context, p *usagePlanRecord) error {
	if t := p.Throttle; t != nil && (t.RateLimit < 0 || t.BurstLimit < 0) {
		return badRequest("Throttle rateLimit and burstLimit must be non-negative")
	}
	if q := p.Quota; q != nil {
		switch q.Period {
		case gateway.QuotaDay, gateway.QuotaWeek, gateway.QuotaMonth:
		default:
			return badRequest("1 validation error detected: Value '%s' at 'quota.period' failed to satisfy constraint: Member must satisfy enum value set: [DAY, WEEK, MONTH]", q.Period)
		}
		if q.Limit < 0 {
			return badRequest("Quota limit must be non-negative")
		}
		if q.Offset != 0 {
			// Offsets shift the period's start; Cognate's periods start at
			// 00:00 UTC, Mondays and the 1st, so only 0 is accepted.
			return badRequest("Cognate supports quota offset 0 only")
		}
	}
	seen := map[string]bool{}
	for _, st := range p.APIStages {
		a, err := s.load(ctx, st.APIID)
		if err != nil {
			return badRequest("Invalid API identifier specified %s:%s", s.o.AccountID, st.APIID)
		}
		if a.Stages[st.Stage] == nil {
			return badRequest("Invalid stage identifier specified")
		}
		if seen[st.APIID+"/"+st.Stage] {
			return conflict("Stage %s of API %s is already in this usage plan", st.Stage, st.APIID)
		}
		seen[st.APIID+"/"+st.Stage] = true
	}
	return s.checkKeyStages(ctx, p)
}

// checkKeyStages refuses a key in two plans on one API stage ("An API key
// can be associated with more than one usage plan ... but not on the same
// API stage"); where AWS's message is not documented, this one says what
// conflicts.
func (s *Service) checkKeyStages(ctx context.Context, p *usagePlanRecord) error {
	plans, err := listAll[usagePlanRecord](ctx, s.o.Store, kindUsagePlan)
	if err != nil {
		return err
	}
	for _, other := range plans {
		if other.ID == p.ID {
			continue
		}
		for _, k := range p.KeyIDs {
			if !slices.Contains(other.KeyIDs, k) {
				continue
			}
			for _, a := range p.APIStages {
				if slices.Contains(other.APIStages, a) {
					return conflict("API Key %s is already in usage plan %s on stage %s:%s", k, other.ID, a.APIID, a.Stage)
				}
			}
		}
	}
	return nil
}

func (s *Service) createUsagePlan(w http.ResponseWriter, r *http.Request, _ params) error {
	var in struct {
		Name        string            `json:"name"`
		Description string            `json:"description"`
		APIStages   []planStage       `json:"apiStages"`
		Throttle    *planThrottle     `json:"throttle"`
		Quota       *planQuota        `json:"quota"`
		Tags        map[string]string `json:"tags"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Name == "" {
		return badRequest("Usage Plan name must be non-empty")
	}
	rec := usagePlanRecord{ID: newID(6), Name: in.Name, Description: in.Description, APIStages: in.APIStages,
		Throttle: in.Throttle, Quota: in.Quota, Tags: in.Tags}
	if rec.APIStages == nil {
		rec.APIStages = []planStage{}
	}
	ctx := r.Context()
	if err := s.checkPlan(ctx, &rec); err != nil {
		return err
	}
	data, err := json.Marshal(&rec)
	if err != nil {
		return err
	}
	if _, err := s.o.Store.CreateObject(ctx, store.Object{Kind: kindUsagePlan, Key: rec.ID, Data: data, UpdatedAt: s.o.Now()}); err != nil {
		return fmt.Errorf("store usage plan: %w", err)
	}
	s.synced(ctx)
	return writeJSON(w, http.StatusCreated, planOut(&rec))
}

func (s *Service) getUsagePlans(w http.ResponseWriter, r *http.Request, _ params) error {
	plans, err := listAll[usagePlanRecord](r.Context(), s.o.Store, kindUsagePlan)
	if err != nil {
		return err
	}
	keyID := r.URL.Query().Get("keyId")
	byID := map[string]*usagePlanRecord{}
	var ids []string
	for i := range plans {
		if keyID != "" && !slices.Contains(plans[i].KeyIDs, keyID) {
			continue
		}
		byID[plans[i].ID] = &plans[i]
		ids = append(ids, plans[i].ID)
	}
	slices.Sort(ids)
	pg, next, err := page(r, ids)
	if err != nil {
		return err
	}
	out := list[usagePlanOut]{Items: []usagePlanOut{}, Position: next}
	for _, id := range pg {
		out.Items = append(out.Items, planOut(byID[id]))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Service) getUsagePlan(w http.ResponseWriter, r *http.Request, p params) error {
	pl, err := getRecord[usagePlanRecord](r.Context(), s.o.Store, kindUsagePlan, p["plan"], errPlanNotFound)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, planOut(pl))
}

func (s *Service) updateUsagePlan(w http.ResponseWriter, r *http.Request, p params) error {
	var in struct {
		PatchOperations []patchOp `json:"patchOperations"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	ctx := r.Context()
	pl, err := updateRecord(ctx, s, kindUsagePlan, p["plan"], errPlanNotFound, func(pl *usagePlanRecord) error {
		for _, op := range in.PatchOperations {
			if err := patchPlan(pl, op); err != nil {
				return err
			}
		}
		return s.checkPlan(ctx, pl)
	})
	if err != nil {
		return err
	}
	s.synced(ctx)
	return writeJSON(w, http.StatusOK, planOut(pl))
}

// patchPlan applies one UpdateUsagePlan patch operation.
func patchPlan(pl *usagePlanRecord, op patchOp) error {
	v := ""
	if op.Value != nil {
		v = *op.Value
	}
	num := func() (float64, error) {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, badRequest("Invalid value '%s' for %s", v, op.Path)
		}
		return f, nil
	}
	switch {
	case op.Path == "/apiStages" && (op.Op == "add" || op.Op == "remove"):
		apiID, stage, ok := strings.Cut(v, ":")
		if !ok || apiID == "" || stage == "" {
			return badRequest("Invalid API Stage specified: %s (want apiId:stage)", v)
		}
		ps := planStage{APIID: apiID, Stage: stage}
		if op.Op == "add" {
			pl.APIStages = append(pl.APIStages, ps)
		} else if i := slices.Index(pl.APIStages, ps); i >= 0 {
			pl.APIStages = slices.Delete(pl.APIStages, i, i+1)
		} else {
			return notFound("Invalid API Stage specified: %s", v)
		}
		return nil
	case op.Op == "remove" && op.Path == "/throttle":
		pl.Throttle = nil
		return nil
	case op.Op == "remove" && op.Path == "/quota":
		pl.Quota = nil
		return nil
	case op.Op != "replace":
		return badRequest("Invalid patch operation specified. Must be one of: [replace] for path %s", op.Path)
	}
	switch op.Path {
	case "/name":
		pl.Name = v
	case "/description":
		pl.Description = v
	case "/throttle/rateLimit", "/throttle/burstLimit":
		f, err := num()
		if err != nil {
			return err
		}
		if pl.Throttle == nil {
			pl.Throttle = &planThrottle{}
		}
		if op.Path == "/throttle/rateLimit" {
			pl.Throttle.RateLimit = f
		} else {
			pl.Throttle.BurstLimit = int(f)
		}
	case "/quota/limit", "/quota/offset", "/quota/period":
		if pl.Quota == nil {
			pl.Quota = &planQuota{Period: gateway.QuotaDay}
		}
		if op.Path == "/quota/period" {
			pl.Quota.Period = v
			return nil
		}
		f, err := num()
		if err != nil {
			return err
		}
		if op.Path == "/quota/limit" {
			pl.Quota.Limit = int64(f)
		} else {
			pl.Quota.Offset = int(f)
		}
	default:
		return badRequest("Invalid patch path '%s' specified for op '%s'. Must be one of: [/name, /description, /throttle/rateLimit, /throttle/burstLimit, /quota/limit, /quota/offset, /quota/period, /apiStages]", op.Path, op.Op)
	}
	return nil
}

func (s *Service) deleteUsagePlan(w http.ResponseWriter, r *http.Request, p params) error {
	err := s.o.Store.DeleteObject(r.Context(), kindUsagePlan, p["plan"])
	if errors.Is(err, store.ErrNotFound) {
		return errPlanNotFound
	}
	if err != nil {
		return err
	}
	s.synced(r.Context())
	w.WriteHeader(http.StatusAccepted)
	return nil
}

func (s *Service) usagePlanKeyOut(ctx context.Context, id string) (usagePlanKeyOut, error) {
	k, err := getRecord[apiKeyRecord](ctx, s.o.Store, kindAPIKey, id, errKeyNotFound)
	if err != nil {
		return usagePlanKeyOut{}, err
	}
	v, err := s.keyValue(k)
	if err != nil {
		return usagePlanKeyOut{}, err
	}
	return usagePlanKeyOut{ID: k.ID, Type: "API_KEY", Value: v, Name: k.Name}, nil
}

func (s *Service) createUsagePlanKey(w http.ResponseWriter, r *http.Request, p params) error {
	var in struct {
		KeyID   string `json:"keyId"`
		KeyType string `json:"keyType"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.KeyType != "API_KEY" {
		return badRequest("1 validation error detected: Value '%s' at 'keyType' failed to satisfy constraint: Member must satisfy enum value set: [API_KEY]", in.KeyType)
	}
	ctx := r.Context()
	if _, err := getRecord[apiKeyRecord](ctx, s.o.Store, kindAPIKey, in.KeyID, errKeyNotFound); err != nil {
		return err
	}
	if _, err := updateRecord(ctx, s, kindUsagePlan, p["plan"], errPlanNotFound, func(pl *usagePlanRecord) error {
		if slices.Contains(pl.KeyIDs, in.KeyID) {
			return conflict("Usage Plan %s cannot be added because API Key %s already belongs to it", pl.ID, in.KeyID)
		}
		pl.KeyIDs = append(pl.KeyIDs, in.KeyID)
		return s.checkKeyStages(ctx, pl)
	}); err != nil {
		return err
	}
	s.synced(ctx)
	out, err := s.usagePlanKeyOut(ctx, in.KeyID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

func (s *Service) getUsagePlanKeys(w http.ResponseWriter, r *http.Request, p params) error {
	ctx := r.Context()
	pl, err := getRecord[usagePlanRecord](ctx, s.o.Store, kindUsagePlan, p["plan"], errPlanNotFound)
	if err != nil {
		return err
	}
	ids := slices.Sorted(slices.Values(pl.KeyIDs))
	pg, next, err := page(r, ids)
	if err != nil {
		return err
	}
	out := list[usagePlanKeyOut]{Items: []usagePlanKeyOut{}, Position: next}
	for _, id := range pg {
		k, err := s.usagePlanKeyOut(ctx, id)
		if errors.Is(err, errKeyNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		out.Items = append(out.Items, k)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Service) getUsagePlanKey(w http.ResponseWriter, r *http.Request, p params) error {
	ctx := r.Context()
	pl, err := getRecord[usagePlanRecord](ctx, s.o.Store, kindUsagePlan, p["plan"], errPlanNotFound)
	if err != nil {
		return err
	}
	if !slices.Contains(pl.KeyIDs, p["key"]) {
		return notFound("Invalid Usage Plan Key identifier specified")
	}
	out, err := s.usagePlanKeyOut(ctx, p["key"])
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Service) deleteUsagePlanKey(w http.ResponseWriter, r *http.Request, p params) error {
	ctx := r.Context()
	if _, err := updateRecord(ctx, s, kindUsagePlan, p["plan"], errPlanNotFound, func(pl *usagePlanRecord) error {
		i := slices.Index(pl.KeyIDs, p["key"])
		if i < 0 {
			return notFound("Invalid Usage Plan Key identifier specified")
		}
		pl.KeyIDs = slices.Delete(pl.KeyIDs, i, i+1)
		return nil
	}); err != nil {
		return err
	}
	s.synced(ctx)
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// getUsage is GetUsage (GET /usageplans/{id}/usage?startDate&endDate[&keyId]).
func (s *Service) getUsage(w http.ResponseWriter, r *http.Request, p params) error {
	if s.o.Usage == nil {
		return errPlanNotFound
	}
	q := r.URL.Query()
	if q.Get("startDate") == "" || q.Get("endDate") == "" {
		return badRequest("startDate and endDate are required")
	}
	if _, err := getRecord[usagePlanRecord](r.Context(), s.o.Store, kindUsagePlan, p["plan"], errPlanNotFound); err != nil {
		return err
	}
	u, err := s.o.Usage.GetUsage(r.Context(), p["plan"], q.Get("keyId"), q.Get("startDate"), q.Get("endDate"))
	if errors.Is(err, store.ErrNotFound) {
		// Stored, but not yet loaded on this node: the next sync has it.
		s.synced(r.Context())
		u, err = s.o.Usage.GetUsage(r.Context(), p["plan"], q.Get("keyId"), q.Get("startDate"), q.Get("endDate"))
	}
	if errors.Is(err, store.ErrNotFound) {
		return errPlanNotFound
	}
	if err != nil {
		return badRequest("%s", err.Error())
	}
	return writeJSON(w, http.StatusOK, u)
}

// UsageCounter adjusts usage counters (store.Usage's AddUsage).
type UsageCounter interface {
	AddUsage(ctx context.Context, planID, keyID, period string, n, limit int64) (int64, bool, error)
	ListUsage(ctx context.Context, planID, keyID, from, to string) ([]store.UsageCount, error)
}

// updateUsage is UpdateUsage (PATCH /usageplans/{id}/keys/{keyId}/usage):
// "replace /remaining N" grants the key N remaining requests in the current
// quota period (the counter becomes limit − N, below zero when N exceeds
// the limit, which is the temporary extension AWS describes). It answers
// the key's usage of today.
func (s *Service) updateUsage(w http.ResponseWriter, r *http.Request, p params) error {
	var in struct {
		PatchOperations []patchOp `json:"patchOperations"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	ctx := r.Context()
	pl, err := getRecord[usagePlanRecord](ctx, s.o.Store, kindUsagePlan, p["plan"], errPlanNotFound)
	if err != nil {
		return err
	}
	if !slices.Contains(pl.KeyIDs, p["key"]) {
		return notFound("Invalid Usage Plan Key identifier specified")
	}
	if pl.Quota == nil {
		return badRequest("Usage Plan %s has no quota", pl.ID)
	}
	counter, ok := s.o.Store.(UsageCounter)
	if !ok || s.o.Usage == nil {
		return errors.New("update usage: no usage store")
	}
	now := s.o.Now()
	for _, op := range in.PatchOperations {
		if op.Op != "replace" || op.Path != "/remaining" || op.Value == nil {
			return badRequest("Invalid patch path '%s' specified for op '%s'. Must be one of: [/remaining]", op.Path, op.Op)
		}
		remaining, err := strconv.ParseInt(*op.Value, 10, 64)
		if err != nil || remaining < 0 {
			return badRequest("Invalid value for /remaining: %s", *op.Value)
		}
		period := gateway.PeriodKey(pl.Quota.Period, now)
		rows, err := counter.ListUsage(ctx, pl.ID, p["key"], period, period)
		if err != nil {
			return err
		}
		var used int64
		for _, row := range rows {
			used += row.Count
		}
		if _, _, err := counter.AddUsage(ctx, pl.ID, p["key"], period, pl.Quota.Limit-remaining-used, -1); err != nil {
			return fmt.Errorf("update usage: %w", err)
		}
	}
	day := now.UTC().Format(time.DateOnly)
	u, err := s.o.Usage.GetUsage(ctx, pl.ID, p["key"], day, day)
	if err != nil {
		return badRequest("%s", err.Error())
	}
	return writeJSON(w, http.StatusOK, u)
}
