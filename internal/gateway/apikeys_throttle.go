package gateway

import (
	"context"
	"fmt"
	"time"
)

// throttleKey applies a usage plan's per-key throttle. With a store
// (Options.Usage) the token bucket is the store's, shared by every node, so
// a key gets the plan's rate across the cluster, not per node; it costs one
// row update per keyed request, like the quota. Without a store the bucket
// is in this node's memory. A store failure refuses the request (500),
// never admits it.
func (g *Gateway) throttleKey(ctx context.Context, b *binding, keyID, stage string, now time.Time) error {
	t := b.plan.Throttle
	if t == nil {
		return nil
	}
	ok, err := g.usageStore().TakeToken(ctx, b.plan.ID+"/"+keyID+"/"+stage, t.RateLimit, int64(max(t.BurstLimit, 1)), now)
	if err != nil {
		return gwErr(Default5XX, fmt.Errorf("api key throttle: %w", err))
	}
	if !ok {
		return gwErr(Throttled, fmt.Errorf("api key %s throttled", keyID))
	}
	return nil
}

// memBucket is an in-memory token bucket of memUsage.
type memBucket struct {
	tokens float64
	at     time.Time
}

// TakeToken takes a token from an in-memory bucket (one node, no store):
// it starts full, refills at rate per second up to burst.
func (m *memUsage) TakeToken(_ context.Context, key string, rate float64, burst int64, now time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.buckets == nil {
		m.buckets = map[string]*memBucket{}
	}
	b := m.buckets[key]
	if b == nil {
		b = &memBucket{tokens: float64(burst), at: now}
		m.buckets[key] = b
	}
	if d := now.Sub(b.at); d > 0 {
		b.tokens, b.at = min(float64(burst), b.tokens+d.Seconds()*rate), now
	}
	b.tokens = min(b.tokens, float64(burst))
	if b.tokens < 1 {
		return false, nil
	}
	b.tokens--
	return true, nil
}
