package srp

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

// login runs one full exchange between the Go client and the server and
// reports whether the server accepts the client's signature.
func login(t *testing.T, storedPassword, triedPassword string) bool {
	t.Helper()
	const pool, user = "AbC123xyZ", "alice"
	salt, err := NewSalt()
	if err != nil {
		t.Fatal(err)
	}
	verifier := Verifier(pool, user, storedPassword, salt)
	c, err := NewClient()
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewServerSession(verifier, c.AHex())
	if err != nil {
		t.Fatal(err)
	}
	block := []byte("secret block bound to alice")
	now := time.Date(2024, 10, 6, 13, 37, 50, 0, time.UTC)
	ts, sig, err := c.Respond(pool, user, triedPassword, hexOf(salt), s.BHex(), base64.StdEncoding.EncodeToString(block), now)
	if err != nil {
		t.Fatal(err)
	}
	if ts != "Sun Oct 6 13:37:50 UTC 2024" {
		t.Fatalf("timestamp = %q", ts)
	}
	key, err := s.Key(pool, user)
	if err != nil {
		t.Fatal(err)
	}
	return VerifySignature(key, pool, user, block, ts, sig)
}

func hexOf(b []byte) string { return new(big.Int).SetBytes(b).Text(16) }

func TestLoginRoundTrip(t *testing.T) {
	tests := []struct {
		name, stored, tried string
		want                bool
	}{
		{"right password", "Passw0rd!", "Passw0rd!", true},
		{"wrong password", "Passw0rd!", "Passw0rd?", false},
		{"empty vs set", "Passw0rd!", "", false},
		{"unicode", "pässwörd", "pässwörd", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := login(t, tt.stored, tt.tried); got != tt.want {
				t.Fatalf("signature accepted = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNewServerSessionRejectsA(t *testing.T) {
	verifier := Verifier("pool", "user", "pw", []byte{1, 2, 3})
	mul := func(k int64) string { return new(big.Int).Mul(groupN, big.NewInt(k)).Text(16) }
	tests := []struct {
		name, a string
	}{
		{"zero", "0"},
		{"zeros", "0000"},
		{"N", groupN.Text(16)},
		{"N uppercase", strings.ToUpper(groupN.Text(16))},
		{"2N", mul(2)},
		{"kN", new(big.Int).Mul(groupN, groupK).Text(16)},
		{"N+1 (not reduced)", new(big.Int).Add(groupN, big.NewInt(1)).Text(16)},
		{"empty", ""},
		{"non-hex", "xyz"},
		{"sign", "-1"},
		{"plus", "+1"},
		{"prefix", "0x1234"},
		{"underscore", "12_34"},
		{"space", " 1234"},
		{"huge", strings.Repeat("1", 4097)},
		{"just over limit", strings.Repeat("0", maxIntDigits) + "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewServerSession(verifier, tt.a)
			if !errors.Is(err, ErrInvalidA) || s != nil {
				t.Fatalf("NewServerSession(%.20q) = %v, %v; want ErrInvalidA", tt.a, s, err)
			}
		})
	}
}

func TestNewServerSessionAcceptsPaddedA(t *testing.T) {
	verifier := Verifier("pool", "user", "pw", []byte{1, 2, 3})
	c, err := NewClient()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{c.AHex(), "00" + c.AHex(), strings.ToUpper(c.AHex()), "2"} {
		if _, err := NewServerSession(verifier, a); err != nil {
			t.Errorf("NewServerSession(%.20q): %v", a, err)
		}
	}
}

func TestNewServerSessionRejectsVerifier(t *testing.T) {
	for name, v := range map[string][]byte{
		"nil":   nil,
		"zero":  {0, 0},
		"N":     groupN.Bytes(),
		"above": append([]byte{1}, groupN.Bytes()...),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := NewServerSession(v, "1234"); !errors.Is(err, ErrInvalidVerifier) {
				t.Fatalf("err = %v, want ErrInvalidVerifier", err)
			}
		})
	}
}

func TestZeroURejected(t *testing.T) {
	verifier := Verifier("pool", "user", "pw", []byte{1})
	zero := func(_, _ *big.Int) *big.Int { return new(big.Int) }
	if _, err := newServerSession(verifier, "1234", big.NewInt(5), zero); !errors.Is(err, ErrZeroU) {
		t.Fatalf("err = %v, want ErrZeroU", err)
	}
}

func TestServerSessionRandomB(t *testing.T) {
	verifier := Verifier("pool", "user", "pw", []byte{1})
	s1, err1 := NewServerSession(verifier, "1234")
	s2, err2 := NewServerSession(verifier, "1234")
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if s1.BHex() == s2.BHex() {
		t.Fatal("two sessions share B")
	}
	if s1.b.BitLen() != 8*ephemeralBytes {
		t.Fatalf("b has %d bits", s1.b.BitLen())
	}
	if _, err := s1.Key("", "user"); err == nil {
		t.Fatal("Key accepted an empty pool name")
	}
}

func TestVerifySignatureRejects(t *testing.T) {
	key := []byte("0123456789abcdef")
	block := []byte("block")
	const ts = "Sun Oct 6 13:37:50 UTC 2024"
	sig := Signature(key, "pool", "user", block, ts)
	good := base64.StdEncoding.EncodeToString(sig)
	flipped := append([]byte(nil), sig...)
	flipped[31] ^= 1
	tests := []struct {
		name, sig string
		want      bool
	}{
		{"valid", good, true},
		{"flipped bit", base64.StdEncoding.EncodeToString(flipped), false},
		{"empty", "", false},
		{"truncated", good[:43], false},
		{"short raw", base64.StdEncoding.EncodeToString(sig[:31]), false},
		{"long raw", base64.StdEncoding.EncodeToString(append(sig, 0)), false},
		{"unpadded", base64.RawStdEncoding.EncodeToString(sig), false},
		{"bad base64", strings.Repeat("!", 44), false},
		{"trailing garbage", good + "AAAA", false},
		{"huge", strings.Repeat("A", 1<<16), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VerifySignature(key, "pool", "user", block, ts, tt.sig); got != tt.want {
				t.Fatalf("VerifySignature = %v, want %v", got, tt.want)
			}
		})
	}
	// Every input is bound: changing any of them breaks the signature.
	for name, ok := range map[string]bool{
		"key":       VerifySignature([]byte("0123456789abcdeF"), "pool", "user", block, ts, good),
		"pool":      VerifySignature(key, "poo1", "user", block, ts, good),
		"user":      VerifySignature(key, "pool", "usEr", block, ts, good),
		"block":     VerifySignature(key, "pool", "user", []byte("blocK"), ts, good),
		"timestamp": VerifySignature(key, "pool", "user", block, "Sun Oct 6 13:37:51 UTC 2024", good),
	} {
		if ok {
			t.Errorf("signature still verifies with a different %s", name)
		}
	}
	if len(sig) != sha256.Size {
		t.Fatalf("signature is %d bytes", len(sig))
	}
}

func TestVerifyPassword(t *testing.T) {
	salt := []byte{0, 0xff, 3, 4}
	v := Verifier("pool", "alice", "pw1", salt)
	tests := []struct {
		name, user, password string
		salt, verifier       []byte
		want                 bool
	}{
		{"match", "alice", "pw1", salt, v, true},
		{"stored verifier left-padded to len(N)", "alice", "pw1", salt, append(make([]byte, nLen-len(v)), v...), true},
		{"wrong password", "alice", "pw2", salt, v, false},
		{"wrong user", "bob", "pw1", salt, v, false},
		{"wrong salt", "alice", "pw1", []byte{1}, v, false},
		{"truncated verifier", "alice", "pw1", salt, v[1:], false},
		{"oversized verifier", "alice", "pw1", salt, make([]byte, nLen+1), false},
		{"empty verifier", "alice", "pw1", salt, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VerifyPassword("pool", tt.user, tt.password, tt.salt, tt.verifier); got != tt.want {
				t.Fatalf("VerifyPassword = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestClientRespondRejects(t *testing.T) {
	c, err := NewClient()
	if err != nil {
		t.Fatal(err)
	}
	goodB := new(big.Int).Add(groupN, big.NewInt(-5)).Text(16)
	tests := []struct {
		name, salt, b, block string
		want                 error
	}{
		{"B zero", "ab", "0", "AA==", ErrInvalidB},
		{"B is N", "ab", groupN.Text(16), "AA==", ErrInvalidB},
		{"B not hex", "ab", "zz", "AA==", ErrInvalidB},
		{"B empty", "ab", "", "AA==", ErrInvalidB},
		{"bad salt", "zz", goodB, "AA==", nil},
		{"empty salt", "", goodB, "AA==", nil},
		{"bad block", "ab", goodB, "!!!", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := c.Respond("pool", "user", "pw", tt.salt, tt.b, tt.block, time.Now())
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNewSalt(t *testing.T) {
	a, err1 := NewSalt()
	b, err2 := NewSalt()
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if len(a) != SaltSize || string(a) == string(b) {
		t.Fatalf("salts %x %x", a, b)
	}
}

func TestBareServerCrypto(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient()
	if err != nil {
		t.Fatal(err)
	}
	v := Verifier("pool", "user", "pw", []byte{1})
	for _, b := range []*big.Int{nil, big.NewInt(12345)} {
		if err := BareServerCrypto(v, c.AHex(), b, key, []byte("block")); err != nil {
			t.Fatalf("b=%v: %v", b, err)
		}
	}
	if err := BareServerCrypto(v, "0", nil, key, nil); !errors.Is(err, ErrInvalidA) {
		t.Fatalf("bad A: %v", err)
	}
}
