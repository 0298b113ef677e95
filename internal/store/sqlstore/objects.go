package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cognate-dev/cognate/internal/store"
)

const (
	objectCols    = "kind, okey, data, updated_at, version"
	counterObject = "object"
)

func scanObject(r interface{ Scan(...any) error }) (store.Object, error) {
	var o store.Object
	err := r.Scan(&o.Kind, &o.Key, optBytes{&o.Data}, ms(&o.UpdatedAt), &o.Version)
	return o, err
}

// CreateObject stores a new object with the next version.
func (s *Store) CreateObject(ctx context.Context, o store.Object) (store.Object, error) {
	return s.writeObject(ctx, "create object", o, false)
}

// PutObject creates or replaces an object with the next version.
func (s *Store) PutObject(ctx context.Context, o store.Object) (store.Object, error) {
	return s.writeObject(ctx, "put object", o, true)
}

func (s *Store) writeObject(ctx context.Context, op string, o store.Object, replace bool) (store.Object, error) {
	query := "INSERT INTO objects (" + objectCols + ") VALUES (?, ?, ?, ?, ?)"
	if replace {
		query += " ON CONFLICT (kind, okey) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at, version = excluded.version"
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		v, err := s.next(ctx, tx, counterObject)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(query), o.Kind, o.Key, bytesOf(o.Data), msOf(o.UpdatedAt), v); err != nil {
			return s.mapErr(op, err)
		}
		o.Version = v
		return nil
	})
	if err != nil {
		return store.Object{}, err
	}
	return roundObject(o), nil
}

// GetObject returns one object.
func (s *Store) GetObject(ctx context.Context, kind, key string) (store.Object, error) {
	o, err := scanObject(s.read.QueryRowContext(ctx, s.q("SELECT "+objectCols+" FROM objects WHERE kind = ? AND okey = ?"), kind, key))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Object{}, notFound("get object")
	}
	if err != nil {
		return store.Object{}, fmt.Errorf("get object: %w", err)
	}
	return o, nil
}

// UpdateObject rewrites an object with what fn returns, with the next version.
func (s *Store) UpdateObject(ctx context.Context, kind, key string, fn func(store.Object) (store.Object, error)) (store.Object, error) {
	var out store.Object
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := scanObject(tx.QueryRowContext(ctx, s.forUpdate("SELECT "+objectCols+" FROM objects WHERE kind = ? AND okey = ?"), kind, key))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("update object")
		}
		if err != nil {
			return fmt.Errorf("update object: %w", err)
		}
		o, err := fn(old)
		if err != nil {
			return err
		}
		o.Kind, o.Key = old.Kind, old.Key
		v, err := s.next(ctx, tx, counterObject)
		if err != nil {
			return err
		}
		o.Version = v
		if _, err := tx.ExecContext(ctx, s.q("UPDATE objects SET data = ?, updated_at = ?, version = ? WHERE kind = ? AND okey = ?"),
			bytesOf(o.Data), msOf(o.UpdatedAt), v, kind, key); err != nil {
			return s.mapErr("update object", err)
		}
		out = o
		return nil
	})
	if err != nil {
		return store.Object{}, err
	}
	return roundObject(out), nil
}

// ListObjects pages through one kind's objects by key.
func (s *Store) ListObjects(ctx context.Context, kind string, page store.Page) ([]store.Object, error) {
	rows, err := s.read.QueryContext(ctx, s.q("SELECT "+objectCols+" FROM objects WHERE kind = ? AND okey > ? ORDER BY okey LIMIT ?"),
		kind, page.After, limit(page))
	if err != nil {
		return nil, fmt.Errorf("list objects: %w", err)
	}
	return collect(rows, "list objects", scanObject)
}

// DeleteObject removes an object.
func (s *Store) DeleteObject(ctx context.Context, kind, key string) error {
	return s.deleteOne(ctx, "delete object", "DELETE FROM objects WHERE kind = ? AND okey = ?", kind, key)
}

func roundObject(o store.Object) store.Object {
	if len(o.Data) == 0 {
		o.Data = nil
	}
	o.UpdatedAt = roundTime(o.UpdatedAt)
	return o
}
