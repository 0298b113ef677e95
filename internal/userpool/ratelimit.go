package userpool

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
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

// behindProxies makes requests that come from a trusted proxy carry, as
// their source (awsjson.SourceIP), the client X-Forwarded-For names.
func behindProxies(trusted []netip.Prefix, h http.Handler) http.Handler {
	if len(trusted) == 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if client := forwardedClient(trusted, r); client != "" {
			r = r.WithContext(awsjson.WithSourceIP(r.Context(), client))
		}
		h.ServeHTTP(w, r)
	})
}

// forwardedClient returns the client address of a request relayed by
// trusted proxies: walking X-Forwarded-For from the right (the hops nearest
// to us), the first address that is not a trusted proxy. It returns "" when
// the peer itself is not trusted (then the header is anybody's word) or the
// header names no usable address.
func forwardedClient(trusted []netip.Prefix, r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !isTrusted(trusted, peer) {
		return ""
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	client := ""
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return client // a malformed hop: trust nothing beyond it
		}
		client = a.Unmap().String()
		if !isTrusted(trusted, a) {
			return client
		}
	}
	return client // every hop is a trusted proxy: the farthest one
}

func isTrusted(trusted []netip.Prefix, a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
