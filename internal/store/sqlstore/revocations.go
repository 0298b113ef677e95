package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

// Counter names.
const (
	counterRevocation = "revocation"
	counterStage      = "stage"
)

// next increments the named counter inside tx and returns its new value. The
// counter row stays locked until tx ends, so values commit in order.
func (s *Store) next(ctx context.Context, tx *sql.Tx, name string) (int64, error) {
	var v int64
	err := tx.QueryRowContext(ctx, s.q("INSERT INTO counters (name, value) VALUES (?, 1) "+
		"ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value"), name).Scan(&v)
	if err != nil {
		return 0, s.mapErr("next "+name, err)
	}
	return v, nil
}

// AddRevocation appends r to the feed and returns its sequence number.
func (s *Store) AddRevocation(ctx context.Context, r store.Revocation) (int64, error) {
	var seq int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if seq, err = s.next(ctx, tx, counterRevocation); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q("INSERT INTO revocations (seq, pool_id, kind, value, at_time, expires_at) "+
			"VALUES (?, ?, ?, ?, ?, ?)"), seq, r.PoolID, r.Kind, r.Value, msOf(r.At), msOf(r.ExpiresAt))
		return s.mapErr("add revocation", err)
	})
	if err != nil {
		return 0, err
	}
	return seq, nil
}

// RevocationsSince returns feed entries with Seq > seq, in Seq order.
func (s *Store) RevocationsSince(ctx context.Context, seq int64, limit int) ([]store.Revocation, error) {
	if limit <= 0 {
		limit = DefaultRevocationLimit
	}
	rows, err := s.reader.QueryContext(ctx, s.q("SELECT seq, pool_id, kind, value, at_time, expires_at FROM revocations "+
		"WHERE seq > ? ORDER BY seq LIMIT ?"), seq, limit)
	if err != nil {
		return nil, fmt.Errorf("revocations since: %w", err)
	}
	return collect(rows, "revocations since", func(r interface{ Scan(...any) error }) (store.Revocation, error) {
		var v store.Revocation
		err := r.Scan(&v.Seq, &v.PoolID, &v.Kind, &v.Value, ms(&v.At), ms(&v.ExpiresAt))
		return v, err
	})
}

// DeleteExpiredRevocations drops entries whose ExpiresAt is before now.
func (s *Store) DeleteExpiredRevocations(ctx context.Context, now time.Time) (int, error) {
	return s.deleteMany(ctx, false, "delete expired revocations",
		"DELETE FROM revocations WHERE expires_at < ?", now.UnixMilli())
}
