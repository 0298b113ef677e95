package userpool

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"github.com/go-webauthn/webauthn/webauthn"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

const sessionMFA = "mfa"

// Messages of wrong MFA codes.
const (
	msgMFACodeMismatch = "Invalid code or auth state for the user."
	msgTOTPMismatch    = "Invalid code received for user"
)

// mfaChallenge is the server side of an MFA challenge session.
type mfaChallenge struct {
	PoolID   string `json:"p"`
	ClientID string `json:"c"`
	Username string `json:"u"`
	LockKey  string `json:"l"`
	Admin    bool   `json:"a,omitempty"`
	// Step is the challenge the session answers.
	Step    string   `json:"s"`
	Choices []string `json:"ch,omitempty"`
	// CodeHash is the keyed hash of an SMS or email code.
	CodeHash []byte `json:"h,omitempty"`
	// TOTPPending is a sealed secret handed out during MFA_SETUP; SetupDone
	// says VerifySoftwareToken confirmed it.
	TOTPPending []byte `json:"tp,omitempty"`
	SetupDone   bool   `json:"sd,omitempty"`
	// DeviceKey is the device the sign-in came from.
	DeviceKey string `json:"dk,omitempty"`
	// Fake marks a USER_AUTH session of a name that matches no user.
	Fake bool `json:"f,omitempty"`
	// Expires is when the sign-in's session ends (the client's AuthSessionValidity).
	Expires time.Time `json:"x"`
	// WebAuthn is the ceremony state of a WEB_AUTHN challenge.
	WebAuthn *webauthn.SessionData `json:"wa,omitempty"`
	// SetupEmail is the address an MFA_SETUP answer named for email MFA; the
	// EMAIL_OTP code sent there proves it, and only then is it stored.
	SetupEmail string `json:"se,omitempty"`
}

// putMFA stores ch under bearer (a fresh one when empty) until ch.Expires.
func (s *Service) putMFA(ctx context.Context, bearer string, ch mfaChallenge) (string, error) {
	ttl := ch.Expires.Sub(s.clock())
	if ttl <= 0 {
		return "", notAuthorized(msgInvalidSession)
	}
	id := ""
	if bearer == "" {
		bearer, id = newOpaqueToken(96)
	} else {
		id = tokenID(bearer)
	}
	raw, err := json.Marshal(ch)
	if err != nil {
		return "", wrap("encode session", err)
	}
	if err := s.store.PutSession(ctx, store.Session{ID: id, PoolID: ch.PoolID, Kind: sessionMFA,
		Data: s.sealer.Seal(raw, sessionAAD(sessionMFA, id)), ExpiresAt: ch.Expires}); err != nil {
		return "", wrap("store session", err)
	}
	return bearer, nil
}

// takeMFA consumes an MFA session; ok is false when it is missing, expired or used.
func (s *Service) takeMFA(ctx context.Context, bearer string) (mfaChallenge, bool, error) {
	if bearer == "" || len(bearer) > 8192 {
		return mfaChallenge{}, false, nil
	}
	id := tokenID(bearer)
	sess, err := s.store.TakeSession(ctx, id, s.clock())
	if errors.Is(err, store.ErrNotFound) {
		return mfaChallenge{}, false, nil
	}
	if err != nil {
		return mfaChallenge{}, false, wrap("take session", err)
	}
	if sess.Kind != sessionMFA {
		return mfaChallenge{}, false, nil
	}
	raw, err := s.sealer.Open(sess.Data, sessionAAD(sessionMFA, id))
	if err != nil {
		return mfaChallenge{}, false, nil
	}
	var ch mfaChallenge
	if err := json.Unmarshal(raw, &ch); err != nil {
		return mfaChallenge{}, false, wrap("decode session", err)
	}
	return ch, true, nil
}

// mfaCandidates are the factors a sign-in of u may be challenged with.
func mfaCandidates(p *pool, u store.User) []string {
	mode := p.mfaMode()
	if mode == mfaOff {
		return nil
	}
	priv, _ := decodePrivate(u)
	f := priv.Factors
	if f == nil {
		f = &userFactors{}
	}
	m := p.mfa()
	var out []string
	if m.SmsEnabled && u.Attributes["phone_number"] != "" && (f.SMS || mode == mfaOn) {
		out = append(out, chSMS)
	}
	if m.SoftwareTokenEnabled && f.TOTP && len(f.TOTPSecret) > 0 {
		out = append(out, chSoftwareToken)
	}
	if m.EmailMfaConfiguration != nil && u.Attributes["email"] != "" && (f.Email || mode == mfaOn) {
		out = append(out, chEmail)
	}
	return out
}

// mfaGate returns the MFA challenge a sign-in of u needs, or nil when it
// needs none (MFA off, or optional and not set up). A sign-in from a
// confirmed device first proves the device (DEVICE_SRP_AUTH); a remembered
// device then skips MFA.
func (s *Service) mfaGate(ctx context.Context, p *pool, c *client, u store.User, admin bool) (*authOutput, error) {
	if out, err := s.deviceChallenge(ctx, p, c, u, admin); out != nil || err != nil {
		return out, err
	}
	if p.mfaMode() == mfaOff {
		return nil, nil
	}
	ch := mfaChallenge{PoolID: p.ID, ClientID: c.ID, Username: u.Username, LockKey: lockKey(p, u, true, ""), Admin: admin,
		DeviceKey: deviceKeyFrom(ctx), Expires: s.clock().Add(c.authSessionValidity())}
	cands := mfaCandidates(p, u)
	switch {
	case len(cands) == 0 && p.mfaMode() == mfaOn:
		var setups []string
		if p.mfa().SoftwareTokenEnabled {
			setups = append(setups, chSoftwareToken)
		}
		if p.mfa().EmailMfaConfiguration != nil {
			// A user with no email address can add one here: AWS offers
			// EMAIL_OTP in MFAS_CAN_SETUP, the answer names the address
			// (ChallengeResponses EMAIL) and an EMAIL_OTP code confirms it.
			setups = append(setups, chEmail)
		}
		if len(setups) == 0 {
			// Required, but nothing the user could set up here (no phone or email).
			return nil, invalidParameter("User does not have delivery config set to turn on MFA.")
		}
		ch.Step, ch.Choices = chSetup, setups
		return s.mfaChallengeOut(ctx, p, u, ch)
	case len(cands) == 0:
		return nil, nil
	case len(cands) == 1:
		ch.Step = cands[0]
	default:
		priv, _ := decodePrivate(u)
		if f := priv.Factors; f != nil && contains(cands, f.Preferred) {
			ch.Step = f.Preferred
		} else {
			ch.Step, ch.Choices = chSelectMFA, cands
		}
	}
	return s.mfaChallengeOut(ctx, p, u, ch)
}

// mfaChallengeOut stores ch (sending the code of SMS_MFA and EMAIL_OTP) and
// returns the challenge answer.
func (s *Service) mfaChallengeOut(ctx context.Context, p *pool, u store.User, ch mfaChallenge) (*authOutput, error) {
	params := map[string]string{"USER_ID_FOR_SRP": u.Username}
	switch ch.Step {
	case chSelectMFA:
		list, _ := json.Marshal(ch.Choices)
		params["MFAS_CAN_CHOOSE"] = string(list)
	case chSetup:
		list, _ := json.Marshal(ch.Choices)
		params["MFAS_CAN_SETUP"] = string(list)
	case chSoftwareToken:
		priv, _ := decodePrivate(u)
		if f := priv.Factors; f != nil && f.TOTPName != "" {
			params["FRIENDLY_DEVICE_NAME"] = f.TOTPName
		}
	case chSMS, chEmail, chSMSOTP:
		attr := "phone_number"
		if ch.Step == chEmail {
			attr = "email"
		}
		key, err := s.poolSecret(p)
		if err != nil {
			return nil, err
		}
		code := newCode()
		ch.CodeHash = keyedHash(key, "mfa", ch.Username, code)
		d, err := s.deliver(ctx, p, &u, CodeMFA, attr, code)
		if err != nil {
			return nil, err
		}
		params["CODE_DELIVERY_DELIVERY_MEDIUM"] = d.DeliveryMedium
		params["CODE_DELIVERY_DESTINATION"] = d.Destination
	}
	session, err := s.putMFA(ctx, "", ch)
	if err != nil {
		return nil, err
	}
	return &authOutput{ChallengeName: ch.Step, ChallengeParameters: params, Session: session}, nil
}

// respondMFA answers SELECT_MFA_TYPE, SOFTWARE_TOKEN_MFA, SMS_MFA, EMAIL_OTP
// and MFA_SETUP. A wrong code counts toward the user's lockout and leaves
// the session usable until it expires.
func (s *Service) respondMFA(ctx context.Context, p *pool, c *client, in *respondInput, admin bool) (*authOutput, error) {
	resp := in.ChallengeResponses
	if resp["USERNAME"] == "" {
		return nil, missing("USERNAME")
	}
	if in.Session == "" {
		return nil, missing("Session")
	}
	if err := c.checkSecretHash(resp["SECRET_HASH"], resp["USERNAME"]); err != nil {
		return nil, err
	}
	ch, ok, err := s.takeMFA(ctx, in.Session)
	if err != nil {
		return nil, err
	}
	if !ok || ch.PoolID != p.ID || ch.ClientID != c.ID || ch.Admin != admin {
		return nil, notAuthorized(msgInvalidSession)
	}
	if ch.Step == chSelectChallenge && in.ChallengeName == chSelectChallenge {
		return s.answerSelectChallenge(ctx, p, c, ch, in, admin)
	}
	if ch.Fake {
		if err := s.lockout.fail(ctx, p.ID, ch.LockKey); err != nil {
			return nil, err
		}
		if _, err := s.putMFA(ctx, in.Session, ch); err != nil {
			return nil, err
		}
		if ch.Step == factorWebAuthn {
			return nil, notAuthorized(msgIncorrect)
		}
		return nil, apiErr(excCodeMismatch, msgMFACodeMismatch)
	}
	u, found, err := s.resolveUser(ctx, p, resp["USERNAME"])
	if err != nil {
		return nil, err
	}
	if !found || u.Username != ch.Username {
		return nil, notAuthorized(msgInvalidSession)
	}
	if !u.Enabled {
		// Disabled since the challenge began, or never checked: passwordless
		// first factors (WEB_AUTHN, EMAIL_OTP, SMS_OTP) reach here with no
		// password step before them.
		return nil, notAuthorized(msgUserDisabled)
	}
	if ch.Step != in.ChallengeName {
		if _, err := s.putMFA(ctx, in.Session, ch); err != nil {
			return nil, err
		}
		return nil, invalidParameter("Invalid challenge name %s for this session.", in.ChallengeName)
	}
	retry := func(typ, msg string) (*authOutput, error) {
		if err := s.lockout.fail(ctx, p.ID, ch.LockKey); err != nil {
			return nil, err
		}
		if _, err := s.putMFA(ctx, in.Session, ch); err != nil {
			return nil, err
		}
		return nil, apiErr(typ, "%s", msg)
	}
	if ch.Step != chSelectMFA {
		locked, _, err := s.lockout.check(ctx, p.ID, ch.LockKey)
		if err != nil {
			return nil, err
		}
		if locked {
			if _, err := s.putMFA(ctx, in.Session, ch); err != nil {
				return nil, err
			}
			return nil, notAuthorized(msgAttemptsExceeded)
		}
	}
	switch ch.Step {
	case chSelectMFA:
		answer := resp["ANSWER"]
		if !contains(ch.Choices, answer) {
			if _, err := s.putMFA(ctx, in.Session, ch); err != nil {
				return nil, err
			}
			return nil, invalidParameter("Invalid MFA type %q: choose one of MFAS_CAN_CHOOSE.", answer)
		}
		ch.Step, ch.Choices = answer, nil
		return s.mfaChallengeOut(ctx, p, u, ch)
	case chSoftwareToken:
		code := resp["SOFTWARE_TOKEN_MFA_CODE"]
		if code == "" {
			return nil, missing("SOFTWARE_TOKEN_MFA_CODE")
		}
		used := false
		u2, err := s.useTOTP(ctx, p, u.Username, code, &used)
		if err != nil {
			return nil, err
		}
		if !used {
			return retry(excCodeMismatch, msgTOTPMismatch)
		}
		u = u2
	case chSMS, chEmail, chSMSOTP:
		name := "SMS_MFA_CODE"
		switch ch.Step {
		case chEmail:
			name = "EMAIL_OTP_CODE"
		case chSMSOTP:
			name = "SMS_OTP_CODE"
		}
		code := resp[name]
		if code == "" {
			return nil, missing(name)
		}
		key, err := s.poolSecret(p)
		if err != nil {
			return nil, err
		}
		if !hmac.Equal(ch.CodeHash, keyedHash(key, "mfa", ch.Username, code)) {
			return retry(excCodeMismatch, msgMFACodeMismatch)
		}
		if ch.SetupEmail != "" {
			if u, err = s.enableSetupEmail(ctx, p, u.Username, ch.SetupEmail); err != nil {
				return nil, err
			}
		}
	case factorWebAuthn:
		credential := resp["CREDENTIAL"]
		if credential == "" {
			return nil, missing("CREDENTIAL")
		}
		verified := false
		u2, ok, err := s.verifyWebAuthnSignIn(ctx, p, u, ch, credential, &verified)
		if err != nil {
			return nil, err
		}
		if !ok {
			return retry(excNotAuthorized, msgIncorrect)
		}
		u = u2
		if err := s.lockout.succeed(ctx, p.ID, ch.LockKey); err != nil {
			return nil, err
		}
		if out, err := s.passkeyMFA(ctx, p, c, u, verified, admin); out != nil || err != nil {
			return out, err
		}
		return s.loginTokens(ctx, p, c, u, ch.DeviceKey, in.ClientMetadata)
	case chSetup:
		if email := resp["EMAIL"]; email != "" && !ch.SetupDone {
			return s.setupEmailMFA(ctx, p, u, ch, in.Session, email)
		}
		if !ch.SetupDone {
			return nil, notAuthorized(msgInvalidSession)
		}
	default:
		return nil, notAuthorized(msgInvalidSession)
	}
	if err := s.lockout.succeed(ctx, p.ID, ch.LockKey); err != nil {
		return nil, err
	}
	return s.loginTokens(ctx, p, c, u, ch.DeviceKey, in.ClientMetadata)
}

// useTOTP checks code against the user's authenticator and, when it
// matches a step not used before, records that step in the same update so
// that a code works once even under concurrent use.
func (s *Service) useTOTP(ctx context.Context, p *pool, username, code string, used *bool) (store.User, error) {
	_, u, err := s.updateUser(ctx, p.ID, username, func(p *pool, u *store.User) error {
		*used = false
		priv, err := decodePrivate(*u)
		if err != nil {
			return err
		}
		f := priv.Factors
		if f == nil || len(f.TOTPSecret) == 0 {
			return errNoChange
		}
		secret, err := s.sealer.Open(f.TOTPSecret, totpAAD(p.ID, u.Username))
		if err != nil {
			return wrap("open totp secret", err)
		}
		step, ok := matchTOTP(secret, code, s.clock(), f.TOTPLastStep)
		if !ok {
			return errNoChange
		}
		f.TOTPLastStep = step
		*used = true
		return encodePrivate(u, priv)
	})
	if errors.Is(err, errNoChange) {
		return store.User{}, nil
	}
	return u, err
}

// errNoChange aborts an update that has nothing to write.
var errNoChange = errors.New("userpool: no change")

// loginTokens ends a sign-in that passed every challenge: the post
// authentication trigger, then the tokens (with NewDeviceMetadata when the
// pool tracks devices); meta is the ClientMetadata triggers get.
func (s *Service) loginTokens(ctx context.Context, p *pool, c *client, u store.User, deviceKey string, meta map[string]string) (*authOutput, error) {
	if err := s.postAuthentication(ctx, p, c, u, meta); err != nil {
		return nil, err
	}
	if h := hostedFrom(ctx); h != nil {
		// Managed login: the authorization server issues the tokens (with
		// scopes and nonce) once it has a code; none are minted here.
		h.user, h.done = u, true
		s.log.InfoContext(ctx, "user signed in (managed login)", "pool", p.ID, "client", c.ID, "username", u.Username, "mfa", true)
		return &authOutput{ChallengeParameters: map[string]string{}}, nil
	}
	res, err := s.issueTokens(ctx, p, c, u, authEvent{originJTI: newUUID(), authTime: s.clock(), source: "Authentication", meta: meta}, true)
	if err != nil {
		return nil, err
	}
	if err := s.attachDevice(ctx, p, u, deviceKey, res); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "user signed in", "pool", p.ID, "client", c.ID, "username", u.Username, "mfa", true)
	return &authOutput{AuthenticationResult: res, ChallengeParameters: map[string]string{}}, nil
}

type deviceKeyCtx struct{}

// withDeviceKey records the DEVICE_KEY a sign-in request named.
func withDeviceKey(ctx context.Context, key string) context.Context {
	if key == "" {
		return ctx
	}
	return context.WithValue(ctx, deviceKeyCtx{}, key)
}

func deviceKeyFrom(ctx context.Context) string {
	k, _ := ctx.Value(deviceKeyCtx{}).(string)
	return k
}

// passkeyMFAOn reports the user's WebAuthnMfaSettings.
func passkeyMFAOn(u store.User) bool {
	priv, _ := decodePrivate(u)
	return priv.Factors != nil && priv.Factors.WebAuthnMFA
}

// passkeyMFA decides what follows a verified passkey sign-in. When MFA
// applies to the user (the pool requires it, or it is optional and the user
// has a factor enabled), the passkey satisfies it only with the pool's
// FactorConfiguration MULTI_FACTOR_WITH_USER_VERIFICATION, the user's
// passkey MFA on and user verification in the assertion (AWS's
// WebAuthnConfigurationType and WebAuthnMfaSettingsType). Otherwise AWS
// says passkey sign-in is not "available when MFA is required" without
// naming the answer; Cognate fails closed and asks for the user's MFA next,
// as after a password.
func (s *Service) passkeyMFA(ctx context.Context, p *pool, c *client, u store.User, verified, admin bool) (*authOutput, error) {
	mode := p.mfaMode()
	if mode == mfaOff {
		return nil, nil
	}
	if mode == mfaOptional && len(mfaCandidates(p, u)) == 0 {
		return nil, nil
	}
	if p.passkeyIsMFA() && passkeyMFAOn(u) && verified {
		return nil, nil
	}
	return s.mfaGate(ctx, p, c, u, admin)
}
