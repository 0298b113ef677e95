package userpool

import (
	"context"
	"errors"
	"time"

	"github.com/cognate-dev/cognate/internal/awsjson"
	"github.com/cognate-dev/cognate/internal/store"
)

// CodeInvite is the kind of an AdminCreateUser invitation; its Code is the
// temporary password.
const CodeInvite CodeKind = "invite"

type adminCreateUserInput struct {
	UserPoolId             string
	Username               string
	UserAttributes         []attributeType
	TemporaryPassword      *string
	MessageAction          string
	DesiredDeliveryMediums []string
	ForceAliasCreation     bool
	ValidationData         []attributeType
	ClientMetadata         map[string]string
}

type adminCreateUserOutput struct {
	User userType
}

func (s *Service) adminCreateUser(ctx context.Context, in *adminCreateUserInput) (*adminCreateUserOutput, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	temp := generatePassword(p.passwordPolicy())
	if in.TemporaryPassword != nil && *in.TemporaryPassword != "" {
		temp = *in.TemporaryPassword
		if err := checkPassword(p.passwordPolicy(), temp); err != nil {
			return nil, err
		}
	}
	var u store.User
	switch in.MessageAction {
	case "RESEND":
		if u, err = s.mustUser(ctx, p, in.Username); err != nil {
			return nil, err
		}
		if u.Status != statusForceChangePassword {
			return nil, apiErr(excUnsupportedOperation, "Resend not possible. %s status is not FORCE_CHANGE_PASSWORD", u.Username)
		}
		u, err = s.store.UpdateUser(ctx, p.ID, u.Username, func(u store.User) (store.User, error) {
			return u, s.setTemporaryPassword(p, &u, temp)
		})
		if err != nil {
			return nil, wrap("update user", err)
		}
	case "", "SUPPRESS":
		if u, err = s.prepareUser(ctx, p, newUserSpec{Name: in.Username, Attributes: in.UserAttributes,
			Status: statusForceChangePassword, Admin: true}); err != nil {
			return nil, err
		}
		if err := s.setTemporaryPassword(p, &u, temp); err != nil {
			return nil, err
		}
		// Its response flags do not apply to AdminCreateUser (as on AWS).
		if _, err := s.preSignUp(ctx, p, "AdminCreateUser", "", u, in.ValidationData, in.ClientMetadata); err != nil {
			return nil, err
		}
		if err := s.insertUser(ctx, u, "User account already exists"); err != nil {
			return nil, err
		}
	default:
		return nil, invalidParameter("Invalid MessageAction %q", in.MessageAction)
	}
	ctx = withMessage(ctx, msgAdminCreateUser, "", in.ClientMetadata)
	if in.MessageAction != "SUPPRESS" {
		attr := "email"
		if u.Attributes["email"] == "" || (len(in.DesiredDeliveryMediums) > 0 && !contains(in.DesiredDeliveryMediums, "EMAIL")) {
			attr = "phone_number"
		}
		if u.Attributes[attr] != "" {
			if _, err := s.deliver(ctx, p, &u, CodeInvite, attr, temp); err != nil {
				return nil, err
			}
		}
	}
	s.log.InfoContext(ctx, "user created", "pool", p.ID, "username", u.Username)
	return &adminCreateUserOutput{User: toUserType(u, nil)}, nil
}

// setTemporaryPassword sets a password that must be changed at first sign-in.
func (s *Service) setTemporaryPassword(p *pool, u *store.User, password string) error {
	if err := s.setPassword(p, u, password); err != nil {
		return err
	}
	priv, err := decodePrivate(*u)
	if err != nil {
		return err
	}
	priv.TempPasswordAt = s.clock()
	u.Status = statusForceChangePassword
	u.UpdatedAt = s.clock()
	return encodePrivate(u, priv)
}

// setPermanentPassword sets a password and confirms the user.
func (s *Service) setPermanentPassword(p *pool, u *store.User, password string) error {
	if err := s.setPassword(p, u, password); err != nil {
		return err
	}
	priv, err := decodePrivate(*u)
	if err != nil {
		return err
	}
	priv.TempPasswordAt = time.Time{}
	u.Status = statusConfirmed
	u.UpdatedAt = s.clock()
	return encodePrivate(u, priv)
}

type userInput struct {
	UserPoolId     string
	Username       string
	ClientMetadata map[string]string
}

// updateUser loads a user by name and applies fn atomically.
func (s *Service) updateUser(ctx context.Context, poolID, name string, fn func(p *pool, u *store.User) error) (*pool, store.User, error) {
	p, err := s.loadPool(ctx, poolID)
	if err != nil {
		return nil, store.User{}, err
	}
	u, err := s.mustUser(ctx, p, name)
	if err != nil {
		return nil, store.User{}, err
	}
	u, err = s.store.UpdateUser(ctx, p.ID, u.Username, func(u store.User) (store.User, error) {
		if err := fn(p, &u); err != nil {
			return u, err
		}
		u.UpdatedAt = s.clock()
		return u, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, store.User{}, userNotFound()
	}
	if err != nil {
		var ae *awsjson.Error
		if errors.As(err, &ae) {
			return nil, store.User{}, err
		}
		return nil, store.User{}, wrap("update user", err)
	}
	return p, u, nil
}

type adminSetUserPasswordInput struct {
	UserPoolId string
	Username   string
	Password   string
	Permanent  bool
}

func (s *Service) adminSetUserPassword(ctx context.Context, in *adminSetUserPasswordInput) (*empty, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if err := checkPassword(p.passwordPolicy(), in.Password); err != nil {
		return nil, err
	}
	_, _, err = s.updateUser(ctx, p.ID, in.Username, func(p *pool, u *store.User) error {
		if in.Permanent {
			return s.setPermanentPassword(p, u, in.Password)
		}
		return s.setTemporaryPassword(p, u, in.Password)
	})
	if err != nil {
		return nil, err
	}
	return &empty{}, nil
}

type adminGetUserOutput struct {
	Username             string
	UserAttributes       []attributeType
	UserCreateDate       *epoch
	UserLastModifiedDate *epoch
	Enabled              bool
	UserStatus           string
	mfaFields
}

func (s *Service) adminGetUser(ctx context.Context, in *userInput) (*adminGetUserOutput, error) {
	p, u, err := s.loadPoolUser(ctx, in.UserPoolId, in.Username)
	if err != nil {
		return nil, err
	}
	return &adminGetUserOutput{Username: u.Username, UserAttributes: attributeList(u.Attributes, nil),
		UserCreateDate: ts(u.CreatedAt), UserLastModifiedDate: ts(u.UpdatedAt), Enabled: u.Enabled, UserStatus: u.Status,
		mfaFields: userMFAFields(p, u)}, nil
}

func (s *Service) adminDeleteUser(ctx context.Context, in *userInput) (*empty, error) {
	p, u, err := s.loadPoolUser(ctx, in.UserPoolId, in.Username)
	if err != nil {
		return nil, err
	}
	if err := s.removeUser(ctx, p, u); err != nil {
		return nil, err
	}
	return &empty{}, nil
}

// removeUser deletes a user and revokes its tokens.
func (s *Service) removeUser(ctx context.Context, p *pool, u store.User) error {
	err := s.store.DeleteUser(ctx, p.ID, u.Username)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return wrap("delete user", err)
	}
	if err := s.revokeUser(ctx, p, u); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "user deleted", "pool", p.ID, "username", u.Username)
	return nil
}

func (s *Service) adminDisableUser(ctx context.Context, in *userInput) (*empty, error) {
	p, u, err := s.updateUser(ctx, in.UserPoolId, in.Username, func(_ *pool, u *store.User) error {
		u.Enabled = false
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.revokeUser(ctx, p, u); err != nil {
		return nil, err
	}
	return &empty{}, nil
}

func (s *Service) adminEnableUser(ctx context.Context, in *userInput) (*empty, error) {
	if _, _, err := s.updateUser(ctx, in.UserPoolId, in.Username, func(_ *pool, u *store.User) error {
		u.Enabled = true
		return nil
	}); err != nil {
		return nil, err
	}
	return &empty{}, nil
}

func (s *Service) adminConfirmSignUp(ctx context.Context, in *userInput) (*empty, error) {
	p, u, err := s.updateUser(ctx, in.UserPoolId, in.Username, func(_ *pool, u *store.User) error {
		if u.Status != statusUnconfirmed {
			return notAuthorized("User cannot be confirmed. Current status is " + u.Status)
		}
		priv, err := decodePrivate(*u)
		if err != nil {
			return err
		}
		delete(priv.Codes, string(CodeSignUp))
		u.Status = statusConfirmed
		return encodePrivate(u, priv)
	})
	if err != nil {
		return nil, err
	}
	if err := s.postConfirmation(ctx, p, "ConfirmSignUp", "", u, in.ClientMetadata); err != nil {
		return nil, err
	}
	return &empty{}, nil
}

func (s *Service) adminResetUserPassword(ctx context.Context, in *userInput) (*empty, error) {
	p, u, err := s.loadPoolUser(ctx, in.UserPoolId, in.Username)
	if err != nil {
		return nil, err
	}
	attr := p.recoveryContact(u)
	if attr == "" {
		return nil, invalidParameter("Cannot reset password for the user as there is no registered/verified email or phone_number")
	}
	// The user must set a new password: RESET_REQUIRED, with a code to do it.
	resetRequired := func(u *store.User) { u.Status = statusResetRequired }
	ctx = withMessage(ctx, msgForgotPassword, "", in.ClientMetadata)
	if _, err := s.sendCode(ctx, p, u.Username, CodeForgotPassword, attr, resetRequired); err != nil {
		return nil, err
	}
	return &empty{}, nil
}
