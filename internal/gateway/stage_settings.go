package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"sync"
	"time"
)

// StageSettings are a stage's cache and method settings (API Gateway's
// Stage cacheClusterEnabled and methodSettings).
type StageSettings struct {
	CacheClusterEnabled bool `json:"cacheClusterEnabled,omitempty"`
	// MethodSettings by "{resourcePath}/{METHOD}" ("notes/{id}/GET", the
	// path without its leading slash) or "*/*" for every method.
	MethodSettings map[string]MethodSetting `json:"methodSettings,omitempty"`
}

// MethodSetting is the part of API Gateway's MethodSetting the gateway
// applies: throttling and caching.
type MethodSetting struct {
	ThrottlingBurstLimit                   int     `json:"throttlingBurstLimit"`
	ThrottlingRateLimit                    float64 `json:"throttlingRateLimit"`
	CachingEnabled                         bool    `json:"cachingEnabled"`
	CacheTTLInSeconds                      int     `json:"cacheTtlInSeconds"`
	RequireAuthorizationForCacheControl    bool    `json:"requireAuthorizationForCacheControl"`
	UnauthorizedCacheControlHeaderStrategy string  `json:"unauthorizedCacheControlHeaderStrategy,omitempty"`
}

// Cache limits, as API Gateway's: responses up to 1 MiB are cached, TTLs
// up to 3600 s (0 disables).
const (
	MaxCachedResponse = 1 << 20
	MaxCacheTTL       = 3600
	// maxCacheEntries bounds one stage's cache on this node.
	maxCacheEntries = 10000
)

// stageControls are a stage's compiled settings: per-route throttles and the
// response cache. Throttles and cache are this node's, like the stage-level
// throttle (Options.Limits); AWS's own are approximate too.
type stageControls struct {
	settings StageSettings
	routes   map[*route]*methodControl
	cache    *responseCache
}

// methodControl is the effective setting of one route.
type methodControl struct {
	setting MethodSetting
	bucket  *tokenBucket // nil: not throttled
	caching bool
}

// settingKey is the methodSettings key of a route.
func settingKey(rt *route) string {
	return strings.TrimPrefix(rt.res.path, "/") + "/" + rt.verb
}

// compileControls builds a stage's controls; prev's buckets and cache are
// kept when the settings did not change (a redeployment of the same stage
// keeps its cache only if the deployment is the same, as entries belong to
// a deployment's integrations).
func (g *Gateway) compileControls(st *stage, s *StageSettings, prev *stage) *stageControls {
	if s == nil || len(s.MethodSettings) == 0 {
		return nil
	}
	c := &stageControls{settings: *s, routes: map[*route]*methodControl{}}
	if s.CacheClusterEnabled {
		c.cache = &responseCache{entries: map[string]*cachedResponse{}}
		if prev != nil && prev.ctl != nil && prev.ctl.cache != nil && prev.dep == st.dep && sameSettings(prev.ctl.settings, *s) {
			c.cache = prev.ctl.cache
		}
	}
	st.dep.root.walk(func(res *resource) {
		for _, rt := range res.methods {
			ms, explicit := s.MethodSettings[settingKey(rt)]
			ok := explicit
			if !ok {
				ms, ok = s.MethodSettings["*/*"]
			}
			if !ok {
				continue
			}
			mc := &methodControl{setting: ms}
			if ms.ThrottlingRateLimit > 0 || ms.ThrottlingBurstLimit > 0 {
				mc.bucket = newTokenBucket(ms.ThrottlingRateLimit, max(ms.ThrottlingBurstLimit, 1), g.now)
			}
			// Caching needs the stage's cache cluster and a positive TTL; with
			// the "*/*" default only GET methods cache, as on AWS.
			mc.caching = c.cache != nil && ms.CachingEnabled && ms.CacheTTLInSeconds > 0 &&
				(rt.verb == http.MethodGet || explicit)
			c.routes[rt] = mc
		}
	})
	return c
}

func sameSettings(a, b StageSettings) bool {
	return a.CacheClusterEnabled == b.CacheClusterEnabled && maps.Equal(a.MethodSettings, b.MethodSettings)
}

// methodThrottle applies the route's method throttle: 429 Too Many Requests.
func (x *exchange) methodThrottle() error {
	if x.st.ctl == nil {
		return nil
	}
	if mc := x.st.ctl.routes[x.rt]; mc != nil && mc.bucket != nil && !mc.bucket.allow() {
		return gwErr(Throttled, fmt.Errorf("method %s throttled by the stage's method settings", settingKey(x.rt)))
	}
	return nil
}

// responseCache is one stage's cached integration responses on this node.
type responseCache struct {
	mu      sync.Mutex
	entries map[string]*cachedResponse
}

type cachedResponse struct {
	status  int
	header  http.Header
	body    []byte
	expires time.Time
}

// cacheKey is the method, the resource path and the values of the
// integration's cache key parameters (method.request.{path,querystring,
// multivaluequerystring,header,multivalueheader}.NAME), as API Gateway keys
// its cache: without cache key parameters every request of the method
// shares one entry.
func (x *exchange) cacheKey() string {
	var b strings.Builder
	b.WriteString(x.rt.verb)
	b.WriteByte(' ')
	b.WriteString(x.rt.res.path)
	for _, p := range x.rt.integ.cacheKeyParameters {
		b.WriteByte('\x00')
		b.WriteString(p)
		b.WriteByte('=')
		switch {
		case strings.HasPrefix(p, "method.request.multivaluequerystring."):
			b.WriteString(strings.Join(x.query[strings.TrimPrefix(p, "method.request.multivaluequerystring.")], ","))
		case strings.HasPrefix(p, "method.request.multivalueheader."):
			b.WriteString(strings.Join(x.r.Header.Values(strings.TrimPrefix(p, "method.request.multivalueheader.")), ","))
		default:
			v, _ := x.paramSource(p)
			b.WriteString(v)
		}
	}
	return b.String()
}

// integrateCached serves a cached response when the route caches, else runs
// the integration and caches a 2xx answer of at most MaxCachedResponse bytes
// (where AWS's documentation is silent on statuses, only successes are
// cached, so an error is never replayed). "Cache-Control: max-age=0"
// invalidates the entry when requireAuthorizationForCacheControl is off;
// when it is on, the caller must be allowed execute-api:InvalidateCache,
// which Cognate cannot establish on the data plane (no AWS_IAM method
// authorization), so the request is unauthorized: FAIL_WITH_403 refuses it,
// the SUCCEED_* strategies serve it without invalidating.
func (x *exchange) integrateCached() error {
	if x.st.ctl == nil {
		return x.integrate()
	}
	mc := x.st.ctl.routes[x.rt]
	if mc == nil || !mc.caching {
		return x.integrate()
	}
	cache := x.st.ctl.cache
	key := x.cacheKey()
	now := x.g.now()
	invalidate := false
	if cc := x.r.Header.Get("Cache-Control"); strings.Contains(strings.ReplaceAll(strings.ToLower(cc), " ", ""), "max-age=0") {
		if !mc.setting.RequireAuthorizationForCacheControl {
			invalidate = true
		} else if mc.setting.UnauthorizedCacheControlHeaderStrategy == "FAIL_WITH_403" {
			return gwErr(AccessDenied, fmt.Errorf("cache invalidation needs execute-api:InvalidateCache"))
		}
	}
	if !invalidate {
		cache.mu.Lock()
		e := cache.entries[key]
		cache.mu.Unlock()
		if e != nil && now.Before(e.expires) {
			h := x.w.Header()
			for k, v := range e.header {
				h[k] = v
			}
			x.writeBody(e.status, e.body)
			return nil
		}
	}
	rec := &recorder{header: http.Header{}}
	real := x.w
	x.w = rec
	err := x.integrate()
	x.w = real
	if err != nil {
		return err
	}
	h := real.Header()
	for k, v := range rec.header {
		h[k] = v
	}
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	real.WriteHeader(status)
	_, _ = real.Write(rec.body.Bytes())
	if status >= 200 && status < 300 && rec.body.Len() <= MaxCachedResponse {
		hdr := rec.header.Clone()
		for _, k := range []string{"X-Amzn-Requestid", "X-Amz-Apigw-Id", "Content-Length"} {
			hdr.Del(k)
		}
		ttl := min(mc.setting.CacheTTLInSeconds, MaxCacheTTL)
		cache.mu.Lock()
		if len(cache.entries) >= maxCacheEntries {
			for k, e := range cache.entries { // drop expired entries, else one at random
				if !now.Before(e.expires) {
					delete(cache.entries, k)
				}
			}
			for k := range cache.entries {
				if len(cache.entries) < maxCacheEntries {
					break
				}
				delete(cache.entries, k)
			}
		}
		cache.entries[key] = &cachedResponse{status: status, header: hdr, body: bytes.Clone(rec.body.Bytes()),
			expires: now.Add(time.Duration(ttl) * time.Second)}
		cache.mu.Unlock()
	} else if invalidate {
		cache.mu.Lock()
		delete(cache.entries, key)
		cache.mu.Unlock()
	}
	return nil
}

// recorder captures an integration's response for the cache.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

// decodeSettings reads a stored stage's settings (nil: none).
func decodeSettings(data []byte) (*StageSettings, error) {
	if len(data) == 0 {
		return nil, nil
	}
	var s StageSettings
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("decode stage settings: %w", err)
	}
	return &s, nil
}
