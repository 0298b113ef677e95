package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/cognate-dev/cognate/internal/store"
)

const counterOutbox = "outbox"

// DefaultMessageLimit is ListMessages' page size when none is given.
const DefaultMessageLimit = 60

// AddMessage appends m to its pool's outbox and trims the pool's outbox to
// the newest keep messages, in one transaction.
func (s *Store) AddMessage(ctx context.Context, m store.Message, keep int) (int64, error) {
	var seq int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if seq, err = s.next(ctx, tx, counterOutbox); err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, s.q("INSERT INTO outbox (pool_id, seq, created_at, data) VALUES (?, ?, ?, ?)"),
			m.PoolID, seq, m.CreatedAt.UnixMilli(), bytesOf(m.Data)); err != nil {
			return s.mapErr("add message", err)
		}
		if keep <= 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, s.q("DELETE FROM outbox WHERE pool_id = ? AND seq <= "+
			"(SELECT seq FROM outbox WHERE pool_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)"), m.PoolID, m.PoolID, keep)
		return s.mapErr("trim outbox", err)
	})
	if err != nil {
		return 0, err
	}
	return seq, nil
}

// ListMessages returns a pool's newest messages first.
func (s *Store) ListMessages(ctx context.Context, poolID string, limit int) ([]store.Message, error) {
	if limit <= 0 {
		limit = DefaultMessageLimit
	}
	rows, err := s.read.QueryContext(ctx, s.q("SELECT pool_id, seq, created_at, data FROM outbox "+
		"WHERE pool_id = ? ORDER BY seq DESC LIMIT ?"), poolID, limit)
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	return collect(rows, "list messages", func(r interface{ Scan(...any) error }) (store.Message, error) {
		var v store.Message
		err := r.Scan(&v.PoolID, &v.Seq, ms(&v.CreatedAt), blob(&v.Data))
		return v, err
	})
}
