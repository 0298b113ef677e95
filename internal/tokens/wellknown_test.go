package tokens

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestIssuer(t *testing.T) {
	tests := []struct {
		base, region, pool string
		aws                bool
		want               string
	}{
		{"http://127.0.0.1:4566", "us-east-1", "us-east-1_Abc", false, "http://127.0.0.1:4566/us-east-1_Abc"},
		{"http://localhost:4566/", "us-east-1", "us-east-1_Abc", false, "http://localhost:4566/us-east-1_Abc"},
		{"http://localhost:4566", "eu-west-1", "eu-west-1_Xyz", true, "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Xyz"},
	}
	for _, tt := range tests {
		if got := Issuer(tt.base, tt.region, tt.pool, tt.aws); got != tt.want {
			t.Errorf("Issuer(%q, %q, %q, %v) = %q, want %q", tt.base, tt.region, tt.pool, tt.aws, got, tt.want)
		}
	}
}

func TestWellKnownHandler(t *testing.T) {
	e := newEnv(t)
	awsPool := "us-east-1_AwsStyle"
	issuers := map[string]string{
		e.pool:  e.iss,
		awsPool: Issuer("", "us-east-1", awsPool, true),
	}
	h := WellKnownHandler(e.ring, func(pool string) (string, bool) { iss, ok := issuers[pool]; return iss, ok })

	tests := []struct {
		name, method, path string
		status             int
		check              func(t *testing.T, body map[string]any)
	}{
		{"jwks", "GET", "/" + e.pool + "/.well-known/jwks.json", 200, func(t *testing.T, b map[string]any) {
			if keys, _ := b["keys"].([]any); len(keys) != 2 {
				t.Errorf("keys = %v", b["keys"])
			}
		}},
		{"openid configuration", "GET", "/" + e.pool + "/.well-known/openid-configuration", 200, func(t *testing.T, b map[string]any) {
			if b["issuer"] != e.iss || b["jwks_uri"] != e.iss+"/.well-known/jwks.json" {
				t.Errorf("issuer %v, jwks_uri %v", b["issuer"], b["jwks_uri"])
			}
			if algs, _ := b["id_token_signing_alg_values_supported"].([]any); len(algs) != 1 || algs[0] != "RS256" {
				t.Errorf("algs = %v", algs)
			}
			for _, f := range []string{"subject_types_supported", "response_types_supported"} {
				if _, ok := b[f].([]any); !ok {
					t.Errorf("%s missing", f)
				}
			}
		}},
		{"aws-style issuer serves jwks locally", "GET", "/" + awsPool + "/.well-known/openid-configuration", 200, func(t *testing.T, b map[string]any) {
			if b["issuer"] != "https://cognito-idp.us-east-1.amazonaws.com/"+awsPool || b["jwks_uri"] != "http://cognate.test:4566/"+awsPool+"/.well-known/jwks.json" {
				t.Errorf("issuer %v, jwks_uri %v", b["issuer"], b["jwks_uri"])
			}
		}},
		{"head", "HEAD", "/" + e.pool + "/.well-known/jwks.json", 200, nil},
		{"unknown pool", "GET", "/us-east-1_Nope/.well-known/jwks.json", 404, func(t *testing.T, b map[string]any) {
			if b["message"] != "User pool us-east-1_Nope does not exist." {
				t.Errorf("message = %v", b["message"])
			}
		}},
		{"unknown pool, long id", "GET", "/" + strings.Repeat("x", 300) + "/.well-known/openid-configuration", 404, func(t *testing.T, b map[string]any) {
			if strings.Contains(b["message"].(string), "xxx") {
				t.Error("long pool id echoed")
			}
		}},
		{"other path", "GET", "/" + e.pool + "/.well-known/other", 404, nil},
		{"post", "POST", "/" + e.pool + "/.well-known/jwks.json", 405, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "http://cognate.test:4566"+tt.path, nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.status == 200 && (rec.Header().Get("Cache-Control") == "" || rec.Header().Get("Content-Type") != "application/json") {
				t.Errorf("headers = %v", rec.Header())
			}
			if tt.check == nil {
				return
			}
			var body map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			tt.check(t, body)
		})
	}
}

func TestWellKnownStoreFailure(t *testing.T) {
	e := newEnv(t)
	e.store.fails.Store(true)
	e.clock.Advance(2 * e.ring.refresh)
	h := WellKnownHandler(e.ring, func(string) (string, bool) { return e.iss, true })
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/"+e.pool+"/.well-known/jwks.json", nil))
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "store down") {
		t.Fatalf("status %d body %s", rec.Code, rec.Body)
	}
}
