package userpool

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"html"
	"strings"

	"github.com/cognate-dev/cognate/internal/store"
)

// Message sources: the suffix of CustomMessage_*, CustomEmailSender_* and
// CustomSMSSender_* trigger sources.
const (
	msgSignUp              = "SignUp"
	msgResendCode          = "ResendCode"
	msgForgotPassword      = "ForgotPassword"
	msgUpdateUserAttribute = "UpdateUserAttribute"
	msgVerifyUserAttribute = "VerifyUserAttribute"
	msgAdminCreateUser     = "AdminCreateUser"
)

// Placeholders Cognito gives custom message triggers.
const (
	codePlaceholder     = "{####}"
	usernamePlaceholder = "{username}"
)

type messageKey struct{}

// messageInfo says which operation a code is sent for.
type messageInfo struct {
	source   string
	clientID string
	meta     map[string]string
}

// withMessage records, for the code deliveries of one operation, the
// message trigger source, the app client and the caller's ClientMetadata.
func withMessage(ctx context.Context, source, clientID string, meta map[string]string) context.Context {
	return context.WithValue(ctx, messageKey{}, messageInfo{source: source, clientID: clientID, meta: meta})
}

func messageOf(ctx context.Context, kind CodeKind) messageInfo {
	if mi, ok := ctx.Value(messageKey{}).(messageInfo); ok {
		return mi
	}
	switch kind {
	case CodeSignUp:
		return messageInfo{source: msgSignUp}
	case CodeForgotPassword:
		return messageInfo{source: msgForgotPassword}
	case CodeInvite:
		return messageInfo{source: msgAdminCreateUser}
	default:
		return messageInfo{source: msgVerifyUserAttribute}
	}
}

type customMessageRequest struct {
	UserAttributes    map[string]string `json:"userAttributes"`
	CodeParameter     string            `json:"codeParameter"`
	UsernameParameter *string           `json:"usernameParameter"`
	ClientMetadata    map[string]string `json:"clientMetadata"`
}

type customMessageResponse struct {
	SMSMessage   *string `json:"smsMessage"`
	EmailMessage *string `json:"emailMessage"`
	EmailSubject *string `json:"emailSubject"`
}

type customSenderRequest struct {
	Type           string            `json:"type"`
	Code           string            `json:"code"`
	ClientMetadata map[string]string `json:"clientMetadata"`
	UserAttributes map[string]string `json:"userAttributes"`
}

// sendMessage delivers d: through a custom sender trigger when the pool has
// one for d's medium (the code encrypted, Cognate sends nothing itself),
// else through the CodeSender, with the text a custom message trigger
// returned when the pool has one.
func (s *Service) sendMessage(ctx context.Context, p *pool, u *store.User, d Delivery) error {
	mi := messageOf(ctx, d.Kind)
	sender := trigCustomEmailSender
	if d.Medium == "SMS" {
		sender = trigCustomSMSSender
	}
	if p.hasTrigger(sender) {
		return s.customSender(ctx, p, u, d, sender, mi)
	}
	if p.hasTrigger(trigCustomMessage) {
		if err := s.customMessage(ctx, p, u, &d, mi); err != nil {
			return err
		}
	}
	if err := s.sender.Send(ctx, d); err != nil {
		s.log.WarnContext(ctx, "code delivery failed", "pool", p.ID, "medium", d.Medium, "err", err)
		return apiErr(excCodeDeliveryFailure, "Unable to deliver the code by %s.", strings.ToLower(d.Medium))
	}
	return nil
}

// customMessage asks the custom message trigger for d's text.
func (s *Service) customMessage(ctx context.Context, p *pool, u *store.User, d *Delivery, mi messageInfo) error {
	req := customMessageRequest{UserAttributes: triggerAttributes(p, *u), CodeParameter: codePlaceholder, ClientMetadata: metadata(mi.meta)}
	if d.Kind == CodeInvite {
		req.UsernameParameter = strp(usernamePlaceholder)
	}
	var resp customMessageResponse
	if err := s.invokeTrigger(ctx, p, triggerCall{trigger: trigCustomMessage, source: mi.source, username: u.Username, clientID: mi.clientID},
		req, customMessageResponse{}, &resp); err != nil {
		return err
	}
	render := func(text string) string {
		text = strings.ReplaceAll(text, codePlaceholder, d.Code)
		return strings.ReplaceAll(text, usernamePlaceholder, u.Username)
	}
	body := resp.EmailMessage
	if d.Medium == "SMS" {
		body = resp.SMSMessage
	}
	if body == nil || *body == "" {
		return nil // the pool's default message
	}
	if !strings.Contains(*body, codePlaceholder) || (d.Kind == CodeInvite && !strings.Contains(*body, usernamePlaceholder)) {
		// Cognito sends its default message when the custom one lacks the code.
		s.log.WarnContext(ctx, "custom message without the code placeholder ignored", "pool", p.ID, "trigger", trigCustomMessage+"_"+mi.source)
		return nil
	}
	d.Message = render(*body)
	if d.Medium == "EMAIL" && resp.EmailSubject != nil {
		d.Subject = render(*resp.EmailSubject)
	}
	return nil
}

// customSender hands d to a CustomEmailSender or CustomSMSSender trigger
// with its code encrypted under the pool's KMSKeyID (see encryptCode).
func (s *Service) customSender(ctx context.Context, p *pool, u *store.User, d Delivery, trigger string, mi messageInfo) error {
	keyID := p.cfg.LambdaConfig.KMSKeyID
	var key []byte
	ok := false
	if s.senderKeys != nil {
		key, ok = s.senderKeys(keyID)
	}
	if !ok || len(key) != 32 {
		s.log.WarnContext(ctx, "no local key for the pool's KMSKeyID: configure it under kmsKeys", "pool", p.ID, "kms_key_id", keyID)
		return apiErr(excUnexpectedLambda, "%s invocation failed due to error NotFoundException.", trigger)
	}
	code := d.Code
	if d.Kind == CodeInvite {
		code = html.EscapeString(code) // as Cognito does for temporary passwords
	}
	enc, err := encryptCode(key, code)
	if err != nil {
		return err
	}
	typ := "customEmailSenderRequestV1"
	if trigger == trigCustomSMSSender {
		typ = "customSMSSenderRequestV1"
	}
	return s.invokeTrigger(ctx, p, triggerCall{trigger: trigger, source: mi.source, username: u.Username, clientID: mi.clientID},
		customSenderRequest{Type: typ, Code: enc, ClientMetadata: metadata(mi.meta), UserAttributes: triggerAttributes(p, *u)}, nil, nil)
}

// encryptCode is Cognate's local stand-in for the AWS Encryption SDK
// message Cognito sends: base64(nonce || AES-256-GCM(code)), 12-byte
// nonce, no additional data, under the 32-byte key configured for the
// pool's KMSKeyID.
func encryptCode(key []byte, code string) (string, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", fmt.Errorf("sender key: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return "", fmt.Errorf("sender key: %w", err)
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("nonce: %w", err)
	}
	return base64.StdEncoding.EncodeToString(gcm.Seal(nonce, nonce, []byte(code), nil)), nil
}
