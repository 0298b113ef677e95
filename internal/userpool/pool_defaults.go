package userpool

import (
	"encoding/json"
)

// withResponseDefaults returns the settings as CreateUserPool and
// DescribeUserPool show them: AWS fills in the EmailConfiguration,
// LambdaConfig, VerificationMessageTemplate, AdminCreateUserConfig,
// UserPoolTier and sign-in policy blocks a request left out, and mirrors the
// template's messages into the legacy EmailVerificationMessage,
// EmailVerificationSubject and SmsVerificationMessage fields (and back).
func withResponseDefaults(in poolSettings) poolSettings {
	out := in
	if out.LambdaConfig == nil {
		out.LambdaConfig = &lambdaConfig{}
	}
	if out.AdminCreateUserConfig == nil {
		out.AdminCreateUserConfig = &adminCreateUserConfig{UnusedAccountValidityDays: 7}
	}
	if out.UserPoolTier == "" {
		out.UserPoolTier = "ESSENTIALS"
	}
	out.EmailConfiguration = defaultEmailConfiguration(in.EmailConfiguration)
	var t verificationTemplate
	if len(in.VerificationMessageTemplate) > 0 {
		_ = json.Unmarshal(in.VerificationMessageTemplate, &t)
	}
	if t.DefaultEmailOption == "" {
		t.DefaultEmailOption = "CONFIRM_WITH_CODE"
	}
	mirror := func(tmpl *string, legacy **string) {
		switch {
		case *tmpl != "":
			*legacy = strp(*tmpl)
		case *legacy != nil && **legacy != "":
			*tmpl = **legacy
		}
	}
	mirror(&t.EmailMessage, &out.EmailVerificationMessage)
	mirror(&t.EmailSubject, &out.EmailVerificationSubject)
	mirror(&t.SmsMessage, &out.SmsVerificationMessage)
	if raw, err := json.Marshal(t); err == nil {
		out.VerificationMessageTemplate = raw
	}
	if out.Policies != nil && len(out.Policies.SignInPolicy) == 0 {
		pol := *out.Policies
		pol.SignInPolicy = json.RawMessage(`{"AllowedFirstAuthFactors":["PASSWORD"]}`)
		out.Policies = &pol
	}
	return out
}

// defaultEmailConfiguration fills in EmailSendingAccount (COGNITO_DEFAULT),
// keeping every other field of raw as given.
func defaultEmailConfiguration(raw json.RawMessage) json.RawMessage {
	m := map[string]json.RawMessage{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			return raw
		}
	}
	if _, ok := m["EmailSendingAccount"]; !ok {
		m["EmailSendingAccount"] = json.RawMessage(`"COGNITO_DEFAULT"`)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return raw
	}
	return b
}
