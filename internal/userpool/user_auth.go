package userpool

import (
	"context"
	"encoding/json"

	"github.com/cognate-dev/cognate/internal/store"
)

// Choice-based sign-in (USER_AUTH) first factors and challenge names.
const (
	factorPassword    = "PASSWORD"
	factorPasswordSRP = "PASSWORD_SRP"
	factorEmailOTP    = "EMAIL_OTP"
	factorSMSOTP      = "SMS_OTP"
	factorWebAuthn    = "WEB_AUTHN"

	chSelectChallenge = "SELECT_CHALLENGE"
	chSMSOTP          = "SMS_OTP"
)

// signInPolicy is AWS's SignInPolicyType.
type signInPolicy struct {
	AllowedFirstAuthFactors []string `json:",omitempty"`
}

// firstFactors are the pool's allowed first factors (PASSWORD by default).
func (p *pool) firstFactors() []string {
	var sp signInPolicy
	if p.cfg.Policies != nil && len(p.cfg.Policies.SignInPolicy) > 0 {
		_ = json.Unmarshal(p.cfg.Policies.SignInPolicy, &sp)
	}
	if len(sp.AllowedFirstAuthFactors) == 0 {
		return []string{factorPassword}
	}
	return sp.AllowedFirstAuthFactors
}

// userFirstFactors are the first factors u can use in pool p, in AWS's
// order: PASSWORD and PASSWORD_SRP (with a password), EMAIL_OTP (verified
// email), SMS_OTP (verified phone), WEB_AUTHN (a registered passkey). A
// name that matches no user is offered what any user could have.
func userFirstFactors(p *pool, u store.User, found, hasPasskey bool) []string {
	allowed := p.firstFactors()
	var out []string
	if contains(allowed, factorPassword) && (!found || len(u.Credentials) > 0) {
		out = append(out, factorPassword, factorPasswordSRP)
	}
	if contains(allowed, factorWebAuthn) && (!found || hasPasskey) {
		out = append(out, factorWebAuthn)
	}
	if contains(allowed, factorEmailOTP) && (!found || (u.Attributes["email"] != "" && u.Attributes["email_verified"] == "true")) {
		out = append(out, factorEmailOTP)
	}
	if contains(allowed, factorSMSOTP) && found && u.Attributes["phone_number"] != "" && u.Attributes["phone_number_verified"] == "true" {
		out = append(out, factorSMSOTP)
	}
	return out
}

// startUserAuth runs InitiateAuth USER_AUTH: the PREFERRED_CHALLENGE when
// the user can use it, else SELECT_CHALLENGE with AvailableChallenges.
func (s *Service) startUserAuth(ctx context.Context, p *pool, c *client, params map[string]string, admin bool, meta map[string]string) (*authOutput, error) {
	name := params["USERNAME"]
	if name == "" {
		// No username-less (discoverable-credential) start exists: AWS's
		// InitiateAuth and RespondToAuthChallenge references say every
		// USER_AUTH challenge, WEB_AUTHN included, requires USERNAME, and
		// Amplify's USER_AUTH flow always sends one. WEB_AUTHN options
		// therefore always list the user's credentials (allowCredentials).
		return nil, missing("USERNAME")
	}
	if p.tier() == "LITE" {
		return nil, apiErr(excFeatureUnavailableInTier, "Choice-based sign-in (USER_AUTH) is not available in the LITE tier.")
	}
	if err := c.checkSecretHash(params["SECRET_HASH"], name); err != nil {
		return nil, err
	}
	u, found, err := s.resolveUser(ctx, p, name)
	if err != nil {
		return nil, err
	}
	if !found && !c.preventExistenceErrors() {
		return nil, userNotFound()
	}
	hasPasskey := false
	if found && contains(p.firstFactors(), factorWebAuthn) {
		keys, err := s.passkeys(ctx, p.ID, u.Username)
		if err != nil {
			return nil, err
		}
		hasPasskey = len(keys) > 0
	}
	avail := userFirstFactors(p, u, found, hasPasskey)
	username := p.normalize(name)
	if found {
		username = u.Username
	}
	ch := mfaChallenge{PoolID: p.ID, ClientID: c.ID, Username: username, LockKey: lockKey(p, u, found, name), Admin: admin,
		Fake: !found, DeviceKey: deviceKeyFrom(ctx), Expires: s.clock().Add(c.authSessionValidity())}
	if pref := params["PREFERRED_CHALLENGE"]; pref != "" && contains(avail, pref) {
		return s.firstFactor(ctx, p, c, u, ch, pref, params, admin, meta)
	}
	if len(avail) == 0 {
		return nil, notAuthorized(msgIncorrect)
	}
	ch.Step, ch.Choices = chSelectChallenge, avail
	session, err := s.putMFA(ctx, "", ch)
	if err != nil {
		return nil, err
	}
	return &authOutput{ChallengeName: chSelectChallenge, Session: session, AvailableChallenges: avail,
		ChallengeParameters: map[string]string{}}, nil
}

// firstFactor starts the chosen first factor; params carries PASSWORD or
// SRP_A for the password factors.
func (s *Service) firstFactor(ctx context.Context, p *pool, c *client, u store.User, ch mfaChallenge, factor string, params map[string]string, admin bool, meta map[string]string) (*authOutput, error) {
	switch factor {
	case factorPassword:
		if params["PASSWORD"] == "" {
			return nil, missing("PASSWORD")
		}
		return s.passwordLogin(ctx, p, c, params["USERNAME"], params["PASSWORD"], admin, meta)
	case factorPasswordSRP:
		if params["SRP_A"] == "" {
			return nil, missing("SRP_A")
		}
		return s.startSRP(ctx, p, c, map[string]string{"USERNAME": params["USERNAME"], "SRP_A": params["SRP_A"], "SECRET_HASH": params["SECRET_HASH"]}, admin, meta, nil)
	case factorEmailOTP, factorSMSOTP:
		ch.Choices = nil
		ch.Step = chEmail
		if factor == factorSMSOTP {
			ch.Step = chSMSOTP
		}
		if ch.Fake {
			// Nothing is sent to a name that matches no user; the answer looks the same.
			session, err := s.putMFA(ctx, "", ch)
			if err != nil {
				return nil, err
			}
			return &authOutput{ChallengeName: ch.Step, Session: session, ChallengeParameters: map[string]string{
				"CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL", "CODE_DELIVERY_DESTINATION": maskDestination(ch.Username + "@" + ch.Username),
			}}, nil
		}
		return s.mfaChallengeOut(ctx, p, u, ch)
	case factorWebAuthn:
		return s.startWebAuthnSignIn(ctx, p, u, ch)
	}
	return nil, invalidParameter("The challenge %s is not available for this user.", factor)
}

// answerSelectChallenge answers SELECT_CHALLENGE (ANSWER, plus PASSWORD or
// SRP_A for the password factors).
func (s *Service) answerSelectChallenge(ctx context.Context, p *pool, c *client, ch mfaChallenge, in *respondInput, admin bool) (*authOutput, error) {
	resp := in.ChallengeResponses
	answer := resp["ANSWER"]
	if !contains(ch.Choices, answer) {
		if _, err := s.putMFA(ctx, in.Session, ch); err != nil {
			return nil, err
		}
		return nil, invalidParameter("The challenge %s is not available for this user.", answer)
	}
	var u store.User
	if !ch.Fake {
		var err error
		if u, err = s.store.GetUser(ctx, p.ID, ch.Username); err != nil {
			return nil, notAuthorized(msgInvalidSession)
		}
	}
	params := map[string]string{"USERNAME": resp["USERNAME"], "PASSWORD": resp["PASSWORD"], "SRP_A": resp["SRP_A"], "SECRET_HASH": resp["SECRET_HASH"]}
	return s.firstFactor(ctx, p, c, u, ch, answer, params, admin, in.ClientMetadata)
}

type getUserAuthFactorsOutput struct {
	Username                  string
	ConfiguredUserAuthFactors []string
	mfaFields
}

// getUserAuthFactors lists the first factors and MFA settings of the
// access token's user.
func (s *Service) getUserAuthFactors(ctx context.Context, in *accessTokenInput) (*getUserAuthFactorsOutput, error) {
	a, err := s.authenticate(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	var factors []string
	if len(a.user.Credentials) > 0 {
		factors = append(factors, factorPassword)
	}
	keys, err := s.passkeys(ctx, a.pool.ID, a.user.Username)
	if err != nil {
		return nil, err
	}
	if len(keys) > 0 {
		factors = append(factors, factorWebAuthn)
	}
	if a.user.Attributes["email"] != "" && a.user.Attributes["email_verified"] == "true" && contains(a.pool.firstFactors(), factorEmailOTP) {
		factors = append(factors, factorEmailOTP)
	}
	if a.user.Attributes["phone_number"] != "" && a.user.Attributes["phone_number_verified"] == "true" && contains(a.pool.firstFactors(), factorSMSOTP) {
		factors = append(factors, factorSMSOTP)
	}
	return &getUserAuthFactorsOutput{Username: a.user.Username, ConfiguredUserAuthFactors: factors, mfaFields: userMFAFields(a.pool, a.user)}, nil
}
