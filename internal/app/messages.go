package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/cognate-dev/cognate/internal/config"
	"github.com/cognate-dev/cognate/internal/messages"
	"github.com/cognate-dev/cognate/internal/secret"
	"github.com/cognate-dev/cognate/internal/store"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// newMessageRouter builds the message delivery of cfg: SMTP for email, the
// SMS webhook, and the outbox (on unless disabled).
func newMessageRouter(cfg *config.Messages, st store.Store, sealer *secret.Sealer, log *slog.Logger, reveal bool, now func() time.Time) (*messages.Router, error) {
	r := &messages.Router{Logger: log, RevealCodes: reveal, Now: now}
	if cfg == nil {
		cfg = &config.Messages{}
	}
	if o := cfg.Outbox; o == nil || !o.Disabled {
		keep := 0
		if o != nil {
			keep = o.Keep
		}
		r.Outbox = messages.NewOutbox(st, sealer, keep)
	}
	if s := cfg.SMTP; s != nil {
		tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: s.ServerName}
		if s.CAFile != "" {
			pem, err := os.ReadFile(s.CAFile)
			if err != nil {
				return nil, fmt.Errorf("messages.smtp.caFile: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("messages.smtp.caFile: no PEM certificate in %s", s.CAFile)
			}
			tc.RootCAs = pool
		}
		from := s.From
		if from == "" {
			from = "no-reply@verificationemail.com"
		}
		smtp, err := messages.NewSMTP(messages.SMTPConfig{Addr: s.Addr, TLS: s.TLS, TLSConfig: tc,
			Username: s.Username, Password: s.Password, From: from})
		if err != nil {
			return nil, err
		}
		r.Email = smtp
	}
	if w := cfg.SMSWebhook; w != nil {
		hook, err := messages.NewWebhook(messages.WebhookConfig{URL: w.URL, Secret: w.Secret, Headers: w.Headers})
		if err != nil {
			return nil, err
		}
		r.SMS = hook
	}
	return r, nil
}

// codeSender hands user pool deliveries to the message router.
type codeSender struct{ r *messages.Router }

func (c codeSender) Send(ctx context.Context, d userpool.Delivery) error {
	return c.r.Send(ctx, messages.Message{
		PoolID: d.PoolID, Username: d.Username, Kind: string(d.Kind), Medium: d.Medium, Destination: d.Destination,
		From: d.From, ReplyTo: d.ReplyTo, Subject: d.Subject, Body: d.Message, Code: d.Code,
	})
}
