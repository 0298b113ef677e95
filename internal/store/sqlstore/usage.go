package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

// AddUsage adds n to a usage counter unless the sum would exceed limit
// (limit < 0: no limit). The row is locked, or created under its primary
// key and retried on a lost race, so concurrent calls from any node never
// overshoot the limit.
func (s *Store) AddUsage(ctx context.Context, planID, keyID, period string, n, limit int64) (int64, bool, error) {
	var count int64
	var added bool
	err := s.inRelaxedTx(ctx, func(tx *sql.Tx) error {
		var old int64
		found := true
		err := tx.QueryRowContext(ctx,
			s.forUpdate("SELECT count FROM usage_counters WHERE plan_id = ? AND key_id = ? AND period = ?"),
			planID, keyID, period).Scan(&old)
		if errors.Is(err, sql.ErrNoRows) {
			found = false
		} else if err != nil {
			return fmt.Errorf("add usage: %w", err)
		}
		if limit >= 0 && old+n > limit {
			count, added = old, false
			return nil
		}
		if found {
			_, err = tx.ExecContext(ctx, s.q("UPDATE usage_counters SET count = ? WHERE plan_id = ? AND key_id = ? AND period = ?"),
				old+n, planID, keyID, period)
		} else {
			_, err = tx.ExecContext(ctx, s.q("INSERT INTO usage_counters (plan_id, key_id, period, count) VALUES (?, ?, ?, ?)"),
				planID, keyID, period, old+n)
		}
		if err := s.insertRace("add usage", err); err != nil {
			return err
		}
		count, added = old+n, true
		return nil
	})
	if err != nil {
		return 0, false, err
	}
	return count, added, nil
}

// ListUsage returns a plan's counters (one key's when keyID is set) with
// from <= period <= to, ordered by key and period.
func (s *Store) ListUsage(ctx context.Context, planID, keyID, from, to string) ([]store.UsageCount, error) {
	query := "SELECT plan_id, key_id, period, count FROM usage_counters WHERE plan_id = ? AND period >= ? AND period <= ?"
	args := []any{planID, from, to}
	if keyID != "" {
		query += " AND key_id = ?"
		args = append(args, keyID)
	}
	rows, err := s.read.QueryContext(ctx, s.q(query+" ORDER BY key_id, period"), args...)
	if err != nil {
		return nil, fmt.Errorf("list usage: %w", err)
	}
	defer rows.Close()
	var out []store.UsageCount
	for rows.Next() {
		var u store.UsageCount
		if err := rows.Scan(&u.PlanID, &u.KeyID, &u.Period, &u.Count); err != nil {
			return nil, fmt.Errorf("list usage: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list usage: %w", err)
	}
	return out, nil
}

// microTokens is one token in the token_buckets table's unit.
const microTokens = 1_000_000

// TakeToken takes a token from a shared bucket (see store.Usage).
func (s *Store) TakeToken(ctx context.Context, key string, rate float64, burst int64, now time.Time) (bool, error) {
	full := burst * microTokens
	nowMS := now.UnixMilli()
	var ok bool
	err := s.inRelaxedTx(ctx, func(tx *sql.Tx) error {
		var micro, at int64
		found := true
		err := tx.QueryRowContext(ctx, s.forUpdate("SELECT micro, at_ms FROM token_buckets WHERE bkey = ?"), key).Scan(&micro, &at)
		if errors.Is(err, sql.ErrNoRows) {
			found, micro, at = false, full, nowMS
		} else if err != nil {
			return fmt.Errorf("take token: %w", err)
		}
		if elapsed := nowMS - at; elapsed > 0 {
			micro = min(full, micro+int64(float64(elapsed)*rate*microTokens/1000))
			at = nowMS
		}
		micro = min(micro, full) // a lowered burst applies at once
		ok = micro >= microTokens
		if ok {
			micro -= microTokens
		}
		if found {
			_, err = tx.ExecContext(ctx, s.q("UPDATE token_buckets SET micro = ?, at_ms = ? WHERE bkey = ?"), micro, at, key)
		} else {
			_, err = tx.ExecContext(ctx, s.q("INSERT INTO token_buckets (bkey, micro, at_ms) VALUES (?, ?, ?)"), key, micro, at)
		}
		return s.insertRace("take token", err)
	})
	if err != nil {
		return false, err
	}
	return ok, nil
}
