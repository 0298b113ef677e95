package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
	"github.com/cognate-dev/cognate/internal/store/sqlstore"
)

// TestPragmas checks that the DSN parameters take effect on each pool.
func TestPragmas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	write, err := openPool(t.Context(), path, writerParams(false))
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
		{"writer", "synchronous", "1"}, // NORMAL; ordinary writes raise it (strict)
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

// TestDurabilityPerWrite checks that ordinary writes run at
// synchronous=FULL, that session and lockout writes run at the writer's
// default NORMAL, and that every write leaves the writer at NORMAL.
func TestDurabilityPerWrite(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "c.db")
	write, err := openPool(ctx, path, writerParams(false))
	if err != nil {
		t.Fatalf("open writer: %v", err)
	}
	level := func(q interface {
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}) int {
		var n int
		if err := q.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&n); err != nil {
			t.Fatalf("PRAGMA synchronous: %v", err)
		}
		return n
	}
	d := dialect("FULL")
	var strictWrites int
	d.Strict = func(ctx context.Context, conn *sql.Conn) (func() error, error) {
		restore, err := strict(ctx, conn)
		if err == nil {
			strictWrites++
			if got := level(conn); got != 2 {
				t.Errorf("synchronous inside a strict write = %d, want 2 (FULL)", got)
			}
		}
		return restore, err
	}
	s, err := sqlstore.New(ctx, sqlstore.Config{Write: write, Read: write, Dialect: d})
	if err != nil {
		t.Fatalf("new store: %v", err)
	}
	defer s.Close()
	if got := level(write); got != 1 {
		t.Fatalf("synchronous after open = %d, want 1 (NORMAL)", got)
	}
	writes := []struct {
		name   string
		strict bool
		fn     func() error
	}{
		{"CreatePool", true, func() error { return s.CreatePool(ctx, store.Pool{ID: "p1", Name: "p"}) }},
		{"CreateUser", true, func() error { return s.CreateUser(ctx, store.User{PoolID: "p1", Username: "u"}) }},
		{"PutSession", false, func() error {
			return s.PutSession(ctx, store.Session{ID: "s1", ExpiresAt: time.Now().Add(time.Minute)})
		}},
		{"TakeSession", false, func() error { _, err := s.TakeSession(ctx, "s1", time.Now()); return err }},
		{"UpdateLockout", false, func() error {
			_, err := s.UpdateLockout(ctx, "p1", "k", func(l store.Lockout) (store.Lockout, error) {
				l.Failures++
				return l, nil
			})
			return err
		}},
		{"failed UpdateLockout", false, func() error {
			_, err := s.UpdateLockout(ctx, "p1", "k", func(l store.Lockout) (store.Lockout, error) {
				return l, errors.New("refused")
			})
			if err == nil {
				return errors.New("fn error not returned")
			}
			return nil
		}},
		{"DeleteLockout", false, func() error { return s.DeleteLockout(ctx, "p1", "k") }},
		{"DeleteUser", true, func() error { return s.DeleteUser(ctx, "p1", "u") }},
	}
	for _, w := range writes {
		before := strictWrites
		if err := w.fn(); err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
		if ran := strictWrites > before; ran != w.strict {
			t.Errorf("%s ran at FULL: %v, want %v", w.name, ran, w.strict)
		}
		if got := level(write); got != 1 {
			t.Fatalf("synchronous after %s = %d, want 1 (NORMAL)", w.name, got)
		}
	}
}
