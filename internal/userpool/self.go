package userpool

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	"github.com/cognate-dev/cognate/internal/awsjson"
	"github.com/cognate-dev/cognate/internal/store"
	"github.com/cognate-dev/cognate/internal/tokens"
)

// authn is a caller authenticated by an access token.
type authn struct {
	pool     *pool
	user     store.User
	clientID string
	claims   tokens.Claims
}

// tokenPool reads the pool id from a token's iss without trusting it; the
// Verifier then checks the token against that pool's keys and issuer.
func tokenPool(tok string) (string, bool) {
	if len(tok) > tokens.DefaultMaxTokenSize {
		return "", false
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", false
	}
	var c struct {
		Iss string `json:"iss"`
	}
	if json.Unmarshal(raw, &c) != nil || c.Iss == "" {
		return "", false
	}
	i := strings.LastIndexByte(c.Iss, '/')
	return c.Iss[i+1:], i >= 0
}

// authenticate verifies an access token (revocation included) and loads its user.
func (s *Service) authenticate(ctx context.Context, tok string) (*authn, error) {
	if tok == "" {
		return nil, missing("AccessToken")
	}
	poolID, ok := tokenPool(tok)
	if !ok {
		return nil, notAuthorized(msgInvalidAccessToken)
	}
	p, err := s.loadPool(ctx, poolID)
	if err != nil {
		var ae *awsjson.Error
		if errors.As(err, &ae) && ae.Type == excResourceNotFound {
			return nil, notAuthorized(msgInvalidAccessToken)
		}
		return nil, err
	}
	claims, err := s.verifier.Verify(ctx, tok, tokens.Expect{PoolID: p.ID, Issuer: s.issuer(p.ID), TokenUse: tokens.UseAccess})
	switch {
	case errors.Is(err, tokens.ErrRevoked):
		return nil, notAuthorized(msgRevokedAccessToken)
	case errors.Is(err, tokens.ErrExpired):
		return nil, notAuthorized(msgExpiredAccessToken)
	case errors.Is(err, tokens.ErrInvalidToken):
		return nil, notAuthorized(msgInvalidAccessToken)
	case err != nil:
		return nil, wrap("verify access token", err)
	}
	u, err := s.store.GetUser(ctx, p.ID, claims.String("username"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.Attributes["sub"] != claims.String("sub")) {
		return nil, userNotFound()
	}
	if err != nil {
		return nil, wrap("get user", err)
	}
	if !u.Enabled {
		return nil, notAuthorized(msgUserDisabled)
	}
	return &authn{pool: p, user: u, clientID: claims.String("client_id"), claims: claims}, nil
}

type accessTokenInput struct {
	AccessToken string
}

type getUserOutput struct {
	Username       string
	UserAttributes []attributeType
	mfaFields
}

func (s *Service) getUser(ctx context.Context, in *accessTokenInput) (*getUserOutput, error) {
	a, err := s.authenticate(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	var keep func(string) bool
	if c, err := s.loadClient(ctx, a.clientID); err == nil && len(c.cfg.ReadAttributes) > 0 {
		keep = func(n string) bool { return n == "sub" || contains(c.cfg.ReadAttributes, n) }
	}
	return &getUserOutput{Username: a.user.Username, UserAttributes: attributeList(a.user.Attributes, keep), mfaFields: userMFAFields(a.pool, a.user)}, nil
}

type changePasswordInput struct {
	AccessToken      string
	PreviousPassword string
	ProposedPassword string
}

func (s *Service) changePassword(ctx context.Context, in *changePasswordInput) (*empty, error) {
	a, err := s.authenticate(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	if in.PreviousPassword == "" {
		return nil, missing("PreviousPassword")
	}
	if err := checkPassword(a.pool.passwordPolicy(), in.ProposedPassword); err != nil {
		return nil, err
	}
	key := lockKey(a.pool, a.user, true, "")
	allowed, err := s.lockout.reserve(ctx, a.pool.ID, key)
	if err != nil {
		return nil, err
	}
	if !allowed {
		return nil, apiErr(excLimitExceeded, msgCodeLimit)
	}
	ok, err := s.checkUserPassword(a.pool, &a.user, in.PreviousPassword)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notAuthorized(msgIncorrect)
	}
	if err := s.lockout.succeed(ctx, a.pool.ID, key); err != nil {
		return nil, err
	}
	if _, _, err := s.updateUser(ctx, a.pool.ID, a.user.Username, func(p *pool, u *store.User) error {
		return s.setPassword(p, u, in.ProposedPassword)
	}); err != nil {
		return nil, err
	}
	return &empty{}, nil
}

func (s *Service) deleteUser(ctx context.Context, in *accessTokenInput) (*empty, error) {
	a, err := s.authenticate(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	if err := s.removeUser(ctx, a.pool, a.user); err != nil {
		return nil, err
	}
	return &empty{}, nil
}
