package functions

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
)

// Remove unregisters a function: new invocations get ErrFunctionNotFound,
// those running finish, then its instances stop. It reports whether the
// function existed.
func (r *Runner) Remove(name string) bool {
	r.mu.Lock()
	old, ok := r.fns[name]
	if ok {
		delete(r.fns, name)
		for i, n := range r.order {
			if n == name {
				r.order = append(r.order[:i], r.order[i+1:]...)
				break
			}
		}
	}
	r.mu.Unlock()
	if !ok {
		return false
	}
	r.log.Info("function removed", "function", name)
	r.draining.Add(1)
	go r.drain(old)
	return true
}

// Fingerprint limits: past them, files count by size and time only.
const (
	maxFingerprintFiles = 50000
	maxFingerprintBytes = 256 << 20
)

// CodeFingerprint summarises the code in dir (every regular file's path and
// content; past 256 MB of content, size and modification time) so that a
// reload notices changed handler code: put it in FunctionConfig.CodeVersion.
func CodeFingerprint(dir string) (string, error) {
	if dir == "" {
		dir = "."
	}
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			if len(files) >= maxFingerprintFiles {
				return fmt.Errorf("more than %d files", maxFingerprintFiles)
			}
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("fingerprint %s: %w", dir, err)
	}
	sort.Strings(files)
	h := sha256.New()
	var hashed int64
	for _, p := range files {
		fi, err := os.Stat(p)
		if err != nil {
			continue // removed while walking
		}
		rel, _ := filepath.Rel(dir, p)
		io.WriteString(h, rel+"\x00"+strconv.FormatInt(fi.Size(), 10)+"\x00")
		if hashed+fi.Size() > maxFingerprintBytes {
			io.WriteString(h, strconv.FormatInt(fi.ModTime().UnixNano(), 10)+"\x00")
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		n, _ := io.Copy(h, f)
		f.Close()
		hashed += n
	}
	return hex.EncodeToString(h.Sum(nil)[:12]), nil
}

// Compare reports whether a function named cfg.Name is registered and
// whether Apply(cfg) would replace it (builtins are always replaced).
func (r *Runner) Compare(cfg FunctionConfig, builtin bool) (exists, changed bool, err error) {
	if builtin {
		cfg.Runtime = RuntimeBuiltin
	}
	cfg, err = cfg.normalise()
	if err != nil {
		return false, false, err
	}
	r.mu.RLock()
	old, ok := r.fns[cfg.Name]
	r.mu.RUnlock()
	if !ok {
		return false, true, nil
	}
	return true, builtin || old.builtin != nil || !reflect.DeepEqual(old.cfg, cfg), nil
}
