package e2e

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	_ "github.com/jackc/pgx/v5/stdlib"
)

// postgresURL returns a URL of an empty schema of the test database
// ($COGNATE_TEST_POSTGRES, set by scripts/test), dropped after the test.
// Locally a missing database skips; under CI=true it fails.
func postgresURL(t *testing.T) string {
	t.Helper()
	base := os.Getenv("COGNATE_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("COGNATE_TEST_POSTGRES is not set: scripts/test starts a throwaway PostgreSQL")
		}
		t.Skip("COGNATE_TEST_POSTGRES not set (scripts/test starts PostgreSQL)")
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	suffix := make([]byte, 6)
	rand.Read(suffix)
	schema := "e2e_" + hex.EncodeToString(suffix)
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestTwoNodesOnPostgres runs two Cognate nodes on one PostgreSQL database,
// as behind a load balancer: same store, same server key, same public URL.
func TestTwoNodesOnPostgres(t *testing.T) {
	storeURL := postgresURL(t)
	key := make([]byte, 32)
	rand.Read(key)
	env := []string{"COGNATE_SERVER_KEY=" + hex.EncodeToString(key)}
	args := []string{"--store", storeURL, "--public-url", "http://cognate.internal:4566"}

	// A applies the demo first; B then finds the same pool and client by name.
	a := &demo{srv: startServerEnv(t, "", env, args...)}
	if !strings.Contains(a.srv.output(), "store: postgres ") {
		t.Fatalf("banner does not name the postgres store:\n%s", a.srv.output())
	}
	a.idp = newIDP(a.srv.URL)
	lookupDemo(t, a)
	b := &demo{srv: startServerEnv(t, "", env, args...)}
	b.idp = newIDP(b.srv.URL)
	lookupDemo(t, b)
	if a.poolID != b.poolID || a.clientID != b.clientID {
		t.Fatalf("nodes disagree: %s/%s vs %s/%s", a.poolID, a.clientID, b.poolID, b.clientID)
	}
	ctx := context.Background()

	// A user created on A signs in on B; B's token passes A's gateway.
	a.createUser(t, "heidi", "heidi@example.com", "He1di-Passw0rd!")
	tokB := b.loginSRP(t, "heidi", "He1di-Passw0rd!")
	for _, n := range []*demo{a, b} {
		if status, body, _ := get(t, n.srv.URL+"/dev/cognito/notes", aws.ToString(tokB.IdToken)); status != 200 || !strings.Contains(body, "Notes for heidi") {
			t.Fatalf("gateway %s: %d %s", n.srv.URL, status, body)
		}
	}

	// A refresh token issued on A refreshes on B.
	tokA := a.loginSRP(t, "heidi", "He1di-Passw0rd!")
	ref, err := b.idp.InitiateAuth(ctx, &cip.InitiateAuthInput{
		AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: aws.String(b.clientID),
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(tokA.RefreshToken)},
	})
	if err != nil || ref.AuthenticationResult == nil || aws.ToString(ref.AuthenticationResult.IdToken) == "" {
		t.Fatalf("refresh on B: %v", err)
	}

	// RevokeToken on B: A's gateway refuses the tokens it had issued within a second.
	if status, _, _ := get(t, a.srv.URL+"/dev/cognito/notes", aws.ToString(tokA.IdToken)); status != 200 {
		t.Fatalf("before revoke: %d", status)
	}
	if _, err := b.idp.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: aws.String(b.clientID), Token: tokA.RefreshToken}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, a.srv.URL+"/dev/cognito/notes", aws.ToString(tokA.IdToken), 401, time.Second)
	// ...while B's own earlier session is unaffected.
	if status, _, _ := get(t, a.srv.URL+"/dev/cognito/notes", aws.ToString(tokB.IdToken)); status != 200 {
		t.Fatalf("unrelated token refused after RevokeToken: %d", status)
	}

	// A key rotated on A: tokens A signs with the new key verify on B.
	ctxTO, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := runCLI(t, ctxTO, "", "admin", "rotate-keys", "-endpoint", a.srv.URL, "-pool-id", a.poolID); err != nil {
		t.Fatal(err)
	}
	tokRotated := a.loginSRP(t, "heidi", "He1di-Passw0rd!")
	if kid(t, aws.ToString(tokRotated.IdToken)) == kid(t, aws.ToString(tokB.IdToken)) {
		t.Fatal("rotation did not change the signing key")
	}
	if status, body, _ := get(t, b.srv.URL+"/dev/cognito/notes", aws.ToString(tokRotated.IdToken)); status != 200 {
		t.Fatalf("B rejects a token signed with A's rotated key: %d %s", status, body)
	}
	if status, _, _ := get(t, b.srv.URL+"/dev/cognito/notes", aws.ToString(tokB.IdToken)); status != 200 {
		t.Fatalf("B rejects a token signed with the retired (still published) key: %d", status)
	}

	// A configuration applied on a third node reaches A and B.
	cfg := filepath.Join(t.TempDir(), "extra.yaml")
	os.WriteFile(cfg, []byte(`apis:
  - name: extra
    stages: [{name: live}]
    definition:
      openapi: 3.0.1
      info: {title: extra, version: "1"}
      paths:
        /ping:
          get:
            responses: {"200": {description: ok}}
            x-amazon-apigateway-integration:
              type: mock
              requestTemplates: {application/json: '{"statusCode": 200}'}
              responses:
                default:
                  statusCode: "200"
                  responseTemplates: {application/json: '{"pong":true}'}
`), 0o600)
	c := startServerEnv(t, "", env, append(args, "--config", cfg)...)
	apiID := extraAPIID(t, c.output())
	for _, n := range []*demo{a, b} {
		waitStatus(t, fmt.Sprintf("%s/restapis/%s/live/_user_request_/ping", n.srv.URL, apiID), "", 200, 3*time.Second)
	}
}

func lookupDemo(t *testing.T, d *demo) {
	t.Helper()
	found := startDemoLookupOnly(t, d)
	*d = *found
}

// waitStatus polls url until it answers the status want, failing after within.
func waitStatus(t *testing.T, url, auth string, want int, within time.Duration) {
	t.Helper()
	waitUntil(t, url, auth, within, fmt.Sprintf("status %d", want), func(status int, _ string) bool { return status == want })
}

// waitUntil polls url (GET, with auth) until ok accepts the answer, failing
// after within with the last answer and what was awaited.
func waitUntil(t *testing.T, url, auth string, within time.Duration, awaited string, ok func(status int, body string) bool) {
	t.Helper()
	eventually(t, within, awaited, func() (bool, string) {
		status, body, _ := get(t, url, auth)
		return ok(status, body), fmt.Sprintf("%s: %d %s", url, status, body)
	})
}

// extraAPIID reads the extra API's id from a banner route line.
func extraAPIID(t *testing.T, banner string) string {
	t.Helper()
	for _, line := range strings.Split(banner, "\n") {
		if i := strings.Index(line, "/restapis/"); i >= 0 && strings.Contains(line, "/live/_user_request_/ping") {
			rest := line[i+len("/restapis/"):]
			return rest[:strings.IndexByte(rest, '/')]
		}
	}
	t.Fatalf("no extra route in banner:\n%s", banner)
	return ""
}
