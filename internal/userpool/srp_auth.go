package userpool

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"github.com/cognate-dev/cognate/internal/userpool/srp"
)

// timestampWindow is how far a PASSWORD_VERIFIER TIMESTAMP may be from now.
const timestampWindow = 5 * time.Minute

// fakeVerifierSize keeps fake verifiers below N (384 bytes, top byte 0xff).
const fakeVerifierSize = 383

// fakeMaterial derives deterministic SRP material for a name that matches no
// user: salt and verifier keyed by the pool's secret, so repeated challenges
// for one unknown name look exactly like those of a real user. userID is
// what USER_ID_FOR_SRP would be: a UUID-shaped id when users sign in with
// an email or phone number (real users' usernames are their sub there).
func (s *Service) fakeMaterial(p *pool, name string) (userID string, salt, verifier []byte, err error) {
	key, err := s.poolSecret(p)
	if err != nil {
		return "", nil, nil, err
	}
	norm := p.normalize(name)
	salt = keyedHash(key, "fake-salt", norm)[:srp.SaltSize]
	verifier = make([]byte, 0, fakeVerifierSize)
	for i := 0; len(verifier) < fakeVerifierSize; i++ {
		verifier = append(verifier, keyedHash(key, "fake-verifier", norm, string(rune('a'+i)))...)
	}
	verifier = verifier[:fakeVerifierSize]
	verifier[0] |= 0x80
	userID = norm
	if len(p.cfg.UsernameAttributes) > 0 {
		userID = formatUUID(keyedHash(key, "fake-id", norm)[:16])
	}
	return userID, salt, verifier, nil
}

// fakeVerify spends the work of a password check on an unknown name.
func (s *Service) fakeVerify(p *pool, name, password string) (bool, error) {
	userID, salt, verifier, err := s.fakeMaterial(p, name)
	if err != nil {
		return false, err
	}
	srp.VerifyPassword(p.shortName(), userID, password, salt, verifier)
	return false, nil
}

// startSRP answers USER_SRP_AUTH with the PASSWORD_VERIFIER challenge;
// validation is InitiateAuth's ClientMetadata for the pre authentication
// trigger. With custom set it is the PASSWORD_VERIFIER step of a
// CUSTOM_AUTH flow (the pre authentication trigger has run).
func (s *Service) startSRP(ctx context.Context, p *pool, c *client, params map[string]string, admin bool, validation map[string]string, custom *customState) (*authOutput, error) {
	name := params["USERNAME"]
	if name == "" {
		return nil, missing("USERNAME")
	}
	if params["SRP_A"] == "" {
		return nil, missing("SRP_A")
	}
	if err := c.checkSecretHash(params["SECRET_HASH"], name); err != nil {
		return nil, err
	}
	u, found, err := s.resolveUser(ctx, p, name)
	if err != nil {
		return nil, err
	}
	if custom == nil && (found || c.preventExistenceErrors()) {
		if err := s.preAuthentication(ctx, p, c, u, found, name, validation); err != nil {
			return nil, err
		}
	}
	var (
		userID         string
		salt, verifier []byte
		fake           = true
	)
	if found {
		cred, ok, err := s.credentialsOf(p, &u)
		if err != nil {
			return nil, err
		}
		if ok {
			userID, salt, verifier, fake = u.Username, cred.Salt, cred.Verifier, false
		}
	}
	if fake && found && u.Status == statusResetRequired {
		// A user with no password yet (imported from a CSV file, or
		// reset by AdminResetUserPassword): Cognito answers so at once.
		return nil, apiErr(excPasswordResetRequired, msgResetRequired)
	}
	if fake {
		if !found && !c.preventExistenceErrors() {
			return nil, userNotFound()
		}
		if userID, salt, verifier, err = s.fakeMaterial(p, name); err != nil {
			return nil, err
		}
	}
	ss, err := srp.NewServerSession(verifier, params["SRP_A"])
	if errors.Is(err, srp.ErrInvalidA) || errors.Is(err, srp.ErrZeroU) {
		return nil, invalidParameter("Invalid SRP_A")
	}
	if err != nil {
		return nil, wrap("srp session", err)
	}
	key, err := ss.Key(p.shortName(), userID)
	if err != nil {
		return nil, wrap("srp key", err)
	}
	block := base64.StdEncoding.EncodeToString(randomBytes(64))
	st := challengeState{PoolID: p.ID, ClientID: c.ID, Username: userID, Login: p.normalize(name), LockKey: lockKey(p, u, found, name),
		Key: key, Fake: fake, Admin: admin, Custom: custom}
	if _, err := s.putChallenge(ctx, sessionSRP, block, st, c.authSessionValidity()); err != nil {
		return nil, err
	}
	session := ""
	if custom != nil {
		// The SECRET_BLOCK carries the flow; clients echo a Session too.
		session, _ = newOpaqueToken(96)
	}
	return &authOutput{
		Session:       session,
		ChallengeName: "PASSWORD_VERIFIER",
		ChallengeParameters: map[string]string{
			"SALT":            hex.EncodeToString(salt),
			"SECRET_BLOCK":    block,
			"SRP_B":           ss.BHex(),
			"USERNAME":        userID,
			"USER_ID_FOR_SRP": userID,
		},
	}, nil
}

// verifySRP checks a PASSWORD_VERIFIER response and returns the session it
// consumed; any failure is a NotAuthorizedException.
func (s *Service) verifySRP(ctx context.Context, p *pool, c *client, resp map[string]string, admin bool) (challengeState, error) {
	for _, k := range []string{"USERNAME", "PASSWORD_CLAIM_SECRET_BLOCK", "TIMESTAMP", "PASSWORD_CLAIM_SIGNATURE"} {
		if resp[k] == "" {
			return challengeState{}, missing(k)
		}
	}
	block := resp["PASSWORD_CLAIM_SECRET_BLOCK"]
	// The session is consumed before anything else: a SECRET_BLOCK is good
	// for one answer, right or wrong.
	st, ok, err := s.takeChallenge(ctx, sessionSRP, block)
	if err != nil {
		return st, err
	}
	if !ok || st.PoolID != p.ID || st.ClientID != c.ID || st.Admin != admin ||
		(resp["USERNAME"] != st.Username && p.normalize(resp["USERNAME"]) != st.Login) {
		return st, notAuthorized(msgIncorrect)
	}
	if err := c.checkSecretHash(resp["SECRET_HASH"], resp["USERNAME"]); err != nil {
		return st, err
	}
	// The attempt is reserved (counted as a failure) before anything in the
	// answer is checked, so a malformed or stale answer counts as well.
	allowed, err := s.lockout.reserve(ctx, p.ID, st.LockKey)
	if err != nil {
		return st, err
	}
	if !allowed {
		return st, notAuthorized(msgAttemptsExceeded)
	}
	stamp, err := srp.ParseTimestamp(resp["TIMESTAMP"])
	if err != nil {
		return st, notAuthorized(msgIncorrect)
	}
	if d := s.clock().Sub(stamp); d > timestampWindow || d < -timestampWindow {
		return st, notAuthorized(msgIncorrect)
	}
	raw, err := base64.StdEncoding.DecodeString(block)
	if err != nil {
		return st, notAuthorized(msgIncorrect)
	}
	good := srp.VerifySignature(st.Key, p.shortName(), st.Username, raw, resp["TIMESTAMP"], resp["PASSWORD_CLAIM_SIGNATURE"])
	if !good || st.Fake {
		if !st.Fake {
			s.recordAuthEvent(ctx, p, st.Username, evSignIn, "Fail", challengeResponse{"Password", "Failure"})
		}
		return st, notAuthorized(msgIncorrect)
	}
	if err := s.lockout.succeed(ctx, p.ID, st.LockKey); err != nil {
		return st, err
	}
	return st, nil
}
