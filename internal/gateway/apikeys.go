package gateway

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

// API key sources (API.APIKeySource).
const (
	APIKeySourceHeader     = "HEADER"
	APIKeySourceAuthorizer = "AUTHORIZER"
)

// Quota periods of a usage plan.
const (
	QuotaDay   = "DAY"
	QuotaWeek  = "WEEK"
	QuotaMonth = "MONTH"
)

// KeyID is the id an API key gets from its name: stable, 10 lowercase
// characters like AWS's.
func KeyID(name string) string { return shortID(10, "apikey", name) }

// PlanID is the id a usage plan gets from its name (6 characters, like AWS's).
func PlanID(name string) string { return shortID(6, "usageplan", name) }

// APIKey is a key clients send in x-api-key (or that a Lambda authorizer
// returns as usageIdentifierKey with the AUTHORIZER key source).
type APIKey struct {
	ID      string
	Name    string
	Value   string
	Enabled bool
}

// UsagePlan meters the API keys associated with it on some API stages:
// a per-key token bucket and a per-key quota per day, week or month.
type UsagePlan struct {
	ID       string
	Name     string
	Stages   []PlanStage
	Throttle *PlanThrottle
	Quota    *PlanQuota
	KeyIDs   []string
}

// PlanStage is an API stage a usage plan covers.
type PlanStage struct{ APIID, Stage string }

// PlanThrottle is a per-key request rate limit (requests per second, burst).
type PlanThrottle struct {
	RateLimit  float64
	BurstLimit int
}

// PlanQuota is the number of requests a key may make per period.
type PlanQuota struct {
	Limit  int64
	Period string
}

// UsageStore keeps usage counters (see store.Usage); with a shared store
// every node enforces the same quotas.
type UsageStore interface {
	AddUsage(ctx context.Context, planID, keyID, period string, n, limit int64) (int64, bool, error)
	ListUsage(ctx context.Context, planID, keyID, from, to string) ([]store.UsageCount, error)
	TakeToken(ctx context.Context, key string, rate float64, burst int64, now time.Time) (bool, error)
}

var _ UsageStore = store.Usage(nil)

// usageState is the immutable set of keys and plans, swapped atomically.
type usageState struct {
	keys  map[[32]byte]*APIKey // by SHA-256 of the value
	plans map[string]*usagePlan
	// bindings maps key id and "apiID/stage" to the key's plan there.
	bindings map[string]*binding
}

type usagePlan struct {
	UsagePlan
}

// binding is one key under one plan (its throttle: throttleKey).
type binding struct {
	plan *usagePlan
}

// SetUsagePlans replaces the API keys and usage plans. A key may be in
// several plans but, as on AWS, in at most one plan per API stage. Counters
// kept in the store survive the change.
func (g *Gateway) SetUsagePlans(keys []APIKey, plans []UsagePlan) error {
	st := &usageState{keys: map[[32]byte]*APIKey{}, plans: map[string]*usagePlan{}, bindings: map[string]*binding{}}
	byID := map[string]*APIKey{}
	var errs []error
	for i := range keys {
		k := keys[i]
		if k.ID == "" || len(k.Value) < 20 {
			errs = append(errs, fmt.Errorf("api key %q: needs an id and a value of at least 20 characters", k.Name))
			continue
		}
		h := sha256.Sum256([]byte(k.Value))
		if _, dup := st.keys[h]; dup || byID[k.ID] != nil {
			errs = append(errs, fmt.Errorf("api key %q: duplicate value or id", k.Name))
			continue
		}
		st.keys[h], byID[k.ID] = &k, &k
	}
	for i := range plans {
		p := &usagePlan{plans[i]}
		if p.ID == "" || st.plans[p.ID] != nil {
			errs = append(errs, fmt.Errorf("usage plan %q: missing or duplicate id", p.Name))
			continue
		}
		if q := p.Quota; q != nil && (q.Limit < 0 || (q.Period != QuotaDay && q.Period != QuotaWeek && q.Period != QuotaMonth)) {
			errs = append(errs, fmt.Errorf("usage plan %q: quota needs a limit >= 0 and period DAY, WEEK or MONTH", p.Name))
			continue
		}
		st.plans[p.ID] = p
		for _, kid := range p.KeyIDs {
			if byID[kid] == nil {
				errs = append(errs, fmt.Errorf("usage plan %q: unknown api key %q", p.Name, kid))
				continue
			}
			for _, s := range p.Stages {
				b := kid + "\x00" + s.APIID + "/" + s.Stage
				if st.bindings[b] != nil {
					errs = append(errs, fmt.Errorf("usage plan %q: key %q is already in a plan on %s/%s", p.Name, kid, s.APIID, s.Stage))
					continue
				}
				st.bindings[b] = &binding{plan: p}
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("usage plans: %w", err)
	}
	g.usage.Store(st)
	return nil
}

// checkAPIKey admits a request of an apiKeyRequired method: a known,
// enabled key in a usage plan of this stage, within the plan's throttle and
// quota. Failures are AWS's: 403 Forbidden (INVALID_API_KEY), 429 Too Many
// Requests (THROTTLED), 429 Limit Exceeded (QUOTA_EXCEEDED).
func (x *exchange) checkAPIKey(value string) error {
	st := x.g.usage.Load()
	if value == "" {
		return gwErr(InvalidAPIKey, errors.New("no api key"))
	}
	key := st.keys[sha256.Sum256([]byte(value))]
	if key == nil || !key.Enabled {
		return gwErr(InvalidAPIKey, errors.New("unknown or disabled api key"))
	}
	b := st.bindings[key.ID+"\x00"+x.st.apiID+"/"+x.st.name]
	if b == nil {
		return gwErr(InvalidAPIKey, fmt.Errorf("api key %s is in no usage plan of this stage", key.ID))
	}
	x.apiKey, x.ctxMap = key, nil // $context.identity.apiKey{,Id} change
	if err := x.g.throttleKey(x.r.Context(), b, key.ID, x.st.apiID+"/"+x.st.name, x.start); err != nil {
		return err
	}
	return x.g.countUsage(x.r.Context(), b.plan, key.ID, x.start)
}

// countUsage adds one request to the key's counters: the quota period's
// (refused past the limit) and the day's, which GetUsage reports.
func (g *Gateway) countUsage(ctx context.Context, p *usagePlan, keyID string, now time.Time) error {
	us := g.usageStore()
	day := periodKey(QuotaDay, now)
	if q := p.Quota; q != nil {
		period := periodKey(q.Period, now)
		_, added, err := us.AddUsage(ctx, p.ID, keyID, period, 1, q.Limit)
		if err != nil {
			return gwErr(Default5XX, fmt.Errorf("count usage: %w", err))
		}
		if !added {
			return gwErr(QuotaExceeded, fmt.Errorf("api key %s over its %s quota", keyID, q.Period))
		}
		if period == day {
			return nil
		}
	}
	if _, _, err := us.AddUsage(ctx, p.ID, keyID, day, 1, -1); err != nil {
		g.log.Warn("count usage", "plan", p.ID, "key", keyID, "err", err)
	}
	return nil
}

func (g *Gateway) usageStore() UsageStore {
	if g.opts.Usage != nil {
		return g.opts.Usage
	}
	return g.memUsage
}

// PeriodKey names the quota period that contains t (UTC): "D2026-12-01",
// "W2026-11-30" (the week's Monday) or "M2026-12".
func PeriodKey(period string, t time.Time) string { return periodKey(period, t) }

func periodKey(period string, t time.Time) string {
	t = t.UTC()
	switch period {
	case QuotaWeek:
		monday := t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
		return "W" + monday.Format(time.DateOnly)
	case QuotaMonth:
		return "M" + t.Format("2006-01")
	}
	return "D" + t.Format(time.DateOnly)
}

// Usage is GetUsage's answer: per key, [used, remaining] for each day from
// StartDate to EndDate (remaining is the quota left in that day's period).
// On the wire the per-key map is "values" (the model's member "items" has
// locationName "values"; the SDKs and the CLI read that key).
type Usage struct {
	UsagePlanID string                `json:"usagePlanId"`
	StartDate   string                `json:"startDate"`
	EndDate     string                `json:"endDate"`
	Items       map[string][][2]int64 `json:"values"`
}

// GetUsage reports a usage plan's daily usage, as API Gateway's GetUsage:
// dates are yyyy-MM-dd (UTC), keyID narrows to one key.
func (g *Gateway) GetUsage(ctx context.Context, planID, keyID, startDate, endDate string) (*Usage, error) {
	p := g.usage.Load().plans[planID]
	if p == nil {
		return nil, fmt.Errorf("usage plan %q: %w", planID, store.ErrNotFound)
	}
	start, err1 := time.Parse(time.DateOnly, startDate)
	end, err2 := time.Parse(time.DateOnly, endDate)
	if err1 != nil || err2 != nil || end.Before(start) || end.Sub(start) > 90*24*time.Hour {
		return nil, fmt.Errorf("get usage: startDate and endDate must be yyyy-MM-dd, in order, at most 90 days apart")
	}
	rows, err := g.usageStore().ListUsage(ctx, planID, keyID, periodKey(QuotaDay, start), periodKey(QuotaDay, end))
	if err != nil {
		return nil, fmt.Errorf("get usage: %w", err)
	}
	used := map[string]map[string]int64{}
	for _, r := range rows {
		if used[r.KeyID] == nil {
			used[r.KeyID] = map[string]int64{}
		}
		used[r.KeyID][r.Period] = r.Count
	}
	keys := p.KeyIDs
	if keyID != "" {
		keys = []string{keyID}
	}
	out := &Usage{UsagePlanID: planID, StartDate: startDate, EndDate: endDate, Items: map[string][][2]int64{}}
	for _, k := range keys {
		if !slices.Contains(p.KeyIDs, k) {
			continue
		}
		var days [][2]int64
		for d := start; !d.After(end); d = d.AddDate(0, 0, 1) {
			n := used[k][periodKey(QuotaDay, d)]
			remaining := int64(-1)
			if q := p.Quota; q != nil {
				remaining = q.Limit - n
				if q.Period != QuotaDay {
					rs, err := g.usageStore().ListUsage(ctx, planID, k, periodKey(q.Period, d), periodKey(q.Period, d))
					if err != nil {
						return nil, fmt.Errorf("get usage: %w", err)
					}
					remaining = q.Limit
					for _, r := range rs {
						remaining -= r.Count
					}
				}
			}
			days = append(days, [2]int64{n, max(remaining, -1)})
		}
		out.Items[k] = days
	}
	return out, nil
}

// memUsage counts usage in memory when no store is configured (one node).
type memUsage struct {
	mu      sync.Mutex
	m       map[[3]string]int64
	buckets map[string]*memBucket
}

// AddUsage adds n unless the counter would pass limit.
func (m *memUsage) AddUsage(_ context.Context, planID, keyID, period string, n, limit int64) (int64, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := [3]string{planID, keyID, period}
	c := m.m[k]
	if limit >= 0 && c+n > limit {
		return c, false, nil
	}
	m.m[k] = c + n
	return c + n, true, nil
}

// ListUsage returns the counters of a plan in a period range.
func (m *memUsage) ListUsage(_ context.Context, planID, keyID, from, to string) ([]store.UsageCount, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.UsageCount
	for k, c := range m.m {
		if k[0] == planID && (keyID == "" || k[1] == keyID) && k[2] >= from && k[2] <= to {
			out = append(out, store.UsageCount{PlanID: k[0], KeyID: k[1], Period: k[2], Count: c})
		}
	}
	slices.SortFunc(out, func(a, b store.UsageCount) int {
		return strings.Compare(a.KeyID+"\x00"+a.Period, b.KeyID+"\x00"+b.Period)
	})
	return out, nil
}
