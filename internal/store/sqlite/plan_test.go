package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/internal/store/sqlite"
)

// TestAliasLookupsUseTheirIndex guards sign-in by alias against a whole-pool
// scan: FindUsers' query must be answered by the alias's index, order
// included (a scan took seconds at 1M users).
func TestAliasLookupsUseTheirIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cognate.db")
	s, err := sqlite.Open(t.Context(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, col := range []string{"sub", "email", "phone_number", "preferred_username"} {
		rows, err := db.Query("EXPLAIN QUERY PLAN SELECT * FROM users WHERE pool_id = ? AND "+col+" = ? ORDER BY username", "p", "v")
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		got := strings.Join(plan, "; ")
		if !strings.Contains(got, "INDEX users_"+col+" ") || strings.Contains(got, "TEMP B-TREE") {
			t.Errorf("%s lookup: plan %q, want the users_%s index without a sort", col, got, col)
		}
	}
}
