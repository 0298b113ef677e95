package userpool

import (
	"encoding/json"
	"net/mail"
	"strings"
)

// Cognito's default message texts.
const (
	defaultVerifySubject = "Your verification code"
	defaultVerifyMessage = "Your verification code is {####}. "
	defaultInviteSubject = "Your temporary password"
	defaultInviteMessage = "Your username is {username} and temporary password is {####}. "
	defaultAuthSMS       = "Your authentication code is {####}. "
	defaultAuthSubject   = "Your authentication code"
	defaultAuthEmail     = "Your authentication code is {####}. "
	// defaultFrom is the sender of COGNITO_DEFAULT email.
	defaultFrom = "no-reply@verificationemail.com"

	codeTag     = "{####}"
	usernameTag = "{username}"
)

// CodeMFA is the kind of a sign-in (SMS_MFA, EMAIL_OTP) code.
const CodeMFA CodeKind = "mfa"

// verificationTemplate is AWS's VerificationMessageTemplateType.
type verificationTemplate struct {
	DefaultEmailOption string `json:",omitempty"`
	EmailMessage       string `json:",omitempty"`
	EmailMessageByLink string `json:",omitempty"`
	EmailSubject       string `json:",omitempty"`
	EmailSubjectByLink string `json:",omitempty"`
	SmsMessage         string `json:",omitempty"`
}

// inviteTemplate is AWS's MessageTemplateType.
type inviteTemplate struct {
	EmailMessage string `json:",omitempty"`
	EmailSubject string `json:",omitempty"`
	SMSMessage   string `json:",omitempty"`
}

// emailConfig is AWS's EmailConfigurationType.
type emailConfig struct {
	ConfigurationSet    string `json:",omitempty"`
	EmailSendingAccount string `json:",omitempty"`
	From                string `json:",omitempty"`
	ReplyToEmailAddress string `json:",omitempty"`
	SourceArn           string `json:",omitempty"`
}

// messageText is a rendered message.
type messageText struct {
	subject, body, from, replyTo string
}

// renderMessage renders the pool's message of kind for medium, the way
// Cognito fills its templates: {####} is the code (or temporary password)
// and, in invitations, {username} the user name.
func renderMessage(p *pool, kind CodeKind, medium, username, code string) messageText {
	var subject, body string
	switch kind {
	case CodeInvite:
		var t inviteTemplate
		if p.cfg.AdminCreateUserConfig != nil {
			_ = json.Unmarshal(p.cfg.AdminCreateUserConfig.InviteMessageTemplate, &t)
		}
		subject, body = or(t.EmailSubject, defaultInviteSubject), or(t.EmailMessage, defaultInviteMessage)
		if medium == "SMS" {
			body = or(t.SMSMessage, defaultInviteMessage)
		}
	case CodeMFA:
		if medium == "SMS" {
			body = or(deref(p.cfg.SmsAuthenticationMessage), defaultAuthSMS)
		} else {
			subject, body = defaultAuthSubject, defaultAuthEmail
			if m := p.cfg.MFA; m != nil && m.EmailMfaConfiguration != nil {
				subject = or(m.EmailMfaConfiguration.Subject, subject)
				body = or(m.EmailMfaConfiguration.Message, body)
			}
		}
	default:
		var t verificationTemplate
		_ = json.Unmarshal(p.cfg.VerificationMessageTemplate, &t)
		subject = or(t.EmailSubject, deref(p.cfg.EmailVerificationSubject), defaultVerifySubject)
		body = or(t.EmailMessage, deref(p.cfg.EmailVerificationMessage), defaultVerifyMessage)
		if medium == "SMS" {
			body = or(t.SmsMessage, deref(p.cfg.SmsVerificationMessage), defaultVerifyMessage)
		}
	}
	// Only invitations carry {username}; elsewhere it stays as written.
	fill := func(s string) string {
		if kind == CodeInvite {
			s = strings.ReplaceAll(s, usernameTag, username)
		}
		return strings.ReplaceAll(s, codeTag, code)
	}
	out := messageText{body: fill(body)}
	if medium == "EMAIL" {
		out.subject = fill(subject)
		out.from, out.replyTo = senderOf(p)
	}
	return out
}

// senderOf returns the From and Reply-To of the pool's email: the
// configured From, else the SES identity SourceArn names, else Cognito's
// default sender: empty From means the server's configured default.
func senderOf(p *pool) (from, replyTo string) {
	var ec emailConfig
	_ = json.Unmarshal(p.cfg.EmailConfiguration, &ec)
	replyTo = ec.ReplyToEmailAddress
	switch {
	case ec.From != "":
		return ec.From, replyTo
	case ec.SourceArn != "":
		if _, id, ok := strings.Cut(ec.SourceArn, ":identity/"); ok && strings.Contains(id, "@") {
			return id, replyTo
		}
	}
	return "", replyTo
}

// validateMessages checks the pool's message settings as CreateUserPool and
// UpdateUserPool do.
func validateMessages(in *poolSettings) error {
	var t verificationTemplate
	if len(in.VerificationMessageTemplate) > 0 {
		if err := json.Unmarshal(in.VerificationMessageTemplate, &t); err != nil {
			return invalidParameter("Invalid VerificationMessageTemplate")
		}
	}
	switch t.DefaultEmailOption {
	case "", "CONFIRM_WITH_CODE":
		if t.EmailMessageByLink != "" && t.EmailMessage != "" && t.DefaultEmailOption != "" {
			return invalidParameter("EmailMessageByLink cannot be set when DefaultEmailOption is CONFIRM_WITH_CODE.")
		}
	case "CONFIRM_WITH_LINK":
		if t.EmailMessage != "" {
			return invalidParameter("EmailMessage cannot be set when DefaultEmailOption is CONFIRM_WITH_LINK.")
		}
	default:
		return invalidParameter("1 validation error detected: Value '%s' at 'verificationMessageTemplate.defaultEmailOption' failed to satisfy constraint: Member must satisfy enum value set: [CONFIRM_WITH_LINK, CONFIRM_WITH_CODE]", t.DefaultEmailOption)
	}
	for name, v := range map[string]string{
		"EmailMessage": t.EmailMessage, "SmsMessage": t.SmsMessage,
		"EmailVerificationMessage": deref(in.EmailVerificationMessage), "SmsVerificationMessage": deref(in.SmsVerificationMessage),
		"SmsAuthenticationMessage": deref(in.SmsAuthenticationMessage),
	} {
		if v != "" && !strings.Contains(v, codeTag) {
			return invalidParameter("%s must contain the {####} placeholder.", name)
		}
	}
	if t.EmailMessageByLink != "" && !strings.Contains(t.EmailMessageByLink, "{##") {
		return invalidParameter("EmailMessageByLink must contain a {##...##} link placeholder.")
	}
	if c := in.AdminCreateUserConfig; c != nil && len(c.InviteMessageTemplate) > 0 {
		var it inviteTemplate
		if err := json.Unmarshal(c.InviteMessageTemplate, &it); err != nil {
			return invalidParameter("Invalid InviteMessageTemplate")
		}
		for name, v := range map[string]string{"EmailMessage": it.EmailMessage, "SMSMessage": it.SMSMessage} {
			if v != "" && (!strings.Contains(v, codeTag) || !strings.Contains(v, usernameTag)) {
				return invalidParameter("InviteMessageTemplate.%s must contain the {username} and {####} placeholders.", name)
			}
		}
	}
	if len(in.EmailConfiguration) > 0 {
		var ec emailConfig
		if err := json.Unmarshal(in.EmailConfiguration, &ec); err != nil {
			return invalidParameter("Invalid EmailConfiguration")
		}
		switch ec.EmailSendingAccount {
		case "", "COGNITO_DEFAULT", "DEVELOPER":
		default:
			return invalidParameter("1 validation error detected: Value '%s' at 'emailConfiguration.emailSendingAccount' failed to satisfy constraint: Member must satisfy enum value set: [COGNITO_DEFAULT, DEVELOPER]", ec.EmailSendingAccount)
		}
		if ec.From != "" {
			if _, err := mail.ParseAddress(ec.From); err != nil {
				return invalidParameter("Invalid From address %q in EmailConfiguration.", ec.From)
			}
		}
		if ec.ReplyToEmailAddress != "" {
			if _, err := mail.ParseAddress(ec.ReplyToEmailAddress); err != nil {
				return invalidParameter("Invalid ReplyToEmailAddress in EmailConfiguration.")
			}
		}
	}
	return nil
}

func or(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
