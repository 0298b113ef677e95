package userpool

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/cognate-dev/cognate/internal/store"
)

// This file is the MFA and passkey surface of managed login (package
// login): the same challenges, sessions, lockout and codes as
// RespondToAuthChallenge, answered from server-rendered pages.

// Challenge is a sign-in step managed login still has to take.
type Challenge struct {
	// Name is SOFTWARE_TOKEN_MFA, SMS_MFA, EMAIL_OTP, SELECT_MFA_TYPE, MFA_SETUP or WEB_AUTHN.
	Name string
	// Session is the challenge's session, for the next answer.
	Session string
	// Options are MFAS_CAN_CHOOSE (SELECT_MFA_TYPE) or MFAS_CAN_SETUP (MFA_SETUP).
	Options []string
	// Destination is where an SMS or email code went (masked).
	Destination string
	// DeviceName is the authenticator's friendly name (SOFTWARE_TOKEN_MFA).
	DeviceName string
	// RequestOptions are the WebAuthn PublicKeyCredentialRequestOptions (WEB_AUTHN), JSON.
	RequestOptions string
}

// hostedResult collects the user of a managed-login sign-in that passed
// every challenge (loginTokens fills it instead of minting tokens).
type hostedResult struct {
	user store.User
	done bool
}

type hostedCtx struct{}

func withHosted(ctx context.Context, h *hostedResult) context.Context {
	return context.WithValue(ctx, hostedCtx{}, h)
}

func hostedFrom(ctx context.Context) *hostedResult {
	h, _ := ctx.Value(hostedCtx{}).(*hostedResult)
	return h
}

// hostedChallenges are the challenges managed login has pages for.
var hostedChallenges = []string{chSoftwareToken, chSMS, chEmail, chSelectMFA, chSetup, factorWebAuthn}

// challengeOf turns a challenge answer into a managed-login step.
func challengeOf(out *authOutput) *Challenge {
	c := &Challenge{Name: out.ChallengeName, Session: out.Session,
		Destination: out.ChallengeParameters["CODE_DELIVERY_DESTINATION"], DeviceName: out.ChallengeParameters["FRIENDLY_DEVICE_NAME"],
		RequestOptions: out.ChallengeParameters["CREDENTIAL_REQUEST_OPTIONS"]}
	switch out.ChallengeName {
	case chSelectMFA:
		_ = json.Unmarshal([]byte(out.ChallengeParameters["MFAS_CAN_CHOOSE"]), &c.Options)
	case chSetup:
		_ = json.Unmarshal([]byte(out.ChallengeParameters["MFAS_CAN_SETUP"]), &c.Options)
	}
	return c
}

// answerNames are the ChallengeResponses key of each challenge's answer.
var answerNames = map[string]string{chSoftwareToken: "SOFTWARE_TOKEN_MFA_CODE", chSMS: "SMS_MFA_CODE", chEmail: "EMAIL_OTP_CODE",
	chSelectMFA: "ANSWER", chSetup: "EMAIL", factorWebAuthn: "CREDENTIAL"}

// RespondChallenge answers a managed-login challenge (the code, the chosen
// factor, the set-up email address or the passkey assertion) and returns
// the next step or the signed-in user.
func (s *Service) RespondChallenge(ctx context.Context, clientID, session, username, challenge, answer string) (*SignIn, error) {
	p, c, err := s.loadClientPool(ctx, clientID)
	if err != nil {
		return nil, err
	}
	key, ok := answerNames[challenge]
	if !ok {
		return nil, invalidParameter("Invalid challenge name %s", challenge)
	}
	resp := map[string]string{"USERNAME": username, key: answer}
	if c.secret != "" {
		resp["SECRET_HASH"] = secretHash(c.secret, username, c.ID)
	}
	h := &hostedResult{}
	out, err := s.respond(withHosted(ctx, h), p, c, &respondInput{ChallengeName: challenge, ClientId: c.ID, ChallengeResponses: resp, Session: session}, false)
	if err != nil {
		return nil, err
	}
	return s.hostedOutcome(out, h)
}

func (s *Service) hostedOutcome(out *authOutput, h *hostedResult) (*SignIn, error) {
	if h.done {
		return &SignIn{Username: h.user.Username, Sub: h.user.Attributes["sub"], AuthTime: s.clock()}, nil
	}
	if out != nil && slices.Contains(hostedChallenges, out.ChallengeName) {
		return &SignIn{Username: out.ChallengeParameters["USER_ID_FOR_SRP"], Challenge: challengeOf(out)}, nil
	}
	name := ""
	if out != nil {
		name = out.ChallengeName
	}
	return nil, apiErr(excUnsupportedOperation, "This account needs %s, which managed login does not offer; sign in through the API (InitiateAuth/RespondToAuthChallenge).", name)
}

// SetupTOTP hands out the authenticator secret of an MFA_SETUP step
// (AssociateSoftwareToken with the session); it returns the secret and the
// session that replaces the one given.
func (s *Service) SetupTOTP(ctx context.Context, session string) (secret, next string, err error) {
	out, err := s.associateSoftwareToken(ctx, &associateInput{Session: session})
	if err != nil {
		return "", "", err
	}
	return out.SecretCode, out.Session, nil
}

// VerifySetupTOTP checks the first code of the authenticator an MFA_SETUP
// step handed out (VerifySoftwareToken with the session) and completes the
// sign-in (RespondToAuthChallenge MFA_SETUP).
func (s *Service) VerifySetupTOTP(ctx context.Context, clientID, session, username, code string) (*SignIn, error) {
	p, c, err := s.loadClientPool(ctx, clientID)
	if err != nil {
		return nil, err
	}
	v, err := s.verifySoftwareToken(ctx, &verifyTokenInput{Session: session, UserCode: code})
	if err != nil {
		return nil, err
	}
	resp := map[string]string{"USERNAME": username}
	if c.secret != "" {
		resp["SECRET_HASH"] = secretHash(c.secret, username, c.ID)
	}
	h := &hostedResult{}
	out, err := s.respond(withHosted(ctx, h), p, c, &respondInput{ChallengeName: chSetup, ClientId: c.ID, ChallengeResponses: resp, Session: v.Session}, false)
	if err != nil {
		return nil, err
	}
	return s.hostedOutcome(out, h)
}

// PasskeysEnabled reports whether the pool offers passkey sign-in (WEB_AUTHN
// among its first factors, a relying party, not the LITE tier).
func (s *Service) PasskeysEnabled(ctx context.Context, poolID string) bool {
	p, err := s.loadPool(ctx, poolID)
	if err != nil {
		return false
	}
	_, _, err = s.relyingParty(ctx, p)
	return err == nil
}

// PasskeySignIn starts a passkey sign-in for managed login: USER_AUTH with
// the WEB_AUTHN challenge. AWS's USER_AUTH always needs USERNAME (the
// InitiateAuth reference lists it as required for every flow and no
// username-less WEB_AUTHN start exists), so managed login asks for the name
// first, as AWS's does. A name with no passkey, or none at all, gets the
// same shape of challenge (no enumeration); its answer is refused.
func (s *Service) PasskeySignIn(ctx context.Context, clientID, username string) (*SignIn, error) {
	p, c, err := s.loadClientPool(ctx, clientID)
	if err != nil {
		return nil, err
	}
	if username == "" {
		return nil, notAuthorized(msgIncorrect)
	}
	if p.tier() == "LITE" || !contains(p.firstFactors(), factorWebAuthn) {
		return nil, apiErr(excWebAuthnNotEnabled, "Passkey sign-in is not enabled for this user pool.")
	}
	u, found, err := s.resolveUser(ctx, p, username)
	if err != nil {
		return nil, err
	}
	hasPasskey := false
	if found {
		keys, err := s.passkeys(ctx, p.ID, u.Username)
		if err != nil {
			return nil, err
		}
		hasPasskey = len(keys) > 0
	}
	name := p.normalize(username)
	if found {
		name = u.Username
	}
	ch := mfaChallenge{PoolID: p.ID, ClientID: c.ID, Username: name, LockKey: lockKey(p, u, found, username),
		Fake: !hasPasskey, Expires: s.clock().Add(c.authSessionValidity())}
	out, err := s.startWebAuthnSignIn(ctx, p, u, ch)
	if err != nil {
		return nil, err
	}
	return &SignIn{Username: name, Challenge: challengeOf(out)}, nil
}

// PasskeyPrompt returns the WebAuthn creation options of a new passkey for
// a signed-in user who has none yet (the prompt AWS's managed login shows
// after sign-in), or "" when there is nothing to offer.
func (s *Service) PasskeyPrompt(ctx context.Context, clientID, username string) (string, error) {
	a, ok, err := s.hostedUser(ctx, clientID, username)
	if err != nil || !ok {
		return "", err
	}
	if _, _, err := s.relyingParty(ctx, a.pool); err != nil {
		return "", nil
	}
	keys, err := s.passkeys(ctx, a.pool.ID, a.user.Username)
	if err != nil || len(keys) > 0 {
		return "", err
	}
	out, err := s.beginPasskeyRegistration(ctx, a)
	if err != nil {
		return "", err
	}
	return string(out.CredentialCreationOptions), nil
}

// RegisterPasskey completes the passkey registration PasskeyPrompt began.
func (s *Service) RegisterPasskey(ctx context.Context, clientID, username, credential string) error {
	a, ok, err := s.hostedUser(ctx, clientID, username)
	if err != nil {
		return err
	}
	if !ok {
		return notAuthorized(msgInvalidSession)
	}
	_, err = s.finishPasskeyRegistration(ctx, a, json.RawMessage(credential))
	return err
}

// hostedUser is the user of a managed-login session as the access-token
// operations see one.
func (s *Service) hostedUser(ctx context.Context, clientID, username string) (*authn, bool, error) {
	p, c, err := s.loadClientPool(ctx, clientID)
	if err != nil {
		return nil, false, err
	}
	u, err := s.store.GetUser(ctx, p.ID, username)
	if err != nil {
		return nil, false, nil
	}
	if !u.Enabled {
		return nil, false, nil
	}
	return &authn{pool: p, user: u, clientID: c.ID}, true, nil
}
