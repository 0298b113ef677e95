package config

import (
	"net"
	"net/mail"
	"net/url"
)

// Messages configures how user pools deliver codes and invitations: email
// over SMTP, SMS to a webhook, and the outbox every message is recorded in.
type Messages struct {
	// SMTP sends email; without it email reaches only the outbox.
	SMTP *SMTP `yaml:"smtp"`
	// SMSWebhook receives SMS messages as JSON POSTs; without it SMS reaches only the outbox.
	SMSWebhook *SMSWebhook `yaml:"smsWebhook"`
	// Outbox keeps the last messages of each pool in the store (readable with `cognate outbox`).
	Outbox *Outbox `yaml:"outbox"`
}

// SMTP is an SMTP server's address and credentials.
type SMTP struct {
	// Addr is host:port (587 for STARTTLS, 465 for TLS).
	Addr string `yaml:"addr"`
	// TLS is starttls (default), tls (implicit, port 465) or none (loopback servers only).
	TLS string `yaml:"tls"`
	// CAFile is a PEM bundle that verifies the server instead of the system roots.
	CAFile string `yaml:"caFile"`
	// ServerName overrides the name the server's certificate must carry.
	ServerName string `yaml:"serverName"`
	// Username authenticates with AUTH PLAIN (only over TLS).
	Username string `yaml:"username"`
	// Password goes with Username; keep it in ${ENV}.
	Password string `yaml:"password"`
	// From is the sender when a pool's EmailConfiguration names none.
	From string `yaml:"from"`
}

// SMSWebhook is the URL SMS messages are posted to.
type SMSWebhook struct {
	// URL is https (or http to loopback).
	URL string `yaml:"url"`
	// Secret signs each POST (X-Cognate-Signature: sha256=HMAC(secret, timestamp "." body)).
	Secret string `yaml:"secret"`
	// Headers are sent with every POST.
	Headers map[string]string `yaml:"headers"`
}

// Outbox sizes the outbox.
type Outbox struct {
	// Keep is how many messages per pool are kept (default 50).
	Keep int `yaml:"keep"`
	// Disabled turns the outbox off.
	Disabled bool `yaml:"disabled"`
}

func (m *Messages) validate(add func(string, ...any)) {
	if s := m.SMTP; s != nil {
		if _, _, err := net.SplitHostPort(s.Addr); err != nil {
			add("messages.smtp.addr: %q is not host:port", s.Addr)
		}
		switch s.TLS {
		case "", "starttls", "tls", "none":
		default:
			add("messages.smtp.tls: %q is not starttls, tls or none", s.TLS)
		}
		if s.From != "" {
			if _, err := mail.ParseAddress(s.From); err != nil {
				add("messages.smtp.from: %q is not an email address", s.From)
			}
		}
		if s.Password != "" && s.Username == "" {
			add("messages.smtp.password: set without a username")
		}
	}
	if w := m.SMSWebhook; w != nil {
		if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add("messages.smsWebhook.url: %q is not an http(s) URL", w.URL)
		}
	}
	if o := m.Outbox; o != nil && o.Keep < 0 {
		add("messages.outbox.keep: must not be negative")
	}
}
