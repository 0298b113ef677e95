package nodeboot

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestBootstrapIsValidJavaScript(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is required on CI")
		}
		t.Skip("node not installed")
	}
	path := filepath.Join(t.TempDir(), FileName)
	if err := os.WriteFile(path, Bootstrap, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(node, "--check", path).CombinedOutput(); err != nil {
		t.Fatalf("node --check: %v\n%s", err, out)
	}
}
