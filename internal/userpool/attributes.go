package userpool

import (
	"context"
	"maps"

	"github.com/cognate-dev/cognate/internal/store"
)

// applyAttributes writes attrs into u. Changing email or phone_number resets
// its *_verified flag unless the caller (an administrator) sets it too; it
// returns the auto-verified attributes that changed and need a code.
func applyAttributes(p *pool, u *store.User, attrs []attributeType, admin bool) []string {
	given := map[string]bool{}
	for _, a := range attrs {
		given[a.Name] = true
	}
	var toVerify []string
	for _, a := range attrs {
		if !admin && (a.Name == "email_verified" || a.Name == "phone_number_verified") {
			continue
		}
		v := ""
		if a.Value != nil {
			v = *a.Value
		}
		old := u.Attributes[a.Name]
		if v == "" {
			delete(u.Attributes, a.Name)
		} else {
			u.Attributes[a.Name] = v
		}
		if (a.Name == "email" || a.Name == "phone_number") && old != v && v != "" {
			if !(admin && given[a.Name+"_verified"]) {
				u.Attributes[a.Name+"_verified"] = "false"
				if contains(p.cfg.AutoVerifiedAttributes, a.Name) {
					toVerify = append(toVerify, a.Name)
				}
			}
		}
	}
	return toVerify
}

// updateAttributes validates and applies an attribute update and sends
// verification codes for changed auto-verified attributes.
func (s *Service) updateAttributes(ctx context.Context, p *pool, name string, attrs []attributeType, admin bool) ([]codeDeliveryDetails, error) {
	if err := p.cfg.validateAttributes(attrs, true); err != nil {
		return nil, err
	}
	// Uniqueness is checked on a preview, outside the update transaction
	// (store reads inside UpdateUser's fn could contend with its writer).
	cur, err := s.mustUser(ctx, p, name)
	if err != nil {
		return nil, err
	}
	cur.Attributes = maps.Clone(cur.Attributes)
	applyAttributes(p, &cur, attrs, admin)
	if err := s.checkAliases(ctx, p, cur.Attributes, cur.Username); err != nil {
		return nil, err
	}
	for _, attr := range p.cfg.UsernameAttributes {
		if v := cur.Attributes[attr]; v != "" {
			if err := s.checkUnique(ctx, p, attr, v, cur.Username); err != nil {
				return nil, err
			}
		}
	}
	var toVerify []string
	codes := map[string]string{}
	_, u, err := s.updateUser(ctx, p.ID, cur.Username, func(p *pool, u *store.User) error {
		u.Attributes = maps.Clone(u.Attributes)
		toVerify = applyAttributes(p, u, attrs, admin)
		priv, err := decodePrivate(*u)
		if err != nil {
			return err
		}
		clear(codes)
		for _, attr := range toVerify {
			code, err := s.issueCode(p, u, &priv, CodeAttribute, attr)
			if err != nil {
				return err
			}
			codes[attr] = code
		}
		return encodePrivate(u, priv)
	})
	if err != nil {
		return nil, err
	}
	out := []codeDeliveryDetails{}
	for _, attr := range toVerify {
		d, err := s.deliver(ctx, p, &u, CodeAttribute, attr, codes[attr])
		if err != nil {
			return nil, err
		}
		out = append(out, *d)
	}
	return out, nil
}

type adminUpdateUserAttributesInput struct {
	UserPoolId     string
	Username       string
	UserAttributes []attributeType
	ClientMetadata map[string]string
}

func (s *Service) adminUpdateUserAttributes(ctx context.Context, in *adminUpdateUserAttributesInput) (*empty, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	ctx = withMessage(ctx, msgUpdateUserAttribute, "", in.ClientMetadata)
	if _, err := s.updateAttributes(ctx, p, in.Username, in.UserAttributes, true); err != nil {
		return nil, err
	}
	return &empty{}, nil
}

type adminDeleteUserAttributesInput struct {
	UserPoolId         string
	Username           string
	UserAttributeNames []string
}

func (s *Service) adminDeleteUserAttributes(ctx context.Context, in *adminDeleteUserAttributesInput) (*empty, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	for _, name := range in.UserAttributeNames {
		sa, ok := p.cfg.schemaAttr(name)
		if !ok {
			return nil, schemaError(name, "Attribute does not exist in the schema.")
		}
		if name == "sub" || (sa.Required != nil && *sa.Required) {
			return nil, schemaError(name, "The attribute is required")
		}
		if contains(p.cfg.UsernameAttributes, name) {
			return nil, invalidParameter("Cannot delete %s: it is a username attribute", name)
		}
	}
	if _, _, err := s.updateUser(ctx, p.ID, in.Username, func(_ *pool, u *store.User) error {
		u.Attributes = maps.Clone(u.Attributes)
		for _, name := range in.UserAttributeNames {
			delete(u.Attributes, name)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	return &empty{}, nil
}

type updateUserAttributesInput struct {
	AccessToken    string
	UserAttributes []attributeType
	ClientMetadata map[string]string
}

type updateUserAttributesOutput struct {
	CodeDeliveryDetailsList []codeDeliveryDetails
}

func (s *Service) updateUserAttributes(ctx context.Context, in *updateUserAttributesInput) (*updateUserAttributesOutput, error) {
	a, err := s.authenticate(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	if c, err := s.loadClient(ctx, a.clientID); err == nil && len(c.cfg.WriteAttributes) > 0 {
		for _, attr := range in.UserAttributes {
			if !contains(c.cfg.WriteAttributes, attr.Name) {
				return nil, notAuthorized("A client attempted to write unauthorized attribute")
			}
		}
	}
	ctx = withMessage(ctx, msgUpdateUserAttribute, a.clientID, in.ClientMetadata)
	list, err := s.updateAttributes(ctx, a.pool, a.user.Username, in.UserAttributes, false)
	if err != nil {
		return nil, err
	}
	return &updateUserAttributesOutput{CodeDeliveryDetailsList: list}, nil
}

type verifyUserAttributeInput struct {
	AccessToken   string
	AttributeName string
	Code          string
}

func (s *Service) verifyUserAttribute(ctx context.Context, in *verifyUserAttributeInput) (*empty, error) {
	a, err := s.authenticate(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	key := guessKey(CodeAttribute, in.AttributeName, a.user.Username)
	if err := s.reserveGuess(ctx, a.pool.ID, key); err != nil {
		return nil, err
	}
	var apiFail error
	_, _, err = s.updateUser(ctx, a.pool.ID, a.user.Username, func(p *pool, u *store.User) error {
		apiFail = nil
		priv, err := decodePrivate(*u)
		if err != nil {
			return err
		}
		if _, err := s.checkCode(p, u, &priv, CodeAttribute, in.AttributeName, in.Code); err != nil {
			apiFail = err
			return encodePrivate(u, priv)
		}
		u.Attributes = maps.Clone(u.Attributes)
		u.Attributes[in.AttributeName+"_verified"] = "true"
		return encodePrivate(u, priv)
	})
	if err != nil {
		return nil, err
	}
	if apiFail != nil {
		return nil, apiFail
	}
	if err := s.clearCounter(ctx, a.pool.ID, key); err != nil {
		return nil, err
	}
	return &empty{}, nil
}

type attributeCodeInput struct {
	AccessToken    string
	AttributeName  string
	ClientMetadata map[string]string
}

// getUserAttributeVerificationCode sends a new code for an email or phone number.
func (s *Service) getUserAttributeVerificationCode(ctx context.Context, in *attributeCodeInput) (*codeDeliveryOutput, error) {
	a, err := s.authenticate(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	attr := in.AttributeName
	if (attr != "email" && attr != "phone_number") || a.user.Attributes[attr] == "" {
		return nil, invalidParameter("Invalid attribute name %s: it must be email or phone_number and have a value", attr)
	}
	ctx = withMessage(ctx, msgVerifyUserAttribute, a.clientID, in.ClientMetadata)
	d, err := s.sendCode(ctx, a.pool, a.user.Username, CodeAttribute, attr, nil)
	if err != nil {
		return nil, err
	}
	return &codeDeliveryOutput{CodeDeliveryDetails: d}, nil
}
