package tokens

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"strings"
	"testing"

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
