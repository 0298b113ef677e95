package tokens

import (
	"context"
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
