package functions

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ErrFunctionCode means a function's directory, handler module or
// executable is missing or unusable.
var ErrFunctionCode = errors.New("function code")

// Check verifies, before the function is registered, what starting it will
// need: its directory exists, a nodejs handler's module (file.js, .cjs or
// .mjs) exists, a provided function's command is an executable file, and
// node is installed for nodejs functions. nodePath is the node executable
// ("" for "node" from PATH). Builtins need nothing.
func Check(cfg FunctionConfig, nodePath string) error {
	cfg, err := cfg.normalise()
	if err != nil {
		return err
	}
	if cfg.Runtime == RuntimeBuiltin {
		return nil
	}
	dir := cfg.Dir
	if dir == "" {
		dir = "."
	}
	if fi, err := os.Stat(dir); err != nil {
		return fmt.Errorf("function %s: %w: dir %s does not exist", cfg.Name, ErrFunctionCode, dir)
	} else if !fi.IsDir() {
		return fmt.Errorf("function %s: %w: dir %s is not a directory", cfg.Name, ErrFunctionCode, dir)
	}
	switch cfg.Runtime {
	case RuntimeNodeJS:
		if nodePath == "" {
			nodePath = "node"
		}
		if _, err := exec.LookPath(nodePath); err != nil {
			return fmt.Errorf("function %s: %w: the nodejs runtime needs node (%s): %w", cfg.Name, ErrFunctionCode, nodePath, err)
		}
		module := cfg.Handler[:strings.LastIndexByte(cfg.Handler, '.')]
		base := filepath.Join(dir, module)
		for _, ext := range []string{".js", ".cjs", ".mjs"} {
			if fi, err := os.Stat(base + ext); err == nil && fi.Mode().IsRegular() {
				return nil
			}
		}
		return fmt.Errorf("function %s: %w: handler %s: no module %s.js, %s.cjs or %s.mjs in %s",
			cfg.Name, ErrFunctionCode, cfg.Handler, module, module, module, dir)
	case RuntimeProvided:
		cmd := cfg.Command[0]
		path := cmd
		if !strings.ContainsRune(cmd, '/') {
			// A bare name is looked up in PATH, then in the task root.
			if _, err := exec.LookPath(cmd); err == nil {
				return nil
			}
			path = filepath.Join(dir, cmd)
		} else if !filepath.IsAbs(cmd) {
			path = filepath.Join(dir, cmd)
		}
		fi, err := os.Stat(path)
		switch {
		case err != nil:
			return fmt.Errorf("function %s: %w: command %s: %s does not exist (build it, or set build: in the config)", cfg.Name, ErrFunctionCode, cmd, path)
		case fi.IsDir() || !fi.Mode().IsRegular():
			return fmt.Errorf("function %s: %w: command %s: %s is not a file", cfg.Name, ErrFunctionCode, cmd, path)
		case fi.Mode().Perm()&0o111 == 0:
			return fmt.Errorf("function %s: %w: command %s: %s is not executable (chmod +x)", cfg.Name, ErrFunctionCode, cmd, path)
		}
	}
	return nil
}
