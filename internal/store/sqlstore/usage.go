package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

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
