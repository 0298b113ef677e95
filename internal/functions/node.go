package functions

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/cognate-dev/cognate/internal/functions/nodeboot"
)

// nodeBootstrap writes the embedded Node bootstrap to a temporary
// directory once per runner and returns its path; Close removes it.
func (r *Runner) nodeBootstrap() (string, error) {
	r.bootMu.Lock()
	defer r.bootMu.Unlock()
	if r.bootPath != "" {
		return r.bootPath, nil
	}
	dir, err := os.MkdirTemp("", "cognate-node-")
	if err != nil {
		return "", fmt.Errorf("node bootstrap: %w", err)
	}
	// Readable by all: a function may run as another, unprivileged user.
	// The bootstrap holds no secret.
	if err := os.Chmod(dir, 0o755); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("node bootstrap: %w", err)
	}
	path := filepath.Join(dir, nodeboot.FileName)
	if err := os.WriteFile(path, nodeboot.Bootstrap, 0o644); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("node bootstrap: %w", err)
	}
	if err := os.Chmod(path, 0o644); err != nil { // whatever the umask
		os.RemoveAll(dir)
		return "", fmt.Errorf("node bootstrap: %w", err)
	}
	r.bootDir, r.bootPath = dir, path
	return path, nil
}
