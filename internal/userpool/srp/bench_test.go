package srp

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"testing"
	"time"
)

type benchFixture struct {
	verifier []byte
	client   *Client
	b        *big.Int
	block    []byte
}

func newBenchFixture(b *testing.B) benchFixture {
	b.Helper()
	c, err := NewClient()
	if err != nil {
		b.Fatal(err)
	}
	eph := new(big.Int).Lsh(big.NewInt(1), 8*ephemeralBytes-1)
	eph.Add(eph, big.NewInt(0xdeadbeef))
	return benchFixture{
		verifier: Verifier("pool", "user", "Passw0rd!", []byte("0123456789abcdef")),
		client:   c,
		b:        eph,
		block:    make([]byte, 1024),
	}
}

func benchRSAKey(b *testing.B) *rsa.PrivateKey {
	b.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	return key
}

// BenchmarkBareLoginCrypto is the baseline for login throughput: the
// server-side cryptography of one SRP login and two token signatures.
func BenchmarkBareLoginCrypto(b *testing.B) {
	f := newBenchFixture(b)
	key := benchRSAKey(b)
	aHex := f.client.AHex()
	b.ReportAllocs()
	for b.Loop() {
		if err := BareServerCrypto(f.verifier, aHex, f.b, key, f.block); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewServerSession(b *testing.B) {
	f := newBenchFixture(b)
	aHex := f.client.AHex()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewServerSession(f.verifier, aHex); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkServerKey(b *testing.B) {
	f := newBenchFixture(b)
	s, err := newServerSession(f.verifier, f.client.AHex(), f.b, computeU)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Key("pool", "user"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifySignature(b *testing.B) {
	f := newBenchFixture(b)
	key := []byte("0123456789abcdef")
	const ts = "Sun Oct 6 13:37:50 UTC 2024"
	sig := base64.StdEncoding.EncodeToString(Signature(key, "pool", "user", f.block, ts))
	b.ReportAllocs()
	for b.Loop() {
		if !VerifySignature(key, "pool", "user", f.block, ts, sig) {
			b.Fatal("rejected")
		}
	}
}

func BenchmarkHKDF(b *testing.B) {
	S := new(big.Int).Sub(groupN, big.NewInt(12345))
	u := new(big.Int).SetBytes(sha256.New().Sum(nil))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := deriveKey(S, u); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifier is the cost of USER_PASSWORD_AUTH's check (one g^x with a 256-bit x).
func BenchmarkVerifier(b *testing.B) {
	salt := []byte("0123456789abcdef")
	b.ReportAllocs()
	for b.Loop() {
		Verifier("pool", "user", "Passw0rd!", salt)
	}
}

func BenchmarkRSASignPKCS1v15(b *testing.B) {
	key := benchRSAKey(b)
	digest := sha256.Sum256([]byte("token"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClientRespond is the client's work (A is precomputed by NewClient).
func BenchmarkClientRespond(b *testing.B) {
	f := newBenchFixture(b)
	s, err := newServerSession(f.verifier, f.client.AHex(), f.b, computeU)
	if err != nil {
		b.Fatal(err)
	}
	block := base64.StdEncoding.EncodeToString(f.block)
	saltHex := new(big.Int).SetBytes([]byte("0123456789abcdef")).Text(16)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := f.client.Respond("pool", "user", "Passw0rd!", saltHex, s.BHex(), block, now); err != nil {
			b.Fatal(err)
		}
	}
}
