package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

const refreshCols = "id, pool_id, client_id, username, origin_jti, auth_time, issued_at, expires_at, revoked"

// PutRefreshToken stores a new refresh token's state.
func (s *Store) PutRefreshToken(ctx context.Context, t store.RefreshToken) error {
	_, err := s.execW(ctx, s.q("INSERT INTO refresh_tokens ("+refreshCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
		t.ID, t.PoolID, t.ClientID, t.Username, t.OriginJTI, msOf(t.AuthTime), msOf(t.IssuedAt), msOf(t.ExpiresAt), t.Revoked)
	return s.mapErr("put refresh token", err)
}

// GetRefreshToken returns a refresh token's state by id (the token's hash).
func (s *Store) GetRefreshToken(ctx context.Context, id string) (store.RefreshToken, error) {
	var t store.RefreshToken
	err := s.reader.QueryRowContext(ctx, s.q("SELECT "+refreshCols+" FROM refresh_tokens WHERE id = ?"), id).
		Scan(&t.ID, &t.PoolID, &t.ClientID, &t.Username, &t.OriginJTI, ms(&t.AuthTime), ms(&t.IssuedAt),
			ms(&t.ExpiresAt), &t.Revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return store.RefreshToken{}, notFound("get refresh token")
	}
	if err != nil {
		return store.RefreshToken{}, fmt.Errorf("get refresh token: %w", err)
	}
	return t, nil
}

// RevokeRefreshToken marks a token revoked with one conditional update, so
// that of concurrent revocations exactly one reports the token was live.
func (s *Store) RevokeRefreshToken(ctx context.Context, id string) (bool, error) {
	res, err := s.execW(ctx, s.q("UPDATE refresh_tokens SET revoked = ? WHERE id = ? AND revoked = ?"),
		true, id, false)
	if err != nil {
		return false, fmt.Errorf("revoke refresh token: %w", err)
	}
	n, err := affected(res)
	if err != nil {
		return false, fmt.Errorf("revoke refresh token: %w", err)
	}
	if n > 0 {
		return true, nil
	}
	ok, err := s.exists(ctx, s.write, "SELECT 1 FROM refresh_tokens WHERE id = ?", id)
	if err != nil {
		return false, fmt.Errorf("revoke refresh token: %w", err)
	}
	if !ok {
		return false, notFound("revoke refresh token")
	}
	return false, nil
}

// RevokeUserRefreshTokens revokes every live token of a user.
func (s *Store) RevokeUserRefreshTokens(ctx context.Context, poolID, username string) (int, error) {
	res, err := s.execW(ctx,
		s.q("UPDATE refresh_tokens SET revoked = ? WHERE pool_id = ? AND username = ? AND revoked = ?"),
		true, poolID, username, false)
	if err != nil {
		return 0, fmt.Errorf("revoke user refresh tokens: %w", err)
	}
	n, err := affected(res)
	if err != nil {
		return 0, fmt.Errorf("revoke user refresh tokens: %w", err)
	}
	return n, nil
}

// DeleteExpiredRefreshTokens removes tokens that expired before now.
func (s *Store) DeleteExpiredRefreshTokens(ctx context.Context, now time.Time) (int, error) {
	return s.deleteMany(ctx, false, "delete expired refresh tokens",
		"DELETE FROM refresh_tokens WHERE expires_at < ?", now.UnixMilli())
}
