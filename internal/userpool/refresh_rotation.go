package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

const (
	excRefreshTokenReuse = "RefreshTokenReuseException"
	sessionRefreshUsed   = "refresh_used"
)

// refreshRotation is AWS's RefreshTokenRotationType.
type refreshRotation struct {
	Feature                 string `json:",omitempty"`
	RetryGracePeriodSeconds int    `json:",omitempty"`
}

// rotation returns the client's refresh token rotation settings.
func (c *client) rotation() (refreshRotation, bool) {
	var r refreshRotation
	if len(c.cfg.RefreshTokenRotation) == 0 || json.Unmarshal(c.cfg.RefreshTokenRotation, &r) != nil {
		return r, false
	}
	return r, r.Feature == "ENABLED"
}

type getTokensInput struct {
	RefreshToken   string
	ClientId       string
	ClientSecret   string
	DeviceKey      string
	ClientMetadata map[string]string
}

type getTokensOutput struct {
	AuthenticationResult *authenticationResult
}

// getTokensFromRefreshToken issues new id and access tokens for a refresh
// token; with the client's RefreshTokenRotation ENABLED it also issues a new
// refresh token and the old one stops working after RetryGracePeriodSeconds
// (a later use is RefreshTokenReuseException).
func (s *Service) getTokensFromRefreshToken(ctx context.Context, in *getTokensInput) (*getTokensOutput, error) {
	if in.RefreshToken == "" {
		return nil, missing("RefreshToken")
	}
	p, c, err := s.loadClientPool(ctx, in.ClientId)
	if err != nil {
		return nil, err
	}
	if c.secret != "" && !c.secretMatches(in.ClientSecret) {
		return nil, notAuthorized("Unable to verify secret for client " + c.ID)
	}
	rt, ok := s.openRefreshToken(in.RefreshToken)
	if !ok || rt.PoolID != p.ID || rt.ClientID != c.ID || s.clock().Unix() >= rt.ExpiresAt {
		return nil, notAuthorized(msgInvalidRefresh)
	}
	if s.refreshRevoked(rt) {
		return nil, notAuthorized(msgRevokedRefresh)
	}
	u, err := s.store.GetUser(ctx, p.ID, rt.Username)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.Attributes["sub"] != rt.Sub) {
		return nil, notAuthorized(msgInvalidRefresh)
	}
	if err != nil {
		return nil, wrap("get user", err)
	}
	if !u.Enabled {
		return nil, notAuthorized(msgUserDisabled)
	}
	rot, rotate := c.rotation()
	if rotate {
		if err := s.spendRefreshToken(ctx, p.ID, in.RefreshToken, rt, time.Duration(rot.RetryGracePeriodSeconds)*time.Second); err != nil {
			return nil, err
		}
	}
	res, err := s.issueTokens(ctx, p, c, u, authEvent{originJTI: rt.OriginJTI, authTime: time.Unix(rt.AuthTime, 0), source: "RefreshTokens", meta: in.ClientMetadata}, rotate)
	if err != nil {
		return nil, err
	}
	return &getTokensOutput{AuthenticationResult: res}, nil
}

// spendRefreshToken records the first use of a rotated refresh token (in the
// store, so every node agrees); later uses pass only within grace.
func (s *Service) spendRefreshToken(ctx context.Context, poolID, tok string, rt refreshState, grace time.Duration) error {
	id := tokenID("refresh|" + tok)
	now := s.clock()
	sess := store.Session{ID: id, PoolID: poolID, Kind: sessionRefreshUsed,
		Data: []byte(strconv.FormatInt(now.UnixMilli(), 10)), ExpiresAt: time.Unix(rt.ExpiresAt, 0)}
	err := s.store.PutSession(ctx, sess)
	if err == nil {
		return nil
	}
	if !errors.Is(err, store.ErrAlreadyExists) {
		return wrap("record refresh token use", err)
	}
	if grace <= 0 {
		return apiErr(excRefreshTokenReuse, "Refresh token has been used.")
	}
	// Read the first use (take and put back the same record).
	prev, err := s.store.TakeSession(ctx, id, now)
	if err != nil {
		return apiErr(excRefreshTokenReuse, "Refresh token has been used.")
	}
	if err := s.store.PutSession(ctx, prev); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		return wrap("record refresh token use", err)
	}
	ms, _ := strconv.ParseInt(string(prev.Data), 10, 64)
	if now.Sub(time.UnixMilli(ms)) > grace {
		return apiErr(excRefreshTokenReuse, "Refresh token has been used.")
	}
	return nil
}

// validateRotation checks a client's RefreshTokenRotation as AWS does.
func validateRotation(raw json.RawMessage) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var r refreshRotation
	if err := json.Unmarshal(raw, &r); err != nil {
		return invalidParameter("Invalid RefreshTokenRotation")
	}
	switch r.Feature {
	case "ENABLED", "DISABLED":
	default:
		return invalidParameter("1 validation error detected: Value '%s' at 'refreshTokenRotation.feature' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED]", r.Feature)
	}
	if r.RetryGracePeriodSeconds < 0 || r.RetryGracePeriodSeconds > 60 {
		return invalidParameter("1 validation error detected: Value '%d' at 'refreshTokenRotation.retryGracePeriodSeconds' failed to satisfy constraint: Member must have value less than or equal to 60", r.RetryGracePeriodSeconds)
	}
	return nil
}
