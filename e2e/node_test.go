package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// requireNode returns the node executable and the harness directory with its
// packages installed (scripts/test runs npm ci). Locally a missing Node.js
// skips; under CI=true it fails.
func requireNode(t *testing.T) (string, string) {
	t.Helper()
	dir := filepath.Join(repoRoot(), "e2e", "node")
	node, err := exec.LookPath("node")
	if err == nil {
		if _, err = os.Stat(filepath.Join(dir, "node_modules", "amazon-cognito-identity-js")); err != nil {
			err = &os.PathError{Op: "stat", Path: "e2e/node/node_modules (run: cd e2e/node && npm ci)", Err: os.ErrNotExist}
		}
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the Node client harness is required in CI: %v", err)
		}
		t.Skipf("Node client harness not available: %v", err)
	}
	return node, dir
}

// TestNodeClients runs e2e/node/test with node --test against the demo:
// amazon-cognito-identity-js SRP sign-in and refresh, jsonwebtoken + jwk-to-pem
// and aws-jwt-verify on the tokens, and the notes API called with the id token.
func TestNodeClients(t *testing.T) {
	node, dir := requireNode(t)
	runNodeHarness(t, node, dir, startDemo(t))
}

// TestNodeClientsSigned runs the same harness against a server that checks
// signatures: the SDK v3 signs with the root key, amazon-cognito-identity-js
// calls the public operations unsigned, and wrong keys get AWS's errors.
func TestNodeClientsSigned(t *testing.T) {
	node, dir := requireNode(t)
	runNodeHarness(t, node, dir, startEnforced(t),
		"COGNATE_ENFORCED=1", "COGNATE_ACCESS_KEY_ID="+rootKeyID, "COGNATE_SECRET_ACCESS_KEY="+rootSecret)
}

func runNodeHarness(t *testing.T, node, dir string, d *demo, env ...string) {
	t.Helper()
	d.createUser(t, "nodeuser", "node@example.com", "N0de-Passw0rd!")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-concurrency=1", "test/")
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(),
		"COGNATE_URL="+d.srv.URL, "POOL_ID="+d.poolID, "CLIENT_ID="+d.clientID,
		"COGNATE_USERNAME=nodeuser", "COGNATE_PASSWORD=N0de-Passw0rd!", "COGNATE_EMAIL=node@example.com",
	), env...)
	out, err := cmd.CombinedOutput()
	t.Logf("node --test:\n%s", out)
	if err != nil {
		t.Fatalf("node tests failed: %v", err)
	}
}
