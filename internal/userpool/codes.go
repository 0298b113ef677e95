package userpool

import (
	"context"
	"crypto/hmac"
	"log/slog"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

// CodeKind says what a verification code is for.
type CodeKind string

// Code kinds.
const (
	CodeSignUp         CodeKind = "signup"
	CodeForgotPassword CodeKind = "forgot"
	CodeAttribute      CodeKind = "attribute"
)

// Code lifetimes. How many codes are sent and how many wrong entries are
// allowed is counted per user, apart from the codes (see Limits).
const (
	signUpCodeTTL = 24 * time.Hour
	forgotCodeTTL = time.Hour
)

// Delivery is one verification code to deliver.
type Delivery struct {
	PoolID   string
	Username string
	Kind     CodeKind
	// Attribute is the attribute the code verifies or is sent to ("email", "phone_number").
	Attribute string
	// Medium is "EMAIL" or "SMS".
	Medium      string
	Destination string
	Code        string
	// Subject and Message are the rendered text (the pool's templates, or
	// what a custom message trigger returned, code filled in).
	Subject, Message string
	// From and ReplyTo are the email sender the pool's EmailConfiguration
	// names (empty From: the transport's default).
	From, ReplyTo string
}

// CodeSender delivers verification codes.
type CodeSender interface {
	Send(ctx context.Context, d Delivery) error
}

// LogSender is the development sender: it logs that a code was sent. Codes
// are secrets, so the code itself is logged only when RevealCodes is set,
// which `cognate up` does for the local demo and nothing else should.
type LogSender struct {
	Logger      *slog.Logger
	RevealCodes bool
}

// Send implements CodeSender.
func (l *LogSender) Send(ctx context.Context, d Delivery) error {
	attrs := []any{"pool", d.PoolID, "username", d.Username, "kind", string(d.Kind), "medium", d.Medium, "destination", maskDestination(d.Destination)}
	if l.RevealCodes {
		attrs = append(attrs, "code", d.Code)
	}
	l.Logger.InfoContext(ctx, "verification code sent", attrs...)
	return nil
}

// maskDestination hides most of an address as Cognito does ("a***@e***").
func maskDestination(dest string) string {
	if dest == "" {
		return ""
	}
	if local, domain, ok := strings.Cut(dest, "@"); ok && local != "" && domain != "" {
		return local[:1] + "***@" + domain[:1] + "***"
	}
	if len(dest) > 4 {
		return "+*******" + dest[len(dest)-4:]
	}
	return "***"
}

// issueCode creates a code of kind for the user (stored hashed in
// priv) and returns it. The caller writes the user and then sends it.
func (s *Service) issueCode(p *pool, u *store.User, priv *userPrivate, kind CodeKind, attr string) (string, error) {
	key, err := s.poolSecret(p)
	if err != nil {
		return "", err
	}
	code := newCode()
	ttl := signUpCodeTTL
	if kind == CodeForgotPassword {
		ttl = forgotCodeTTL
	}
	if priv.Codes == nil {
		priv.Codes = map[string]*pendingCode{}
	}
	priv.Codes[codeKey(kind, attr)] = &pendingCode{
		Hash:      keyedHash(key, "code", codeKey(kind, attr), u.Username, code),
		ExpiresAt: s.clock().Add(ttl),
		Attribute: attr,
	}
	return code, nil
}

// codeKey names a pending code: one per kind, and for attribute
// verification one per attribute.
func codeKey(kind CodeKind, attr string) string {
	if kind == CodeAttribute {
		return string(kind) + ":" + attr
	}
	return string(kind)
}

// checkCode verifies a code of kind (for attr, with CodeAttribute); the
// caller reserved the guess (reserveGuess). A consumed code is removed from
// priv, which the caller writes back.
func (s *Service) checkCode(p *pool, u *store.User, priv *userPrivate, kind CodeKind, attr, code string) (*pendingCode, error) {
	key, err := s.poolSecret(p)
	if err != nil {
		return nil, err
	}
	name := codeKey(kind, attr)
	pc := priv.Codes[name]
	if pc == nil || s.clock().After(pc.ExpiresAt) {
		return nil, apiErr(excExpiredCode, msgCodeExpired)
	}
	if !hmac.Equal(pc.Hash, keyedHash(key, "code", name, u.Username, code)) {
		return nil, apiErr(excCodeMismatch, msgCodeMismatch)
	}
	delete(priv.Codes, name)
	return pc, nil
}

// sendCode issues a fresh code of kind for attr, stores its hash with the
// user in one update (applying also, when not nil, in the same update) and
// delivers it; LimitExceededException when the user was sent too many.
func (s *Service) sendCode(ctx context.Context, p *pool, username string, kind CodeKind, attr string, also func(*store.User)) (*codeDeliveryDetails, error) {
	if err := s.reserveIssue(ctx, p.ID, issueKey(kind, attr, username)); err != nil {
		return nil, err
	}
	var code string
	_, u, err := s.updateUser(ctx, p.ID, username, func(p *pool, u *store.User) error {
		priv, err := decodePrivate(*u)
		if err != nil {
			return err
		}
		if code, err = s.issueCode(p, u, &priv, kind, attr); err != nil {
			return err
		}
		if also != nil {
			also(u)
		}
		return encodePrivate(u, priv)
	})
	if err != nil {
		return nil, err
	}
	return s.deliver(ctx, p, &u, kind, attr, code)
}

// deliver sends a code and returns its CodeDeliveryDetails.
func (s *Service) deliver(ctx context.Context, p *pool, u *store.User, kind CodeKind, attr, code string) (*codeDeliveryDetails, error) {
	medium := "EMAIL"
	if attr == "phone_number" {
		medium = "SMS"
	}
	dest := u.Attributes[attr]
	text := renderMessage(p, kind, medium, u.Username, code)
	if kind == CodeSignUp && medium == "EMAIL" && p.confirmWithLink() {
		subject, body, ok, err := s.linkMessage(ctx, p, messageOf(ctx, kind).clientID, u.Username, code)
		if err != nil {
			return nil, err
		}
		if ok {
			text.subject, text.body = subject, body
		}
	}
	if err := s.sendMessage(ctx, p, u, Delivery{PoolID: p.ID, Username: u.Username, Kind: kind, Attribute: attr,
		Medium: medium, Destination: dest, Code: code,
		Subject: text.subject, Message: text.body, From: text.from, ReplyTo: text.replyTo}); err != nil {
		return nil, err
	}
	return &codeDeliveryDetails{AttributeName: attr, DeliveryMedium: medium, Destination: maskDestination(dest)}, nil
}
