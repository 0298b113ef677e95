package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cognate-dev/cognate/internal/store"
)

const groupCols = "pool_id, name, description, role_arn, precedence, created_at, updated_at"

func scanGroup(r interface{ Scan(...any) error }) (store.Group, error) {
	var g store.Group
	err := r.Scan(&g.PoolID, &g.Name, &g.Description, &g.RoleArn, nullInt32{&g.Precedence}, ms(&g.CreatedAt), ms(&g.UpdatedAt))
	return g, err
}

// CreateGroup stores a new group.
func (s *Store) CreateGroup(ctx context.Context, g store.Group) error {
	_, err := s.execW(ctx, s.q("INSERT INTO user_groups ("+groupCols+") VALUES (?, ?, ?, ?, ?, ?, ?)"),
		g.PoolID, g.Name, g.Description, g.RoleArn, int32Of(g.Precedence), msOf(g.CreatedAt), msOf(g.UpdatedAt))
	return s.mapErr("create group", err)
}

// GetGroup returns one group.
func (s *Store) GetGroup(ctx context.Context, poolID, name string) (store.Group, error) {
	g, err := scanGroup(s.reader.QueryRowContext(ctx,
		s.q("SELECT "+groupCols+" FROM user_groups WHERE pool_id = ? AND name = ?"), poolID, name))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Group{}, notFound("get group")
	}
	if err != nil {
		return store.Group{}, fmt.Errorf("get group: %w", err)
	}
	return g, nil
}

// ListGroups pages through a pool's groups by name.
func (s *Store) ListGroups(ctx context.Context, poolID string, page store.Page) ([]store.Group, error) {
	rows, err := s.reader.QueryContext(ctx,
		s.q("SELECT "+groupCols+" FROM user_groups WHERE pool_id = ? AND name > ? ORDER BY name LIMIT ?"),
		poolID, page.After, limit(page))
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	out, err := collect(rows, "list groups", scanGroup)
	if err != nil || len(out) > 0 {
		return out, err
	}
	return nil, s.requirePool(ctx, "list groups", poolID)
}

// UpdateGroup rewrites a group with what fn returns.
func (s *Store) UpdateGroup(ctx context.Context, poolID, name string, fn func(store.Group) (store.Group, error)) (store.Group, error) {
	var out store.Group
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := scanGroup(tx.QueryRowContext(ctx,
			s.forUpdate("SELECT "+groupCols+" FROM user_groups WHERE pool_id = ? AND name = ?"), poolID, name))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("update group")
		}
		if err != nil {
			return fmt.Errorf("update group: %w", err)
		}
		g, err := fn(old)
		if err != nil {
			return err
		}
		g.PoolID, g.Name, g.CreatedAt = old.PoolID, old.Name, old.CreatedAt
		_, err = tx.ExecContext(ctx, s.q("UPDATE user_groups SET description = ?, role_arn = ?, precedence = ?, "+
			"updated_at = ? WHERE pool_id = ? AND name = ?"),
			g.Description, g.RoleArn, int32Of(g.Precedence), msOf(g.UpdatedAt), poolID, name)
		if err != nil {
			return s.mapErr("update group", err)
		}
		out = g
		return nil
	})
	if err != nil {
		return store.Group{}, err
	}
	return roundGroup(out), nil
}

// DeleteGroup removes a group and, by cascade, its memberships.
func (s *Store) DeleteGroup(ctx context.Context, poolID, name string) error {
	return s.deleteOne(ctx, "delete group", "DELETE FROM user_groups WHERE pool_id = ? AND name = ?", poolID, name)
}

// AddUserToGroup makes username a member of group; already a member is fine.
func (s *Store) AddUserToGroup(ctx context.Context, poolID, group, username string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.requireMembers(ctx, tx, "add user to group", poolID, group, username); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q("INSERT INTO group_members (pool_id, group_name, username) VALUES (?, ?, ?) "+
			"ON CONFLICT (pool_id, group_name, username) DO NOTHING"), poolID, group, username)
		return s.mapErr("add user to group", err)
	})
}

// RemoveUserFromGroup ends a membership; not a member is fine.
func (s *Store) RemoveUserFromGroup(ctx context.Context, poolID, group, username string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.requireMembers(ctx, tx, "remove user from group", poolID, group, username); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q("DELETE FROM group_members WHERE pool_id = ? AND group_name = ? AND username = ?"),
			poolID, group, username)
		return s.mapErr("remove user from group", err)
	})
}

// requireMembers checks that both the group and the user exist.
func (s *Store) requireMembers(ctx context.Context, q queryer, op, poolID, group, username string) error {
	ok, err := s.exists(ctx, q, "SELECT 1 FROM user_groups WHERE pool_id = ? AND name = ?", poolID, group)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if !ok {
		return fmt.Errorf("%s: group: %w", op, store.ErrNotFound)
	}
	ok, err = s.exists(ctx, q, "SELECT 1 FROM users WHERE pool_id = ? AND username = ?", poolID, username)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if !ok {
		return fmt.Errorf("%s: user: %w", op, store.ErrNotFound)
	}
	return nil
}

// ListGroupsForUser pages through a user's groups by name.
func (s *Store) ListGroupsForUser(ctx context.Context, poolID, username string, page store.Page) ([]store.Group, error) {
	rows, err := s.reader.QueryContext(ctx, s.q("SELECT g.pool_id, g.name, g.description, g.role_arn, g.precedence, "+
		"g.created_at, g.updated_at FROM group_members m JOIN user_groups g ON g.pool_id = m.pool_id AND g.name = m.group_name "+
		"WHERE m.pool_id = ? AND m.username = ? AND m.group_name > ? ORDER BY m.group_name LIMIT ?"),
		poolID, username, page.After, limit(page))
	if err != nil {
		return nil, fmt.Errorf("list groups for user: %w", err)
	}
	out, err := collect(rows, "list groups for user", scanGroup)
	if err != nil || len(out) > 0 {
		return out, err
	}
	ok, err := s.exists(ctx, s.read, "SELECT 1 FROM users WHERE pool_id = ? AND username = ?", poolID, username)
	if err != nil {
		return nil, fmt.Errorf("list groups for user: %w", err)
	}
	if !ok {
		return nil, notFound("list groups for user")
	}
	return nil, nil
}

// ListUsersInGroup pages through a group's members by username.
func (s *Store) ListUsersInGroup(ctx context.Context, poolID, group string, page store.Page) ([]store.User, error) {
	rows, err := s.reader.QueryContext(ctx, s.q("SELECT u.pool_id, u.username, u.status, u.enabled, u.attributes, "+
		"u.credentials, u.private, u.created_at, u.updated_at FROM group_members m "+
		"JOIN users u ON u.pool_id = m.pool_id AND u.username = m.username "+
		"WHERE m.pool_id = ? AND m.group_name = ? AND m.username > ? ORDER BY m.username LIMIT ?"),
		poolID, group, page.After, limit(page))
	if err != nil {
		return nil, fmt.Errorf("list users in group: %w", err)
	}
	out, err := collect(rows, "list users in group", scanUser)
	if err != nil || len(out) > 0 {
		return out, err
	}
	ok, err := s.exists(ctx, s.read, "SELECT 1 FROM user_groups WHERE pool_id = ? AND name = ?", poolID, group)
	if err != nil {
		return nil, fmt.Errorf("list users in group: %w", err)
	}
	if !ok {
		return nil, notFound("list users in group")
	}
	return nil, nil
}
