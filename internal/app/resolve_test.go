package app

import (
	"strings"
	"testing"
)

func TestResolveRefs(t *testing.T) {
	r := &refs{
		region: "eu-west-1", account: "123456789012",
		pools:   map[string]string{"notes-users": "eu-west-1_Abc"},
		clients: map[string]string{"notes-users/notes-client": "client123"},
		issuers: map[string]string{"notes-users": "http://127.0.0.1:4566/eu-west-1_Abc"},
	}
	got, err := r.resolve("arn:aws:cognito-idp:${aws:region}:${aws:account}:userpool/${pool:notes-users} ${client:notes-users/notes-client} ${issuer:notes-users} ${OTHER}")
	if err != nil {
		t.Fatal(err)
	}
	want := "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Abc client123 http://127.0.0.1:4566/eu-west-1_Abc ${OTHER}"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	_, err = r.resolve("${pool:nope} ${client:notes-users/x} ${aws:x}")
	if err == nil || !strings.Contains(err.Error(), "${pool:nope}") || !strings.Contains(err.Error(), "${client:notes-users/x}") || !strings.Contains(err.Error(), "${aws:x}") {
		t.Fatalf("err = %v", err)
	}
}

func TestIsWellKnown(t *testing.T) {
	for p, want := range map[string]bool{
		"/us-east-1_AbC123xyZ/.well-known/jwks.json":           true,
		"/eu-central-1_x/.well-known/openid-configuration":     true,
		"/dev/.well-known/jwks.json":                           false,
		"/my_stage/.well-known/jwks.json":                      false,
		"/us-east-1_AbC/.well-known/other":                     false,
		"/us-east-1_AbC/x/.well-known/jwks.json":               false,
		"/us-east-1_AbC/.well-known/jwks.json/../../dev/notes": false,
		"/restapis/a/dev/_user_request_/.well-known/jwks.json": false,
	} {
		if got := isWellKnown(p); got != want {
			t.Errorf("isWellKnown(%q) = %v, want %v", p, got, want)
		}
	}
}
