package authorizer

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/iampolicy"

	"github.com/cognate-dev/cognate/internal/tokens"
)

func TestParseIdentitySource(t *testing.T) {
	got, err := ParseIdentitySource("method.request.header.Authorization, method.request.querystring.k,stageVariables.s, context.identity.sourceIp")
	if err != nil {
		t.Fatal(err)
	}
	want := []Source{{SourceHeader, "Authorization"}, {SourceQuery, "k"}, {SourceStage, "s"}, {SourceContext, "identity.sourceIp"}}
	if len(got) != len(want) {
		t.Fatalf("%v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%v, want %v", got, want)
		}
	}
	for _, bad := range []string{"method.request.path.id", "header.X", "method.request.header."} {
		if _, err := ParseIdentitySource(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseOutput(t *testing.T) {
	const policy = `"policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"*"}]}`
	tests := []struct {
		name, out string
		ok        bool
	}{
		{"scalars", `{"principalId":"p",` + policy + `,"context":{"s":"x","n":1.5,"b":true,"z":null}}`, true},
		{"no context", `{"principalId":"p",` + policy + `}`, true},
		{"object in context", `{"principalId":"p",` + policy + `,"context":{"o":{}}}`, false},
		{"array in context", `{"principalId":"p",` + policy + `,"context":{"a":[1]}}`, false},
		{"no principal", `{` + policy + `}`, false},
		{"principal not a string", `{"principalId":5,` + policy + `}`, false},
		{"no policy", `{"principalId":"p"}`, false},
		{"not json", `nope`, false},
	}
	for _, tt := range tests {
		res, err := parseOutput([]byte(tt.out))
		if (err == nil) != tt.ok {
			t.Errorf("%s: err %v", tt.name, err)
			continue
		}
		if err != nil && !errors.Is(err, ErrConfiguration) {
			t.Errorf("%s: %v is not ErrConfiguration", tt.name, err)
		}
		if err == nil && res.Decide("arn:x") != iampolicy.Allowed {
			t.Errorf("%s: not allowed", tt.name)
		}
	}
}

func TestCacheExpiryAndBound(t *testing.T) {
	now := time.Unix(1000, 0)
	c := NewCache(2, func() time.Time { return now })
	r := &Result{PrincipalID: "p"}
	c.Put("a", "ida", r, time.Minute, time.Time{})
	if got, ok := c.Get("a"); !ok || !got.Cached || got.PrincipalID != "p" {
		t.Fatalf("get a: %v %v", got, ok)
	}
	if r.Cached {
		t.Fatal("caller's result mutated")
	}
	c.Put("b", "idb", r, time.Minute, now.Add(time.Second))
	now = now.Add(2 * time.Second)
	if _, ok := c.Get("b"); ok {
		t.Fatal("entry outlived notAfter")
	}
	c.Put("c", "idc", r, time.Minute, time.Time{}) // evicts expired b
	if c.Len() != 2 {
		t.Fatalf("len %d", c.Len())
	}
	c.DropIdentity("ida")
	if _, ok := c.Get("a"); ok {
		t.Fatal("dropped identity still cached")
	}
}

type countingInvoker struct{ n int }

func (c *countingInvoker) InvokeFunction(context.Context, string, []byte) ([]byte, string, error) {
	c.n++
	return []byte(`{"principalId":"p","policyDocument":{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}}`), "", nil
}

func TestCacheKeyedOnAllIdentitySources(t *testing.T) {
	inv := &countingInvoker{}
	a, err := New(Config{ID: "d/r", Type: Request, Function: "f", IdentitySource: "method.request.header.A, method.request.header.B", TTL: time.Minute},
		Deps{Functions: inv, Cache: NewCache(0, nil)})
	if err != nil {
		t.Fatal(err)
	}
	call := func(av, bv string) {
		h := http.Header{}
		h.Set("A", av)
		h.Set("B", bv)
		if _, err := a.Authorize(t.Context(), &Input{Header: h}); err != nil {
			t.Fatal(err)
		}
	}
	call("1", "2")
	call("1", "2")
	call("1", "3")
	if inv.n != 2 {
		t.Fatalf("function called %d times, want 2", inv.n)
	}
}

func TestNewRejects(t *testing.T) {
	for _, cfg := range []Config{
		{ID: "x", Type: "TOKEN"},
		{ID: "x", Type: "COGNITO_USER_POOLS"},
		{ID: "x", Type: "JWT", Function: "f"},
		{ID: "x", Type: "TOKEN", Function: "f", IdentitySource: "method.request.header.A, method.request.header.B"},
	} {
		if _, err := New(cfg, Deps{}); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}

type audVerifier struct{}

func (audVerifier) Verify(_ context.Context, token string, _ tokens.Expect) (tokens.Claims, error) {
	return tokens.Claims{"sub": "s", "aud": token}, nil
}

func TestValidationExpressionPerKind(t *testing.T) {
	cog, err := New(Config{ID: "c", Type: Cognito, PoolIDs: []string{"p"}, IdentityValidationExpression: "client-[0-9]+"}, Deps{Tokens: audVerifier{}, Issuer: func(string) string { return "iss" }})
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("Authorization", "client-42")
	if _, err := cog.Authorize(t.Context(), &Input{Header: h}); err != nil {
		t.Fatalf("matching aud refused: %v", err)
	}
	h.Set("Authorization", "other")
	if _, err := cog.Authorize(t.Context(), &Input{Header: h}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("aud outside the expression: %v", err)
	}
	inv := &countingInvoker{}
	req, err := New(Config{ID: "r", Type: Request, Function: "f", IdentitySource: "method.request.header.A", IdentityValidationExpression: "never"}, Deps{Functions: inv})
	if err != nil {
		t.Fatal(err)
	}
	h = http.Header{}
	h.Set("A", "x")
	if _, err := req.Authorize(t.Context(), &Input{Header: h}); err != nil || inv.n != 1 {
		t.Fatalf("REQUEST authorizer applied the expression: %v", err)
	}
}
