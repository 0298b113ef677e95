package app

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/cognate-dev/cognate/internal/secret"
)

// Where the server key lives. New installs keep it outside the data
// directory, in the user's configuration directory, one file per data
// directory: $XDG_CONFIG_HOME/cognate/keys/ID.key (default
// ~/.config/cognate/keys/ID.key), where ID is a random name kept in
// DATA/server-key.id. The ID file is not secret; it travels with the data
// directory, so moving or renaming the directory keeps its key, and two data
// directories never share or overwrite each other's key.
const (
	legacyKeyFile = "server.key"    // inside the data directory (older installs)
	keyIDFile     = "server-key.id" // inside the data directory
)

// keySource says where the key in use came from.
type keySource struct {
	path   string // key file; "" when from COGNATE_SERVER_KEY
	legacy bool   // DATA/server.key
}

// resolveKeyPath picks the key file for opts: --server-key-file, else an
// existing DATA/server.key (older installs), else the default outside the
// data directory (creating the data directory's ID when it has none).
// mustExist is true when the data directory already names a key that
// should be there.
func resolveKeyPath(opts Options) (path string, legacy, mustExist bool, err error) {
	if opts.ServerKeyFile != "" {
		return opts.ServerKeyFile, false, false, nil
	}
	old := filepath.Join(opts.DataDir, legacyKeyFile)
	if _, err := os.Stat(old); err == nil {
		return old, true, false, nil
	}
	path, existed, err := defaultKeyPath(opts.DataDir, true)
	if err != nil {
		return "", false, false, err
	}
	return path, false, existed, nil
}

// defaultKeyPath is the key file outside the data directory. With create,
// a data directory without an ID gets one; existed is true when the ID was
// already there.
func defaultKeyPath(dataDir string, create bool) (path string, existed bool, err error) {
	cfgDir, err := os.UserConfigDir()
	if err != nil {
		return "", false, fmt.Errorf("no place for the server key outside the data directory (%w): pass --server-key-file or set COGNATE_SERVER_KEY", err)
	}
	idPath := filepath.Join(dataDir, keyIDFile)
	raw, err := os.ReadFile(idPath)
	switch {
	case err == nil:
		existed = true
	case errors.Is(err, os.ErrNotExist) && create:
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return "", false, fmt.Errorf("server key id: %w", err)
		}
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return "", false, fmt.Errorf("create data directory: %w", err)
		}
		f, err := os.OpenFile(idPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return defaultKeyPath(dataDir, false) // another process won the race
		}
		if err != nil {
			return "", false, fmt.Errorf("server key id: %w", err)
		}
		_, werr := f.WriteString(hex.EncodeToString(b) + "\n")
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return "", false, fmt.Errorf("server key id: %w", werr)
		}
		raw = []byte(hex.EncodeToString(b))
	default:
		return "", false, fmt.Errorf("server key id: %w", err)
	}
	id := strings.TrimSpace(string(raw))
	if _, err := hex.DecodeString(id); err != nil || len(id) != 32 {
		return "", false, fmt.Errorf("server key id %s: want 32 hex digits", idPath)
	}
	return filepath.Join(cfgDir, "cognate", "keys", id+".key"), existed, nil
}

// loadSealer loads the server key: COGNATE_SERVER_KEY (hex) first, then
// --server-key-file, then DATA/server.key of an older install (with a
// warning to move it), then the default file outside the data directory,
// created for a new install.
func loadSealer(opts Options) (*secret.Sealer, keySource, error) {
	if env := os.Getenv("COGNATE_SERVER_KEY"); env != "" {
		key, err := secret.ParseKey(env)
		if err != nil {
			return nil, keySource{}, fmt.Errorf("COGNATE_SERVER_KEY: %w", err)
		}
		s, err := secret.NewSealer(key)
		return s, keySource{}, err
	}
	path, legacy, mustExist, err := resolveKeyPath(opts)
	if err != nil {
		return nil, keySource{}, err
	}
	if mustExist {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, keySource{}, fmt.Errorf("the server key of data directory %s is missing: expected at %s (the secrets in the store are sealed with it). Restore that file, or pass its copy with --server-key-file or COGNATE_SERVER_KEY; to start over, remove %s and the store",
				opts.DataDir, path, filepath.Join(opts.DataDir, keyIDFile))
		}
	}
	key, err := secret.LoadOrCreateKey(path)
	if err != nil {
		return nil, keySource{}, err
	}
	s, err := secret.NewSealer(key)
	return s, keySource{path: path, legacy: legacy}, err
}

// warnKeyLocation logs where the key is, and once at start, for an older
// install, how to move it out of the data directory.
func warnKeyLocation(log *slog.Logger, opts Options, src keySource) {
	switch {
	case src.path == "":
		log.Info("server key from COGNATE_SERVER_KEY")
	case src.legacy:
		log.Warn("the server key is inside the data directory, where whatever can read the data directory can read it; move it out with: cognate server-key move --data "+opts.DataDir+
			" (or keep it elsewhere with --server-key-file / COGNATE_SERVER_KEY)", "path", src.path)
	default:
		log.Info("server key", "path", src.path)
	}
}

// MoveServerKey moves DATA/server.key of an older install to the default
// place outside the data directory and returns the new path. It refuses to
// overwrite a key already there.
func MoveServerKey(dataDir string) (string, error) {
	old := filepath.Join(dataDir, legacyKeyFile)
	raw, err := os.ReadFile(old)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", old, err)
	}
	if _, err := secret.ParseKey(string(raw)); err != nil {
		return "", fmt.Errorf("%s: %w", old, err)
	}
	dst, _, err := defaultKeyPath(dataDir, true)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return "", fmt.Errorf("create key directory: %w", err)
	}
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("create %s: %w", dst, err)
	}
	_, werr := f.Write(raw)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(dst)
		return "", fmt.Errorf("write %s: %w", dst, werr)
	}
	if err := os.Remove(old); err != nil {
		return "", fmt.Errorf("key copied to %s, but removing %s failed: %w", dst, old, err)
	}
	return dst, nil
}
