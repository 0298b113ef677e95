package sqlite_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
	"github.com/cognate-dev/cognate/internal/store/sqlite"
)

// rawDB opens path with a plain connection, outside the store.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatalf("raw open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestReopenKeepsData(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "cognate.db")
	s, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if err := s.CreatePool(ctx, store.Pool{ID: "p1", Name: "main"}); err != nil {
		t.Fatalf("create pool: %v", err)
	}
	if err := s.CreateUser(ctx, store.User{PoolID: "p1", Username: "bob", Credentials: []byte("v")}); err != nil {
		t.Fatalf("create user: %v", err)
	}
	seq, err := s.AddRevocation(ctx, store.Revocation{PoolID: "p1", Kind: store.RevokeSubject, Value: "s", ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatalf("add revocation: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	s, err = sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	u, err := s.GetUser(ctx, "p1", "bob")
	if err != nil || string(u.Credentials) != "v" {
		t.Fatalf("user after reopen = %+v, %v", u, err)
	}
	next, err := s.AddRevocation(ctx, store.Revocation{PoolID: "p1", Kind: store.RevokeSubject, Value: "t"})
	if err != nil || next <= seq {
		t.Fatalf("revocation seq after reopen = %d, %v; want > %d", next, err, seq)
	}
	var migrations int
	if err := rawDB(t, path).QueryRow("SELECT COUNT(*) FROM schema_migrations").Scan(&migrations); err != nil {
		t.Fatalf("count migrations: %v", err)
	}
	files, err := filepath.Glob("../sqlstore/migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("list migrations: %v", err)
	}
	if migrations != len(files) {
		t.Fatalf("schema_migrations has %d rows after two opens, want %d (one per migration)", migrations, len(files))
	}
	var mode string
	if err := rawDB(t, path).QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatalf("stat: %v", err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Fatalf("%s has mode %o, want 600", filepath.Base(f), mode)
		}
	}
	if got := s.Name(); got != "sqlite "+path {
		t.Fatalf("Name() = %q", got)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "cognate.db")
	s, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	s.Close()
	if _, err := rawDB(t, path).Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future.sql', 0)"); err != nil {
		t.Fatalf("insert future migration: %v", err)
	}
	_, err = sqlite.Open(ctx, path, nil)
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("open of a newer schema: err = %v, want a 'newer' error", err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, path string
	}{
		{"empty", ""},
		{"query characters", filepath.Join(dir, "a?b.db")},
		{"missing directory", filepath.Join(dir, "no", "such", "dir", "c.db")},
		{"directory", dir},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := sqlite.Open(t.Context(), tc.path, nil)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", tc.path)
			}
		})
	}
}

func TestMemory(t *testing.T) {
	ctx := t.Context()
	s, err := sqlite.Open(ctx, ":memory:", nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	if err := s.CreatePool(ctx, store.Pool{ID: "p1", Name: "m"}); err != nil {
		t.Fatalf("create pool: %v", err)
	}
	if _, err := s.GetPool(ctx, "p1"); err != nil {
		t.Fatalf("get pool: %v", err)
	}
}
