package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadExpandsEnvAndResolvesPaths(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("COGNATE_TEST_PW", "Sup3r-secret!")
	yml := `
pools:
  - name: notes-users
    clients: [{name: notes-client, explicitAuthFlows: [ALLOW_USER_SRP_AUTH]}]
    groups: [{name: admins}]
    users:
      - {username: alice, password: "${COGNATE_TEST_PW}", attributes: {email: alice@example.com}, groups: [admins]}
functions:
  - {name: listAccountNotes, runtime: nodejs20.x, handler: index.handler, dir: fn, timeout: 5}
apis:
  - name: notes
    openapi: api.yaml
    stages: [{name: dev, variables: {color: "${COGNATE_TEST_COLOR:-blue}"}}]
`
	path := filepath.Join(dir, "cognate.yaml")
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Pools[0].Users[0].Password; got != "Sup3r-secret!" {
		t.Fatalf("password = %q", got)
	}
	if got := f.APIs[0].Stages[0].Variables["color"]; got != "blue" {
		t.Fatalf("default not applied: %q", got)
	}
	if got := f.Path(f.Functions[0].Dir); got != filepath.Join(dir, "fn") {
		t.Fatalf("path = %q", got)
	}
	if f.Region != "us-east-1" || f.AccountID != "000000000000" || f.IssuerStyle != "local" {
		t.Fatalf("defaults: %+v", f)
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name, yml, want string
	}{
		{"unknown key", "pools: [{name: p, colour: red}]", `pools[0].colour (line 1): unknown field "colour"`},
		{"unset env", "region: ${COGNATE_SURELY_UNSET_VAR}", "COGNATE_SURELY_UNSET_VAR"},
		{"bad yaml", "pools: [", "decode config"},
		{"typo suggests the key", "pools:\n  - name: p\n    clients:\n      - {name: c, generateSecrt: true}\n", `pools[0].clients[0].generateSecrt (line 4): unknown field "generateSecrt" (did you mean "generateSecret"?)`},
		{"far-off key lists the valid ones", "apis: [{name: a, colour: red}]", `(valid: default, definition, name, openapi, stages)`},
		{"wrong type names the field", "functions:\n  - name: f\n    build: go build\n", `functions[0].build (line 3): the string "go build" is not a list`},
		{"top-level typo", "regoin: eu-west-1", `regoin (line 1): unknown field "regoin" (did you mean "region"?)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	f, err := Parse([]byte(`
issuerStyle: weird
throttling: {rateLimit: 0}
authThrottling: {rateLimit: -2, trustedProxies: [10.0.0.0/8, 192.0.2.1, proxy.example]}
pools:
  - name: p
    clients: [{name: c, idTokenValidity: soon}]
    users: [{username: u, groups: [nope]}]
  - name: p
functions:
  - {name: "bad name", runtime: cobol}
  - {name: n, runtime: nodejs20.x}
apis:
  - {name: a, default: true}
  - {name: b, default: true, openapi: x.yaml, stages: [{name: "no/slash"}]}
httpApis:
  - {name: h}
  - {name: h, openapi: h.yaml, stages: [{name: $default}, {name: $default}, {name: "a b", throttlingRateLimit: -1}]}
`))
	if err != nil {
		t.Fatal(err)
	}
	err = f.Validate()
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, want := range []string{
		"issuerStyle", "throttling: rateLimit", "authThrottling: rateLimit", `trustedProxies: "proxy.example"`, "idTokenValidity", "password: required", `group "nope"`, `duplicate pool "p"`,
		"not a valid function name", `"cobol" is not supported`, "nodejs function needs handler and dir",
		"exactly one of openapi", "at least one stage", "not a valid stage name", "2 APIs are marked default",
		"httpApis[0]: give exactly one of openapi", `duplicate HTTP API "h"`, `duplicate stage "$default"`, `httpApis[1].stages[2].name: "a b"`,
		"httpApis[1].stages[2].throttlingRateLimit",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

func TestAuthThrottlingProxies(t *testing.T) {
	a := &AuthThrottling{TrustedProxies: []string{"10.1.2.3/8", "192.0.2.1", "::ffff:198.51.100.7", "2001:db8::/32"}}
	got, err := a.Proxies()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "192.0.2.1/32", "198.51.100.7/32", "2001:db8::/32"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("proxy %d = %s, want %s", i, got[i], want[i])
		}
	}
}

// TestValidateSuggests: a misspelt enumeration value gets the nearest valid one.
func TestValidateSuggests(t *testing.T) {
	f, err := Parse([]byte("issuerStyle: awz\nfunctions:\n  - {name: f, runtime: nodejs20, handler: index.handler, dir: .}\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = f.Validate()
	for _, want := range []string{`functions[0].runtime: "nodejs20" is not supported (did you mean "nodejs20.x"?)`, `issuerStyle: "awz" is not local or aws (did you mean "aws"?)`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err %v, want %q", err, want)
		}
	}
}
