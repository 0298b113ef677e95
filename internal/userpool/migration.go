package userpool

import (
	"context"
	"maps"
	"sort"

	"github.com/cognate-dev/cognate/internal/store"
)

// CodeWelcome is the kind of the welcome message a migrated user gets
// unless the migration trigger suppresses it; it carries no code.
const CodeWelcome CodeKind = "welcome"

type migrateUserRequest struct {
	Password       string            `json:"password,omitempty"`
	ValidationData map[string]string `json:"validationData"`
	ClientMetadata map[string]string `json:"clientMetadata"`
}

// migrateUserSent is the response part Cognito sends (all null).
type migrateUserSent struct {
	UserAttributes         map[string]string `json:"userAttributes"`
	FinalUserStatus        *string           `json:"finalUserStatus"`
	MessageAction          *string           `json:"messageAction"`
	DesiredDeliveryMediums []string          `json:"desiredDeliveryMediums"`
	ForceAliasCreation     *bool             `json:"forceAliasCreation"`
}

type migrateUserResponse struct {
	UserAttributes         map[string]string `json:"userAttributes"`
	FinalUserStatus        string            `json:"finalUserStatus"`
	MessageAction          string            `json:"messageAction"`
	DesiredDeliveryMediums []string          `json:"desiredDeliveryMediums"`
	ForceAliasCreation     bool              `json:"forceAliasCreation"`
	EnableSMSMFA           bool              `json:"enableSMSMFA"`
}

// migrateUser runs the user migration trigger for a name that matches no
// user (source Authentication with the password given, or ForgotPassword)
// and creates the user it returns. ok is false when the trigger returns no
// user. validation is InitiateAuth's ClientMetadata, meta ForgotPassword's.
func (s *Service) migrateUser(ctx context.Context, p *pool, c *client, source, name, password string, validation, meta map[string]string) (store.User, bool, error) {
	req := migrateUserRequest{Password: password, ValidationData: validation, ClientMetadata: metadata(meta)}
	var resp migrateUserResponse
	if err := s.invokeTrigger(ctx, p, triggerCall{trigger: trigUserMigration, source: source, username: name, clientID: c.ID},
		req, migrateUserSent{}, &resp); err != nil {
		return store.User{}, false, err
	}
	if len(resp.UserAttributes) == 0 {
		return store.User{}, false, nil
	}
	status := statusResetRequired
	switch resp.FinalUserStatus {
	case "", statusResetRequired:
	case statusConfirmed:
		if source == "Authentication" {
			status = statusConfirmed
		}
	default:
		return store.User{}, false, apiErr(excInvalidLambdaResponse, msgUnrecognizable)
	}
	if resp.MessageAction != "" && resp.MessageAction != "SUPPRESS" && resp.MessageAction != "RESEND" {
		return store.User{}, false, apiErr(excInvalidLambdaResponse, msgUnrecognizable)
	}
	for _, m := range resp.DesiredDeliveryMediums {
		if m != "EMAIL" && m != "SMS" {
			return store.User{}, false, apiErr(excInvalidLambdaResponse, msgUnrecognizable)
		}
	}
	if resp.EnableSMSMFA {
		return store.User{}, false, invalidParameter("SMS MFA is not enabled for this user pool.")
	}
	names := make([]string, 0, len(resp.UserAttributes))
	for k := range resp.UserAttributes {
		if k != "sub" && k != "cognito:user_status" && k != "cognito:email_alias" && k != "cognito:phone_number_alias" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	attrs := make([]attributeType, 0, len(names))
	for _, k := range names {
		attrs = append(attrs, attributeType{Name: k, Value: strp(resp.UserAttributes[k])})
	}
	spec := newUserSpec{Name: name, Attributes: attrs, Status: status, Admin: true}
	if resp.ForceAliasCreation {
		if err := s.releaseAliases(ctx, p, attrs); err != nil {
			return store.User{}, false, err
		}
	}
	u, err := s.prepareUser(ctx, p, spec)
	if err != nil {
		return store.User{}, false, err
	}
	if status == statusConfirmed {
		if err := s.setPermanentPassword(p, &u, password); err != nil {
			return store.User{}, false, err
		}
	}
	if err := s.insertUser(ctx, u, "User account already exists"); err != nil {
		return store.User{}, false, err
	}
	s.log.InfoContext(ctx, "user migrated", "pool", p.ID, "username", u.Username, "status", u.Status)
	if resp.MessageAction != "SUPPRESS" {
		s.welcome(ctx, p, u, resp.DesiredDeliveryMediums)
	}
	return u, true, nil
}

// welcome sends a migrated user the welcome message (SMS unless EMAIL is
// asked for, as Cognito); a failure is logged, the sign-in goes on.
func (s *Service) welcome(ctx context.Context, p *pool, u store.User, mediums []string) {
	attr, medium := "phone_number", "SMS"
	if contains(mediums, "EMAIL") || u.Attributes["phone_number"] == "" {
		attr, medium = "email", "EMAIL"
	}
	if u.Attributes[attr] == "" {
		return
	}
	d := Delivery{PoolID: p.ID, Username: u.Username, Kind: CodeWelcome, Attribute: attr, Medium: medium, Destination: u.Attributes[attr]}
	if err := s.sender.Send(ctx, d); err != nil {
		s.log.WarnContext(ctx, "welcome message not sent", "pool", p.ID, "username", u.Username, "err", err)
	}
}

// releaseAliases takes verified email / phone_number aliases in attrs away
// from the users holding them (forceAliasCreation).
func (s *Service) releaseAliases(ctx context.Context, p *pool, attrs []attributeType) error {
	for _, a := range attrs {
		if a.Value == nil || (a.Name != "email" && a.Name != "phone_number") || !contains(p.cfg.AliasAttributes, a.Name) {
			continue
		}
		list, err := s.store.FindUsers(ctx, p.ID, a.Name, *a.Value)
		if err != nil {
			return wrap("find user", err)
		}
		for _, other := range list {
			if other.Attributes[a.Name+"_verified"] != "true" {
				continue
			}
			if _, _, err := s.updateUser(ctx, p.ID, other.Username, func(_ *pool, u *store.User) error {
				u.Attributes = maps.Clone(u.Attributes)
				u.Attributes[a.Name+"_verified"] = "false"
				return nil
			}); err != nil {
				return err
			}
		}
	}
	return nil
}
