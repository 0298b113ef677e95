package tokens

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cognate-dev/cognate/internal/secret"
	"github.com/cognate-dev/cognate/internal/store"
)

// ErrUnknownKey means no published key of the pool has the requested kid.
var ErrUnknownKey = errors.New("tokens: unknown key")

// KeyStore is the part of the store that KeyRing uses; store.Store satisfies it.
type KeyStore interface {
	GetKeys(ctx context.Context, poolID string) ([]store.SigningKey, error)
	UpdateKeys(ctx context.Context, poolID string, fn func([]store.SigningKey) ([]store.SigningKey, error)) ([]store.SigningKey, error)
}

// KeyRingOptions configures a KeyRing. Zero values get the defaults.
type KeyRingOptions struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives key creation and rotation events (default: discard).
	Logger *slog.Logger
	// RefreshInterval is how long a pool's cached key set is used by Sign
	// and JWKS before it is reloaded, to pick up another node's rotation
	// (default 1 minute).
	RefreshInterval time.Duration
	// MissInterval is the minimum time between store reloads caused by
	// unknown kids, per pool (default 1 second).
	MissInterval time.Duration
	// NewKey makes each new RSA-2048 private key (default: rsa.GenerateKey
	// from crypto/rand); tests hand out keys generated once instead.
	NewKey func() (*rsa.PrivateKey, error)
}

// KeyRing holds every pool's signing keys: it creates, caches, rotates and
// publishes them. It is safe for concurrent use.
type KeyRing struct {
	ks        KeyStore
	sealer    *secret.Sealer
	now       func() time.Time
	log       *slog.Logger
	refresh   time.Duration
	missEvery time.Duration

	mu     sync.RWMutex
	pools  map[string]*poolKeys
	newKey func() (*rsa.PrivateKey, error)
}

// poolKeys is the cache of one pool. set is replaced wholesale on reload;
// mu serialises reloads and writes so that concurrent misses load once.
type poolKeys struct {
	set      atomic.Pointer[keySet]
	mu       sync.Mutex
	lastLoad time.Time // guarded by mu
}

// NewKeyRing returns a KeyRing over ks that seals private keys with sealer.
func NewKeyRing(ks KeyStore, sealer *secret.Sealer, opts KeyRingOptions) *KeyRing {
	r := &KeyRing{
		ks: ks, sealer: sealer, now: opts.Now, log: opts.Logger,
		refresh: opts.RefreshInterval, missEvery: opts.MissInterval,
		pools: make(map[string]*poolKeys), newKey: opts.NewKey,
	}
	if r.newKey == nil {
		r.newKey = func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, keyBits) }
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.refresh <= 0 {
		r.refresh = time.Minute
	}
	if r.missEvery <= 0 {
		r.missEvery = time.Second
	}
	return r
}

func (r *KeyRing) pool(poolID string) *poolKeys {
	r.mu.RLock()
	p := r.pools[poolID]
	r.mu.RUnlock()
	if p != nil {
		return p
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if p = r.pools[poolID]; p == nil {
		p = &poolKeys{}
		r.pools[poolID] = p
	}
	return p
}

// Forget drops the cached keys of a pool (after DeletePool).
func (r *KeyRing) Forget(poolID string) {
	r.mu.Lock()
	delete(r.pools, poolID)
	r.mu.Unlock()
}

// load reads the pool's keys from the store into the cache. p.mu must be held.
func (r *KeyRing) load(ctx context.Context, poolID string, p *poolKeys) (*keySet, error) {
	now := r.now()
	p.lastLoad = now
	sks, err := r.ks.GetKeys(ctx, poolID)
	if err != nil {
		return nil, fmt.Errorf("tokens: load keys of %s: %w", poolID, err)
	}
	return r.install(poolID, p, sks, now)
}

// install parses sks (reusing already parsed keys) and makes it the cache.
func (r *KeyRing) install(poolID string, p *poolKeys, sks []store.SigningKey, now time.Time) (*keySet, error) {
	set, err := buildKeySet(r.sealer, poolID, sks, p.set.Load(), now)
	if err != nil {
		return nil, fmt.Errorf("tokens: keys of %s: %w", poolID, err)
	}
	p.set.Store(set)
	return set, nil
}

// current returns the pool's cached key set, reloading it when missing or
// older than the refresh interval.
func (r *KeyRing) current(ctx context.Context, poolID string) (*keySet, error) {
	p := r.pool(poolID)
	if set := p.set.Load(); set != nil && r.now().Sub(set.loadedAt) < r.refresh {
		return set, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if set := p.set.Load(); set != nil && r.now().Sub(set.loadedAt) < r.refresh {
		return set, nil // another goroutine reloaded while we waited
	}
	return r.load(ctx, poolID, p)
}

// PublicKey returns the published key kid of the pool. An unknown kid makes
// it reload the pool's keys from the store, at most once per MissInterval;
// otherwise, and for malformed kids, it returns ErrUnknownKey at once.
func (r *KeyRing) PublicKey(ctx context.Context, poolID, kid string) (*rsa.PublicKey, error) {
	if !validKid(kid) {
		return nil, ErrUnknownKey
	}
	p := r.pool(poolID)
	set := p.set.Load()
	if set != nil {
		if k, ok := set.lookup(kid, r.now()); ok {
			return k.pub, nil
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if newer := p.set.Load(); newer != set && newer != nil {
		if k, ok := newer.lookup(kid, r.now()); ok {
			return k.pub, nil // someone else's reload found it
		}
	}
	if !p.lastLoad.IsZero() && r.now().Sub(p.lastLoad) < r.missEvery {
		return nil, ErrUnknownKey
	}
	newer, err := r.load(ctx, poolID, p)
	if err != nil {
		return nil, err
	}
	if k, ok := newer.lookup(kid, r.now()); ok {
		return k.pub, nil
	}
	return nil, ErrUnknownKey
}

// JWKS returns the pool's published keys as a JSON Web Key Set. A pool
// without keys (Ensure not called yet) has an empty set.
func (r *KeyRing) JWKS(ctx context.Context, poolID string) ([]byte, error) {
	set, err := r.current(ctx, poolID)
	if err != nil {
		return nil, err
	}
	return set.jwks, nil
}
