package messages

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// WebhookConfig configures the SMS webhook transport.
type WebhookConfig struct {
	// URL receives one POST per message (https, or http to loopback).
	URL string
	// Secret, when set, signs each request: header X-Cognate-Signature is
	// "sha256=" + hex(HMAC-SHA256(Secret, timestamp + "." + body)) and
	// X-Cognate-Timestamp the Unix seconds it was sent at.
	Secret string
	// Headers are added to every request (an API key, for example).
	Headers map[string]string
	// Timeout bounds one request (10 s when zero).
	Timeout time.Duration
	// Client is the HTTP client (a fresh one when nil).
	Client *http.Client
}

// Webhook delivers SMS messages by POSTing them as JSON to a URL, for an
// SMS gateway or a relay in front of one.
type Webhook struct {
	cfg WebhookConfig
}

// WebhookPayload is the JSON body the SMS webhook receives.
type WebhookPayload struct {
	PoolID      string    `json:"poolId"`
	Username    string    `json:"username"`
	Kind        string    `json:"kind"`
	PhoneNumber string    `json:"phoneNumber"`
	Message     string    `json:"message"`
	SentAt      time.Time `json:"sentAt"`
}

// NewWebhook checks cfg and returns the transport.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("sms webhook: url %q is not an absolute URL", cfg.URL)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	default:
		return nil, fmt.Errorf("sms webhook: url %q must be https (or http to a loopback address)", cfg.URL)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	return &Webhook{cfg: cfg}, nil
}

// Send implements Sender for SMS messages.
func (w *Webhook) Send(ctx context.Context, m Message) error {
	if m.Medium != MediumSMS {
		return ErrNoTransport
	}
	body, err := json.Marshal(WebhookPayload{PoolID: m.PoolID, Username: m.Username, Kind: m.Kind,
		PhoneNumber: m.Destination, Message: m.Body, SentAt: m.SentAt.UTC()})
	if err != nil {
		return fmt.Errorf("sms webhook: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("sms webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range w.cfg.Headers {
		req.Header.Set(k, v)
	}
	if w.cfg.Secret != "" {
		stamp := strconv.FormatInt(time.Now().Unix(), 10)
		req.Header.Set("X-Cognate-Timestamp", stamp)
		req.Header.Set("X-Cognate-Signature", "sha256="+Sign(w.cfg.Secret, stamp, body))
	}
	resp, err := w.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("sms webhook: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) //nolint:errcheck // draining for reuse only
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("sms webhook: %s answered %s", w.cfg.URL, resp.Status)
	}
	return nil
}

// Sign is the hex HMAC-SHA256 a webhook receiver recomputes to check
// X-Cognate-Signature.
func Sign(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}
