package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

const itemCols = "kind, item_key, pool_id, data, expires_at, created_at, updated_at"

func scanItem(r interface{ Scan(...any) error }) (store.Item, error) {
	var it store.Item
	err := r.Scan(&it.Kind, &it.Key, &it.PoolID, blob(&it.Data), ms(&it.ExpiresAt), ms(&it.CreatedAt), ms(&it.UpdatedAt))
	return it, err
}

func roundItem(it store.Item) store.Item {
	for _, t := range []*time.Time{&it.ExpiresAt, &it.CreatedAt, &it.UpdatedAt} {
		if !t.IsZero() {
			*t = t.Truncate(time.Millisecond).UTC()
		}
	}
	if len(it.Data) == 0 {
		it.Data = nil
	}
	return it
}

// CreateItem stores a new item, replacing an expired one with the same key.
func (s *Store) CreateItem(ctx context.Context, it store.Item) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM items WHERE kind = ? AND item_key = ? AND expires_at IS NOT NULL AND expires_at <= ?"),
			it.Kind, it.Key, it.CreatedAt.UnixMilli()); err != nil {
			return fmt.Errorf("create item: %w", err)
		}
		_, err := tx.ExecContext(ctx, s.q("INSERT INTO items ("+itemCols+") VALUES (?, ?, ?, ?, ?, ?, ?)"),
			it.Kind, it.Key, it.PoolID, bytesOf(it.Data), msOf(it.ExpiresAt), msOf(it.CreatedAt), msOf(it.UpdatedAt))
		return s.mapErr("create item", err)
	})
	return err
}

// GetItem returns a live item.
func (s *Store) GetItem(ctx context.Context, kind, key string, now time.Time) (store.Item, error) {
	it, err := scanItem(s.read.QueryRowContext(ctx, s.q("SELECT "+itemCols+" FROM items WHERE kind = ? AND item_key = ?"), kind, key))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Item{}, notFound("get item")
	}
	if err != nil {
		return store.Item{}, fmt.Errorf("get item: %w", err)
	}
	if !it.ExpiresAt.IsZero() && !now.Before(it.ExpiresAt) {
		return store.Item{}, fmt.Errorf("get item: expired: %w", store.ErrNotFound)
	}
	return it, nil
}

// ListItems pages through a pool's items of one kind by key.
func (s *Store) ListItems(ctx context.Context, kind, poolID string, page store.Page) ([]store.Item, error) {
	rows, err := s.read.QueryContext(ctx,
		s.q("SELECT "+itemCols+" FROM items WHERE pool_id = ? AND kind = ? AND item_key > ? ORDER BY item_key LIMIT ?"),
		poolID, kind, page.After, limit(page))
	if err != nil {
		return nil, fmt.Errorf("list items: %w", err)
	}
	out, err := collect(rows, "list items", scanItem)
	if err != nil || len(out) > 0 {
		return out, err
	}
	return nil, s.requirePool(ctx, "list items", poolID)
}

// UpdateItem rewrites an item with what fn returns.
func (s *Store) UpdateItem(ctx context.Context, kind, key string, fn func(store.Item) (store.Item, error)) (store.Item, error) {
	var out store.Item
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := scanItem(tx.QueryRowContext(ctx, s.forUpdate("SELECT "+itemCols+" FROM items WHERE kind = ? AND item_key = ?"), kind, key))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("update item")
		}
		if err != nil {
			return fmt.Errorf("update item: %w", err)
		}
		it, err := fn(old)
		if err != nil {
			return err
		}
		it.Kind, it.Key, it.PoolID, it.CreatedAt = old.Kind, old.Key, old.PoolID, old.CreatedAt
		if _, err := tx.ExecContext(ctx, s.q("UPDATE items SET data = ?, expires_at = ?, updated_at = ? WHERE kind = ? AND item_key = ?"),
			bytesOf(it.Data), msOf(it.ExpiresAt), msOf(it.UpdatedAt), kind, key); err != nil {
			return s.mapErr("update item", err)
		}
		out = it
		return nil
	})
	if err != nil {
		return store.Item{}, err
	}
	return roundItem(out), nil
}

// DeleteItem removes one item.
func (s *Store) DeleteItem(ctx context.Context, kind, key string) error {
	return s.deleteOne(ctx, "delete item", "DELETE FROM items WHERE kind = ? AND item_key = ?", kind, key)
}

// DeleteExpiredItems removes items that expired before now.
func (s *Store) DeleteExpiredItems(ctx context.Context, now time.Time) (int, error) {
	return s.deleteMany(ctx, true, "delete expired items", "DELETE FROM items WHERE expires_at IS NOT NULL AND expires_at < ?", now.UnixMilli())
}
