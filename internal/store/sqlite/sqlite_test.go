package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/cognate-dev/cognate/internal/store"
	"github.com/cognate-dev/cognate/internal/store/sqlite"
	"github.com/cognate-dev/cognate/internal/store/storetest"
)

// newStore opens a fresh database file in the test's temp dir.
func newStore(t *testing.T) store.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "cognate.db"), nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) { storetest.Run(t, newStore) }

func TestConcurrency(t *testing.T) { storetest.RunConcurrency(t, newStore) }

// TestUserCountBackfill runs the user counters' migration on a database
// that has users already.
func TestUserCountBackfill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cognate.db")
	storetest.RunUserCountBackfill(t, func(t *testing.T) store.Store {
		s, err := sqlite.Open(t.Context(), path, nil)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}, func(t *testing.T, query string) {
		if _, err := rawDB(t, path).Exec(query); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	})
}
