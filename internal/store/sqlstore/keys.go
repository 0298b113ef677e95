package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

// keyJSON is one signing key inside a pool's stored key set.
type keyJSON struct {
	Kid       string `json:"kid"`
	Use       string `json:"use"`
	Private   []byte `json:"private,omitempty"`
	Public    []byte `json:"public,omitempty"`
	CreatedAt int64  `json:"created_at,omitempty"`
	RetiredAt int64  `json:"retired_at,omitempty"`
	ExpiresAt int64  `json:"expires_at,omitempty"`
}

// msOrZero encodes t as Unix milliseconds, 0 for the zero time.
func msOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func encodeKeys(keys []store.SigningKey) ([]byte, error) {
	out := make([]keyJSON, len(keys))
	for i, k := range keys {
		out[i] = keyJSON{
			Kid: k.Kid, Use: k.Use, Private: k.Private, Public: k.Public,
			CreatedAt: msOrZero(k.CreatedAt),
			RetiredAt: msOrZero(k.RetiredAt),
			ExpiresAt: msOrZero(k.ExpiresAt),
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encode keys: %w", err)
	}
	return b, nil
}

func decodeKeys(b []byte) ([]store.SigningKey, error) {
	var in []keyJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("decode keys: %w", err)
	}
	out := make([]store.SigningKey, len(in))
	for i, k := range in {
		out[i] = store.SigningKey{
			Kid: k.Kid, Use: k.Use, Private: roundBytes(k.Private), Public: roundBytes(k.Public),
			CreatedAt: fromMS(k.CreatedAt), RetiredAt: fromMS(k.RetiredAt), ExpiresAt: fromMS(k.ExpiresAt),
		}
	}
	return out, nil
}

// GetKeys returns a pool's signing keys, empty when it has none.
func (s *Store) GetKeys(ctx context.Context, poolID string) ([]store.SigningKey, error) {
	var b []byte
	err := s.reader.QueryRowContext(ctx, s.q("SELECT key_set FROM signing_keys WHERE pool_id = ?"), poolID).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get keys: %w", err)
	}
	keys, err := decodeKeys(b)
	if err != nil {
		return nil, fmt.Errorf("get keys: %w", err)
	}
	return keys, nil
}

// UpdateKeys replaces a pool's key set with what fn returns, atomically: the
// set's row is locked (or created) for the whole transaction.
func (s *Store) UpdateKeys(ctx context.Context, poolID string, fn func([]store.SigningKey) ([]store.SigningKey, error)) ([]store.SigningKey, error) {
	var out []store.SigningKey
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var b []byte
		found := true
		err := tx.QueryRowContext(ctx, s.forUpdate("SELECT key_set FROM signing_keys WHERE pool_id = ?"), poolID).Scan(&b)
		if errors.Is(err, sql.ErrNoRows) {
			found = false
		} else if err != nil {
			return fmt.Errorf("update keys: %w", err)
		}
		var old []store.SigningKey
		if found {
			if old, err = decodeKeys(b); err != nil {
				return fmt.Errorf("update keys: %w", err)
			}
		}
		keys, err := fn(old)
		if err != nil {
			return err
		}
		enc, err := encodeKeys(keys)
		if err != nil {
			return fmt.Errorf("update keys: %w", err)
		}
		if found {
			_, err = tx.ExecContext(ctx, s.q("UPDATE signing_keys SET key_set = ? WHERE pool_id = ?"), enc, poolID)
		} else {
			_, err = tx.ExecContext(ctx, s.q("INSERT INTO signing_keys (pool_id, key_set) VALUES (?, ?)"), poolID, enc)
		}
		if err := s.insertRace("update keys", err); err != nil {
			return err
		}
		if out, err = decodeKeys(enc); err != nil {
			return fmt.Errorf("update keys: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// insertRace maps a unique violation in a read-modify-write transaction to
// errConflict (a concurrent writer created the row first: retry and update
// it) and other errors as mapErr does.
func (s *Store) insertRace(op string, err error) error {
	if err != nil && s.d.kind(err) == KindUnique {
		return fmt.Errorf("%s: %w", op, errConflict)
	}
	return s.mapErr(op, err)
}
