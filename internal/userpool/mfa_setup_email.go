package userpool

import (
	"context"
	"maps"
	"net/mail"
	"strings"

	"github.com/cognate-dev/cognate/internal/store"
)

// maxEmailLength bounds the EMAIL of an MFA_SETUP answer (AWS's attribute
// value limit).
const maxEmailLength = 2048

// setupEmailMFA answers MFA_SETUP with ChallengeResponses EMAIL: the user
// (who has no email address, else email MFA would have been challenged
// directly) names one, and an EMAIL_OTP code goes there. The address is
// stored, verified, and email MFA enabled only once that code comes back.
// AWS documents the EMAIL response of MFA_SETUP without its error texts;
// these messages are Cognate's.
func (s *Service) setupEmailMFA(ctx context.Context, p *pool, u store.User, ch mfaChallenge, bearer, email string) (*authOutput, error) {
	keep := func(err error) (*authOutput, error) {
		if _, perr := s.putMFA(ctx, bearer, ch); perr != nil {
			return nil, perr
		}
		return nil, err
	}
	if !contains(ch.Choices, chEmail) {
		return keep(invalidParameter("Email MFA is not available for this user: choose one of MFAS_CAN_SETUP."))
	}
	addr, err := mail.ParseAddress(email)
	if len(email) > maxEmailLength || err != nil || addr.Address != email || addr.Name != "" {
		return keep(invalidParameter("Invalid email address format."))
	}
	if contains(p.cfg.UsernameAttributes, "email") {
		if err := s.checkUnique(ctx, p, "email", email, u.Username); err != nil {
			return keep(err)
		}
	}
	if err := s.checkAliases(ctx, p, map[string]string{"email": email, "email_verified": "true"}, u.Username); err != nil {
		return keep(err)
	}
	target := u
	target.Attributes = maps.Clone(u.Attributes)
	if target.Attributes == nil {
		target.Attributes = map[string]string{}
	}
	target.Attributes["email"] = email
	ch.Step, ch.Choices, ch.SetupEmail = chEmail, nil, email
	return s.mfaChallengeOut(ctx, p, target, ch)
}

// enableSetupEmail stores the address an MFA_SETUP proved, marks it
// verified and turns email MFA on for the user.
func (s *Service) enableSetupEmail(ctx context.Context, p *pool, username, email string) (store.User, error) {
	if contains(p.cfg.UsernameAttributes, "email") {
		if err := s.checkUnique(ctx, p, "email", email, username); err != nil {
			return store.User{}, err
		}
	}
	_, u, err := s.updateUser(ctx, p.ID, username, func(p *pool, u *store.User) error {
		u.Attributes = maps.Clone(u.Attributes)
		if u.Attributes == nil {
			u.Attributes = map[string]string{}
		}
		u.Attributes["email"] = strings.TrimSpace(email)
		u.Attributes["email_verified"] = "true"
		priv, err := decodePrivate(*u)
		if err != nil {
			return err
		}
		f := factorsOf(&priv)
		f.Email = true
		if f.Preferred == "" {
			f.Preferred = chEmail
		}
		return encodePrivate(u, priv)
	})
	return u, err
}
