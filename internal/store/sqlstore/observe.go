package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Observer receives the duration of every store read (kind "read", one
// query) and write (kind "write", one transaction or statement with its
// retries), and whether it failed for another reason than a missing row.
type Observer func(kind string, d time.Duration, failed bool)

// SetObserver installs fn (nil removes it); it may be called at any time.
func (s *Store) SetObserver(fn Observer) {
	if fn == nil {
		s.observer.Store(nil)
		return
	}
	s.observer.Store(&fn)
}

func (s *Store) observe(kind string, start time.Time, err error) {
	if p := s.observer.Load(); p != nil {
		(*p)(kind, time.Since(start), err != nil && !errors.Is(err, sql.ErrNoRows) && !errors.Is(err, errConflict))
	}
}

// Ping checks that the database answers a query, for readiness probes.
// Migrations ran before New returned, so a store that answers is ready.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	start := time.Now()
	err := s.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
	s.observe("read", start, err)
	return err
}

// timedReader times the read pool's queries for the Observer.
type timedReader struct {
	db *sql.DB
	s  *Store
}

func (t timedReader) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	start := time.Now()
	row := t.db.QueryRowContext(ctx, query, args...)
	t.s.observe("read", start, row.Err())
	return row
}

func (t timedReader) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	start := time.Now()
	rows, err := t.db.QueryContext(ctx, query, args...)
	t.s.observe("read", start, err)
	return rows, err
}

func (t timedReader) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	start := time.Now()
	res, err := t.db.ExecContext(ctx, query, args...)
	t.s.observe("read", start, err)
	return res, err
}
