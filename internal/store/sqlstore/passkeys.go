package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cognate-dev/cognate/internal/store"
)

const passkeyCols = "pool_id, id, username, data, created_at, updated_at"

func scanPasskey(r interface{ Scan(...any) error }) (store.Passkey, error) {
	var k store.Passkey
	err := r.Scan(&k.PoolID, &k.ID, &k.Username, blob(&k.Data), ms(&k.CreatedAt), ms(&k.UpdatedAt))
	return k, err
}

// CreatePasskey stores a new passkey of an existing user.
func (s *Store) CreatePasskey(ctx context.Context, k store.Passkey) error {
	_, err := s.execW(ctx, s.q("INSERT INTO passkeys ("+passkeyCols+") VALUES (?, ?, ?, ?, ?, ?)"),
		k.PoolID, k.ID, k.Username, bytesOf(k.Data), msOf(k.CreatedAt), msOf(k.UpdatedAt))
	return s.mapErr("create passkey", err)
}

// ListPasskeys returns a user's passkeys, oldest first.
func (s *Store) ListPasskeys(ctx context.Context, poolID, username string) ([]store.Passkey, error) {
	rows, err := s.reader.QueryContext(ctx, s.q("SELECT "+passkeyCols+" FROM passkeys WHERE pool_id = ? AND username = ? ORDER BY created_at, id"),
		poolID, username)
	if err != nil {
		return nil, fmt.Errorf("list passkeys: %w", err)
	}
	return collect(rows, "list passkeys", scanPasskey)
}

// UpdatePasskey rewrites a passkey with what fn returns.
func (s *Store) UpdatePasskey(ctx context.Context, poolID, id string, fn func(store.Passkey) (store.Passkey, error)) (store.Passkey, error) {
	var out store.Passkey
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := scanPasskey(tx.QueryRowContext(ctx, s.forUpdate("SELECT "+passkeyCols+" FROM passkeys WHERE pool_id = ? AND id = ?"), poolID, id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("update passkey")
		}
		if err != nil {
			return fmt.Errorf("update passkey: %w", err)
		}
		next, err := fn(old)
		if err != nil {
			return err
		}
		next.PoolID, next.ID, next.Username, next.CreatedAt = old.PoolID, old.ID, old.Username, old.CreatedAt
		if _, err := tx.ExecContext(ctx, s.q("UPDATE passkeys SET data = ?, updated_at = ? WHERE pool_id = ? AND id = ?"),
			bytesOf(next.Data), msOf(next.UpdatedAt), poolID, id); err != nil {
			return s.mapErr("update passkey", err)
		}
		out = next
		return nil
	})
	return out, err
}

// DeletePasskey removes one passkey of a user.
func (s *Store) DeletePasskey(ctx context.Context, poolID, username, id string) error {
	res, err := s.execW(ctx, s.q("DELETE FROM passkeys WHERE pool_id = ? AND username = ? AND id = ?"), poolID, username, id)
	if err != nil {
		return s.mapErr("delete passkey", err)
	}
	n, err := affected(res)
	if err != nil {
		return fmt.Errorf("delete passkey: %w", err)
	}
	if n == 0 {
		return notFound("delete passkey")
	}
	return nil
}
