package tokens

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
	"github.com/cognate-dev/cognate/internal/store/sqlite"
)

// TestWithSQLite runs keys and revocations against the real default store,
// with two rings and two revocation followers standing for two nodes.
func TestWithSQLite(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	const pool = "us-east-1_Sqlite1"
	if err := st.CreatePool(ctx, store.Pool{ID: pool, Name: "p", Config: []byte("{}"), CreatedAt: time.Now(), UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	clk := newClock()
	sealer := testSealer(t)
	nodeA := NewKeyRing(st, sealer, KeyRingOptions{Now: clk.Now, NewKey: testNewKey})
	nodeB := NewKeyRing(st, sealer, KeyRingOptions{Now: clk.Now, NewKey: testNewKey})
	if err := nodeA.Ensure(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if err := nodeB.Ensure(ctx, pool); err != nil { // sees A's keys, creates none
		t.Fatal(err)
	}
	if sks, _ := st.GetKeys(ctx, pool); len(sks) != 2 {
		t.Fatalf("%d keys after two Ensures", len(sks))
	}

	e := &env{store: nil, clock: clk, ring: nodeA, pool: pool, iss: Issuer("http://localhost", "", pool, false)}
	c := e.claims(UseAccess)
	tok := e.sign(t, UseAccess, c)
	revsA := NewRevocations(st, RevocationsOptions{Now: clk.Now})
	revsB := NewRevocations(st, RevocationsOptions{Now: clk.Now})
	verifyB := NewVerifier(nodeB, VerifierOptions{Now: clk.Now, Revocations: revsB})
	exp := Expect{PoolID: pool, Issuer: e.iss, TokenUse: UseAccess, ClientIDs: []string{"client1"}}
	if _, err := verifyB.Verify(ctx, tok, exp); err != nil {
		t.Fatalf("node B rejects node A's token: %v", err)
	}

	if err := nodeA.Rotate(ctx, pool, time.Hour); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Second)
	if _, err := verifyB.Verify(ctx, e.sign(t, UseAccess, e.claims(UseAccess)), exp); err != nil {
		t.Fatalf("node B rejects a token of the rotated key: %v", err)
	}
	if _, err := verifyB.Verify(ctx, tok, exp); err != nil {
		t.Fatalf("retired key no longer accepted: %v", err)
	}

	rev := store.Revocation{PoolID: pool, Kind: store.RevokeOrigin, Value: c["origin_jti"].(string), At: clk.Now(), ExpiresAt: clk.Now().Add(time.Hour)}
	if err := revsA.Add(ctx, rev); err != nil {
		t.Fatal(err)
	}
	if err := revsB.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := verifyB.Verify(ctx, tok, exp); !errors.Is(err, ErrRevoked) {
		t.Fatalf("node B accepts a token revoked on node A: %v", err)
	}

	if err := nodeA.Ensure(ctx, "us-east-1_NoSuchPool"); err == nil {
		t.Fatal("created keys for a pool that does not exist")
	}
}
