package app

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/internal/secret"
)

func keyTestDirs(t *testing.T) (data, cfg string) {
	t.Helper()
	cfg = t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	t.Setenv("COGNATE_SERVER_KEY", "")
	return filepath.Join(t.TempDir(), "data"), cfg
}

func mustSealer(t *testing.T, opts Options) (*secret.Sealer, keySource) {
	t.Helper()
	s, src, err := loadSealer(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, src
}

func TestServerKeyOutsideDataDirForNewInstalls(t *testing.T) {
	data, cfg := keyTestDirs(t)
	s1, src := mustSealer(t, Options{DataDir: data})
	if src.legacy || !strings.HasPrefix(src.path, filepath.Join(cfg, "cognate", "keys")+"/") {
		t.Fatalf("key at %s (legacy %v), want under %s", src.path, src.legacy, cfg)
	}
	if _, err := os.Stat(filepath.Join(data, legacyKeyFile)); !os.IsNotExist(err) {
		t.Fatalf("a new install wrote %s/server.key: %v", data, err)
	}
	// The data directory can move: its ID names its key.
	moved := data + "-moved"
	if err := os.Rename(data, moved); err != nil {
		t.Fatal(err)
	}
	s2, src2 := mustSealer(t, Options{DataDir: moved})
	if src2.path != src.path {
		t.Fatalf("moved data directory uses %s, want %s", src2.path, src.path)
	}
	sealed := s1.Seal([]byte("x"), nil)
	if got, err := s2.Open(sealed, nil); err != nil || string(got) != "x" {
		t.Fatalf("reopened key does not open: %v", err)
	}
	// Another data directory gets its own key.
	_, other := mustSealer(t, Options{DataDir: filepath.Join(filepath.Dir(data), "other")})
	if other.path == src.path {
		t.Fatal("two data directories share a key file")
	}
	// A data directory whose key is gone refuses to start (not a new key
	// that cannot open the sealed secrets).
	if err := os.Remove(src.path); err != nil {
		t.Fatal(err)
	}
	if _, _, err := loadSealer(Options{DataDir: moved}); err == nil || !strings.Contains(err.Error(), src.path) {
		t.Fatalf("missing key: %v, want an error naming %s", err, src.path)
	}
}

func TestServerKeyLegacyInstallAndMove(t *testing.T) {
	data, cfg := keyTestDirs(t)
	old := filepath.Join(data, legacyKeyFile)
	if _, err := secret.LoadOrCreateKey(old); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(old)
	s1, src := mustSealer(t, Options{DataDir: data})
	if !src.legacy || src.path != old {
		t.Fatalf("older install: key %s legacy %v, want %s", src.path, src.legacy, old)
	}
	var logs bytes.Buffer
	warnKeyLocation(slogTo(&logs), Options{DataDir: data}, src)
	if !strings.Contains(logs.String(), "cognate server-key move --data "+data) {
		t.Fatalf("warning does not say how to move the key: %s", logs.String())
	}
	dst, err := MoveServerKey(data)
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(dst); !bytes.Equal(after, before) || !strings.HasPrefix(dst, cfg) {
		t.Fatalf("moved key at %s differs or is misplaced", dst)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Fatalf("%s still there after the move", old)
	}
	s2, src2 := mustSealer(t, Options{DataDir: data})
	if src2.legacy || src2.path != dst {
		t.Fatalf("after the move: key %s, want %s", src2.path, dst)
	}
	if got, err := s2.Open(s1.Seal([]byte("x"), nil), nil); err != nil || string(got) != "x" {
		t.Fatalf("moved key does not open old secrets: %v", err)
	}
	if _, err := MoveServerKey(data); err == nil {
		t.Fatal("a second move succeeded")
	}
}

func TestServerKeyPrecedence(t *testing.T) {
	data, _ := keyTestDirs(t)
	file := filepath.Join(t.TempDir(), "k")
	_, src := mustSealer(t, Options{DataDir: data, ServerKeyFile: file})
	if src.path != file {
		t.Fatalf("--server-key-file: key at %s", src.path)
	}
	t.Setenv("COGNATE_SERVER_KEY", strings.Repeat("ab", secret.KeySize))
	_, src = mustSealer(t, Options{DataDir: data, ServerKeyFile: file})
	if src.path != "" {
		t.Fatalf("COGNATE_SERVER_KEY: key from %s", src.path)
	}
}

func slogTo(w *bytes.Buffer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
