package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/http"
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

// outboxHandler serves GET /_cognate/outbox/{poolId} (404 for every pool
// when the outbox is disabled).
func (c *components) outboxHandler() http.Handler {
	exists := func(ctx context.Context, poolID string) bool {
		_, err := c.app.store.GetPool(ctx, poolID)
		return err == nil
	}
	if c.outbox == nil {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"message":"The outbox is disabled (messages.outbox.disabled)."}` + "\n")) //nolint:errcheck // best effort
		})
	}
	return c.outbox.Handler(exists)
}
