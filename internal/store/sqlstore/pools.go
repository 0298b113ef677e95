package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cognate-dev/cognate/internal/store"
)

const poolCols = "id, name, config, created_at, updated_at"

func scanPool(r interface{ Scan(...any) error }) (store.Pool, error) {
	var p store.Pool
	err := r.Scan(&p.ID, &p.Name, rawJSON(&p.Config), ms(&p.CreatedAt), ms(&p.UpdatedAt))
	return p, err
}

// CreatePool stores a new pool.
func (s *Store) CreatePool(ctx context.Context, p store.Pool) error {
	_, err := s.execW(ctx, s.q("INSERT INTO pools ("+poolCols+") VALUES (?, ?, ?, ?, ?)"),
		p.ID, p.Name, bytesOf(p.Config), msOf(p.CreatedAt), msOf(p.UpdatedAt))
	return s.mapErr("create pool", err)
}

// GetPool returns the pool with id.
func (s *Store) GetPool(ctx context.Context, id string) (store.Pool, error) {
	p, err := scanPool(s.reader.QueryRowContext(ctx, s.q("SELECT "+poolCols+" FROM pools WHERE id = ?"), id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Pool{}, notFound("get pool")
	}
	if err != nil {
		return store.Pool{}, fmt.Errorf("get pool: %w", err)
	}
	return p, nil
}

// ListPools pages through the pools by id.
func (s *Store) ListPools(ctx context.Context, page store.Page) ([]store.Pool, error) {
	rows, err := s.reader.QueryContext(ctx, s.q("SELECT "+poolCols+" FROM pools WHERE id > ? ORDER BY id LIMIT ?"),
		page.After, limit(page))
	if err != nil {
		return nil, fmt.Errorf("list pools: %w", err)
	}
	return collect(rows, "list pools", scanPool)
}

// UpdatePool rewrites a pool with what fn returns.
func (s *Store) UpdatePool(ctx context.Context, id string, fn func(store.Pool) (store.Pool, error)) (store.Pool, error) {
	var out store.Pool
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := scanPool(tx.QueryRowContext(ctx, s.forUpdate("SELECT "+poolCols+" FROM pools WHERE id = ?"), id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("update pool")
		}
		if err != nil {
			return fmt.Errorf("update pool: %w", err)
		}
		p, err := fn(old)
		if err != nil {
			return err
		}
		p.ID, p.CreatedAt = old.ID, old.CreatedAt
		_, err = tx.ExecContext(ctx, s.q("UPDATE pools SET name = ?, config = ?, updated_at = ? WHERE id = ?"),
			p.Name, bytesOf(p.Config), msOf(p.UpdatedAt), id)
		if err != nil {
			return s.mapErr("update pool", err)
		}
		out = p
		return nil
	})
	if err != nil {
		return store.Pool{}, err
	}
	return roundPool(out), nil
}

// DeletePool removes a pool and, by cascade, everything in it.
func (s *Store) DeletePool(ctx context.Context, id string) error {
	return s.deleteOne(ctx, "delete pool", "DELETE FROM pools WHERE id = ?", id)
}

// deleteOne runs a single-row delete, reporting ErrNotFound when nothing matched.
func (s *Store) deleteOne(ctx context.Context, op, query string, args ...any) error {
	res, err := s.execW(ctx, s.q(query), args...)
	if err != nil {
		return s.mapErr(op, err)
	}
	n, err := affected(res)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if n == 0 {
		return notFound(op)
	}
	return nil
}

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, op string, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}
