package userpool

import (
	"context"
	"errors"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

type initiateAuthInput struct {
	AuthFlow       string
	ClientId       string
	UserPoolId     string
	AuthParameters map[string]string
	ClientMetadata map[string]string
	Session        string
}

// authOutput is the output of InitiateAuth and RespondToAuthChallenge (and
// their admin forms): tokens, or the next challenge.
type authOutput struct {
	AuthenticationResult *authenticationResult `json:",omitempty"`
	ChallengeName        string                `json:",omitempty"`
	ChallengeParameters  map[string]string
	Session              string `json:",omitempty"`
	// AvailableChallenges are USER_AUTH's first factors (SELECT_CHALLENGE).
	AvailableChallenges []string `json:",omitempty"`
}

func (s *Service) initiateAuth(ctx context.Context, in *initiateAuthInput) (*authOutput, error) {
	p, c, err := s.loadClientPool(ctx, in.ClientId)
	if err != nil {
		return nil, err
	}
	return s.initiate(ctx, p, c, in, false)
}

func (s *Service) adminInitiateAuth(ctx context.Context, in *initiateAuthInput) (*authOutput, error) {
	p, c, err := s.loadPoolClient(ctx, in.UserPoolId, in.ClientId)
	if err != nil {
		return nil, err
	}
	return s.initiate(ctx, p, c, in, true)
}

func (s *Service) initiate(ctx context.Context, p *pool, c *client, in *initiateAuthInput, admin bool) (*authOutput, error) {
	if in.AuthFlow == "" {
		return nil, missing("AuthFlow")
	}
	flow := in.AuthFlow
	switch flow {
	case "USER_SRP_AUTH", "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN", "CUSTOM_AUTH", "USER_AUTH":
	case "USER_PASSWORD_AUTH":
		if admin {
			return nil, invalidParameter("Initiate Auth method not supported.")
		}
	case "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH":
		if !admin {
			return nil, invalidParameter("Initiate Auth method not supported.")
		}
	default:
		return nil, invalidParameter("Initiate Auth method not supported.")
	}
	if !c.allows(flow) {
		return nil, invalidParameter("%s flow not enabled for this client", flow)
	}
	params := in.AuthParameters
	ctx = withDeviceKey(ctx, params["DEVICE_KEY"])
	switch flow {
	case "USER_SRP_AUTH":
		return s.startSRP(ctx, p, c, params, admin, in.ClientMetadata, nil)
	case "CUSTOM_AUTH":
		return s.startCustom(ctx, p, c, params, admin, in.ClientMetadata)
	case "USER_AUTH":
		return s.startUserAuth(ctx, p, c, params, admin, in.ClientMetadata)
	case "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN":
		return s.refresh(ctx, p, c, params)
	default:
		if params["USERNAME"] == "" {
			return nil, missing("USERNAME")
		}
		if params["PASSWORD"] == "" {
			return nil, missing("PASSWORD")
		}
		if err := c.checkSecretHash(params["SECRET_HASH"], params["USERNAME"]); err != nil {
			return nil, err
		}
		return s.passwordLogin(ctx, p, c, params["USERNAME"], params["PASSWORD"], admin, in.ClientMetadata)
	}
}

// lockKey is the lockout key of a login: the stored username when the user
// exists, else the normalized name given (so unknown users count alike).
func lockKey(p *pool, u store.User, found bool, name string) string {
	if found {
		return "user|" + u.Username
	}
	return "user|" + p.normalize(name)
}

// badCredentials is the answer to a failed password: the same for unknown
// users and wrong passwords unless the client opted into LEGACY errors.
func badCredentials(c *client, found bool) error {
	if !found && !c.preventExistenceErrors() {
		return userNotFound()
	}
	return notAuthorized(msgIncorrect)
}

// passwordLogin runs USER_PASSWORD_AUTH and ADMIN_USER_PASSWORD_AUTH;
// validation is InitiateAuth's ClientMetadata (the pre authentication and
// user migration triggers' validationData).
func (s *Service) passwordLogin(ctx context.Context, p *pool, c *client, name, password string, admin bool, validation map[string]string) (*authOutput, error) {
	u, err := s.checkLoginPassword(ctx, p, c, name, password, validation)
	if err != nil {
		return nil, err
	}
	return s.afterPassword(ctx, p, c, u, admin, nil, "Authentication")
}

// checkLoginPassword proves a user's password with lockout accounting,
// user migration and the pre authentication trigger: the one password
// check of every flow (the API's and managed login's).
func (s *Service) checkLoginPassword(ctx context.Context, p *pool, c *client, name, password string, validation map[string]string) (store.User, error) {
	u, found, err := s.resolveUser(ctx, p, name)
	if err != nil {
		return store.User{}, err
	}
	key := lockKey(p, u, found, name)
	allowed, err := s.lockout.reserve(ctx, p.ID, key)
	if err != nil {
		return store.User{}, err
	}
	if !allowed {
		return store.User{}, notAuthorized(msgAttemptsExceeded)
	}
	if !found && p.hasTrigger(trigUserMigration) {
		mu, migrated, err := s.migrateUser(ctx, p, c, "Authentication", name, password, validation, nil)
		if err != nil {
			return store.User{}, err
		}
		if migrated {
			if err := s.lockout.succeed(ctx, p.ID, key); err != nil {
				return store.User{}, err
			}
			if mu.Status == statusResetRequired {
				return store.User{}, apiErr(excPasswordResetRequired, msgResetRequired)
			}
			return mu, nil
		}
	}
	if found || c.preventExistenceErrors() {
		// A refusal by the pre authentication trigger keeps the reserved
		// attempt counted: undoing it would let callers who can make the
		// trigger refuse wind the counter back.
		if err := s.preAuthentication(ctx, p, c, u, found, name, validation); err != nil {
			return store.User{}, err
		}
	}
	ok := false
	if found && len(u.Credentials) == 0 && u.Status == statusResetRequired {
		// No password yet (an imported user): nothing to check it against.
		return store.User{}, apiErr(excPasswordResetRequired, msgResetRequired)
	}
	if found && len(u.Credentials) > 0 {
		if ok, err = s.checkUserPassword(p, &u, password); err != nil {
			return store.User{}, err
		}
	} else {
		// Same modular exponentiation as a real check, against fake material.
		if _, err := s.fakeVerify(p, name, password); err != nil {
			return store.User{}, err
		}
	}
	if !ok {
		if found {
			s.recordAuthEvent(ctx, p, u.Username, evSignIn, "Fail", challengeResponse{"Password", "Failure"})
		}
		return store.User{}, badCredentials(c, found)
	}
	if err := s.lockout.succeed(ctx, p.ID, key); err != nil {
		return store.User{}, err
	}
	return u, nil
}

// afterPassword continues a login whose password was proven: status checks,
// then the post authentication trigger and tokens (source is the pre token
// generation trigger's, meta the ClientMetadata triggers get), or the
// NEW_PASSWORD_REQUIRED challenge.
func (s *Service) afterPassword(ctx context.Context, p *pool, c *client, u store.User, admin bool, meta map[string]string, source string) (*authOutput, error) {
	if out, err := s.signInStatus(ctx, p, c, u, admin); out != nil || err != nil {
		return out, err
	}
	if err := s.postAuthentication(ctx, p, c, u, meta); err != nil {
		return nil, err
	}
	res, err := s.issueTokens(ctx, p, c, u, authEvent{originJTI: newUUID(), authTime: s.clock(), source: source, meta: meta}, true)
	if err != nil {
		return nil, err
	}
	s.recordAuthEvent(ctx, p, u.Username, evSignIn, "Pass", challengeResponse{"Password", "Success"})
	if err := s.attachDevice(ctx, p, u, deviceKeyFrom(ctx), res); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "user signed in", "pool", p.ID, "client", c.ID, "username", u.Username)
	return &authOutput{AuthenticationResult: res, ChallengeParameters: map[string]string{}}, nil
}

// signInStatus checks a proven user's status: an error, a
// NEW_PASSWORD_REQUIRED or MFA challenge, or (nil, nil) to go on to tokens.
func (s *Service) signInStatus(ctx context.Context, p *pool, c *client, u store.User, admin bool) (*authOutput, error) {
	if !u.Enabled {
		return nil, notAuthorized(msgUserDisabled)
	}
	switch u.Status {
	case statusUnconfirmed:
		return nil, apiErr(excUserNotConfirmed, msgUserNotConfirmed)
	case statusResetRequired:
		return nil, apiErr(excPasswordResetRequired, msgResetRequired)
	case statusForceChangePassword:
		return s.newPasswordChallenge(ctx, p, c, u, admin)
	}
	// Devices and MFA (mfa_challenge.go, devices.go).
	return s.mfaGate(ctx, p, c, u, admin)
}

// refresh runs REFRESH_TOKEN_AUTH: new id and access tokens, same refresh token.
func (s *Service) refresh(ctx context.Context, p *pool, c *client, params map[string]string) (*authOutput, error) {
	tok := params["REFRESH_TOKEN"]
	if tok == "" {
		return nil, missing("REFRESH_TOKEN")
	}
	rt, ok := s.openRefreshToken(tok)
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
	if err := c.checkSecretHash(params["SECRET_HASH"], params["USERNAME"], u.Username, u.Attributes["sub"]); err != nil {
		return nil, err
	}
	if !u.Enabled {
		return nil, notAuthorized(msgUserDisabled)
	}
	res, err := s.issueTokens(ctx, p, c, u, authEvent{originJTI: rt.OriginJTI, authTime: time.Unix(rt.AuthTime, 0), source: "RefreshTokens"}, false)
	if err != nil {
		return nil, err
	}
	return &authOutput{AuthenticationResult: res, ChallengeParameters: map[string]string{}}, nil
}
