package srp

import (
	"encoding/base64"
	"errors"
	"math/big"
	"testing"
	"time"
)

func FuzzServerSessionA(f *testing.F) {
	c, err := newClient(big.NewInt(123456789))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{c.AHex(), "0", groupN.Text(16), "00" + c.AHex(), "-1", "zz", ""} {
		f.Add(s)
	}
	verifier := Verifier("pool", "user", "pw", []byte{1, 2})
	f.Fuzz(func(t *testing.T, a string) {
		s, err := newServerSession(verifier, a, big.NewInt(99), computeU)
		if err != nil {
			if !errors.Is(err, ErrInvalidA) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if s.a.Sign() <= 0 || s.a.Cmp(groupN) >= 0 {
			t.Fatalf("accepted A outside (0, N): %s", s.a.Text(16))
		}
		if _, err := s.Key("pool", "user"); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzVerifySignature(f *testing.F) {
	key := []byte("0123456789abcdef")
	good := base64.StdEncoding.EncodeToString(Signature(key, "p", "u", []byte("b"), "t"))
	for _, s := range []string{good, "", good[:43] + "=", "====", good + "A"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sig string) {
		if VerifySignature(key, "p", "u", []byte("b"), "t", sig) && sig != good {
			t.Fatalf("accepted %q, which is not the signature", sig)
		}
	})
}

func FuzzParseTimestamp(f *testing.F) {
	for _, s := range []string{"Sun Oct 6 13:37:50 UTC 2024", "Sun Oct 06 13:37:50 UTC 2024", "Thu Feb 29 23:59:59 UTC 2024", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := ParseTimestamp(s)
		if err != nil {
			return
		}
		back, err := ParseTimestamp(FormatTimestamp(ts))
		if err != nil || !back.Equal(ts) || back.Location() != time.UTC {
			t.Fatalf("%q parsed to %v, which does not round-trip: %v %v", s, ts, back, err)
		}
	})
}
