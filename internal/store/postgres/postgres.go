// Package postgres is Cognate's storage backend for several nodes sharing one
// database: PostgreSQL, or a PostgreSQL-compatible distributed database. It
// connects with pgx (through database/sql) and shares every query, the schema
// and the transaction logic with the SQLite backend in sqlstore; this package
// only opens the pool and describes PostgreSQL's dialect.
//
// Correctness never rests on PostgreSQL-only features: migrations take an
// advisory lock only to avoid wasted work (the migration table's primary key
// is what makes concurrent migrators safe, and a database without advisory
// locks just logs a warning); read-modify-write transactions lock their row
// with SELECT ... FOR UPDATE and are retried on serialization failures
// (SQLSTATE 40001) and deadlocks (40P01), so they also run under SERIALIZABLE
// databases such as CockroachDB; sequence numbers come from a locked counter
// row, not from SERIAL; no LISTEN/NOTIFY. Key columns use COLLATE "C" so that
// paging order is byte order, as in SQLite, whatever the database's locale.
//
// Durability: every write waits for the WAL flush (the server's
// synchronous_commit), except session and lockout-counter writes, which run
// with synchronous_commit=off for their one statement or transaction — the
// same split the SQLite backend makes, for the same reasons.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/cognate-dev/cognate/internal/store"
	"github.com/cognate-dev/cognate/internal/store/sqlstore"
)

// MaxConns bounds the connection pool of one node.
const MaxConns = 20

// connectTimeout bounds the first connection at Open when the URL sets none.
const connectTimeout = 10 * time.Second

// migrationLockKey is the advisory lock taken while migrating ("cognate").
const migrationLockKey int64 = 0x636f676e617465

// Store is a store.Store in a PostgreSQL database.
type Store struct {
	*sqlstore.Store
}

var _ store.Store = (*Store)(nil)

// Open connects to the database named by url (postgres://user:pass@host:port/db?...),
// applies pending migrations and returns the store. A malformed URL or an
// unreachable database is an error naming the host, never the password.
func Open(ctx context.Context, url string, logger *slog.Logger) (*Store, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, errors.New("postgres: invalid database URL (want postgres://user:password@host:port/database)")
	}
	where := net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))) + "/" + cfg.Database
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = connectTimeout
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(MaxConns)
	db.SetMaxIdleConns(MaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	db.SetConnMaxLifetime(time.Hour)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connect to %s: %w", where, err)
	}
	s, err := sqlstore.New(ctx, sqlstore.Config{
		Write:   db,
		Read:    db,
		Dialect: Dialect(),
		Name:    "postgres " + where,
		Logger:  logger,
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: open %s: %w", where, err)
	}
	return &Store{Store: s}, nil
}

// Dialect describes PostgreSQL to sqlstore.
func Dialect() sqlstore.Dialect {
	return sqlstore.Dialect{
		Name:           "postgres",
		NumberedParams: true,
		ForUpdate:      " FOR UPDATE",
		Types: map[string]string{
			"key":  `TEXT COLLATE "C"`,
			"blob": "BYTEA",
			"bool": "BOOLEAN",
		},
		Classify:       classify,
		LockMigrations: lockMigrations,
		Relax:          relax,
	}
}

// relax turns synchronous_commit off on conn for one session or lockout
// write and returns the function that resets it. Such a commit is atomic and
// visible to every node at once; only a crash of the database server within
// a fraction of a second can lose it, which costs a sign-in restart or a few
// failure counts. A server that rejects the setting (a compatible database
// without it) just keeps full durability.
func relax(ctx context.Context, conn *sql.Conn) (func() error, error) {
	if _, err := conn.ExecContext(ctx, "SET synchronous_commit = off"); err != nil {
		return func() error { return nil }, nil
	}
	return func() error {
		_, err := conn.ExecContext(context.WithoutCancel(ctx), "RESET synchronous_commit")
		return err
	}, nil
}

// SQLSTATE codes the backend acts on.
const (
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
)

// classify maps SQLSTATE codes to sqlstore error kinds.
func classify(err error) sqlstore.ErrorKind {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return sqlstore.KindOther
	}
	switch pe.Code {
	case codeUniqueViolation:
		return sqlstore.KindUnique
	case codeForeignKeyViolation:
		return sqlstore.KindForeignKey
	case codeSerializationFailure, codeDeadlockDetected:
		return sqlstore.KindRetry
	}
	return sqlstore.KindOther
}

// lockMigrations takes the session-level advisory lock on conn; if releasing
// it fails, the connection is discarded so that the lock dies with it.
func lockMigrations(ctx context.Context, conn *sql.Conn) (func(), error) {
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey); err != nil {
		return nil, fmt.Errorf("advisory lock: %w", err)
	}
	return func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLockKey); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}, nil
}
