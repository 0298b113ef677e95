package tokens

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/secret"
	"github.com/cognate-dev/cognate/internal/store"

	"github.com/cognate-dev/cognate/internal/uuid"
)

// fakeStore is an in-memory KeyStore and RevocationSource that counts reads.
type fakeStore struct {
	mu    sync.Mutex
	keys  map[string][]store.SigningKey
	revs  []store.Revocation
	gets  atomic.Int64
	fails atomic.Bool
}

func newFakeStore() *fakeStore {
	return &fakeStore{keys: make(map[string][]store.SigningKey)}
}

func (f *fakeStore) GetKeys(_ context.Context, poolID string) ([]store.SigningKey, error) {
	f.gets.Add(1)
	if f.fails.Load() {
		return nil, errStoreDown
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.keys[poolID]), nil
}

func (f *fakeStore) UpdateKeys(_ context.Context, poolID string, fn func([]store.SigningKey) ([]store.SigningKey, error)) ([]store.SigningKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out, err := fn(slices.Clone(f.keys[poolID]))
	if err != nil {
		return nil, err
	}
	f.keys[poolID] = slices.Clone(out)
	return out, nil
}

func (f *fakeStore) AddRevocation(_ context.Context, r store.Revocation) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r.Seq = int64(len(f.revs)) + 1
	f.revs = append(f.revs, r)
	return r.Seq, nil
}

func (f *fakeStore) RevocationsSince(_ context.Context, seq int64, limit int) ([]store.Revocation, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.Revocation
	for _, r := range f.revs {
		if r.Seq > seq && len(out) < limit {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *fakeStore) DeleteExpiredRevocations(_ context.Context, now time.Time) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.revs)
	f.revs = slices.DeleteFunc(f.revs, func(r store.Revocation) bool { return r.ExpiresAt.Before(now) })
	return n - len(f.revs), nil
}

type storeDownError struct{}

func (storeDownError) Error() string { return "store down" }

var errStoreDown error = storeDownError{}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func testSealer(t testing.TB) *secret.Sealer {
	t.Helper()
	s, err := secret.NewSealer(make([]byte, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// countingKeys wraps a PublicKeySource and counts lookups.
type countingKeys struct {
	PublicKeySource
	n atomic.Int64
}

func (c *countingKeys) PublicKey(ctx context.Context, poolID, kid string) (*rsa.PublicKey, error) {
	c.n.Add(1)
	return c.PublicKeySource.PublicKey(ctx, poolID, kid)
}

// env is a key ring over a fake store with a test clock, with one pool's
// keys created. Key generation is slow, so tests share envs where they can.
type env struct {
	store *fakeStore
	clock *clock
	ring  *KeyRing
	pool  string
	iss   string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{store: newFakeStore(), clock: newClock(), pool: "us-east-1_TestPool1"}
	e.iss = Issuer("http://127.0.0.1:4566", "us-east-1", e.pool, false)
	e.ring = NewKeyRing(e.store, testSealer(t), KeyRingOptions{Now: e.clock.Now, NewKey: testNewKey})
	if err := e.ring.Ensure(context.Background(), e.pool); err != nil {
		t.Fatal(err)
	}
	return e
}

// claims returns valid id or access token claims at the env's clock.
func (e *env) claims(use string) map[string]any {
	now := e.clock.Now().Unix()
	c := map[string]any{
		"sub": "0b7c2a54-1111-4222-8333-944445555666", "iss": e.iss, "token_use": use,
		"auth_time": now, "iat": now, "exp": now + 3600, "jti": uuid.New(), "origin_jti": uuid.New(),
	}
	if use == UseID {
		c["aud"] = "client1"
		c["cognito:username"] = "alice"
		c["email"] = "alice@example.com"
		c["cognito:groups"] = []string{"admins", "users"}
	} else {
		c["client_id"] = "client1"
		c["username"] = "alice"
		c["scope"] = "aws.cognito.signin.user.admin"
	}
	return c
}

func (e *env) sign(t testing.TB, use string, claims map[string]any) string {
	t.Helper()
	tok, err := e.ring.Sign(context.Background(), e.pool, use, claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func jsonNum(i int64) json.Number { return json.Number(strconv.FormatInt(i, 10)) }
