package userpool

import (
	"context"
	"errors"
	"maps"
	"time"

	"github.com/cognate-dev/cognate/internal/awsjson"
	"github.com/cognate-dev/cognate/internal/store"
)

type signUpInput struct {
	ClientId       string
	Username       string
	Password       string
	SecretHash     string
	UserAttributes []attributeType
	ValidationData []attributeType
	ClientMetadata map[string]string
}

type signUpOutput struct {
	UserConfirmed       bool
	UserSub             string
	CodeDeliveryDetails *codeDeliveryDetails `json:",omitempty"`
}

// publicClient loads the client named in a public (unauthenticated) call,
// its pool, and checks SECRET_HASH.
func (s *Service) publicClient(ctx context.Context, clientID, secretHash string, usernames ...string) (*pool, *client, error) {
	c, err := s.loadClient(ctx, clientID)
	if err != nil {
		return nil, nil, err
	}
	p, err := s.loadPool(ctx, c.PoolID)
	if err != nil {
		return nil, nil, err
	}
	if err := c.checkSecretHash(secretHash, usernames...); err != nil {
		return nil, nil, err
	}
	return p, c, nil
}

func (s *Service) signUp(ctx context.Context, in *signUpInput) (*signUpOutput, error) {
	p, c, err := s.publicClient(ctx, in.ClientId, in.SecretHash, in.Username)
	if err != nil {
		return nil, err
	}
	if p.cfg.AdminCreateUserConfig != nil && p.cfg.AdminCreateUserConfig.AllowAdminCreateUserOnly {
		return nil, notAuthorized("SignUp is not permitted for this user pool")
	}
	if err := checkPassword(p.passwordPolicy(), in.Password); err != nil {
		return nil, err
	}
	u, err := s.prepareUser(ctx, p, newUserSpec{Name: in.Username, Attributes: in.UserAttributes, Status: statusUnconfirmed})
	if err != nil {
		return nil, err
	}
	if err := s.setPassword(p, &u, in.Password); err != nil {
		return nil, err
	}
	// The trigger runs before anything is written: a refusal leaves no user.
	pre, err := s.preSignUp(ctx, p, "SignUp", c.ID, u, in.ValidationData, in.ClientMetadata)
	if err != nil {
		return nil, err
	}
	if err := s.applyPreSignUp(ctx, p, &u, pre); err != nil {
		return nil, err
	}
	ctx = withMessage(ctx, msgSignUp, c.ID, in.ClientMetadata)
	attr := ""
	if u.Status == statusUnconfirmed {
		attr = autoVerifyTarget(p, u)
	}
	var code string
	if attr != "" {
		priv := userPrivate{}
		if code, err = s.issueCode(p, &u, &priv, CodeSignUp, attr); err != nil {
			return nil, err
		}
		if err := encodePrivate(&u, priv); err != nil {
			return nil, err
		}
	}
	if err := s.insertUser(ctx, u, "User already exists"); err != nil {
		return nil, err
	}
	out := &signUpOutput{UserSub: u.Attributes["sub"], UserConfirmed: u.Status == statusConfirmed}
	if attr != "" {
		if out.CodeDeliveryDetails, err = s.deliver(ctx, p, &u, CodeSignUp, attr, code); err != nil {
			return nil, err
		}
	}
	s.log.InfoContext(ctx, "user signed up", "pool", p.ID, "username", u.Username)
	s.recordAuthEvent(ctx, p, u.Username, evSignUp, "Pass")
	if out.UserConfirmed {
		if err := s.postConfirmation(ctx, p, "ConfirmSignUp", c.ID, u, in.ClientMetadata); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// applyPreSignUp applies a pre sign-up response to a user about to be
// created by SignUp: auto-confirmation and auto-verification.
func (s *Service) applyPreSignUp(ctx context.Context, p *pool, u *store.User, pre preSignUpResponse) error {
	if pre.AutoVerifyEmail {
		if u.Attributes["email"] == "" {
			return invalidParameter("Cannot auto verify email: the user has no email attribute.")
		}
		u.Attributes["email_verified"] = "true"
	}
	if pre.AutoVerifyPhone {
		if u.Attributes["phone_number"] == "" {
			return invalidParameter("Cannot auto verify phone_number: the user has no phone_number attribute.")
		}
		u.Attributes["phone_number_verified"] = "true"
	}
	if pre.AutoConfirmUser {
		u.Status = statusConfirmed
	}
	if pre.AutoVerifyEmail || pre.AutoVerifyPhone {
		return s.checkAliases(ctx, p, u.Attributes, "")
	}
	return nil
}

type confirmSignUpInput struct {
	ClientId           string
	Username           string
	ConfirmationCode   string
	SecretHash         string
	ForceAliasCreation bool
	ClientMetadata     map[string]string
}

// unknownUser is the error for a code operation on a user that does not
// exist: a code mismatch when the client hides existence, else AWS's
// UserNotFoundException.
func unknownUser(c *client) error {
	if c.preventExistenceErrors() {
		return apiErr(excCodeMismatch, msgCodeMismatch)
	}
	return userNotFound()
}

// hiddenMismatch answers a code entry that cannot succeed (no such user, or
// one that cannot use the code) as a wrong code would be answered: the guess
// is counted under the same key a real user's would be, so the guess budget
// runs out alike, then CodeMismatchException.
// The mismatch is then held back to the median duration of real wrong
// entries (guessPad): a real one also reads and checks the user's code. A
// refused guess is not: a real refusal stops at the same point.
func (s *Service) hiddenMismatch(ctx context.Context, p *pool, kind CodeKind, name string, start time.Time) error {
	if err := s.reserveGuess(ctx, p.ID, guessKey(kind, "", name)); err != nil {
		return err
	}
	s.guessPad.wait(ctx, start)
	return apiErr(excCodeMismatch, msgCodeMismatch)
}

func (s *Service) confirmSignUp(ctx context.Context, in *confirmSignUpInput) (*empty, error) {
	start := time.Now() // real time: the answer's timing is what is hidden
	p, c, err := s.publicClient(ctx, in.ClientId, in.SecretHash, in.Username)
	if err != nil {
		return nil, err
	}
	if in.ConfirmationCode == "" {
		return nil, missing("ConfirmationCode")
	}
	u, ok, err := s.resolveUser(ctx, p, in.Username)
	if err != nil {
		return nil, err
	}
	if c.preventExistenceErrors() && (!ok || u.Status != statusUnconfirmed) {
		// Unknown and already confirmed users look alike: a wrong code.
		return nil, s.hiddenMismatch(ctx, p, CodeSignUp, counterName(p, u, ok, in.Username), start)
	}
	if !ok {
		return nil, unknownUser(c)
	}
	var confirmed store.User
	if err := s.observeGuess(start, s.useCode(ctx, p, u.Username, CodeSignUp, in.ConfirmationCode, func(u *store.User, pc *pendingCode) error {
		if u.Status != statusUnconfirmed {
			return notAuthorized("User cannot be confirmed. Current status is " + u.Status)
		}
		u.Status = statusConfirmed
		if pc.Attribute != "" {
			u.Attributes = maps.Clone(u.Attributes)
			u.Attributes[pc.Attribute+"_verified"] = "true"
		}
		confirmed = *u
		return nil
	})); err != nil {
		return nil, err
	}
	// As on AWS the user stays confirmed when the trigger fails.
	if err := s.postConfirmation(ctx, p, "ConfirmSignUp", c.ID, confirmed, in.ClientMetadata); err != nil {
		return nil, err
	}
	return &empty{}, nil
}

// useCode checks a code of kind and, when it matches, applies fn to the user,
// all in one update. The guess is reserved first (reserveGuess: refused
// with LimitExceededException once the user's budget is spent) and the
// budget cleared when the code matched.
func (s *Service) useCode(ctx context.Context, p *pool, username string, kind CodeKind, code string, fn func(*store.User, *pendingCode) error) error {
	key := guessKey(kind, "", username)
	if err := s.reserveGuess(ctx, p.ID, key); err != nil {
		return err
	}
	_, _, err := s.updateUser(ctx, p.ID, username, func(p *pool, u *store.User) error {
		priv, err := decodePrivate(*u)
		if err != nil {
			return err
		}
		if kind == CodeSignUp && u.Status != statusUnconfirmed {
			return notAuthorized("User cannot be confirmed. Current status is " + u.Status)
		}
		// A wrong or expired code writes nothing: the guess is already counted.
		pc, err := s.checkCode(p, u, &priv, kind, "", code)
		if err != nil {
			return err
		}
		if err := fn(u, pc); err != nil {
			return err
		}
		return encodePrivate(u, priv)
	})
	if err != nil {
		return err
	}
	return s.clearCounter(ctx, p.ID, key)
}

type resendInput struct {
	ClientId       string
	Username       string
	SecretHash     string
	ClientMetadata map[string]string
}

type codeDeliveryOutput struct {
	CodeDeliveryDetails *codeDeliveryDetails
}

// fakeCodeDelivery answers a code request that sends nothing (an unknown
// user, or one who cannot be sent this code, when existence is hidden) as if
// a code had been sent: the request is counted against the issue limit of
// counter (as a real one is, so the limit shows alike), then the same kind
// of fully durable single-row write that a real request makes is done (the
// pool row rewritten unchanged), so that neither the answer nor its timing
// tells whether the user exists.
// The write alone is cheaper than a real request's reads and indexed user
// update, so the answer is then held back to the running average duration
// of real requests (see timingPad).
func (s *Service) fakeCodeDelivery(ctx context.Context, p *pool, kind CodeKind, counter, name string, start time.Time) (*codeDeliveryOutput, error) {
	if err := s.reserveIssue(ctx, p.ID, issueKey(kind, "", counter)); err != nil {
		return nil, err
	}
	if _, err := s.store.UpdatePool(ctx, p.ID, func(sp store.Pool) (store.Pool, error) { return sp, nil }); err != nil {
		return nil, wrap("hide unknown user", err)
	}
	s.codePad.wait(ctx, start)
	return &codeDeliveryOutput{CodeDeliveryDetails: fakeDelivery(name)}, nil
}

// fakeDelivery is what an unknown user gets when existence is hidden.
func fakeDelivery(name string) *codeDeliveryDetails {
	dest := "u***@e***"
	if len(name) > 0 && name[0] == '+' {
		return &codeDeliveryDetails{AttributeName: "phone_number", DeliveryMedium: "SMS", Destination: maskDestination(name)}
	}
	if m := maskDestination(name); len(m) > 4 && m[1:5] == "***@" {
		dest = m
	}
	return &codeDeliveryDetails{AttributeName: "email", DeliveryMedium: "EMAIL", Destination: dest}
}

func (s *Service) resendConfirmationCode(ctx context.Context, in *resendInput) (*codeDeliveryOutput, error) {
	start := time.Now() // real time: the answer's timing is what is hidden
	p, c, err := s.publicClient(ctx, in.ClientId, in.SecretHash, in.Username)
	if err != nil {
		return nil, err
	}
	u, ok, err := s.resolveUser(ctx, p, in.Username)
	if err != nil {
		return nil, err
	}
	attr := ""
	if ok {
		attr = autoVerifyTarget(p, u)
	}
	if c.preventExistenceErrors() && (!ok || !u.Enabled || u.Status != statusUnconfirmed || attr == "") {
		// AWS: unknown and disabled users get a simulated delivery; so do
		// confirmed ones here, or the answer would tell them apart.
		return s.fakeCodeDelivery(ctx, p, CodeSignUp, counterName(p, u, ok, in.Username), in.Username, start)
	}
	if !ok {
		return nil, userNotFound()
	}
	if u.Status != statusUnconfirmed {
		return nil, invalidParameter("User is already confirmed.")
	}
	if attr == "" {
		return nil, invalidParameter("Auto verification not turned on.")
	}
	ctx = withMessage(ctx, msgResendCode, c.ID, in.ClientMetadata)
	d, err := s.sendCode(ctx, p, u.Username, CodeSignUp, attr, nil)
	if err != nil {
		return nil, err
	}
	s.codePad.observe(start)
	return &codeDeliveryOutput{CodeDeliveryDetails: d}, nil
}

// observeGuess records the duration of a real code entry that failed on
// the code (the answers hiddenMismatch imitates) and returns err.
func (s *Service) observeGuess(start time.Time, err error) error {
	var ae *awsjson.Error
	if errors.As(err, &ae) && (ae.Type == excCodeMismatch || ae.Type == excExpiredCode) {
		s.guessPad.observe(start)
	}
	return err
}
