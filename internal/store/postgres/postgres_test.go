package postgres_test

import (
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for the admin connection

	"github.com/cognate-dev/cognate/internal/store"
	"github.com/cognate-dev/cognate/internal/store/postgres"
	"github.com/cognate-dev/cognate/internal/store/storetest"
)

// envURL names the test database; .ci/postgres.sh prints it.
const envURL = "COGNATE_TEST_POSTGRES"

// testURL returns the test database's URL, skipping the test when it is unset
// locally and failing it in CI (CI=true).
func testURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(envURL)
	if u == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s is not set; in CI the PostgreSQL tests must run (eval \"$(bash .ci/postgres.sh)\")", envURL)
		}
		tb.Skipf("%s not set (run: eval \"$(bash .ci/postgres.sh)\")", envURL)
	}
	return u
}

var schemaSeq atomic.Int64

// freshSchema creates an empty schema for one test, dropped at cleanup, and
// returns a URL whose connections use it.
func freshSchema(tb testing.TB) string {
	return freshSchemaWith(tb, nil)
}

// freshSchemaWith is freshSchema with extra connection parameters.
func freshSchemaWith(tb testing.TB, params map[string]string) string {
	tb.Helper()
	base := testURL(tb)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("admin open: %v", err)
	}
	tb.Cleanup(func() { admin.Close() })
	schema := fmt.Sprintf("cognate_test_%d_%d", os.Getpid(), schemaSeq.Add(1))
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			tb.Errorf("drop schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("parse %s: %v", envURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	for k, v := range params {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func open(tb testing.TB, u string) *postgres.Store {
	tb.Helper()
	s, err := postgres.Open(tb.Context(), u, slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return s
}

func newStore(t *testing.T) store.Store { return open(t, freshSchema(t)) }

func TestConformance(t *testing.T) {
	testURL(t)
	storetest.Run(t, newStore)
}

func TestConcurrency(t *testing.T) {
	testURL(t)
	storetest.RunConcurrency(t, newStore)
}

// TestConcurrencySerializable runs the races with every transaction
// SERIALIZABLE, as CockroachDB runs them: single statements and transactions
// alike must survive SQLSTATE 40001 by retrying.
func TestConcurrencySerializable(t *testing.T) {
	testURL(t)
	storetest.RunConcurrency(t, func(t *testing.T) store.Store {
		return open(t, freshSchemaWith(t, map[string]string{"default_transaction_isolation": "serializable"}))
	})
}

// TestConcurrentMigrations opens several nodes on one empty schema at once:
// every open succeeds and the migration is recorded once.
func TestConcurrentMigrations(t *testing.T) {
	u := freshSchema(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	stores := make([]*postgres.Store, 4)
	for i := range stores {
		wg.Go(func() {
			stores[i], errs[i] = postgres.Open(t.Context(), u, nil)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: open: %v", i, err)
		}
		defer stores[i].Close()
	}
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM schema_migrations WHERE version = 1").Scan(&n); err != nil {
		t.Fatalf("count migrations: %v", err)
	}
	if n != 1 {
		t.Fatalf("migration 1 recorded %d times", n)
	}
	// A pool created on one node is seen by another.
	if err := stores[0].CreatePool(t.Context(), store.Pool{ID: "p1", Name: "shared"}); err != nil {
		t.Fatalf("create pool: %v", err)
	}
	if _, err := stores[3].GetPool(t.Context(), "p1"); err != nil {
		t.Fatalf("get pool on another node: %v", err)
	}
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, open(b, freshSchema(b)))
}

// TestUserCountBackfill runs the user counters' migration on a schema that
// has users already.
func TestUserCountBackfill(t *testing.T) {
	u := freshSchema(t)
	storetest.RunUserCountBackfill(t, func(t *testing.T) store.Store { return open(t, u) },
		func(t *testing.T, query string) {
			db, err := sql.Open("pgx", u)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			defer db.Close()
			if _, err := db.Exec(query); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		})
}
