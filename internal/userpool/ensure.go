package userpool

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

// PoolSpec declares a user pool for EnsurePool.
type PoolSpec struct {
	Name string
	// UsernameAttributes lets users sign in with "email" and/or "phone_number".
	UsernameAttributes []string
	// AliasAttributes lets "email", "phone_number", "preferred_username" be used as aliases.
	AliasAttributes []string
	// AutoVerifiedAttributes ("email", "phone_number") get codes at sign-up.
	AutoVerifiedAttributes []string
	// CaseSensitive usernames (AWS's default is true; nil keeps it).
	CaseSensitive *bool
	// PasswordMinLength and the Require* flags form the password policy;
	// a zero PasswordMinLength means AWS's default policy (8, all classes).
	PasswordMinLength                                                  int
	RequireUppercase, RequireLowercase, RequireNumbers, RequireSymbols bool
	// CustomAttributes are custom:<name> String attributes (mutable).
	CustomAttributes []string
}

// ClientSpec declares an app client for EnsureClient.
type ClientSpec struct {
	Name           string
	GenerateSecret bool
	// ExplicitAuthFlows as in AWS (ALLOW_USER_SRP_AUTH ...); empty means AWS's default.
	ExplicitAuthFlows []string
	// Token lifetimes in whole minutes; zero keeps AWS's defaults (1 h, 1 h, 30 days).
	IDTokenValidity, AccessTokenValidity, RefreshTokenValidity time.Duration
}

// UserSpec declares a confirmed user with a permanent password for EnsureUser.
type UserSpec struct {
	Username   string
	Password   string
	Attributes map[string]string
	Groups     []string
}

// EnsurePool returns the id of the pool named spec.Name, creating it when no
// pool has that name. An existing pool is left as it is.
func (s *Service) EnsurePool(ctx context.Context, spec PoolSpec) (string, error) {
	after := ""
	for {
		list, err := s.store.ListPools(ctx, store.Page{After: after, Limit: 60})
		if err != nil {
			return "", wrap("list pools", err)
		}
		for _, p := range list {
			if p.Name == spec.Name {
				if err := s.keys.Ensure(ctx, p.ID); err != nil {
					return "", wrap("ensure pool keys", err)
				}
				return p.ID, nil
			}
		}
		if len(list) < 60 {
			break
		}
		after = list[len(list)-1].ID
	}
	in := &createUserPoolInput{PoolName: spec.Name, UsernameAttributes: spec.UsernameAttributes,
		AliasAttributes: spec.AliasAttributes}
	in.AutoVerifiedAttributes = spec.AutoVerifiedAttributes
	if spec.CaseSensitive != nil {
		in.UsernameConfiguration = &usernameConfiguration{CaseSensitive: spec.CaseSensitive}
	}
	if spec.PasswordMinLength > 0 {
		n := int32(spec.PasswordMinLength)
		in.Policies = &poolPolicies{PasswordPolicy: &passwordPolicy{MinimumLength: &n,
			RequireUppercase: spec.RequireUppercase, RequireLowercase: spec.RequireLowercase,
			RequireNumbers: spec.RequireNumbers, RequireSymbols: spec.RequireSymbols}}
	}
	for _, name := range spec.CustomAttributes {
		in.Schema = append(in.Schema, schemaAttribute{Name: name, AttributeDataType: "String"})
	}
	out, err := s.createUserPool(ctx, in)
	if err != nil {
		return "", fmt.Errorf("create pool %s: %w", spec.Name, err)
	}
	return out.UserPool.Id, nil
}

// EnsureClient returns the id of the pool's app client named spec.Name,
// creating it when there is none. An existing client is left as it is.
func (s *Service) EnsureClient(ctx context.Context, poolID string, spec ClientSpec) (string, error) {
	after := ""
	for {
		list, err := s.store.ListClients(ctx, poolID, store.Page{After: after, Limit: 60})
		if err != nil {
			return "", wrap("list clients", err)
		}
		for _, c := range list {
			if c.Name == spec.Name {
				return c.ID, nil
			}
		}
		if len(list) < 60 {
			break
		}
		after = list[len(list)-1].ID
	}
	in := &createClientInput{UserPoolId: poolID, ClientName: spec.Name, GenerateSecret: spec.GenerateSecret}
	in.ExplicitAuthFlows = spec.ExplicitAuthFlows
	if spec.IDTokenValidity > 0 || spec.AccessTokenValidity > 0 || spec.RefreshTokenValidity > 0 {
		minutes := func(d time.Duration) *int32 {
			if d <= 0 {
				return nil
			}
			m := int32(d / time.Minute)
			return &m
		}
		in.IdTokenValidity, in.AccessTokenValidity = minutes(spec.IDTokenValidity), minutes(spec.AccessTokenValidity)
		units := &tokenValidityUnits{AccessToken: "minutes", IdToken: "minutes"}
		if r := minutes(spec.RefreshTokenValidity); r != nil {
			in.RefreshTokenValidity, units.RefreshToken = *r, "minutes"
		}
		in.TokenValidityUnits = units
	}
	out, err := s.createUserPoolClient(ctx, in)
	if err != nil {
		return "", fmt.Errorf("create client %s: %w", spec.Name, err)
	}
	return out.UserPoolClient.ClientId, nil
}

// EnsureUser makes the user exist, CONFIRMED, with spec's password,
// attributes and (added) group memberships; groups are created when
// missing. It returns the stored username. Re-applying it is harmless.
func (s *Service) EnsureUser(ctx context.Context, poolID string, spec UserSpec) (string, error) {
	p, err := s.loadPool(ctx, poolID)
	if err != nil {
		return "", err
	}
	if err := checkPassword(p.passwordPolicy(), spec.Password); err != nil {
		return "", fmt.Errorf("user %s: %w", spec.Username, err)
	}
	var attrs []attributeType
	for k, v := range spec.Attributes {
		attrs = append(attrs, attributeType{Name: k, Value: strp(v)})
	}
	u, found, err := s.resolveUser(ctx, p, spec.Username)
	if err != nil {
		return "", err
	}
	if !found {
		if u, err = s.prepareUser(ctx, p, newUserSpec{Name: spec.Username, Attributes: attrs,
			Status: statusConfirmed, Admin: true}); err != nil {
			return "", fmt.Errorf("user %s: %w", spec.Username, err)
		}
		if err := s.setPermanentPassword(p, &u, spec.Password); err != nil {
			return "", err
		}
		if err := s.insertUser(ctx, u, "User account already exists"); err != nil {
			return "", fmt.Errorf("user %s: %w", spec.Username, err)
		}
	} else {
		if len(attrs) > 0 {
			if _, err := s.updateAttributes(ctx, p, u.Username, attrs, true); err != nil {
				return "", fmt.Errorf("user %s: %w", spec.Username, err)
			}
		}
		ok, err := s.checkUserPassword(p, &u, spec.Password)
		if err != nil {
			return "", err
		}
		if !ok || u.Status != statusConfirmed || !u.Enabled {
			if _, u, err = s.updateUser(ctx, p.ID, u.Username, func(p *pool, u *store.User) error {
				u.Enabled = true
				return s.setPermanentPassword(p, u, spec.Password)
			}); err != nil {
				return "", fmt.Errorf("user %s: %w", spec.Username, err)
			}
		}
	}
	for _, g := range spec.Groups {
		err := s.store.CreateGroup(ctx, store.Group{PoolID: p.ID, Name: g, CreatedAt: s.clock(), UpdatedAt: s.clock()})
		if err != nil && !errors.Is(err, store.ErrAlreadyExists) {
			return "", wrap("create group", err)
		}
		if err := s.store.AddUserToGroup(ctx, p.ID, g, u.Username); err != nil {
			return "", wrap("add user to group", err)
		}
	}
	return u.Username, nil
}

// DeletePool deletes a pool and everything in it, as DeleteUserPool does
// (deletion protection is honoured); configuration reloads use it for a pool
// removed from the file.
func (s *Service) DeletePool(ctx context.Context, poolID string) error {
	_, err := s.deleteUserPool(ctx, &poolIDInput{UserPoolId: poolID})
	return err
}
