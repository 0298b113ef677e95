package tokens

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

func BenchmarkSign(b *testing.B) {
	e := newEnv(b)
	claims := e.claims(UseID)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.ring.Sign(ctx, e.pool, UseID, claims); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	e := newEnv(b)
	tok := e.sign(b, UseID, e.claims(UseID))
	v := NewVerifier(e.ring, VerifierOptions{Now: e.clock.Now, Revocations: NewRevocations(e.store, RevocationsOptions{})})
	exp := Expect{PoolID: e.pool, Issuer: e.iss, TokenUse: UseID, ClientIDs: []string{"client1"}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, tok, exp); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRSAVerifyBaseline is the one RSA verification Verify must do,
// timed alone for comparison with BenchmarkVerify.
func BenchmarkRSAVerifyBaseline(b *testing.B) {
	e := newEnv(b)
	tok := e.sign(b, UseID, e.claims(UseID))
	k := e.activeKey(b, store.KeyUseID)
	dot := strings.LastIndexByte(tok, '.')
	sig, err := b64.DecodeString(tok[dot+1:])
	if err != nil {
		b.Fatal(err)
	}
	input := []byte(tok[:dot])
	b.ReportAllocs()
	for b.Loop() {
		d := sha256.Sum256(input)
		if err := rsa.VerifyPKCS1v15(k.pub, crypto.SHA256, d[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyRejectMalformed(b *testing.B) {
	e := newEnv(b)
	v := NewVerifier(e.ring, VerifierOptions{Now: e.clock.Now})
	exp := Expect{PoolID: e.pool, Issuer: e.iss}
	tok := "eyJhbGciOiJub25lIn0." + strings.Repeat("A", 4000) + ".x"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(context.Background(), tok, exp); err == nil {
			b.Fatal("accepted")
		}
	}
}

func BenchmarkVerifyUnknownKid(b *testing.B) {
	e := newEnv(b)
	v := NewVerifier(e.ring, VerifierOptions{Now: e.clock.Now})
	exp := Expect{PoolID: e.pool, Issuer: e.iss}
	tok := forge(`{"kid":"`+strings.Repeat("Q", 43)+`","alg":"RS256"}`, mustJSON(b, e.claims(UseID)), func([]byte) []byte { return make([]byte, 256) })
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(context.Background(), tok, exp); err == nil {
			b.Fatal("accepted")
		}
	}
}

// BenchmarkVerifyVsRSA interleaves, in every iteration, one full Verify of
// a genuine id token, the one RSA-2048 verification it must do (the
// baseline), and 100 rejections of a malformed token (alg "none" with a 4 KB
// payload), so that all three see the same machine load. It reports each
// cost and verify/rsa (target ≤ 1.15); the rejection target is ≤ 1 µs.
//
//	go test -run '^$' -bench BenchmarkVerifyVsRSA -count=5 ./internal/tokens/
func BenchmarkVerifyVsRSA(b *testing.B) {
	e := newEnv(b)
	tok := e.sign(b, UseID, e.claims(UseID))
	v := NewVerifier(e.ring, VerifierOptions{Now: e.clock.Now, Revocations: NewRevocations(e.store, RevocationsOptions{})})
	exp := Expect{PoolID: e.pool, Issuer: e.iss, TokenUse: UseID, ClientIDs: []string{"client1"}}
	k := e.activeKey(b, store.KeyUseID)
	dot := strings.LastIndexByte(tok, '.')
	sig, err := b64.DecodeString(tok[dot+1:])
	if err != nil {
		b.Fatal(err)
	}
	input := []byte(tok[:dot])
	bad := "eyJhbGciOiJub25lIn0." + strings.Repeat("A", 4000) + ".x"
	ctx := context.Background()
	const rejections = 100
	var verify, rsaT, reject time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := v.Verify(ctx, tok, exp); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		d := sha256.Sum256(input)
		if err := rsa.VerifyPKCS1v15(k.pub, crypto.SHA256, d[:], sig); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		for range rejections {
			if _, err := v.Verify(ctx, bad, exp); err == nil {
				b.Fatal("accepted")
			}
		}
		reject += time.Since(t2)
		verify += t1.Sub(t0)
		rsaT += t2.Sub(t1)
	}
	n := float64(b.N)
	b.ReportMetric(float64(verify.Nanoseconds())/n, "verify-ns")
	b.ReportMetric(float64(rsaT.Nanoseconds())/n, "rsa-ns")
	b.ReportMetric(float64(reject.Nanoseconds())/n/rejections, "reject-ns")
	b.ReportMetric(float64(verify)/float64(rsaT), "verify/rsa")
	b.ReportMetric(0, "ns/op")
}
