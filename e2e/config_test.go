package e2e

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestConfigFile applies a configuration with a user, groups, a client with
// short token lifetimes and ${ENV} secrets, twice (idempotently), and checks
// what a client sees.
func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cognate.yaml")
	os.WriteFile(cfg, []byte(`
pools:
  - name: staff
    passwordPolicy: {minimumLength: 10, requireNumbers: true}
    clients:
      - name: web
        explicitAuthFlows: [ALLOW_USER_SRP_AUTH, ALLOW_REFRESH_TOKEN_AUTH]
        idTokenValidity: 10m
        accessTokenValidity: 15m
    groups: [{name: admins, precedence: 1}, {name: readers}]
    users:
      - username: kim
        password: ${KIM_PASSWORD}
        attributes: {email: kim@example.com, email_verified: "true"}
        groups: [admins, readers]
`), 0o600)
	env := []string{"KIM_PASSWORD=Kim-Passw0rd-42"}
	data := t.TempDir()
	for round := 0; round < 2; round++ {
		srv := startServerEnv(t, data, env, "--config", cfg)
		d := &demo{srv: srv, idp: newIDP(srv.URL)}
		for _, line := range strings.Split(srv.output(), "\n") {
			f := strings.Fields(line)
			if len(f) == 4 && f[0] == "pool" && f[1] == "staff" {
				d.poolID = f[3]
			}
			if len(f) == 4 && f[0] == "client" && f[1] == "web" {
				d.clientID = f[3]
			}
		}
		if d.poolID == "" || d.clientID == "" {
			t.Fatalf("round %d: pool or client missing from the banner:\n%s", round, srv.output())
		}
		tok := d.loginSRP(t, "kim", "Kim-Passw0rd-42")
		id := claimsOf(t, aws.ToString(tok.IdToken))
		access := claimsOf(t, aws.ToString(tok.AccessToken))
		if got := id["exp"].(float64) - id["iat"].(float64); got != 600 {
			t.Errorf("id token lifetime %v s, want 600", got)
		}
		if got := access["exp"].(float64) - access["iat"].(float64); got != 900 {
			t.Errorf("access token lifetime %v s, want 900", got)
		}
		groups, _ := id["cognito:groups"].([]any)
		if len(groups) != 2 || groups[0] != "admins" {
			t.Errorf("cognito:groups = %v, want [admins readers] (by precedence)", id["cognito:groups"])
		}
		if id["email"] != "kim@example.com" || id["email_verified"] != true {
			t.Errorf("id claims: %v", id)
		}
		srv.stop(t)
	}
}

func claimsOf(t *testing.T, token string) map[string]any {
	t.Helper()
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	return c
}
