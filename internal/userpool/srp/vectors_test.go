package srp

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"os"
	"testing"
)

// vector is one login computed by the real amazon-cognito-identity-js client
// (testdata/gen_vectors.js) with its random a and the clock pinned.
type vector struct {
	Name        string `json:"name"`
	PoolID      string `json:"poolId"`
	PoolName    string `json:"poolName"`
	UserID      string `json:"userId"`
	Password    string `json:"password"`
	SaltHex     string `json:"saltHex"`
	VerifierHex string `json:"verifierHex"`
	AHex        string `json:"aHex"`
	SrpA        string `json:"srpA"`
	BHex        string `json:"bHex"`
	SrpB        string `json:"srpB"`
	UHex        string `json:"uHex"`
	KeyHex      string `json:"keyHex"`
	SecretBlock string `json:"secretBlock"`
	Timestamp   string `json:"timestamp"`
	Signature   string `json:"signature"`
}

func loadVectors(t testing.TB) (kHex string, vs []vector) {
	t.Helper()
	raw, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Meta struct {
			K string `json:"k"`
		} `json:"meta"`
		Vectors []vector `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	return file.Meta.K, file.Vectors
}

func hexInt(t testing.TB, s string) *big.Int {
	t.Helper()
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		t.Fatalf("bad hex %q", s)
	}
	return n
}

func mustDecodeHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(evenHex(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestK(t *testing.T) {
	kHex, _ := loadVectors(t)
	if got := groupK.Text(16); got != kHex {
		t.Fatalf("k = %s, JS library has %s", got, kHex)
	}
}

func TestServerMatchesJSClient(t *testing.T) {
	_, vs := loadVectors(t)
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) {
			salt := mustDecodeHex(t, v.SaltHex)
			verifier := Verifier(v.PoolName, v.UserID, v.Password, salt)
			if got := hex.EncodeToString(verifier); got != evenHex(v.VerifierHex) {
				t.Fatalf("verifier = %s, want %s", got, v.VerifierHex)
			}
			s, err := newServerSession(verifier, v.SrpA, hexInt(t, v.BHex), computeU)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.BHex(); got != v.SrpB {
				t.Fatalf("B = %s, want %s", got, v.SrpB)
			}
			if got := s.u.Text(16); got != v.UHex {
				t.Fatalf("u = %s, want %s", got, v.UHex)
			}
			key, err := s.Key(v.PoolName, v.UserID)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(key); got != v.KeyHex {
				t.Fatalf("key = %s, want %s", got, v.KeyHex)
			}
			block, err := base64.StdEncoding.DecodeString(v.SecretBlock)
			if err != nil {
				t.Fatal(err)
			}
			if !VerifySignature(key, v.PoolName, v.UserID, block, v.Timestamp, v.Signature) {
				t.Fatal("JS client's signature does not verify")
			}
			if !VerifyPassword(v.PoolName, v.UserID, v.Password, salt, verifier) {
				t.Fatal("VerifyPassword rejects the right password")
			}
		})
	}
}

func TestClientMatchesJSClient(t *testing.T) {
	_, vs := loadVectors(t)
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) {
			c, err := newClient(hexInt(t, v.AHex))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.AHex(); got != v.SrpA {
				t.Fatalf("A = %s, want %s", got, v.SrpA)
			}
			now, err := ParseTimestamp(v.Timestamp)
			if err != nil {
				t.Fatal(err)
			}
			ts, sig, err := c.Respond(v.PoolName, v.UserID, v.Password, v.SaltHex, v.SrpB, v.SecretBlock, now)
			if err != nil {
				t.Fatal(err)
			}
			if ts != v.Timestamp || sig != v.Signature {
				t.Fatalf("Respond = (%q, %q), want (%q, %q)", ts, sig, v.Timestamp, v.Signature)
			}
		})
	}
}

// TestVectorsCoverPadding makes sure the vectors exercise both branches of
// the padHex rule (high bit set or not) for every padded value.
func TestVectorsCoverPadding(t *testing.T) {
	_, vs := loadVectors(t)
	seen := map[string][2]bool{}
	note := func(name, h string) {
		e := seen[name]
		e[boolIndex(len(evenHex(h)) == len(h) && h[0] >= '8')] = true
		seen[name] = e
	}
	for _, v := range vs {
		note("A", v.SrpA)
		note("B", v.SrpB)
		note("u", v.UHex)
		note("salt", hex.EncodeToString(new(big.Int).SetBytes(mustDecodeHex(t, v.SaltHex)).Bytes()))
		salt := mustDecodeHex(t, v.SaltHex)
		s, err := newServerSession(Verifier(v.PoolName, v.UserID, v.Password, salt), v.SrpA, hexInt(t, v.BHex), computeU)
		if err != nil {
			t.Fatal(err)
		}
		S := new(big.Int).Exp(s.v, s.u, groupN)
		S.Mul(S, s.a).Mod(S, groupN).Exp(S, s.b, groupN)
		note("S", S.Text(16))
	}
	for name, e := range seen {
		if !e[0] || !e[1] {
			t.Errorf("%s: vectors cover high bit clear=%v set=%v; add vectors", name, e[0], e[1])
		}
	}
}

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}
