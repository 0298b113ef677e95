package sqlite

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

// TestPragmas checks that the DSN parameters take effect on each pool.
func TestPragmas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	write, err := openPool(t.Context(), path, writerParams(false, "FULL"))
	if err != nil {
		t.Fatalf("open writer: %v", err)
	}
	defer write.Close()
	read, err := openPool(t.Context(), path, readerParams())
	if err != nil {
		t.Fatalf("open reader: %v", err)
	}
	defer read.Close()
	cases := []struct {
		pool   string
		pragma string
		want   string
	}{
		{"writer", "journal_mode", "wal"},
		{"writer", "synchronous", "2"}, // FULL
		{"writer", "foreign_keys", "1"},
		{"writer", "busy_timeout", "10000"},
		{"writer", "query_only", "0"},
		{"reader", "journal_mode", "wal"},
		{"reader", "foreign_keys", "1"},
		{"reader", "busy_timeout", "10000"},
		{"reader", "query_only", "1"},
	}
	for _, tc := range cases {
		t.Run(tc.pool+"/"+tc.pragma, func(t *testing.T) {
			db := write
			if tc.pool == "reader" {
				db = read
			}
			var got string
			if err := db.QueryRow("PRAGMA " + tc.pragma).Scan(&got); err != nil {
				t.Fatalf("PRAGMA %s: %v", tc.pragma, err)
			}
			if got != tc.want {
				t.Fatalf("PRAGMA %s = %q, want %q", tc.pragma, got, tc.want)
			}
		})
	}
	if _, err := read.Exec("CREATE TABLE t (x)"); err == nil {
		t.Fatal("reader pool accepted a write")
	}
}

// TestRelaxedWritesRestoreFull checks that session and lockout writes, which
// run at synchronous=NORMAL, leave the writer at FULL for the next write.
func TestRelaxedWritesRestoreFull(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "c.db"), nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	level := func() int {
		var n int
		if err := s.write.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&n); err != nil {
			t.Fatalf("PRAGMA synchronous: %v", err)
		}
		return n
	}
	if got := level(); got != 2 {
		t.Fatalf("synchronous after open = %d, want 2 (FULL)", got)
	}
	if err := s.CreatePool(ctx, store.Pool{ID: "p1", Name: "p"}); err != nil {
		t.Fatalf("create pool: %v", err)
	}
	writes := []struct {
		name string
		fn   func() error
	}{
		{"PutSession", func() error {
			return s.PutSession(ctx, store.Session{ID: "s1", ExpiresAt: time.Now().Add(time.Minute)})
		}},
		{"TakeSession", func() error { _, err := s.TakeSession(ctx, "s1", time.Now()); return err }},
		{"UpdateLockout", func() error {
			_, err := s.UpdateLockout(ctx, "p1", "k", func(l store.Lockout) (store.Lockout, error) {
				l.Failures++
				return l, nil
			})
			return err
		}},
		{"failed UpdateLockout", func() error {
			_, err := s.UpdateLockout(ctx, "p1", "k", func(l store.Lockout) (store.Lockout, error) {
				return l, errors.New("refused")
			})
			if err == nil {
				return errors.New("fn error not returned")
			}
			return nil
		}},
	}
	for _, w := range writes {
		if err := w.fn(); err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
		if got := level(); got != 2 {
			t.Fatalf("synchronous after %s = %d, want 2 (FULL)", w.name, got)
		}
	}
}
