package userpool

import (
	"context"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

func (s *Service) forgotPassword(ctx context.Context, in *resendInput) (*codeDeliveryOutput, error) {
	start := time.Now() // real time: the answer's timing is what is hidden
	p, c, err := s.publicClient(ctx, in.ClientId, in.SecretHash, in.Username)
	if err != nil {
		return nil, err
	}
	if in.Username == "" {
		return nil, missing("Username")
	}
	if p.adminOnlyRecovery() {
		// Refused before any lookup: the answer says nothing about the user.
		return nil, notAuthorized("Contact administrator to reset password.")
	}
	u, ok, err := s.resolveUser(ctx, p, in.Username)
	if err != nil {
		return nil, err
	}
	if !ok && p.hasTrigger(trigUserMigration) {
		if u, ok, err = s.migrateUser(ctx, p, c, "ForgotPassword", in.Username, "", nil, in.ClientMetadata); err != nil {
			return nil, err
		}
	}
	attr := ""
	if ok {
		attr = p.recoveryContact(u)
	}
	if c.preventExistenceErrors() && (!ok || !u.Enabled || attr == "") {
		// AWS: unknown and disabled users, and users without a verified
		// contact, get a simulated delivery.
		return s.fakeCodeDelivery(ctx, p, CodeForgotPassword, counterName(p, u, ok, in.Username), in.Username, start)
	}
	if !ok {
		return nil, userNotFound()
	}
	if !u.Enabled {
		return nil, notAuthorized(msgUserDisabled)
	}
	if attr == "" {
		return nil, invalidParameter("Cannot reset password for the user as there is no registered/verified email or phone_number")
	}
	ctx = withMessage(ctx, msgForgotPassword, c.ID, in.ClientMetadata)
	d, err := s.sendCode(ctx, p, u.Username, CodeForgotPassword, attr, nil)
	if err != nil {
		return nil, err
	}
	s.recordAuthEvent(ctx, p, u.Username, evForgotPassword, "Pass")
	s.codePad.observe(start)
	return &codeDeliveryOutput{CodeDeliveryDetails: d}, nil
}

type confirmForgotPasswordInput struct {
	ClientId         string
	Username         string
	ConfirmationCode string
	Password         string
	SecretHash       string
	ClientMetadata   map[string]string
}

func (s *Service) confirmForgotPassword(ctx context.Context, in *confirmForgotPasswordInput) (*empty, error) {
	start := time.Now() // real time: the answer's timing is what is hidden
	p, c, err := s.publicClient(ctx, in.ClientId, in.SecretHash, in.Username)
	if err != nil {
		return nil, err
	}
	if in.ConfirmationCode == "" {
		return nil, missing("ConfirmationCode")
	}
	if err := checkPassword(p.passwordPolicy(), in.Password); err != nil {
		return nil, err
	}
	u, ok, err := s.resolveUser(ctx, p, in.Username)
	if err != nil {
		return nil, err
	}
	if c.preventExistenceErrors() && (!ok || !u.Enabled) {
		// AWS: CodeMismatchException for unknown and disabled users.
		return nil, s.hiddenMismatch(ctx, p, CodeForgotPassword, counterName(p, u, ok, in.Username), start)
	}
	if !ok {
		return nil, unknownUser(c)
	}
	var reset store.User
	if err := s.observeGuess(start, s.useCode(ctx, p, u.Username, CodeForgotPassword, in.ConfirmationCode, func(u *store.User, _ *pendingCode) error {
		if err := s.setPermanentPassword(p, u, in.Password); err != nil {
			return err
		}
		reset = *u
		return nil
	})); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "password reset", "pool", p.ID, "username", u.Username)
	if err := s.postConfirmation(ctx, p, "ConfirmForgotPassword", c.ID, reset, in.ClientMetadata); err != nil {
		return nil, err
	}
	return &empty{}, nil
}
