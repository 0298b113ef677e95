// Package sqlite is Cognate's default storage backend: one SQLite file opened
// with modernc.org/sqlite (pure Go, no cgo). The queries, schema and
// transaction logic are shared with the other SQL backends in sqlstore; this
// package only opens the database and describes SQLite's dialect.
//
// Connections: one writer connection (database/sql pool capped at one, every
// write transaction starts with BEGIN IMMEDIATE) and a pool of read-only
// connections that read concurrently thanks to WAL. Each connection sets
// busy_timeout first, then foreign_keys=ON; the writer also sets
// journal_mode=WAL and synchronous=FULL.
//
// Durability: the writer runs with synchronous=FULL, so a write that returned
// nil has had its WAL frames fsynced and survives a process crash, an OS crash
// and a power loss. That covers pools, clients, users (credentials),
// groups, refresh-token state, revocations, signing keys, deployments and
// stages. Two kinds of write switch the connection to synchronous=NORMAL for
// their one statement or transaction and back to FULL afterwards:
//   - sessions (PutSession, TakeSession, DeleteExpiredSessions): short-lived
//     SRP and challenge state; losing one on power failure only makes that
//     sign-in start again;
//   - lockout counters (UpdateLockout, DeleteStaleLockouts): failed logins,
//     codes sent and wrong codes entered; losing the last few counts on power
//     failure only shortens a lockout or gives back a few codes or guesses.
//
// NORMAL commits are still atomic and, in WAL mode, survive kill -9 (the
// frames are in the OS cache); only a power failure before the next checkpoint
// or FULL commit can drop them, and every later FULL commit fsyncs them along.
// Measured (BenchmarkStore, same run): a FULL commit costs an fsync, 0.25 to
// 0.9 ms on the test VM, against 0.05 to 0.1 ms for NORMAL; an SRP sign-in
// makes two session writes and two lockout writes (the reservation of its
// password check, then its clearing or nothing), so this keeps those fsyncs
// off the sign-in path.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/cognate-dev/cognate/internal/store"
	"github.com/cognate-dev/cognate/internal/store/sqlstore"
)

// BusyTimeoutMS is how long a connection waits for a lock held by another
// process before failing with SQLITE_BUSY.
const BusyTimeoutMS = 10000

// Store is a store.Store kept in one SQLite file.
type Store struct {
	*sqlstore.Store
	write *sql.DB // for tests of the writer's settings
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed, with mode 0600) the database at path, applies pending
// migrations and returns the store. path ":memory:" gives a private
// in-memory database, for tests that need no file.
func Open(ctx context.Context, path string, logger *slog.Logger) (*Store, error) {
	return open(ctx, path, logger, "FULL")
}

// open is Open with the durability of ordinary writes as a parameter
// ("FULL", as shipped, or "NORMAL"), so that the benchmarks can measure what
// FULL costs. The writer connection itself always runs at NORMAL: the writes
// that may run so (sessions, lockout counters) are the frequent ones, and each
// other write raises it to FULL for its own duration (Dialect.Strict).
func open(ctx context.Context, path string, logger *slog.Logger, synchronous string) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: database path %q must not contain ? or #", path)
	}
	memory := path == ":memory:"
	if !memory {
		if err := createPrivate(path); err != nil {
			return nil, err
		}
	}
	write, err := openPool(ctx, path, writerParams(memory))
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	read := write
	if !memory {
		if read, err = openPool(ctx, path, readerParams()); err != nil {
			write.Close()
			return nil, err
		}
		n := max(4, runtime.GOMAXPROCS(0))
		read.SetMaxOpenConns(n)
		read.SetMaxIdleConns(n)
	}
	s, err := sqlstore.New(ctx, sqlstore.Config{
		Write:   write,
		Read:    read,
		Dialect: dialect(synchronous),
		Name:    "sqlite " + path,
		Logger:  logger,
	})
	if err != nil {
		write.Close()
		if read != write {
			read.Close()
		}
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return &Store{Store: s, write: write}, nil
}

// createPrivate creates the database file readable by its owner only, when
// it does not exist yet; SQLite gives the -wal and -shm files the same mode.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	return f.Close()
}

// writerParams are the DSN parameters of the writer connection.
func writerParams(memory bool) []string {
	p := []string{
		fmt.Sprintf("_pragma=busy_timeout(%d)", BusyTimeoutMS),
		"_pragma=foreign_keys(1)",
		"_pragma=synchronous(NORMAL)",
		"_txlock=immediate",
	}
	if !memory {
		p = append(p, "_pragma=journal_mode(WAL)")
	}
	return p
}

// readerParams are the DSN parameters of the read-only connections.
func readerParams() []string {
	return []string{
		fmt.Sprintf("_pragma=busy_timeout(%d)", BusyTimeoutMS),
		"_pragma=foreign_keys(1)",
		"_pragma=query_only(1)",
	}
}

// openPool opens a pool on path and checks that a connection works.
func openPool(ctx context.Context, path string, params []string) (*sql.DB, error) {
	c, err := newConnector(path + "?" + strings.Join(params, "&"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db := sql.OpenDB(c)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}

// Dialect describes SQLite to sqlstore, as Open configures it.
func Dialect() sqlstore.Dialect { return dialect("FULL") }

// dialect describes SQLite whose writer runs at the given synchronous level.
func dialect(synchronous string) sqlstore.Dialect {
	d := sqlstore.Dialect{
		Name:      "sqlite",
		ForUpdate: "", // BEGIN IMMEDIATE on the single writer already excludes other writers
		Types: map[string]string{
			"key":  "TEXT",
			"blob": "BLOB",
			"bool": "INTEGER",
		},
		Classify: classify,
	}
	if synchronous == "FULL" {
		d.Strict = strict
	}
	return d
}

// strict switches the writer connection to synchronous=FULL for one write
// and returns the switch back to NORMAL, the writer's default. Writes that
// run at NORMAL (sessions and lockout counters: the sign-in path) survive a
// process crash in WAL mode; only a power failure can lose them, and the
// next FULL commit makes them durable too.
func strict(ctx context.Context, conn *sql.Conn) (func() error, error) {
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = FULL"); err != nil {
		return nil, err
	}
	return func() error {
		_, err := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA synchronous = NORMAL")
		return err
	}, nil
}

// classify maps SQLite result codes to sqlstore error kinds.
func classify(err error) sqlstore.ErrorKind {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return sqlstore.KindOther
	}
	switch code := se.Code(); {
	case code == sqlite3.SQLITE_CONSTRAINT_UNIQUE, code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return sqlstore.KindUnique
	case code == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return sqlstore.KindForeignKey
	case code&0xff == sqlite3.SQLITE_BUSY, code&0xff == sqlite3.SQLITE_LOCKED:
		return sqlstore.KindRetry
	}
	return sqlstore.KindOther
}
