package userpool

import (
	"context"
	"net/netip"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/internal/awsjson"
)

// msgRateExceeded is Cognito's TooManyRequestsException message.
const msgRateExceeded = "Rate exceeded"

// sourceLimiter is a token bucket per source address, kept in memory: each
// node counts on its own, like the gateway's per-stage buckets.
type sourceLimiter struct {
	rate  float64 // tokens per second
	burst float64
	now   func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// sweepEvery is how often idle (full) buckets are dropped.
const sweepEvery = time.Minute

func newSourceLimiter(rate float64, burst int, now func() time.Time) *sourceLimiter {
	if rate < 0 {
		return nil
	}
	return &sourceLimiter{rate: rate, burst: float64(burst), now: now, buckets: map[string]*bucket{}, lastSweep: now()}
}

// allow takes a token from src's bucket; a nil limiter allows everything.
func (l *sourceLimiter) allow(src string) bool {
	if l == nil {
		return true
	}
	key := sourceKey(src)
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= sweepEvery {
		l.sweep(now)
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = min(l.burst, b.tokens+el*l.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// sweep drops the buckets that have refilled: they are as good as new.
func (l *sourceLimiter) sweep(now time.Time) {
	l.lastSweep = now
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}

// sourceKey is the bucket of an address: the address itself, or its /64 for
// IPv6, where one client commonly holds a whole /64.
func sourceKey(src string) string {
	a, err := netip.ParseAddr(src)
	if err != nil {
		return src
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, err := a.Prefix(64)
	if err != nil {
		return src
	}
	return p.String()
}

// throttled wraps the public operations of ops with the source limiter.
func (s *Service) throttled(ops map[string]awsjson.Op) map[string]awsjson.Op {
	if s.sources == nil {
		return ops
	}
	for name, op := range ops {
		if !PublicOperations[name] { // what anyone who can reach the endpoint may call
			continue
		}
		ops[name] = func(ctx context.Context, body []byte) (any, error) {
			if !s.sources.allow(awsjson.SourceIP(ctx)) {
				return nil, apiErr(excTooManyRequests, msgRateExceeded)
			}
			return op(ctx, body)
		}
	}
	return ops
}
