package authorizer

import (
	"sync"
	"time"
)

// DefaultCacheEntries bounds a Cache created with NewCache(0, ...).
const DefaultCacheEntries = 100_000

// Cache holds authorizer results by authorizer and identity source values.
// It is safe for concurrent use; results are immutable once stored.
type Cache struct {
	mu  sync.RWMutex
	m   map[string]cacheEntry
	max int
	now func() time.Time
}

type cacheEntry struct {
	res      *Result
	exp      time.Time
	identity string
}

// NewCache returns a cache of at most max entries (0: DefaultCacheEntries)
// reading time from now (nil: time.Now).
func NewCache(max int, now func() time.Time) *Cache {
	if max <= 0 {
		max = DefaultCacheEntries
	}
	if now == nil {
		now = time.Now
	}
	return &Cache{m: make(map[string]cacheEntry), max: max, now: now}
}

// Get returns an unexpired result for key, marked Cached.
func (c *Cache) Get(key string) (*Result, bool) {
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if !ok || !c.now().Before(e.exp) {
		return nil, false
	}
	return e.res, true
}

// GetBytes is Get for a key held in a byte slice, without allocating.
func (c *Cache) GetBytes(key []byte) (*Result, bool) {
	c.mu.RLock()
	e, ok := c.m[string(key)]
	c.mu.RUnlock()
	if !ok || !c.now().Before(e.exp) {
		return nil, false
	}
	return e.res, true
}

// Put stores res under key for ttl, or until notAfter if that is earlier
// and non-zero; identity is the primary identity value (for DropIdentity).
func (c *Cache) Put(key, identity string, res *Result, ttl time.Duration, notAfter time.Time) {
	now := c.now()
	exp := now.Add(ttl)
	if !notAfter.IsZero() && notAfter.Before(exp) {
		exp = notAfter
	}
	cached := *res
	cached.Cached = true
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		for k, e := range c.m {
			if !now.Before(e.exp) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= c.max {
			clear(c.m)
		}
	}
	c.m[key] = cacheEntry{res: &cached, exp: exp, identity: identity}
}

// DropIdentity removes every entry whose primary identity value is identity
// (a revoked token), whatever the authorizer.
func (c *Cache) DropIdentity(identity string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.m {
		if e.identity == identity {
			delete(c.m, k)
		}
	}
}

// Len is the number of entries, expired ones included.
func (c *Cache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
