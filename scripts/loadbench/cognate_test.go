package main

import (
	"strings"
	"testing"
	"unicode"

	"github.com/cognate-dev/cognate/internal/config"
	"github.com/cognate-dev/cognate/internal/gateway"
	"github.com/cognate-dev/cognate/internal/gateway/openapi"
)

// TestConfigFile checks that the generated configuration stays valid for
// the current schema and imports as the route the benchmark measures.
func TestConfigFile(t *testing.T) {
	t.Setenv(passwordEnv, "Lb-secret-Z9")
	for _, names := range [][]string{{"bench1"}, {"bench1", "bench2", "bench3"}} {
		t.Run(strings.Join(names, ","), func(t *testing.T) {
			f, err := config.Parse(configFile(names, "http://127.0.0.1:1234"))
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Validate(); err != nil {
				t.Fatal(err)
			}
			if got := f.Pools[0].Users[0].Password; got != "Lb-secret-Z9" {
				t.Errorf("password = %q, want it from %s", got, passwordEnv)
			}
			if len(f.APIs) != len(names) {
				t.Fatalf("%d APIs, want %d", len(f.APIs), len(names))
			}
			for i, a := range f.APIs {
				if a.Name != names[i] || a.Default != (i == 0) || len(a.Stages) != 1 || a.Stages[0].Name != stageName {
					t.Errorf("api %d = %s default %t stages %v", i, a.Name, a.Default, a.Stages)
				}
				doc, err := f.OpenAPIDocument(a)
				if err != nil {
					t.Fatal(err)
				}
				api, err := openapi.Import(doc)
				if err != nil {
					t.Fatal(err)
				}
				m := api.Paths["/{proxy+}"]["ANY"]
				if m == nil {
					t.Fatalf("no ANY /{proxy+} in %v", api.Paths)
				}
				in := m.Integration
				if in.Type != gateway.IntegrationHTTPProxy || in.URI != "http://127.0.0.1:1234/{proxy}" ||
					in.RequestParameters["integration.request.path.proxy"] != "method.request.path.proxy" {
					t.Errorf("integration = %+v", in)
				}
				au := api.Authorizers[m.Authorizer]
				if au == nil || au.Type != gateway.AuthorizerToken || au.ResultTTLSeconds == nil || *au.ResultTTLSeconds != 300 {
					t.Errorf("authorizer %q = %+v", m.Authorizer, au)
				}
			}
		})
	}
}

// TestNewPassword checks the generated password meets Cognito's default
// policy (8+ characters with upper, lower, digit and symbol) and varies.
func TestNewPassword(t *testing.T) {
	a, err := newPassword()
	if err != nil {
		t.Fatal(err)
	}
	b, err := newPassword()
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Errorf("two passwords are equal: %q", a)
	}
	classes := []struct {
		name string
		in   func(rune) bool
	}{
		{"upper", unicode.IsUpper}, {"lower", unicode.IsLower}, {"digit", unicode.IsDigit},
		{"symbol", func(r rune) bool { return strings.ContainsRune("-^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+", r) }},
	}
	for _, c := range classes {
		if !strings.ContainsFunc(a, c.in) {
			t.Errorf("password %q has no %s character", a, c.name)
		}
	}
	if len(a) < 8 || strings.Contains(a, "${") {
		t.Errorf("password %q: too short or contains an expansion", a)
	}
}
