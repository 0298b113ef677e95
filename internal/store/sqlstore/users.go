package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/cognate-dev/cognate/internal/store"
)

const userCols = "pool_id, username, status, enabled, attributes, credentials, private, created_at, updated_at"

// aliasColumns maps each indexed alias attribute to its column.
var aliasColumns = map[string]string{
	store.AttrSub:               "sub",
	store.AttrEmail:             "email",
	store.AttrPhoneNumber:       "phone_number",
	store.AttrPreferredUsername: "preferred_username",
}

// aliasOrder lists the alias attributes in a fixed order (UpdateUser's
// statement text depends on it: at most 16 variants, each cached once).
var aliasOrder = [...]string{store.AttrSub, store.AttrEmail, store.AttrPhoneNumber, store.AttrPreferredUsername}

func scanUser(r interface{ Scan(...any) error }) (store.User, error) {
	var u store.User
	err := r.Scan(&u.PoolID, &u.Username, &u.Status, &u.Enabled, strMap(&u.Attributes),
		blob(&u.Credentials), rawJSON(&u.Private), ms(&u.CreatedAt), ms(&u.UpdatedAt))
	return u, err
}

// alias returns the lower-cased indexed value of attribute attr, or NULL.
func alias(attrs map[string]string, attr string) any {
	v, ok := attrs[attr]
	if !ok || v == "" {
		return nil
	}
	return strings.ToLower(v)
}

// CreateUser stores a new user and counts it in its pool's user count.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	attrs, err := mapOf(u.Attributes)
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q("INSERT INTO users ("+userCols+
			", sub, email, phone_number, preferred_username) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
			u.PoolID, u.Username, u.Status, u.Enabled, attrs, bytesOf(u.Credentials), bytesOf(u.Private),
			msOf(u.CreatedAt), msOf(u.UpdatedAt),
			alias(u.Attributes, store.AttrSub), alias(u.Attributes, store.AttrEmail),
			alias(u.Attributes, store.AttrPhoneNumber), alias(u.Attributes, store.AttrPreferredUsername))
		if err != nil {
			return s.mapErr("create user", err)
		}
		return s.addUserCount(ctx, tx, "create user", u.PoolID, countShard(u.Username), 1)
	})
}

// CreateUsers stores new users in one transaction, skipping existing usernames.
func (s *Store) CreateUsers(ctx context.Context, poolID string, users []store.User) ([]bool, error) {
	if _, err := s.GetPool(ctx, poolID); err != nil {
		return nil, fmt.Errorf("create users: %w", err)
	}
	created := make([]bool, len(users))
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var deltas [userCountShards]int64
		stmt, err := tx.PrepareContext(ctx, s.q("INSERT INTO users ("+userCols+
			", sub, email, phone_number, preferred_username) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (pool_id, username) DO NOTHING"))
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i, u := range users {
			if u.PoolID != poolID {
				return fmt.Errorf("user %q is of pool %q, not %q", u.Username, u.PoolID, poolID)
			}
			attrs, err := mapOf(u.Attributes)
			if err != nil {
				return err
			}
			res, err := stmt.ExecContext(ctx, u.PoolID, u.Username, u.Status, u.Enabled, attrs, bytesOf(u.Credentials), bytesOf(u.Private),
				msOf(u.CreatedAt), msOf(u.UpdatedAt),
				alias(u.Attributes, store.AttrSub), alias(u.Attributes, store.AttrEmail),
				alias(u.Attributes, store.AttrPhoneNumber), alias(u.Attributes, store.AttrPreferredUsername))
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			created[i] = n == 1
			if n == 1 {
				deltas[countShard(u.Username)]++
			}
		}
		for shard, d := range deltas { // in shard order, so that two imports cannot deadlock
			if d != 0 {
				if err := s.addUserCount(ctx, tx, "create users", poolID, shard, d); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, s.mapErr("create users", err)
	}
	return created, nil
}

// GetUser returns one user.
func (s *Store) GetUser(ctx context.Context, poolID, username string) (store.User, error) {
	u, err := scanUser(s.reader.QueryRowContext(ctx,
		s.q("SELECT "+userCols+" FROM users WHERE pool_id = ? AND username = ?"), poolID, username))
	if errors.Is(err, sql.ErrNoRows) {
		return store.User{}, notFound("get user")
	}
	if err != nil {
		return store.User{}, fmt.Errorf("get user: %w", err)
	}
	return u, nil
}

// FindUsers returns the users whose alias attribute attr equals value,
// case-insensitively, in username order.
func (s *Store) FindUsers(ctx context.Context, poolID, attr, value string) ([]store.User, error) {
	col, ok := aliasColumns[attr]
	if !ok {
		return nil, fmt.Errorf("find users: attribute %q is not indexed", attr)
	}
	rows, err := s.reader.QueryContext(ctx,
		s.q("SELECT "+userCols+" FROM users WHERE pool_id = ? AND "+col+" = ? ORDER BY username"),
		poolID, strings.ToLower(value))
	if err != nil {
		return nil, fmt.Errorf("find users: %w", err)
	}
	return collect(rows, "find users", scanUser)
}

// ListUsers pages through a pool's users by username.
func (s *Store) ListUsers(ctx context.Context, poolID string, page store.Page) ([]store.User, error) {
	rows, err := s.reader.QueryContext(ctx,
		s.q("SELECT "+userCols+" FROM users WHERE pool_id = ? AND username > ? ORDER BY username LIMIT ?"),
		poolID, page.After, limit(page))
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	out, err := collect(rows, "list users", scanUser)
	if err != nil || len(out) > 0 {
		return out, err
	}
	return nil, s.requirePool(ctx, "list users", poolID)
}

// CountUsers returns how many users a pool has, from its maintained counter
// (a handful of rows whatever the pool's size).
func (s *Store) CountUsers(ctx context.Context, poolID string) (int, error) {
	var n int64
	if err := s.reader.QueryRowContext(ctx,
		s.q("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM user_counts WHERE pool_id = ?"), poolID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	if n == 0 {
		return 0, s.requirePool(ctx, "count users", poolID)
	}
	return int(n), nil
}

// userCountShards is how many rows a pool's user count is spread over (see
// migration 0015): concurrent inserts of different users mostly update
// different rows, and a count reads at most this many.
const userCountShards = 16

// countShard picks the counter row of a username (FNV-1a).
func countShard(username string) int {
	h := uint32(2166136261)
	for i := 0; i < len(username); i++ {
		h ^= uint32(username[i])
		h *= 16777619
	}
	return int(h % userCountShards)
}

// addUserCount adds delta to a pool's user count in tx, the transaction that
// inserted or deleted the users.
func (s *Store) addUserCount(ctx context.Context, tx *sql.Tx, op, poolID string, shard int, delta int64) error {
	_, err := tx.ExecContext(ctx, s.q("INSERT INTO user_counts (pool_id, shard, n) VALUES (?, ?, ?) "+
		"ON CONFLICT (pool_id, shard) DO UPDATE SET n = user_counts.n + excluded.n"), poolID, shard, delta)
	if err != nil {
		return s.mapErr(op+": count", err)
	}
	return nil
}

// UpdateUser rewrites a user with what fn returns, re-indexing its aliases.
func (s *Store) UpdateUser(ctx context.Context, poolID, username string, fn func(store.User) (store.User, error)) (store.User, error) {
	var out store.User
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := scanUser(tx.QueryRowContext(ctx,
			s.forUpdate("SELECT "+userCols+" FROM users WHERE pool_id = ? AND username = ?"), poolID, username))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("update user")
		}
		if err != nil {
			return fmt.Errorf("update user: %w", err)
		}
		var was [len(aliasOrder)]any // before fn, which may change old's map
		for i, attr := range aliasOrder {
			was[i] = alias(old.Attributes, attr)
		}
		u, err := fn(old)
		if err != nil {
			return err
		}
		u.PoolID, u.Username, u.CreatedAt = old.PoolID, old.Username, old.CreatedAt
		attrs, err := mapOf(u.Attributes)
		if err != nil {
			return fmt.Errorf("update user: %w", err)
		}
		// Only the alias columns whose value changes are written, so that an
		// update that keeps them (most do) rewrites no alias index entry.
		query := "UPDATE users SET status = ?, enabled = ?, attributes = ?, credentials = ?, private = ?, updated_at = ?"
		args := []any{u.Status, u.Enabled, attrs, bytesOf(u.Credentials), bytesOf(u.Private), msOf(u.UpdatedAt)}
		for i, attr := range aliasOrder {
			if v := alias(u.Attributes, attr); v != was[i] {
				query += ", " + aliasColumns[attr] + " = ?"
				args = append(args, v)
			}
		}
		_, err = tx.ExecContext(ctx, s.q(query+" WHERE pool_id = ? AND username = ?"), append(args, poolID, username)...)
		if err != nil {
			return s.mapErr("update user", err)
		}
		out = u
		return nil
	})
	if err != nil {
		return store.User{}, err
	}
	return roundUser(out), nil
}

// DeleteUser removes a user and its group memberships (by cascade) and
// uncounts it.
func (s *Store) DeleteUser(ctx context.Context, poolID, username string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q("DELETE FROM users WHERE pool_id = ? AND username = ?"), poolID, username)
		if err != nil {
			return s.mapErr("delete user", err)
		}
		n, err := affected(res)
		if err != nil {
			return fmt.Errorf("delete user: %w", err)
		}
		if n == 0 {
			return notFound("delete user")
		}
		return s.addUserCount(ctx, tx, "delete user", poolID, countShard(username), -1)
	})
}
