// Package sqlstore implements store.Store over database/sql, shared by the
// SQLite and PostgreSQL backends. A backend opens its connection pools, fills
// in a Dialect (placeholders, column types, error classification, row locks)
// and calls New; every query, the schema and the transaction logic live here.
//
// Semantics beyond the store contract:
//   - UpdateX keeps the key fields and CreatedAt of the stored row; every other
//     field is written as fn returns it.
//   - Deleting a missing pool, client, user, group or stage is ErrNotFound.
//     Listing the children of a missing pool, user or group is ErrNotFound.
//   - Creating a row under a missing pool (client, user, group, key set,
//     lockout) is ErrNotFound.
//   - Empty attribute and variable maps come back as empty, non-nil maps; empty
//     byte slices and JSON documents come back as nil.
//
// Write transactions are retried, with fn called again, when the dialect
// classifies an error as KindRetry (serialization failure, deadlock, busy) or
// when a concurrent writer created the row an update was about to insert.
//
// Sequence numbers (revocation Seq, stage Version) come from a counter row
// that each writer locks until it commits, so numbers become visible in
// increasing order: a reader polling "Seq > last seen" never skips an entry
// that commits late. No backend sequence or SERIAL ordering is relied upon.
package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

// DefaultLimit is the page size used when Page.Limit is zero or negative.
const DefaultLimit = 60

// DefaultRevocationLimit bounds RevocationsSince when its limit is not positive.
const DefaultRevocationLimit = 1000

// maxAttempts bounds how often one write transaction is retried.
const maxAttempts = 30

// errConflict marks a write that lost a race it can win on retry (an insert
// beaten by a concurrent insert of the same key inside an UpdateX).
var errConflict = errors.New("sqlstore: concurrent write conflict")

// Config is what a backend hands to New.
type Config struct {
	// Write is the pool every write transaction runs on (for SQLite, one
	// connection); Read serves plain reads and may be the same pool.
	Write *sql.DB
	Read  *sql.DB
	// Dialect describes the backend's SQL flavour.
	Dialect Dialect
	// Name is what Store.Name reports ("sqlite /data/cognate.db").
	Name string
	// Logger receives migration and retry messages; nil discards them.
	Logger *slog.Logger
}

// Store is a store.Store over database/sql.
type Store struct {
	write, read *sql.DB
	d           Dialect
	name        string
	log         *slog.Logger
	reader      queryer // read, timed for the Observer
	observer    atomic.Pointer[Observer]
	queries     sync.Map // query text -> rebound text
	closeOnce   sync.Once
	closeErr    error
}

var _ store.Store = (*Store)(nil)

// New applies the pending migrations and returns the store. The caller keeps
// ownership of the pools until New succeeds; from then on Close closes them.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Write == nil {
		return nil, errors.New("sqlstore: no write pool")
	}
	if cfg.Read == nil {
		cfg.Read = cfg.Write
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{write: cfg.Write, read: cfg.Read, d: cfg.Dialect, name: cfg.Name, log: logger}
	s.reader = timedReader{db: cfg.Read, s: s}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Name reports the backend and where it stores data.
func (s *Store) Name() string { return s.name }

// Close closes the connection pools.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		err := s.write.Close()
		if s.read != s.write {
			err = errors.Join(err, s.read.Close())
		}
		s.closeErr = err
	})
	return s.closeErr
}

// q returns query with the dialect's placeholders, cached.
func (s *Store) q(query string) string {
	if !s.d.NumberedParams {
		return query
	}
	if v, ok := s.queries.Load(query); ok {
		return v.(string)
	}
	r := s.d.rebind(query)
	s.queries.Store(query, r)
	return r
}

// forUpdate returns query with the dialect's row-lock suffix.
func (s *Store) forUpdate(query string) string {
	return s.q(query + s.d.ForUpdate)
}

// withWriter runs fn against the write pool and runs it again, up to
// maxAttempts, while it fails transiently (serialization failure, deadlock,
// busy, lost insert race). relaxed marks a write whose loss on power failure
// is harmless (Dialect.Relax); any other write runs fully durable (Dialect.Strict).
func (s *Store) withWriter(ctx context.Context, relaxed bool, fn func(w writer) error) (err error) {
	start := time.Now()
	defer func() { s.observe("write", start, s.classifyForObserver(err)) }()
	for attempt := 1; ; attempt++ {
		var err error
		switch {
		case relaxed && s.d.Relax != nil:
			err = s.adjusted(ctx, s.d.Relax, fn)
		case !relaxed && s.d.Strict != nil:
			err = s.adjusted(ctx, s.d.Strict, fn)
		default:
			err = fn(s.write)
		}
		if err == nil || !s.retryable(err) || attempt >= maxAttempts {
			return err
		}
		s.log.DebugContext(ctx, "retrying store write", "attempt", attempt, "err", err)
		if err := sleep(ctx, backoff(attempt)); err != nil {
			return err
		}
	}
}

// inTx runs body in a write transaction, committing when it returns nil and
// retrying the whole transaction on transient failures: body may run more
// than once.
func (s *Store) inTx(ctx context.Context, body func(tx *sql.Tx) error) error {
	return s.withWriter(ctx, false, func(w writer) error { return txOn(ctx, w, body) })
}

// inRelaxedTx is inTx for writes that need not survive a power failure.
func (s *Store) inRelaxedTx(ctx context.Context, body func(tx *sql.Tx) error) error {
	return s.withWriter(ctx, true, func(w writer) error { return txOn(ctx, w, body) })
}

// execW runs one write statement (already rebound) with retries.
func (s *Store) execW(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := s.withWriter(ctx, false, func(w writer) error {
		var err error
		res, err = w.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

// beginner is a *sql.DB or a *sql.Conn.
type beginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// writer is a *sql.DB or a *sql.Conn of the write pool.
type writer interface {
	queryer
	beginner
}

func txOn(ctx context.Context, b beginner, body func(tx *sql.Tx) error) error {
	tx, err := b.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := body(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// adjusted runs fn on one write connection whose durability adjust changes
// for the call (Dialect.Relax or Dialect.Strict), then restores it; a
// connection that cannot be restored is discarded.
func (s *Store) adjusted(ctx context.Context, adjust func(context.Context, *sql.Conn) (func() error, error), fn func(w writer) error) error {
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("write connection: %w", err)
	}
	defer conn.Close()
	restore, err := adjust(ctx, conn)
	if err != nil {
		return fmt.Errorf("adjust durability: %w", err)
	}
	err = fn(conn)
	if rerr := restore(); rerr != nil {
		s.log.ErrorContext(ctx, "restoring the connection's durability failed; discarding the connection", "err", rerr)
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	return err
}

// retryable reports whether a failed transaction should run again.
func (s *Store) retryable(err error) bool {
	return errors.Is(err, errConflict) || s.d.kind(err) == KindRetry
}

// backoff is a jittered exponential delay: about 1 ms doubling to 50 ms.
func backoff(attempt int) time.Duration {
	d := time.Millisecond << min(attempt-1, 6)
	d = min(d, 50*time.Millisecond)
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// mapErr turns a constraint violation into the store's sentinel errors and
// wraps everything with op.
func (s *Store) mapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	switch s.d.kind(err) {
	case KindUnique:
		return fmt.Errorf("%s: %w", op, store.ErrAlreadyExists)
	case KindForeignKey:
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// notFound reports a missing row.
func notFound(op string) error {
	return fmt.Errorf("%s: %w", op, store.ErrNotFound)
}

// limit returns the effective page size.
func limit(p store.Page) int {
	if p.Limit <= 0 {
		return DefaultLimit
	}
	return p.Limit
}

// affected returns how many rows an exec touched.
func affected(res sql.Result) (int, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("rows affected: %w", err)
	}
	return int(n), nil
}

// exists reports whether query (a SELECT 1 ...) returns a row.
func (s *Store) exists(ctx context.Context, q queryer, query string, args ...any) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, s.q(query), args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, nil
}

// queryer is a *sql.DB or a *sql.Tx.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// classifyForObserver hides the outcomes that are answers, not failures
// (a duplicate or missing row), from the Observer.
func (s *Store) classifyForObserver(err error) error {
	if err == nil || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrAlreadyExists) {
		return nil
	}
	switch s.d.kind(err) {
	case KindUnique, KindForeignKey:
		return nil
	}
	return err
}
