package userpool

import (
	"sync"
	"time"
)

// configTTL is how long a decoded pool or client stays cached. Writes on
// this node invalidate at once; other nodes of a cluster see a change
// within configTTL. Sign-ins read both twice, so the cache saves four
// store reads and decodes per login.
const configTTL = time.Second

// configCache holds decoded pools and clients by id.
type configCache struct {
	mu      sync.RWMutex
	pools   map[string]cached[*pool]
	clients map[string]cached[*client]
}

type cached[T any] struct {
	val     T
	expires time.Time
}

func newConfigCache() *configCache {
	return &configCache{pools: map[string]cached[*pool]{}, clients: map[string]cached[*client]{}}
}

const maxCached = 4096

func cacheGet[T any](c *configCache, m map[string]cached[T], id string, now time.Time) (T, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := m[id]
	if !ok || !now.Before(e.expires) {
		var zero T
		return zero, false
	}
	return e.val, true
}

func cachePut[T any](c *configCache, m map[string]cached[T], id string, v T, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(m) >= maxCached {
		clear(m)
	}
	m[id] = cached[T]{val: v, expires: now.Add(configTTL)}
}

// forget drops a pool (with all cached clients, which may belong to it) or a client.
func (c *configCache) forget(poolID, clientID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if poolID != "" {
		delete(c.pools, poolID)
		clear(c.clients)
	}
	if clientID != "" {
		delete(c.clients, clientID)
	}
}
