package userpool

import "context"

type userSettingsInput struct {
	AccessToken string
	UserPoolId  string
	Username    string
	MFAOptions  []mfaOption
}

// settingsPreference maps the legacy MFAOptions of (Admin)SetUserSettings
// onto SMS MFA: an SMS option for phone_number turns it on, an empty list
// turns it off. AWS accepts only SMS here.
func settingsPreference(opts []mfaOption) (*mfaPreferenceInput, error) {
	on := false
	for i, o := range opts {
		switch o.DeliveryMedium {
		case "SMS":
		case "EMAIL":
			return nil, invalidParameter("Only SMS is supported as the delivery medium of MFAOptions; use SetUserMFAPreference for email MFA.")
		default:
			return nil, invalidParameter("1 validation error detected: Value '%s' at 'mFAOptions.%d.member.deliveryMedium' failed to satisfy constraint: Member must satisfy enum value set: [SMS, EMAIL]", o.DeliveryMedium, i+1)
		}
		if o.AttributeName != "phone_number" {
			return nil, invalidParameter("Invalid MFAOptions attribute %q: SMS MFA is delivered to phone_number.", o.AttributeName)
		}
		on = true
	}
	return &mfaPreferenceInput{SMSMfaSettings: &mfaSetting{Enabled: boolp(on)}}, nil
}

// setUserSettings is SetUserSettings (access-token authorized).
func (s *Service) setUserSettings(ctx context.Context, in *userSettingsInput) (*empty, error) {
	a, err := s.authenticate(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	if in.MFAOptions == nil {
		return nil, missing("MFAOptions")
	}
	pref, err := settingsPreference(in.MFAOptions)
	if err != nil {
		return nil, err
	}
	return s.setMFAPreference(ctx, a.pool.ID, a.user.Username, pref)
}

// adminSetUserSettings is AdminSetUserSettings.
func (s *Service) adminSetUserSettings(ctx context.Context, in *userSettingsInput) (*empty, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if in.Username == "" {
		return nil, missing("Username")
	}
	if in.MFAOptions == nil {
		return nil, missing("MFAOptions")
	}
	u, err := s.mustUser(ctx, p, in.Username)
	if err != nil {
		return nil, err
	}
	pref, err := settingsPreference(in.MFAOptions)
	if err != nil {
		return nil, err
	}
	return s.setMFAPreference(ctx, p.ID, u.Username, pref)
}
