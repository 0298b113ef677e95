package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

// GetLockout returns the failed-login state of a login key; a key without
// failures is ErrNotFound (with a zero Lockout).
func (s *Store) GetLockout(ctx context.Context, poolID, key string) (store.Lockout, error) {
	var l store.Lockout
	err := s.reader.QueryRowContext(ctx,
		s.q("SELECT failures, last_failure, locked_until FROM lockouts WHERE pool_id = ? AND login_key = ?"), poolID, key).
		Scan(&l.Failures, ms(&l.LastFailure), ms(&l.LockedUntil))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Lockout{}, notFound("get lockout")
	}
	if err != nil {
		return store.Lockout{}, fmt.Errorf("get lockout: %w", err)
	}
	return l, nil
}

// UpdateLockout rewrites a login key's state with what fn returns (fn sees a
// zero Lockout when there is none); a zero result deletes the row. The row is
// locked, or created under a unique key and retried on a lost race, so that
// concurrent updates never lose one another.
func (s *Store) UpdateLockout(ctx context.Context, poolID, key string, fn func(store.Lockout) (store.Lockout, error)) (store.Lockout, error) {
	var out store.Lockout
	err := s.inRelaxedTx(ctx, func(tx *sql.Tx) error {
		var old store.Lockout
		found := true
		err := tx.QueryRowContext(ctx,
			s.forUpdate("SELECT failures, last_failure, locked_until FROM lockouts WHERE pool_id = ? AND login_key = ?"),
			poolID, key).Scan(&old.Failures, ms(&old.LastFailure), ms(&old.LockedUntil))
		if errors.Is(err, sql.ErrNoRows) {
			found = false
		} else if err != nil {
			return fmt.Errorf("update lockout: %w", err)
		}
		l, err := fn(old)
		if err != nil {
			return err
		}
		switch {
		case isZeroLockout(l) && found:
			_, err = tx.ExecContext(ctx, s.q("DELETE FROM lockouts WHERE pool_id = ? AND login_key = ?"), poolID, key)
		case isZeroLockout(l):
		case found:
			_, err = tx.ExecContext(ctx, s.q("UPDATE lockouts SET failures = ?, last_failure = ?, locked_until = ? "+
				"WHERE pool_id = ? AND login_key = ?"), l.Failures, msOf(l.LastFailure), msOf(l.LockedUntil), poolID, key)
		default:
			_, err = tx.ExecContext(ctx, s.q("INSERT INTO lockouts (pool_id, login_key, failures, last_failure, locked_until) "+
				"VALUES (?, ?, ?, ?, ?)"), poolID, key, l.Failures, msOf(l.LastFailure), msOf(l.LockedUntil))
		}
		if err := s.insertRace("update lockout", err); err != nil {
			return err
		}
		out = roundLockout(l)
		return nil
	})
	if err != nil {
		return store.Lockout{}, err
	}
	return out, nil
}

func isZeroLockout(l store.Lockout) bool {
	return l.Failures == 0 && l.LastFailure.IsZero() && l.LockedUntil.IsZero()
}

// DeleteLockout removes one counter with a single relaxed statement.
func (s *Store) DeleteLockout(ctx context.Context, poolID, key string) error {
	_, err := s.deleteMany(ctx, true, "delete lockout", "DELETE FROM lockouts WHERE pool_id = ? AND login_key = ?", poolID, key)
	return err
}

// DeleteStaleLockouts removes counters with no failure and no lock since before.
func (s *Store) DeleteStaleLockouts(ctx context.Context, before time.Time) (int, error) {
	b := before.UnixMilli()
	return s.deleteMany(ctx, true, "delete stale lockouts",
		"DELETE FROM lockouts WHERE (last_failure IS NULL OR last_failure < ?) AND (locked_until IS NULL OR locked_until < ?)", b, b)
}
