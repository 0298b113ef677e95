package sqlstore

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func TestRebind(t *testing.T) {
	cases := []struct {
		name     string
		numbered bool
		in, want string
	}{
		{"question marks kept", false, "SELECT a FROM t WHERE b = ? AND c = ?", "SELECT a FROM t WHERE b = ? AND c = ?"},
		{"numbered", true, "SELECT a FROM t WHERE b = ? AND c = ?", "SELECT a FROM t WHERE b = $1 AND c = $2"},
		{"many", true, strings.Repeat("?,", 11) + "?", "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12"},
		{"none", true, "SELECT 1", "SELECT 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Dialect{NumberedParams: tc.numbered}
			if got := d.rebind(tc.in); got != tc.want {
				t.Fatalf("rebind(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestSplitStatements(t *testing.T) {
	src := "-- comment; not a statement\nCREATE TABLE a (\n\tx {key} -- trailing\n);\n\nCREATE INDEX i ON a (x);\nINSERT INTO a VALUES ('no semicolon at end')"
	got := splitStatements(src)
	want := []string{
		"CREATE TABLE a (\n\tx {key} -- trailing\n)",
		"CREATE INDEX i ON a (x)",
		"INSERT INTO a VALUES ('no semicolon at end')",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("splitStatements:\n got  %q\n want %q", got, want)
	}
}

func TestLoadMigrations(t *testing.T) {
	d := &Dialect{Types: map[string]string{"key": "TEXT", "blob": "BYTEA", "bool": "BOOLEAN"}}
	migs, err := loadMigrations(migrationFS, d)
	if err != nil {
		t.Fatalf("embedded migrations: %v", err)
	}
	if len(migs) == 0 || migs[0].version != 1 {
		t.Fatalf("first migration = %+v", migs)
	}
	for _, m := range migs {
		for _, st := range m.statements {
			if strings.Contains(st, "{") {
				t.Fatalf("%s: unexpanded type in %q", m.name, st)
			}
		}
	}

	bad := []struct {
		name string
		fs   fstest.MapFS
	}{
		{"no number", fstest.MapFS{"migrations/init.sql": {Data: []byte("SELECT 1;")}}},
		{"zero", fstest.MapFS{"migrations/0000_x.sql": {Data: []byte("SELECT 1;")}}},
		{"duplicate", fstest.MapFS{
			"migrations/0001_a.sql": {Data: []byte("SELECT 1;")},
			"migrations/01_b.sql":   {Data: []byte("SELECT 2;")},
		}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := loadMigrations(tc.fs, d); err == nil {
				t.Fatal("loadMigrations accepted it")
			}
		})
	}
}
