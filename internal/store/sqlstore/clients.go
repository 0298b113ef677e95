package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cognate-dev/cognate/internal/store"
)

const clientCols = "pool_id, id, name, secret, config, created_at, updated_at"

func scanClient(r interface{ Scan(...any) error }) (store.Client, error) {
	var c store.Client
	err := r.Scan(&c.PoolID, &c.ID, &c.Name, blob(&c.Secret), rawJSON(&c.Config), ms(&c.CreatedAt), ms(&c.UpdatedAt))
	return c, err
}

// CreateClient stores a new app client; its id must be unique across pools.
func (s *Store) CreateClient(ctx context.Context, c store.Client) error {
	_, err := s.execW(ctx, s.q("INSERT INTO clients ("+clientCols+") VALUES (?, ?, ?, ?, ?, ?, ?)"),
		c.PoolID, c.ID, c.Name, bytesOf(c.Secret), bytesOf(c.Config), msOf(c.CreatedAt), msOf(c.UpdatedAt))
	return s.mapErr("create client", err)
}

// GetClient returns the client id of pool poolID.
func (s *Store) GetClient(ctx context.Context, poolID, id string) (store.Client, error) {
	return s.getClient(ctx, "SELECT "+clientCols+" FROM clients WHERE id = ? AND pool_id = ?", id, poolID)
}

// GetClientByID returns the client id, whatever its pool.
func (s *Store) GetClientByID(ctx context.Context, id string) (store.Client, error) {
	return s.getClient(ctx, "SELECT "+clientCols+" FROM clients WHERE id = ?", id)
}

func (s *Store) getClient(ctx context.Context, query string, args ...any) (store.Client, error) {
	c, err := scanClient(s.reader.QueryRowContext(ctx, s.q(query), args...))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Client{}, notFound("get client")
	}
	if err != nil {
		return store.Client{}, fmt.Errorf("get client: %w", err)
	}
	return c, nil
}

// ListClients pages through a pool's clients by id.
func (s *Store) ListClients(ctx context.Context, poolID string, page store.Page) ([]store.Client, error) {
	rows, err := s.reader.QueryContext(ctx,
		s.q("SELECT "+clientCols+" FROM clients WHERE pool_id = ? AND id > ? ORDER BY id LIMIT ?"),
		poolID, page.After, limit(page))
	if err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	out, err := collect(rows, "list clients", scanClient)
	if err != nil || len(out) > 0 {
		return out, err
	}
	return nil, s.requirePool(ctx, "list clients", poolID)
}

// UpdateClient rewrites a client with what fn returns.
func (s *Store) UpdateClient(ctx context.Context, poolID, id string, fn func(store.Client) (store.Client, error)) (store.Client, error) {
	var out store.Client
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := scanClient(tx.QueryRowContext(ctx,
			s.forUpdate("SELECT "+clientCols+" FROM clients WHERE id = ? AND pool_id = ?"), id, poolID))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("update client")
		}
		if err != nil {
			return fmt.Errorf("update client: %w", err)
		}
		c, err := fn(old)
		if err != nil {
			return err
		}
		c.PoolID, c.ID, c.CreatedAt = old.PoolID, old.ID, old.CreatedAt
		_, err = tx.ExecContext(ctx,
			s.q("UPDATE clients SET name = ?, secret = ?, config = ?, updated_at = ? WHERE id = ? AND pool_id = ?"),
			c.Name, bytesOf(c.Secret), bytesOf(c.Config), msOf(c.UpdatedAt), id, poolID)
		if err != nil {
			return s.mapErr("update client", err)
		}
		out = c
		return nil
	})
	if err != nil {
		return store.Client{}, err
	}
	return roundClient(out), nil
}

// DeleteClient removes a client.
func (s *Store) DeleteClient(ctx context.Context, poolID, id string) error {
	return s.deleteOne(ctx, "delete client", "DELETE FROM clients WHERE id = ? AND pool_id = ?", id, poolID)
}

// requirePool returns ErrNotFound (wrapped with op) when the pool is missing.
func (s *Store) requirePool(ctx context.Context, op, poolID string) error {
	ok, err := s.exists(ctx, s.read, "SELECT 1 FROM pools WHERE id = ?", poolID)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if !ok {
		return notFound(op)
	}
	return nil
}
