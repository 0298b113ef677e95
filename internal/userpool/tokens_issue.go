package userpool

import (
	"context"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

// accessScope is the scope of tokens issued by the user pools API.
const accessScope = "aws.cognito.signin.user.admin"

// authenticationResult is AWS's AuthenticationResultType.
type authenticationResult struct {
	AccessToken  string
	ExpiresIn    int64
	IdToken      string
	RefreshToken string `json:",omitempty"`
	TokenType    string
	// NewDeviceMetadata names the device a sign-in created (device tracking).
	NewDeviceMetadata *newDeviceMetadata `json:",omitempty"`
}

// authEvent identifies one sign-in: its origin_jti is shared by every token
// derived from it (refreshes included), so one revocation covers them all.
type authEvent struct {
	originJTI string
	authTime  time.Time
	// source is the pre token generation trigger source (Authentication,
	// NewPasswordChallenge, RefreshTokens); meta the ClientMetadata it gets.
	source string
	meta   map[string]string
}

// boolClaims are attributes rendered as JSON booleans in id tokens.
var boolClaims = map[string]bool{"email_verified": true, "phone_number_verified": true}

// idClaims builds the id token's claims.
func (s *Service) idClaims(p *pool, c *client, u store.User, groups []string, ev authEvent, now time.Time) map[string]any {
	claims := map[string]any{}
	for name, v := range u.Attributes {
		if name == "identities" || (len(c.cfg.ReadAttributes) > 0 && name != "sub" && !contains(c.cfg.ReadAttributes, name)) {
			continue
		}
		if boolClaims[name] {
			claims[name] = v == "true"
			continue
		}
		claims[name] = v
	}
	claims["sub"] = u.Attributes["sub"]
	claims["aud"] = c.ID
	claims["token_use"] = "id"
	claims["auth_time"] = ev.authTime.Unix()
	claims["iss"] = s.issuer(p.ID)
	claims["cognito:username"] = u.Username
	claims["exp"] = now.Add(c.validity("id")).Unix()
	claims["iat"] = now.Unix()
	claims["jti"] = newUUID()
	claims["origin_jti"] = ev.originJTI
	claims["event_id"] = newUUID()
	if len(groups) > 0 {
		claims["cognito:groups"] = groups
	}
	return claims
}

// accessClaims builds the access token's claims.
func (s *Service) accessClaims(p *pool, c *client, u store.User, groups []string, ev authEvent, now time.Time) map[string]any {
	claims := map[string]any{
		"sub":        u.Attributes["sub"],
		"token_use":  "access",
		"scope":      accessScope,
		"auth_time":  ev.authTime.Unix(),
		"iss":        s.issuer(p.ID),
		"exp":        now.Add(c.validity("access")).Unix(),
		"iat":        now.Unix(),
		"origin_jti": ev.originJTI,
		"jti":        newUUID(),
		"client_id":  c.ID,
		"username":   u.Username,
		"event_id":   newUUID(),
	}
	if len(groups) > 0 {
		claims["cognito:groups"] = groups
	}
	return claims
}

// issueTokens signs an id and an access token for u and, when withRefresh,
// creates a refresh token.
func (s *Service) issueTokens(ctx context.Context, p *pool, c *client, u store.User, ev authEvent, withRefresh bool) (*authenticationResult, error) {
	groups, err := s.groupNames(ctx, p.ID, u.Username)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	if priv, err := decodePrivate(u); err == nil && !priv.SignedOutAt.IsZero() && now.Unix() <= priv.SignedOutAt.Unix() {
		// Issued in the second of a global sign-out: date it after the revocation.
		now = priv.SignedOutAt.Truncate(time.Second).Add(time.Second)
	}
	idc, ac := s.idClaims(p, c, u, groups, ev, now), s.accessClaims(p, c, u, groups, ev, now)
	if p.hasTrigger(trigPreTokenGeneration) {
		if err := s.preTokenGeneration(ctx, p, c, u, ev, idc, ac); err != nil {
			return nil, err
		}
	}
	idTok, err := s.keys.Sign(ctx, p.ID, store.KeyUseID, idc)
	if err != nil {
		return nil, wrap("sign id token", err)
	}
	accessTok, err := s.keys.Sign(ctx, p.ID, store.KeyUseAccess, ac)
	if err != nil {
		return nil, wrap("sign access token", err)
	}
	out := &authenticationResult{AccessToken: accessTok, IdToken: idTok, TokenType: "Bearer",
		ExpiresIn: int64(c.validity("access") / time.Second)}
	if withRefresh {
		tok, err := s.sealRefreshToken(newRefreshState(p, c, u.Username, u.Attributes["sub"], ev, now))
		if err != nil {
			return nil, err
		}
		out.RefreshToken = tok
	}
	return out, nil
}
