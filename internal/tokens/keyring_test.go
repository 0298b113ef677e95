package tokens

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

type jwksDoc struct {
	Keys []map[string]string `json:"keys"`
}

func decodeJWKS(t *testing.T, b []byte) jwksDoc {
	t.Helper()
	var d jwksDoc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestEnsureCreatesSealedKeys(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sks, _ := e.store.GetKeys(ctx, e.pool)
	if len(sks) != 2 || sks[0].Use == sks[1].Use || sks[0].Kid == sks[1].Kid {
		t.Fatalf("keys = %+v", sks)
	}
	for _, sk := range sks {
		if !validKid(sk.Kid) || len(sk.Kid) != 43 {
			t.Errorf("kid %q is not 32 random bytes in base64url", sk.Kid)
		}
		if _, err := x509.ParsePKCS8PrivateKey(sk.Private); err == nil {
			t.Error("private key stored in the clear")
		}
		if _, err := parseKey(testSealer(t), "us-east-1_Other", sk); err == nil {
			t.Error("sealed key opens under another pool")
		}
		pub, err := x509.ParsePKIXPublicKey(sk.Public)
		if err != nil || pub.(*rsa.PublicKey).N.BitLen() != 2048 {
			t.Errorf("public key: %v", err)
		}
	}
	if err := e.ring.Ensure(ctx, e.pool); err != nil {
		t.Fatal(err)
	}
	again, _ := e.store.GetKeys(ctx, e.pool)
	if len(again) != 2 || again[0].Kid != sks[0].Kid {
		t.Fatal("second Ensure changed the keys")
	}
	// A key set moved to another pool cannot be opened.
	e.store.keys["us-east-1_Stolen"] = sks
	if _, err := e.ring.Sign(ctx, "us-east-1_Stolen", UseID, map[string]any{}); err == nil {
		t.Fatal("signed with keys sealed for another pool")
	}
}

func TestSignHeaderAndUse(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	idTok := e.sign(t, UseID, e.claims(UseID))
	accessTok := e.sign(t, UseAccess, e.claims(UseAccess))
	header := func(tok string) map[string]string {
		b, err := b64.DecodeString(strings.Split(tok, ".")[0])
		if err != nil {
			t.Fatal(err)
		}
		var h map[string]string
		if err := json.Unmarshal(b, &h); err != nil {
			t.Fatal(err)
		}
		return h
	}
	hi, ha := header(idTok), header(accessTok)
	if len(hi) != 2 || hi["alg"] != "RS256" || hi["kid"] != e.activeKey(t, store.KeyUseID).kid {
		t.Fatalf("id header = %v", hi)
	}
	if ha["kid"] != e.activeKey(t, store.KeyUseAccess).kid || ha["kid"] == hi["kid"] {
		t.Fatalf("access header = %v", ha)
	}
	if _, err := e.ring.Sign(ctx, e.pool, "refresh", map[string]any{}); err == nil {
		t.Fatal("signed with an unknown use")
	}
	if _, err := e.ring.Sign(ctx, e.pool, UseID, []string{"not", "an", "object"}); err == nil {
		t.Fatal("signed a non-object payload")
	}
}

func TestSignCreatesMissingKeys(t *testing.T) {
	st := newFakeStore()
	ring := NewKeyRing(st, testSealer(t), KeyRingOptions{NewKey: testNewKey})
	if _, err := ring.Sign(context.Background(), "us-east-1_Lazy", UseAccess, map[string]any{"a": 1}); err != nil {
		t.Fatal(err)
	}
	if n := len(st.keys["us-east-1_Lazy"]); n != 2 {
		t.Fatalf("%d keys after a first Sign", n)
	}
}

func TestRotateKeepsOldKeysPublished(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	v := NewVerifier(e.ring, VerifierOptions{Now: e.clock.Now})
	exp := Expect{PoolID: e.pool, Issuer: e.iss}
	long := e.claims(UseID)
	long["exp"] = e.clock.Now().Add(48 * time.Hour).Unix()
	old := e.sign(t, UseID, long)
	oldKid := e.activeKey(t, store.KeyUseID).kid

	if err := e.ring.Rotate(ctx, e.pool, time.Hour); err != nil {
		t.Fatal(err)
	}
	if e.activeKey(t, store.KeyUseID).kid == oldKid {
		t.Fatal("rotation kept the active id key")
	}
	if _, err := v.Verify(ctx, old, exp); err != nil {
		t.Fatalf("token of the retired key rejected during publication: %v", err)
	}
	if _, err := v.Verify(ctx, e.sign(t, UseID, e.claims(UseID)), exp); err != nil {
		t.Fatalf("token of the new key: %v", err)
	}
	jwks, err := e.ring.JWKS(ctx, e.pool)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(decodeJWKS(t, jwks).Keys); n != 4 {
		t.Fatalf("JWKS has %d keys during publication, want 4", n)
	}

	e.clock.Advance(time.Hour + time.Second)
	if _, err := v.Verify(ctx, old, exp); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("retired key still accepted after its publication: %v", err)
	}
	if err := e.ring.Rotate(ctx, e.pool, time.Hour); err != nil {
		t.Fatal(err)
	}
	sks, _ := e.store.GetKeys(ctx, e.pool)
	if len(sks) != 4 {
		t.Fatalf("store has %d keys after the second rotation, want 4 (expired ones pruned)", len(sks))
	}
	for _, sk := range sks {
		if sk.Kid == oldKid {
			t.Fatal("expired key not pruned")
		}
	}
}

func TestRotateZeroWithdrawsAtOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tok := e.sign(t, UseAccess, e.claims(UseAccess))
	if err := e.ring.Rotate(ctx, e.pool, 0); err != nil {
		t.Fatal(err)
	}
	v := NewVerifier(e.ring, VerifierOptions{Now: e.clock.Now})
	if _, err := v.Verify(ctx, tok, Expect{PoolID: e.pool, Issuer: e.iss}); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("withdrawn key still verifies: %v", err)
	}
	if err := e.ring.Rotate(ctx, e.pool, -time.Second); err == nil {
		t.Fatal("negative publication accepted")
	}
}

// Two rings on one store behave like two nodes.
func TestRotationSeenByOtherNode(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	nodeB := NewKeyRing(e.store, testSealer(t), KeyRingOptions{Now: e.clock.Now, NewKey: testNewKey})
	if err := nodeB.Rotate(ctx, e.pool, time.Hour); err != nil {
		t.Fatal(err)
	}
	tok, err := nodeB.Sign(ctx, e.pool, UseID, e.claims(UseID))
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Second) // past the miss interval of node A
	v := NewVerifier(e.ring, VerifierOptions{Now: e.clock.Now})
	if _, err := v.Verify(ctx, tok, Expect{PoolID: e.pool, Issuer: e.iss}); err != nil {
		t.Fatalf("node A does not find node B's new key: %v", err)
	}
	e.clock.Advance(2 * time.Minute) // past the refresh interval
	if e.activeKey(t, store.KeyUseID).kid != nodeB.pools[e.pool].set.Load().active[store.KeyUseID].kid {
		t.Fatal("node A still signs with the retired key after the refresh interval")
	}
}

func TestUnknownKidFloodHitsStoreOncePerSecond(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.clock.Advance(time.Minute) // the Ensure load is long past
	before := e.store.gets.Load()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				kid := strings.Repeat(string(rune('a'+g)), 10) + big.NewInt(int64(i)).Text(36)
				if _, err := e.ring.PublicKey(ctx, e.pool, kid); !errors.Is(err, ErrUnknownKey) {
					t.Errorf("PublicKey(%s) = %v", kid, err)
				}
			}
		}()
	}
	wg.Wait()
	if n := e.store.gets.Load() - before; n != 1 {
		t.Fatalf("1600 unknown kids caused %d store reads, want 1", n)
	}
	e.clock.Advance(time.Second)
	for range 100 {
		e.ring.PublicKey(ctx, e.pool, "unknownkid")
	}
	if n := e.store.gets.Load() - before; n != 2 {
		t.Fatalf("after a second: %d store reads, want 2", n)
	}
	// Hostile kids never reach the store, whatever the clock says.
	e.clock.Advance(time.Hour)
	for _, kid := range []string{"", "../x", "a b", strings.Repeat("k", 65), "kid\x00", "ü"} {
		if _, err := e.ring.PublicKey(ctx, e.pool, kid); !errors.Is(err, ErrUnknownKey) {
			t.Errorf("PublicKey(%q) = %v", kid, err)
		}
	}
	if n := e.store.gets.Load() - before; n != 2 {
		t.Fatalf("hostile kids caused store reads: %d", n)
	}
}

func TestJWKSFormat(t *testing.T) {
	e := newEnv(t)
	jwks, err := e.ring.JWKS(context.Background(), e.pool)
	if err != nil {
		t.Fatal(err)
	}
	doc := decodeJWKS(t, jwks)
	if len(doc.Keys) != 2 {
		t.Fatalf("%d keys", len(doc.Keys))
	}
	for _, k := range doc.Keys {
		if len(k) != 6 || k["kty"] != "RSA" || k["alg"] != "RS256" || k["use"] != "sig" || k["e"] != "AQAB" {
			t.Errorf("jwk = %v", k)
		}
		n, err := base64.RawURLEncoding.DecodeString(k["n"])
		if err != nil || len(n) != 256 {
			t.Errorf("n: %d bytes, %v", len(n), err)
		}
		pub, err := e.ring.PublicKey(context.Background(), e.pool, k["kid"])
		if err != nil || pub.N.Cmp(new(big.Int).SetBytes(n)) != 0 {
			t.Errorf("jwk %s does not match the ring's key: %v", k["kid"], err)
		}
	}
	empty, err := e.ring.JWKS(context.Background(), "us-east-1_NoKeys")
	if err != nil || string(empty) != `{"keys":[]}` {
		t.Fatalf("JWKS of a pool without keys = %s, %v", empty, err)
	}
}
