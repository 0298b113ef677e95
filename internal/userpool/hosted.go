package userpool

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/awsjson"
	"github.com/cognate-dev/cognate/internal/store"
	"github.com/cognate-dev/cognate/internal/tokens"
)

// This file is the surface the OAuth 2.0 authorization server and the
// managed login pages (packages oauth and login) use. They authenticate
// through the same flows as the API — one password check, one lockout, one
// token issuer — and add only what OAuth needs: scopes, nonce, at_hash.

// ScopeOpenID and the other standard scopes of Cognito's authorization server.
const (
	ScopeOpenID  = "openid"
	ScopeEmail   = "email"
	ScopePhone   = "phone"
	ScopeProfile = "profile"
	ScopeAdmin   = accessScope
)

// StandardScopes are the scopes every pool has without a resource server.
var StandardScopes = []string{ScopeOpenID, ScopeEmail, ScopePhone, ScopeProfile, ScopeAdmin}

// OAuthClient is an app client as the authorization server sees it.
type OAuthClient struct {
	PoolID                     string
	ClientID                   string
	Name                       string
	HasSecret                  bool
	OAuthEnabled               bool // AllowedOAuthFlowsUserPoolClient
	AllowedOAuthFlows          []string
	AllowedOAuthScopes         []string
	CallbackURLs               []string
	LogoutURLs                 []string
	DefaultRedirectURI         string
	SupportedIdentityProviders []string
	RevocationEnabled          bool
	secret                     string
	c                          *client
}

// CheckSecret reports, in constant time, whether given is one of the client's secrets.
func (c *OAuthClient) CheckSecret(given string) bool {
	return c.secret != "" && c.c != nil && c.c.secretMatches(given)
}

// AllowsFlow reports whether the client may use an OAuth flow (code, implicit, client_credentials).
func (c *OAuthClient) AllowsFlow(flow string) bool {
	return c.OAuthEnabled && slices.Contains(c.AllowedOAuthFlows, flow)
}

// ErrNoClient means the client id names no app client.
var ErrNoClient = errors.New("userpool: no such app client")

// OAuthClientByID loads an app client (ErrNoClient when there is none).
func (s *Service) OAuthClientByID(ctx context.Context, clientID string) (*OAuthClient, error) {
	if clientID == "" || len(clientID) > 128 {
		return nil, ErrNoClient
	}
	c, err := s.loadClient(ctx, clientID)
	if err != nil {
		var ae *awsjson.Error
		if errors.As(err, &ae) && ae.Type == excResourceNotFound {
			return nil, ErrNoClient
		}
		return nil, err
	}
	return oauthClient(c), nil
}

func oauthClient(c *client) *OAuthClient {
	out := &OAuthClient{PoolID: c.PoolID, ClientID: c.ID, Name: c.Name, HasSecret: c.secret != "", secret: c.secret, c: c,
		OAuthEnabled: c.cfg.AllowedOAuthFlowsUserPoolClient, AllowedOAuthFlows: c.cfg.AllowedOAuthFlows,
		AllowedOAuthScopes: c.cfg.AllowedOAuthScopes, CallbackURLs: c.cfg.CallbackURLs, LogoutURLs: c.cfg.LogoutURLs,
		SupportedIdentityProviders: c.cfg.SupportedIdentityProviders, RevocationEnabled: c.revocationEnabled()}
	if c.cfg.DefaultRedirectURI != nil {
		out.DefaultRedirectURI = *c.cfg.DefaultRedirectURI
	}
	return out
}

// SignIn is a sign-in proven by managed login: the user, or the
// NEW_PASSWORD_REQUIRED step still to take.
type SignIn struct {
	Username string
	Sub      string
	AuthTime time.Time
	// NewPasswordSession is set when the user must choose a new password;
	// pass it to CompleteNewPassword.
	NewPasswordSession string
	// RequiredAttributes are the attributes the user must also give then.
	RequiredAttributes []string
	// Challenge is the MFA or passkey step still to take (see RespondChallenge).
	Challenge *Challenge
}

// PasswordSignIn proves a user's password for an app client (the client's
// ExplicitAuthFlows do not apply: managed login is always allowed). Errors
// are the API's (*awsjson.Error: NotAuthorizedException, UserNotConfirmedException ...).
func (s *Service) PasswordSignIn(ctx context.Context, clientID, username, password string) (*SignIn, error) {
	p, c, err := s.loadClientPool(ctx, clientID)
	if err != nil {
		return nil, err
	}
	if username == "" || password == "" {
		return nil, notAuthorized(msgIncorrect)
	}
	u, err := s.checkLoginPassword(ctx, p, c, username, password, nil)
	if err != nil {
		return nil, err
	}
	return s.hostedStatus(ctx, p, c, u)
}

func (s *Service) hostedStatus(ctx context.Context, p *pool, c *client, u store.User) (*SignIn, error) {
	out, err := s.signInStatus(ctx, p, c, u, false)
	if err != nil {
		return nil, err
	}
	if out != nil && out.ChallengeName != "NEW_PASSWORD_REQUIRED" {
		// MFA steps have pages (hosted_mfa.go); anything else is refused
		// rather than skipped.
		return s.hostedOutcome(out, &hostedResult{})
	}
	if out != nil {
		var req []string
		json.Unmarshal([]byte(out.ChallengeParameters["requiredAttributes"]), &req)
		for i := range req {
			req[i] = strings.TrimPrefix(req[i], "userAttributes.")
		}
		return &SignIn{Username: u.Username, Sub: u.Attributes["sub"], NewPasswordSession: out.Session, RequiredAttributes: req}, nil
	}
	if err := s.postAuthentication(ctx, p, c, u, nil); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "user signed in (managed login)", "pool", p.ID, "client", c.ID, "username", u.Username)
	return &SignIn{Username: u.Username, Sub: u.Attributes["sub"], AuthTime: s.clock()}, nil
}

// CompleteNewPassword answers NEW_PASSWORD_REQUIRED for managed login.
func (s *Service) CompleteNewPassword(ctx context.Context, clientID, session, username, newPassword string, attrs map[string]string) (*SignIn, error) {
	p, c, err := s.loadClientPool(ctx, clientID)
	if err != nil {
		return nil, err
	}
	resp := map[string]string{"USERNAME": username, "NEW_PASSWORD": newPassword}
	if c.secret != "" {
		resp["SECRET_HASH"] = secretHash(c.secret, username, c.ID)
	}
	for k, v := range attrs {
		resp["userAttributes."+k] = v
	}
	u, err := s.setNewPassword(ctx, p, c, &respondInput{ChallengeName: "NEW_PASSWORD_REQUIRED", ClientId: c.ID, ChallengeResponses: resp, Session: session}, false)
	if err != nil {
		return nil, err
	}
	return s.hostedStatus(ctx, p, c, u)
}

// hostedSecretHash is the SECRET_HASH managed login computes for itself.
func (s *Service) hostedSecretHash(ctx context.Context, clientID, username string) string {
	c, err := s.loadClient(ctx, clientID)
	if err != nil || c.secret == "" {
		return ""
	}
	return secretHash(c.secret, username, c.ID)
}

// SignUpUser runs SignUp for managed login; it reports whether the user is
// already confirmed and where the code went.
func (s *Service) SignUpUser(ctx context.Context, clientID, username, password string, attrs map[string]string) (confirmed bool, destination string, err error) {
	var list []attributeType
	for k, v := range attrs {
		list = append(list, attributeType{Name: k, Value: strp(v)})
	}
	slices.SortFunc(list, func(a, b attributeType) int { return strings.Compare(a.Name, b.Name) })
	out, err := s.signUp(ctx, &signUpInput{ClientId: clientID, Username: username, Password: password, UserAttributes: list,
		SecretHash: s.hostedSecretHash(ctx, clientID, username)})
	if err != nil {
		return false, "", err
	}
	if out.CodeDeliveryDetails != nil {
		destination = out.CodeDeliveryDetails.Destination
	}
	return out.UserConfirmed, destination, nil
}

// ConfirmSignUpCode runs ConfirmSignUp for managed login.
func (s *Service) ConfirmSignUpCode(ctx context.Context, clientID, username, code string) error {
	_, err := s.confirmSignUp(ctx, &confirmSignUpInput{ClientId: clientID, Username: username, ConfirmationCode: code,
		SecretHash: s.hostedSecretHash(ctx, clientID, username)})
	return err
}

// ResendSignUpCode runs ResendConfirmationCode for managed login.
func (s *Service) ResendSignUpCode(ctx context.Context, clientID, username string) error {
	_, err := s.resendConfirmationCode(ctx, &resendInput{ClientId: clientID, Username: username,
		SecretHash: s.hostedSecretHash(ctx, clientID, username)})
	return err
}

// ForgotPasswordCode runs ForgotPassword for managed login.
func (s *Service) ForgotPasswordCode(ctx context.Context, clientID, username string) error {
	_, err := s.forgotPassword(ctx, &resendInput{ClientId: clientID, Username: username,
		SecretHash: s.hostedSecretHash(ctx, clientID, username)})
	return err
}

// ConfirmForgotPasswordCode runs ConfirmForgotPassword for managed login.
func (s *Service) ConfirmForgotPasswordCode(ctx context.Context, clientID, username, code, password string) error {
	_, err := s.confirmForgotPassword(ctx, &confirmForgotPasswordInput{ClientId: clientID, Username: username,
		ConfirmationCode: code, Password: password, SecretHash: s.hostedSecretHash(ctx, clientID, username)})
	return err
}

// OAuthGrant describes the tokens of one authorization-code (or implicit) grant.
type OAuthGrant struct {
	ClientID string
	Username string
	Scopes   []string
	Nonce    string
	AuthTime time.Time
	// OriginJTI ties the grant's tokens to one sign-in ("" starts a new one).
	OriginJTI string
}

// OAuthTokens are the tokens the token endpoint returns.
type OAuthTokens struct {
	IDToken      string
	AccessToken  string
	RefreshToken string
	ExpiresIn    int64
}

// IssueOAuthTokens signs an access token carrying the granted scopes, an id
// token (with nonce and at_hash) when openid was granted, and a refresh
// token when withRefresh.
func (s *Service) IssueOAuthTokens(ctx context.Context, g OAuthGrant, withRefresh bool) (*OAuthTokens, error) {
	p, c, err := s.loadClientPool(ctx, g.ClientID)
	if err != nil {
		return nil, err
	}
	u, err := s.store.GetUser(ctx, p.ID, g.Username)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notAuthorized(msgUserNotFound)
	}
	if err != nil {
		return nil, wrap("get user", err)
	}
	if !u.Enabled {
		return nil, notAuthorized(msgUserDisabled)
	}
	if g.OriginJTI == "" {
		g.OriginJTI = newUUID()
	}
	return s.signOAuth(ctx, p, c, u, g, withRefresh, false)
}

func (s *Service) signOAuth(ctx context.Context, p *pool, c *client, u store.User, g OAuthGrant, withRefresh, refreshing bool) (*OAuthTokens, error) {
	groups, err := s.groupNames(ctx, p.ID, u.Username)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	if priv, err := decodePrivate(u); err == nil && !priv.SignedOutAt.IsZero() && now.Unix() <= priv.SignedOutAt.Unix() {
		now = priv.SignedOutAt.Truncate(time.Second).Add(time.Second)
	}
	source := "HostedAuth"
	if refreshing {
		source = "RefreshTokens"
	}
	ev := authEvent{originJTI: g.OriginJTI, authTime: g.AuthTime, source: source}
	scope := strings.Join(g.Scopes, " ")
	if scope == "" {
		scope = accessScope
	}
	withID := len(g.Scopes) == 0 || slices.Contains(g.Scopes, ScopeOpenID)
	ic, ac := s.idClaims(p, c, u, groups, ev, now), s.accessClaims(p, c, u, groups, ev, now)
	ac["scope"] = scope
	ac["version"] = 2
	if p.hasTrigger(trigPreTokenGeneration) {
		if err := s.preTokenGeneration(ctx, p, c, u, ev, ic, ac); err != nil {
			return nil, err
		}
	}
	accessTok, err := s.keys.Sign(ctx, p.ID, store.KeyUseAccess, ac)
	if err != nil {
		return nil, wrap("sign access token", err)
	}
	out := &OAuthTokens{AccessToken: accessTok, ExpiresIn: int64(c.validity("access") / time.Second)}
	if withID {
		sum := sha256.Sum256([]byte(accessTok))
		ic["at_hash"] = base64.RawURLEncoding.EncodeToString(sum[:16])
		if g.Nonce != "" {
			ic["nonce"] = g.Nonce
		}
		if ids := u.Attributes["identities"]; ids != "" {
			var v any
			if json.Unmarshal([]byte(ids), &v) == nil {
				ic["identities"] = v
			}
		}
		if out.IDToken, err = s.keys.Sign(ctx, p.ID, store.KeyUseID, ic); err != nil {
			return nil, wrap("sign id token", err)
		}
	}
	if withRefresh {
		st := newRefreshState(p, c, u.Username, u.Attributes["sub"], ev, now)
		st.Scopes = strings.Join(g.Scopes, " ")
		if out.RefreshToken, err = s.sealRefreshToken(st); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ErrInvalidGrant means a refresh token is not valid for the client.
var ErrInvalidGrant = errors.New("userpool: invalid grant")

// RefreshOAuthTokens redeems a refresh token at the token endpoint: new id
// and access tokens with the scopes of the original grant.
func (s *Service) RefreshOAuthTokens(ctx context.Context, clientID, refreshToken string) (*OAuthTokens, error) {
	p, c, err := s.loadClientPool(ctx, clientID)
	if err != nil {
		return nil, err
	}
	rt, ok := s.openRefreshToken(refreshToken)
	if !ok || rt.PoolID != p.ID || rt.ClientID != c.ID || s.clock().Unix() >= rt.ExpiresAt || s.refreshRevoked(rt) {
		return nil, ErrInvalidGrant
	}
	u, err := s.store.GetUser(ctx, p.ID, rt.Username)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (u.Attributes["sub"] != rt.Sub || !u.Enabled)) {
		return nil, ErrInvalidGrant
	}
	if err != nil {
		return nil, wrap("get user", err)
	}
	return s.signOAuth(ctx, p, c, u, OAuthGrant{ClientID: c.ID, Username: u.Username, Scopes: strings.Fields(rt.Scopes),
		AuthTime: time.Unix(rt.AuthTime, 0), OriginJTI: rt.OriginJTI}, false, true)
}

// RevokeRefreshToken revokes a refresh token of the client and every token
// of its sign-in, as RevokeToken does; errors are the API's.
func (s *Service) RevokeRefreshToken(ctx context.Context, clientID, clientSecret, token string) error {
	_, err := s.revokeToken(ctx, &revokeTokenInput{ClientId: clientID, ClientSecret: clientSecret, Token: token})
	return err
}

// ClientCredentialsToken signs a machine-to-machine access token: sub and
// client_id are the client id, scope the granted custom scopes, no id token.
// A V3_0 pre token generation trigger customizes it (meta is the request's
// client metadata); the trigger's failure is an API error.
func (s *Service) ClientCredentialsToken(ctx context.Context, clientID string, scopes []string, meta map[string]string) (string, int64, error) {
	p, c, err := s.loadClientPool(ctx, clientID)
	if err != nil {
		return "", 0, err
	}
	now := s.clock()
	claims := map[string]any{
		"sub": c.ID, "token_use": "access", "scope": strings.Join(scopes, " "), "auth_time": now.Unix(),
		"iss": s.issuer(p.ID), "exp": now.Add(c.validity("access")).Unix(), "iat": now.Unix(), "version": 2,
		"jti": newUUID(), "client_id": c.ID,
	}
	if err := s.clientCredentialsPreToken(ctx, p, c, meta, claims); err != nil {
		return "", 0, err
	}
	tok, err := s.keys.Sign(ctx, p.ID, store.KeyUseAccess, claims)
	if err != nil {
		return "", 0, wrap("sign access token", err)
	}
	return tok, int64(c.validity("access") / time.Second), nil
}

// ErrInvalidToken means an access token is not accepted by userInfo.
var ErrInvalidToken = errors.New("userpool: invalid access token")

// profileClaims are the OIDC profile scope's standard claims.
var profileClaims = []string{"name", "family_name", "given_name", "middle_name", "nickname", "preferred_username",
	"profile", "picture", "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at"}

// UserInfo answers the userInfo endpoint: the user's attributes that the
// access token's scopes release (openid is required; tokens from the user
// pools API carry none of these scopes and are refused, as in AWS).
func (s *Service) UserInfo(ctx context.Context, accessToken string) (map[string]any, error) {
	if accessToken == "" {
		return nil, ErrInvalidToken
	}
	a, err := s.authenticate(ctx, accessToken)
	if err != nil {
		return nil, ErrInvalidToken
	}
	scopes := strings.Fields(a.claims.String("scope"))
	if !slices.Contains(scopes, ScopeOpenID) {
		return nil, ErrInvalidToken
	}
	all := slices.Contains(scopes, ScopeAdmin) || slices.Contains(scopes, ScopeProfile)
	release := func(name string) bool {
		switch {
		case name == "sub":
			return true
		case name == "email" || name == "email_verified":
			return all || slices.Contains(scopes, ScopeEmail)
		case name == "phone_number" || name == "phone_number_verified":
			return all || slices.Contains(scopes, ScopePhone)
		case slices.Contains(profileClaims, name), strings.HasPrefix(name, "custom:"), name == "address", name == "identities":
			return all
		}
		return all
	}
	c, _ := s.loadClient(ctx, a.clientID)
	out := map[string]any{"username": a.user.Username}
	for name, v := range a.user.Attributes {
		if !release(name) {
			continue
		}
		if c != nil && len(c.cfg.ReadAttributes) > 0 && name != "sub" && !contains(c.cfg.ReadAttributes, name) {
			continue
		}
		out[name] = v // strings, booleans included, as Cognito's userInfo answers
	}
	return out, nil
}

// VerifyAccessToken checks an access token of a pool (signature, issuer,
// expiry, revocation) and returns its claims.
func (s *Service) VerifyAccessToken(ctx context.Context, poolID, token string) (tokens.Claims, error) {
	return s.verifier.Verify(ctx, token, tokens.Expect{PoolID: poolID, Issuer: s.issuer(poolID), TokenUse: tokens.UseAccess})
}

// Issuer is the iss of a pool's tokens.
func (s *Service) Issuer(poolID string) string { return s.issuer(poolID) }

// PoolExists reports whether a pool exists.
func (s *Service) PoolExists(ctx context.Context, poolID string) bool {
	_, err := s.loadPool(ctx, poolID)
	return err == nil
}

// RevokeSignIn revokes every token of one sign-in (its origin_jti), as a
// replayed authorization code requires.
func (s *Service) RevokeSignIn(ctx context.Context, poolID, originJTI string) error {
	if originJTI == "" {
		return nil
	}
	now := s.clock()
	return s.revs.Add(ctx, store.Revocation{PoolID: poolID, Kind: store.RevokeOrigin, Value: originJTI, At: now,
		ExpiresAt: now.Add(3650 * 24 * time.Hour)})
}

// SessionValid reports whether a managed-login session still stands: the
// user exists with the same sub, is enabled, and has not signed out
// globally since it began.
func (s *Service) SessionValid(ctx context.Context, poolID, username, sub string, authTime time.Time) bool {
	u, err := s.store.GetUser(ctx, poolID, username)
	if err != nil || !u.Enabled || u.Attributes["sub"] != sub || u.Status != statusConfirmed && u.Status != "EXTERNAL_PROVIDER" {
		return false
	}
	priv, err := decodePrivate(u)
	if err != nil {
		return false
	}
	return priv.SignedOutAt.IsZero() || priv.SignedOutAt.Before(authTime)
}

// AllowSource takes one request of source ip from the per-source bucket that
// limits the public operations (always true when no bucket is configured);
// managed login's forms and the token endpoint share it.
func (s *Service) AllowSource(ip string) bool { return s.sources == nil || s.sources.allow(ip) }
