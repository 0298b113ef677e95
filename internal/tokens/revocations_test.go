package tokens

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

func TestRevocations(t *testing.T) {
	ctx := context.Background()
	st := newFakeStore()
	clk := newClock()
	nodeA := NewRevocations(st, RevocationsOptions{Now: clk.Now})
	nodeB := NewRevocations(st, RevocationsOptions{Now: clk.Now})
	now := clk.Now()
	const pool = "us-east-1_P"
	tokenAt := func(origin, sub string, iat time.Time) Claims {
		return Claims{"origin_jti": origin, "sub": sub, "iat": jsonNum(iat.Unix())}
	}

	if err := nodeA.Add(ctx, store.Revocation{PoolID: pool, Kind: store.RevokeOrigin, Value: "o1", At: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := nodeA.Add(ctx, store.Revocation{PoolID: pool, Kind: store.RevokeSubject, Value: "s1", At: now, ExpiresAt: now.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if nodeB.IsRevoked(pool, tokenAt("o1", "x", now)) {
		t.Fatal("node B knows before syncing")
	}
	if err := nodeB.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		pool   string
		claims Claims
		want   bool
	}{
		{"revoked origin", pool, tokenAt("o1", "other", now), true},
		{"other origin", pool, tokenAt("o2", "other", now), false},
		{"origin in another pool", "us-east-1_Q", tokenAt("o1", "other", now), false},
		{"subject, issued before", pool, tokenAt("o3", "s1", now.Add(-time.Minute)), true},
		{"subject, issued the same second", pool, tokenAt("o3", "s1", now), true},
		{"subject, issued after", pool, tokenAt("o3", "s1", now.Add(time.Second)), false},
		{"subject, no iat", pool, Claims{"sub": "s1"}, true},
		{"other subject", pool, tokenAt("o3", "s2", now.Add(-time.Minute)), false},
	}
	for _, tt := range tests {
		for name, node := range map[string]*Revocations{"A": nodeA, "B": nodeB} {
			if got := node.IsRevoked(tt.pool, tt.claims); got != tt.want {
				t.Errorf("%s on node %s: IsRevoked = %v, want %v", tt.name, name, got, tt.want)
			}
		}
	}

	// After the first entry expires, Prune forgets it locally and in the store.
	clk.Advance(90 * time.Minute)
	if err := nodeB.Prune(ctx); err != nil {
		t.Fatal(err)
	}
	if nodeB.IsRevoked(pool, tokenAt("o1", "x", now)) {
		t.Fatal("expired origin revocation not pruned")
	}
	if !nodeB.IsRevoked(pool, tokenAt("o3", "s1", now)) {
		t.Fatal("live subject revocation pruned")
	}
	if len(st.revs) != 1 {
		t.Fatalf("store has %d entries after prune, want 1", len(st.revs))
	}
}

func TestRevocationsAddRejects(t *testing.T) {
	r := NewRevocations(newFakeStore(), RevocationsOptions{})
	exp := time.Now().Add(time.Hour)
	for name, rev := range map[string]store.Revocation{
		"kind":   {PoolID: "p", Kind: "jti", Value: "v", ExpiresAt: exp},
		"pool":   {Kind: store.RevokeOrigin, Value: "v", ExpiresAt: exp},
		"value":  {PoolID: "p", Kind: store.RevokeOrigin, ExpiresAt: exp},
		"expiry": {PoolID: "p", Kind: store.RevokeOrigin, Value: "v"},
	} {
		if err := r.Add(context.Background(), rev); err == nil {
			t.Errorf("missing %s accepted", name)
		}
	}
}

func TestRunSyncsAndStops(t *testing.T) {
	st := newFakeStore()
	exp := time.Now().Add(time.Hour)
	for i := range 2500 { // more than one batch
		st.AddRevocation(context.Background(), store.Revocation{PoolID: "p", Kind: store.RevokeOrigin, Value: jsonNum(int64(i)).String(), ExpiresAt: exp})
	}
	r := NewRevocations(st, RevocationsOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Run does one pass, then sees the cancellation
	if err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if !r.IsRevoked("p", Claims{"origin_jti": "2499"}) || !r.IsRevoked("p", Claims{"origin_jti": "0"}) {
		t.Fatal("Run did not apply the whole feed")
	}
}

func TestVerifierConsultsRevocations(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	revs := NewRevocations(e.store, RevocationsOptions{Now: e.clock.Now})
	v := NewVerifier(e.ring, VerifierOptions{Now: e.clock.Now, Revocations: revs})
	c := e.claims(UseAccess)
	tok := e.sign(t, UseAccess, c)
	exp := Expect{PoolID: e.pool, Issuer: e.iss, TokenUse: UseAccess}
	if _, err := v.Verify(ctx, tok, exp); err != nil {
		t.Fatal(err)
	}
	err := revs.Add(ctx, store.Revocation{PoolID: e.pool, Kind: store.RevokeOrigin, Value: c["origin_jti"].(string), At: e.clock.Now(), ExpiresAt: e.clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, tok, exp); !errors.Is(err, ErrRevoked) || !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("revoked token: err = %v", err)
	}
}
