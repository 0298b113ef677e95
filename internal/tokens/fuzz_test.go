package tokens

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

func FuzzVerify(f *testing.F) {
	e := newEnv(f)
	issued := map[string]bool{}
	for _, use := range []string{UseID, UseAccess} {
		tok := e.sign(f, use, e.claims(use))
		issued[tok] = true
		parts := strings.Split(tok, ".")
		f.Add(tok)
		f.Add(parts[0] + "." + parts[1] + ".")
		f.Add(parts[0] + ".e30." + parts[2])
		f.Add("eyJhbGciOiJub25lIn0." + parts[1] + ".")
		f.Add(tok + "." + parts[2])
	}
	f.Add("")
	f.Add("..")
	v := NewVerifier(e.ring, VerifierOptions{Now: e.clock.Now})
	exp := Expect{PoolID: e.pool, Issuer: e.iss}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := v.Verify(context.Background(), token, exp)
		if err == nil && !issued[token] {
			t.Fatalf("accepted a token the ring never signed: %q (%v)", token, c)
		}
	})
}

func FuzzParseJWS(f *testing.F) {
	f.Add("eyJraWQiOiJhYmMiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln")
	f.Add("eyJhbGciOiJIUzI1NiJ9.e30.c2ln")
	f.Add("e30.e30.e30")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, token string) {
		j, err := parseJWS(token)
		if err != nil {
			return
		}
		if !validKid(j.kid) || j.claims == nil || len(j.signature) == 0 || !strings.HasPrefix(token, j.signingInput+".") {
			t.Fatalf("parsed %q into an inconsistent JWS %+v", token, j)
		}
	})
}

// FuzzDecodeObject checks that decodeObject's one-pass path answers exactly
// what the member-by-member decoder answers: the same claims when both
// accept, and never accepts what the strict decoder refuses.
func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a":1,"a":2}`, `{"a":{"b":1,"b":2}}`, `{"a\"b":1,"a\"b":2}`,
		`{"a":"x,\"b\":1"}`, `{"a":[{"a":1},"a"],"b":2}`, "{\"a\":1} \r\n\t", `{"a":1} {}`, `{"a":1}x`, `[1]`, `null`,
		`"s"`, `{"a":1.5e3,"b":true,"c":null}`, `{"\u0061":1,"a":2}`, `{"a":1,}`, ``, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		want, werr := decodeObjectStrict(b)
		got, ok := decodeObjectFast(b)
		if ok && werr != nil {
			t.Fatalf("fast path accepted %q, strict refused it: %v", b, werr)
		}
		if ok && !reflect.DeepEqual(got, want) {
			t.Fatalf("fast %v, strict %v for %q", got, want, b)
		}
		if _, err := decodeObject(b); (err == nil) != (werr == nil) {
			t.Fatalf("decodeObject err %v, strict %v for %q", err, werr, b)
		}
	})
}
