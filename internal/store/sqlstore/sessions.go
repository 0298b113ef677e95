package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

// PutSession stores a new single-use session.
func (s *Store) PutSession(ctx context.Context, sess store.Session) error {
	err := s.withWriter(ctx, true, func(w writer) error {
		_, err := w.ExecContext(ctx,
			s.q("INSERT INTO sessions (id, pool_id, kind, data, expires_at) VALUES (?, ?, ?, ?, ?)"),
			sess.ID, sess.PoolID, sess.Kind, bytesOf(sess.Data), sess.ExpiresAt.UnixMilli())
		return err
	})
	return s.mapErr("put session", err)
}

// TakeSession deletes a session and returns it, in one statement, so that of
// concurrent takes exactly one sees the row. An expired session is deleted
// and reported as ErrNotFound.
func (s *Store) TakeSession(ctx context.Context, id string, now time.Time) (store.Session, error) {
	var sess store.Session
	err := s.withWriter(ctx, true, func(w writer) error {
		return w.QueryRowContext(ctx,
			s.q("DELETE FROM sessions WHERE id = ? RETURNING id, pool_id, kind, data, expires_at"), id).
			Scan(&sess.ID, &sess.PoolID, &sess.Kind, blob(&sess.Data), ms(&sess.ExpiresAt))
	})
	if errors.Is(err, sql.ErrNoRows) {
		return store.Session{}, notFound("take session")
	}
	if err != nil {
		return store.Session{}, fmt.Errorf("take session: %w", err)
	}
	if !now.Before(sess.ExpiresAt) {
		return store.Session{}, fmt.Errorf("take session: expired: %w", store.ErrNotFound)
	}
	return sess, nil
}

// DeleteExpiredSessions removes sessions that expired before now.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	return s.deleteMany(ctx, true, "delete expired sessions", "DELETE FROM sessions WHERE expires_at < ?", now.UnixMilli())
}

// deleteMany runs a delete and returns how many rows it removed; relaxed
// lowers its durability (Dialect.Relax).
func (s *Store) deleteMany(ctx context.Context, relaxed bool, op, query string, args ...any) (int, error) {
	var res sql.Result
	err := s.withWriter(ctx, relaxed, func(w writer) error {
		var err error
		res, err = w.ExecContext(ctx, s.q(query), args...)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	n, err := affected(res)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	return n, nil
}
