package gateway

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCognitoAuthorizer(t *testing.T) {
	env := newTestEnv(t, nil)
	ti := env.issuer
	good := ti.idToken("alice", time.Hour)
	parts := strings.Split(good, ".")
	forged := parts[0] + "." + parts[1] + "." + b64([]byte(strings.Repeat("x", 256)))
	tampered := parts[0] + "." + b64([]byte(`{"sub":"sub-mallory","cognito:username":"mallory","token_use":"id","iss":"`+ti.issuer+`","exp":4102444800}`)) + "." + parts[2]
	expired := ti.idToken("bob", -time.Minute)
	access := ti.accessToken("alice", "notes/read")
	accessOther := ti.accessToken("alice", "notes/write aws.cognito.signin.user.admin")
	none := b64([]byte(`{"alg":"none"}`)) + "." + parts[1] + "."
	tests := []httpCase{
		{name: "no token", target: "/dev/cognito/notes", status: 401, errType: "UnauthorizedException", wantBody: unauthorized},
		{name: "id token: notes for alice", target: "/dev/cognito/notes", header: auth(good), status: 200, contains: []string{`"title":"Notes for alice"`}},
		{name: "Bearer prefix accepted", target: "/dev/cognito/notes", header: auth("Bearer " + good), status: 200, contains: []string{"Notes for alice"}},
		{name: "forged signature", target: "/dev/cognito/notes", header: auth(forged), status: 401, errType: "UnauthorizedException", wantBody: unauthorized},
		{name: "tampered claims", target: "/dev/cognito/notes", header: auth(tampered), status: 401, errType: "UnauthorizedException"},
		{name: "alg none", target: "/dev/cognito/notes", header: auth(none), status: 401, errType: "UnauthorizedException"},
		{name: "expired", target: "/dev/cognito/notes", header: auth(expired), status: 401, errType: "UnauthorizedException"},
		{name: "garbage", target: "/dev/cognito/notes", header: auth("not-a-jwt"), status: 401, errType: "UnauthorizedException"},
		{name: "access token where id token required", target: "/dev/cognito/notes", header: auth(access), status: 401, errType: "UnauthorizedException"},
		{name: "scopes: access token with scope", target: "/dev/cognito/scoped", header: auth(access), status: 200, wantBody: `{"user":"alice"}`},
		{name: "scopes: id token refused", target: "/dev/cognito/scoped", header: auth(good), status: 401, errType: "UnauthorizedException"},
		{name: "scopes: access token without the scope", target: "/dev/cognito/scoped", header: auth(accessOther), status: 401, errType: "UnauthorizedException"},
		{name: "claims are strings", target: "/dev/claims", header: auth(good), status: 200,
			wantBody: `{"sub":"sub-alice","user":"alice","groups":"admins,users","exp":"` + strconv.FormatInt(env.clock.Now().Add(time.Hour).Unix(), 10) + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, env.h, env.inv) })
	}
	payload := string(env.inv.payload("listAccountNotes"))
	for _, s := range []string{`"principalId" : "sub-alice"`, `"username" : "alice"`, `"email" : "alice@example.com"`} {
		if !strings.Contains(payload, s) {
			t.Fatalf("integration payload lacks %s:\n%s", s, payload)
		}
	}
}

func TestCognitoCacheAndRevocation(t *testing.T) {
	env := newTestEnv(t, nil)
	ti := env.issuer
	tok := ti.idToken("carol", time.Hour)
	ok := httpCase{target: "/dev/cognito/notes", header: auth(tok), status: 200, contains: []string{"Notes for carol"}}
	ok.run(t, env.h, env.inv)
	ok.run(t, env.h, env.inv)
	if ti.calls != 1 {
		t.Fatalf("verifier called %d times, want 1 (cached)", ti.calls)
	}
	ti.revoke("jti-carol")
	// Still cached within the Cognito cap (1 s) ...
	ok.run(t, env.h, env.inv)
	// ... refused once it lapses, and the entry is dropped.
	env.clock.Add(1100 * time.Millisecond)
	denied := httpCase{target: "/dev/cognito/notes", header: auth(tok), status: 401, errType: "UnauthorizedException"}
	denied.run(t, env.h, env.inv)
	denied.run(t, env.h, env.inv)
	if ti.calls != 3 {
		t.Fatalf("verifier called %d times, want 3", ti.calls)
	}
	if n := env.gw.cache.Len(); n != 0 {
		t.Fatalf("%d cache entries left after revocation", n)
	}
}

func TestCognitoCacheBoundedByExpiry(t *testing.T) {
	env := newTestEnv(t, func(_ *API, o *Options) { o.CognitoCacheMaxTTL = time.Hour })
	tok := env.issuer.idToken("dave", 10*time.Second)
	httpCase{target: "/dev/cognito/notes", header: auth(tok), status: 200}.run(t, env.h, env.inv)
	env.clock.Add(11 * time.Second)
	httpCase{target: "/dev/cognito/notes", header: auth(tok), status: 401, errType: "UnauthorizedException"}.run(t, env.h, env.inv)
}
