package gateway

import (
	"net/http"
	"sync"
	"time"
)

// Limits are the gateway's size, time and rate limits; zero fields take
// AWS's defaults.
type Limits struct {
	// MaxHeaderBytes bounds the request line plus headers (10 KiB → 431).
	MaxHeaderBytes int
	// MaxURLBytes bounds the request target (10 KiB → 414).
	MaxURLBytes int
	// MaxBodyBytes bounds the payload (10 MB → 413).
	MaxBodyBytes int64
	// IntegrationTimeout is the default integration timeout (29 s → 504);
	// an integration's timeoutInMillis overrides it.
	IntegrationTimeout time.Duration
	// MaxMethodARNBytes bounds the method ARN given to authorizers (1,600).
	MaxMethodARNBytes int
	// Rate and Burst configure each stage's token bucket (10,000 requests/s,
	// burst 5,000); a negative Rate disables throttling.
	Rate  float64
	Burst int
	// MaxConcurrent bounds the requests the gateway executes at once
	// (default DefaultMaxConcurrent; negative: no limit); MaxQueued more
	// wait, each up to QueueTimeout, and the rest get the THROTTLED
	// response (see concurrency.go).
	MaxConcurrent int
	MaxQueued     int
	QueueTimeout  time.Duration
}

// Default limits, as AWS documents them for REST APIs.
const (
	DefaultMaxHeaderBytes     = 10 << 10
	DefaultMaxURLBytes        = 10 << 10
	DefaultMaxBodyBytes       = 10 << 20
	DefaultIntegrationTimeout = 29 * time.Second
	DefaultMaxMethodARNBytes  = 1600
	DefaultRate               = 10000
	DefaultBurst              = 5000
)

func (l Limits) withDefaults() Limits {
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if l.MaxURLBytes <= 0 {
		l.MaxURLBytes = DefaultMaxURLBytes
	}
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if l.IntegrationTimeout <= 0 {
		l.IntegrationTimeout = DefaultIntegrationTimeout
	}
	if l.MaxMethodARNBytes <= 0 {
		l.MaxMethodARNBytes = DefaultMaxMethodARNBytes
	}
	if l.MaxConcurrent == 0 {
		l.MaxConcurrent = DefaultMaxConcurrent
	}
	if l.MaxQueued <= 0 {
		l.MaxQueued = DefaultMaxQueued
	}
	if l.QueueTimeout <= 0 {
		l.QueueTimeout = DefaultQueueTimeout
	}
	if l.Rate == 0 {
		l.Rate = DefaultRate
	}
	if l.Burst <= 0 {
		l.Burst = DefaultBurst
	}
	return l
}

// headerBytes approximates the size of the request line and headers as
// received: "METHOD target PROTO\r\n" and "Name: value\r\n" per value.
func headerBytes(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4
	if r.RequestURI == "" {
		n += len(r.URL.RequestURI())
	}
	n += len(r.Host) + 8
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// urlBytes is the length of the request target.
func urlBytes(r *http.Request) int {
	if r.RequestURI != "" {
		return len(r.RequestURI)
	}
	return len(r.URL.RequestURI())
}

// tokenBucket is a stage's throttle: rate tokens per second up to burst.
type tokenBucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
	now    func() time.Time
}

func newTokenBucket(rate float64, burst int, now func() time.Time) *tokenBucket {
	if rate < 0 {
		return nil
	}
	return &tokenBucket{rate: rate, burst: float64(burst), tokens: float64(burst), last: now(), now: now}
}

// allow takes one token; a nil bucket always allows.
func (b *tokenBucket) allow() bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if el := now.Sub(b.last); el > 0 {
		b.tokens = min(b.burst, b.tokens+el.Seconds()*b.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
