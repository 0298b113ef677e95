package userpool

import (
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"sync/atomic"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for the admin connection

	"github.com/cognate-dev/cognate/internal/store"
	"github.com/cognate-dev/cognate/internal/store/postgres"
)

var pgSchemaSeq atomic.Int64

// newPostgresEnv is newEnv on a fresh schema of the PostgreSQL database in
// COGNATE_TEST_POSTGRES (.ci/postgres.sh prints it): skipped when unset,
// failed under CI=true.
func newPostgresEnv(t *testing.T) *env {
	t.Helper()
	base := os.Getenv("COGNATE_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("COGNATE_TEST_POSTGRES is not set; in CI the PostgreSQL tests must run")
		}
		t.Skip("COGNATE_TEST_POSTGRES not set (run: eval \"$(bash .ci/postgres.sh start)\")")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	schema := fmt.Sprintf("cognate_userpool_%d_%d", os.Getpid(), pgSchemaSeq.Add(1))
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return newEnvOn(t, func(logger *slog.Logger) store.Store {
		st, err := postgres.Open(t.Context(), u.String(), logger)
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}
