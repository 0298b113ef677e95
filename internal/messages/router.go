package messages

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Router is the Sender user pools use: it records each message in the
// outbox (when there is one) and hands it to the transport of its medium.
// A medium without a transport is delivered only to the outbox (and the
// log), which is how a development setup reads its codes.
type Router struct {
	// Email and SMS are the transports (nil: none).
	Email, SMS Sender
	// Outbox, when set, records every message.
	Outbox *Outbox
	// Logger notes each message; codes appear only with RevealCodes.
	Logger      *slog.Logger
	RevealCodes bool
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Send implements Sender.
func (r *Router) Send(ctx context.Context, m Message) error {
	if m.SentAt.IsZero() {
		now := time.Now
		if r.Now != nil {
			now = r.Now
		}
		m.SentAt = now().UTC()
	}
	transport, name := r.Email, "smtp"
	if m.Medium == MediumSMS {
		transport, name = r.SMS, "sms-webhook"
	}
	if r.Outbox != nil {
		if err := r.Outbox.Send(ctx, m); err != nil {
			return err
		}
	}
	var err error
	if transport != nil {
		err = transport.Send(ctx, m)
	} else {
		name = "outbox"
		if r.Outbox == nil {
			name = "log"
		}
	}
	if r.Logger != nil {
		attrs := []any{"pool", m.PoolID, "username", m.Username, "kind", m.Kind, "medium", m.Medium,
			"destination", MaskDestination(m.Destination), "via", name}
		if r.RevealCodes && m.Code != "" {
			attrs = append(attrs, "code", m.Code)
		}
		if err != nil {
			r.Logger.WarnContext(ctx, "message not delivered", append(attrs, "err", err)...)
		} else {
			r.Logger.InfoContext(ctx, "verification code sent", attrs...)
		}
	}
	if err != nil {
		return fmt.Errorf("deliver %s message: %w", strings.ToLower(m.Medium), err)
	}
	return nil
}

// MaskDestination hides most of an address as Cognito does ("a***@e***",
// "+*******1234").
func MaskDestination(dest string) string {
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
