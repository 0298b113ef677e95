package e2e

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"
)

// requireChromium returns Debian's Chromium for the browser tests (scripts/test
// installs it); locally a missing one skips, under CI=true it fails.
func requireChromium(t *testing.T) string {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Chromium is required in CI (scripts/test installs Debian's chromium): %v", err)
		}
		t.Skipf("Chromium not installed (apt-get install chromium): %v", err)
	}
	return path
}

// runBrowserTest runs one node --test file of e2e/node/browser with env.
func runBrowserTest(t *testing.T, file string, env ...string) {
	t.Helper()
	node, dir := requireNode(t)
	chromium := requireChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "browser/"+file)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "CHROMIUM="+chromium, "SCREENSHOT_DIR="+t.TempDir()), env...)
	out, err := cmd.CombinedOutput()
	t.Logf("node --test browser/%s:\n%s", file, out)
	if err != nil {
		t.Fatalf("browser test failed: %v", err)
	}
}

// TestBrowserCrossOrigin: a page on another origin, in headless Chromium,
// cannot drive the admin API (the open, no-credentials mode included) while
// amazon-cognito-identity-js on the same page signs in.
func TestBrowserCrossOrigin(t *testing.T) {
	d := startDemo(t)
	d.createUser(t, "browseruser", "browser@example.com", "Br0wser-Passw0rd!")
	runBrowserTest(t, "cross-origin.test.js",
		"COGNATE_URL="+d.srv.URL, "POOL_ID="+d.poolID, "CLIENT_ID="+d.clientID,
		"COGNATE_USERNAME=browseruser", "COGNATE_PASSWORD=Br0wser-Passw0rd!")
}
