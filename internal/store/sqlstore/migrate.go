package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one numbered schema step.
type migration struct {
	version    int64
	name       string
	statements []string
}

// loadMigrations reads the embedded migrations ("0001_init.sql"), in order.
func loadMigrations(fsys fs.FS, d *Dialect) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	var out []migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		version, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil || version <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and _", base)
		}
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", base, err)
		}
		out = append(out, migration{version: version, name: base, statements: splitStatements(d.ddl(string(src)))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share a number", out[i-1].name, out[i].name)
		}
	}
	return out, nil
}

// splitStatements splits a migration at the semicolons that end a line and
// drops "--" comment lines.
func splitStatements(src string) []string {
	var stmts []string
	var cur strings.Builder
	for line := range strings.SplitSeq(src, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			stmts = append(stmts, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if rest := strings.TrimSpace(cur.String()); rest != "" {
		stmts = append(stmts, rest)
	}
	return stmts
}

// migrate applies every embedded migration the database lacks, each in its
// own transaction that first records the migration's number: of two
// processes migrating at once, the second blocks on that row and then skips.
func (s *Store) migrate(ctx context.Context) error {
	migs, err := loadMigrations(migrationFS, &s.d)
	if err != nil {
		return err
	}
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: connect: %w", err)
	}
	defer conn.Close()
	if s.d.LockMigrations != nil {
		unlock, err := s.d.LockMigrations(ctx, conn)
		if err != nil {
			s.log.WarnContext(ctx, "migration lock unavailable; relying on the migration table", "err", err)
		} else {
			defer unlock()
		}
	}
	if s.d.Strict != nil {
		restore, err := s.d.Strict(ctx, conn)
		if err != nil {
			return fmt.Errorf("migrate: full durability: %w", err)
		}
		defer func() {
			if err := restore(); err != nil {
				_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			}
		}()
	}
	if err := s.createMigrationTable(ctx, conn); err != nil {
		return err
	}
	var current sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&current); err != nil {
		return fmt.Errorf("migrate: read version: %w", err)
	}
	if latest := migs[len(migs)-1].version; current.Int64 > latest {
		return fmt.Errorf("migrate: database schema version %d is newer than this binary's %d", current.Int64, latest)
	}
	for _, m := range migs {
		applied, err := s.applyMigration(ctx, conn, m)
		if err != nil {
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
		if applied {
			s.log.InfoContext(ctx, "applied store migration", "migration", m.name, "store", s.name)
		}
	}
	return nil
}

// createMigrationTable creates the migration record, tolerating a concurrent
// creator (CREATE TABLE IF NOT EXISTS can still race in PostgreSQL).
func (s *Store) createMigrationTable(ctx context.Context, conn *sql.Conn) error {
	const ddl = "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
	var err error
	for attempt := 1; attempt <= 5; attempt++ {
		if _, err = conn.ExecContext(ctx, ddl); err == nil {
			return nil
		}
		if err := sleep(ctx, backoff(attempt)); err != nil {
			return err
		}
	}
	return fmt.Errorf("migrate: create migration table: %w", err)
}

// applyMigration runs m unless it is recorded; it reports whether it ran it.
func (s *Store) applyMigration(ctx context.Context, conn *sql.Conn, m migration) (bool, error) {
	for attempt := 1; ; attempt++ {
		applied, err := s.tryMigration(ctx, conn, m)
		if err == nil || s.d.kind(err) != KindRetry || attempt >= maxAttempts {
			return applied, err
		}
		if err := sleep(ctx, backoff(attempt)); err != nil {
			return false, err
		}
	}
}

func (s *Store) tryMigration(ctx context.Context, conn *sql.Conn, m migration) (bool, error) {
	var one int
	err := conn.QueryRowContext(ctx, s.q("SELECT 1 FROM schema_migrations WHERE version = ?"), m.version).Scan(&one)
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("check: %w", err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	_, err = tx.ExecContext(ctx, s.q("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"),
		m.version, m.name, time.Now().UnixMilli())
	if s.d.kind(err) == KindUnique {
		return false, nil // another process applied it while we waited
	}
	if err != nil {
		return false, fmt.Errorf("record: %w", err)
	}
	for i, stmt := range m.statements {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return false, fmt.Errorf("statement %d: %w", i+1, err)
		}
	}
	if err := tx.Commit(); err != nil {
		if s.d.kind(err) == KindUnique {
			return false, nil
		}
		return false, fmt.Errorf("commit: %w", err)
	}
	return true, nil
}
