package userpool

import (
	"context"
	"errors"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

// longestRefreshValidity is the longest refresh token lifetime (at least one
// day, the longest id or access token lifetime) of the pool's clients.
func (s *Service) longestRefreshValidity(ctx context.Context, poolID string) (time.Duration, error) {
	longest := 24 * time.Hour
	after := ""
	for {
		list, err := s.store.ListClients(ctx, poolID, store.Page{After: after, Limit: 60})
		if err != nil {
			return 0, wrap("list clients", err)
		}
		for _, sc := range list {
			c, err := s.decodeClient(sc)
			if err != nil {
				return 0, err
			}
			longest = max(longest, c.validity("refresh"))
		}
		if len(list) < 60 {
			return longest + time.Minute, nil
		}
		after = list[len(list)-1].ID
	}
}

// revokeUser revokes every token of u, refresh tokens included, through the
// revocation feed (by sub, issued up to now). The entry lives as long as the
// longest-lived refresh token of the pool's clients.
func (s *Service) revokeUser(ctx context.Context, p *pool, u store.User) error {
	now := s.clock()
	ttl, err := s.longestRefreshValidity(ctx, p.ID)
	if err != nil {
		return err
	}
	if err := s.revs.Add(ctx, store.Revocation{PoolID: p.ID, Kind: store.RevokeSubject,
		Value: u.Attributes["sub"], At: now, ExpiresAt: now.Add(ttl)}); err != nil {
		return wrap("revoke tokens", err)
	}
	// Remember the sign-out so that tokens issued later in the same second
	// get a later iat and are not caught by the subject revocation.
	_, err = s.store.UpdateUser(ctx, p.ID, u.Username, func(u store.User) (store.User, error) {
		priv, err := decodePrivate(u)
		if err != nil {
			return u, err
		}
		priv.SignedOutAt = now
		return u, encodePrivate(&u, priv)
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return wrap("record sign-out", err)
	}
	s.log.InfoContext(ctx, "user signed out everywhere", "pool", p.ID, "username", u.Username)
	return nil
}

func (s *Service) globalSignOut(ctx context.Context, in *accessTokenInput) (*empty, error) {
	a, err := s.authenticate(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	if err := s.revokeUser(ctx, a.pool, a.user); err != nil {
		return nil, err
	}
	return &empty{}, nil
}

func (s *Service) adminUserGlobalSignOut(ctx context.Context, in *userInput) (*empty, error) {
	p, u, err := s.loadPoolUser(ctx, in.UserPoolId, in.Username)
	if err != nil {
		return nil, err
	}
	if err := s.revokeUser(ctx, p, u); err != nil {
		return nil, err
	}
	return &empty{}, nil
}

type revokeTokenInput struct {
	Token        string
	ClientId     string
	ClientSecret string
}

// revokeToken revokes a refresh token and every id and access token that
// came from the same sign-in (their shared origin_jti). Access and id
// tokens are not accepted here, as in AWS.
func (s *Service) revokeToken(ctx context.Context, in *revokeTokenInput) (*empty, error) {
	if in.Token == "" {
		return nil, missing("Token")
	}
	c, err := s.loadClient(ctx, in.ClientId)
	if err != nil {
		return nil, err
	}
	if c.secret != "" && !c.secretMatches(in.ClientSecret) {
		return nil, apiErr(excUnauthorized, "Invalid client or secret")
	}
	if !c.revocationEnabled() {
		return nil, apiErr(excUnsupportedOperation, "Token revocation is not enabled for this client")
	}
	if _, isJWT := tokenPool(in.Token); isJWT {
		return nil, apiErr(excUnsupportedTokenType, "Unsupported token type")
	}
	rt, ok := s.openRefreshToken(in.Token)
	if !ok || rt.ClientID != c.ID {
		return &empty{}, nil // as AWS: nothing to say about tokens one does not own
	}
	now := s.clock()
	if err := s.revs.Add(ctx, store.Revocation{PoolID: rt.PoolID, Kind: store.RevokeOrigin,
		Value: rt.OriginJTI, At: now, ExpiresAt: time.Unix(rt.ExpiresAt, 0).Add(time.Minute)}); err != nil {
		return nil, wrap("revoke tokens", err)
	}
	return &empty{}, nil
}
