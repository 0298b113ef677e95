package userpool

import (
	"encoding/json"
	"testing"
)

func TestRenderMessageAsCognito(t *testing.T) {
	p := &pool{}
	if m := renderMessage(p, CodeSignUp, "EMAIL", "alice", "123456"); m.subject != defaultVerifySubject || m.body != "Your verification code is 123456. " || m.from != "" {
		t.Fatalf("default email: %+v", m)
	}
	if m := renderMessage(p, CodeInvite, "SMS", "bob", "Temp-1{####}"); m.body != "Your username is bob and temporary password is Temp-1{####}. " {
		t.Fatalf("default invitation: %+v", m)
	}
	legacy := "Legacy {####} for {username}"
	p.cfg.EmailVerificationMessage = &legacy
	p.cfg.EmailConfiguration = json.RawMessage(`{"EmailSendingAccount":"DEVELOPER","SourceArn":"arn:aws:ses:us-east-1:123456789012:identity/ses@example.com","ReplyToEmailAddress":"r@example.com"}`)
	// {username} is filled only in invitations.
	if m := renderMessage(p, CodeForgotPassword, "EMAIL", "alice", "654321"); m.body != "Legacy 654321 for {username}" || m.from != "ses@example.com" || m.replyTo != "r@example.com" {
		t.Fatalf("legacy template and SourceArn sender: %+v", m)
	}
	p.cfg.VerificationMessageTemplate = json.RawMessage(`{"EmailMessage":"New {####}","EmailSubject":"S","SmsMessage":"T {####}"}`)
	if m := renderMessage(p, CodeAttribute, "EMAIL", "a", "1"); m.body != "New 1" || m.subject != "S" {
		t.Fatalf("VerificationMessageTemplate wins: %+v", m)
	}
	if m := renderMessage(p, CodeSignUp, "SMS", "a", "2"); m.body != "T 2" || m.subject != "" || m.from != "" {
		t.Fatalf("sms: %+v", m)
	}
}

func TestValidateMessages(t *testing.T) {
	bad := []poolSettings{
		{VerificationMessageTemplate: json.RawMessage(`{"EmailMessage":"no code"}`)},
		{VerificationMessageTemplate: json.RawMessage(`{"DefaultEmailOption":"CONFIRM_WITH_LINK","EmailMessage":"x {####}"}`)},
		{VerificationMessageTemplate: json.RawMessage(`{"DefaultEmailOption":"SOMETIMES"}`)},
		{AdminCreateUserConfig: &adminCreateUserConfig{InviteMessageTemplate: json.RawMessage(`{"EmailMessage":"pw {####}"}`)}},
		{EmailConfiguration: json.RawMessage(`{"From":"not an address"}`)},
		{EmailConfiguration: json.RawMessage(`{"EmailSendingAccount":"SES"}`)},
	}
	for i, in := range bad {
		if err := validateMessages(&in); err == nil {
			t.Errorf("case %d accepted", i)
		}
	}
	ok := poolSettings{VerificationMessageTemplate: json.RawMessage(`{"DefaultEmailOption":"CONFIRM_WITH_CODE","EmailMessage":"c {####}"}`),
		AdminCreateUserConfig: &adminCreateUserConfig{InviteMessageTemplate: json.RawMessage(`{"EmailMessage":"{username} {####}"}`)}}
	if err := validateMessages(&ok); err != nil {
		t.Fatal(err)
	}
}
