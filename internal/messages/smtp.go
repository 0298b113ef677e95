package messages

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"time"
)

// TLS modes of an SMTP connection.
const (
	// TLSStartTLS upgrades a plain connection with STARTTLS and refuses
	// servers that do not offer it (the default).
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte (port 465).
	TLSImplicit = "tls"
	// TLSNone sends in clear text; allowed only to a loopback server.
	TLSNone = "none"
)

// SMTPConfig configures an SMTP transport.
type SMTPConfig struct {
	// Addr is host:port of the server.
	Addr string
	// TLS is TLSStartTLS (default), TLSImplicit or TLSNone.
	TLS string
	// TLSConfig verifies the server (RootCAs, ServerName); nil uses the
	// system roots and Addr's host.
	TLSConfig *tls.Config
	// Username and Password authenticate with AUTH PLAIN when Username is set.
	Username, Password string
	// From is the sender address when a message names none.
	From string
	// HelloName is the EHLO name ("localhost" when empty).
	HelloName string
	// Timeout bounds one delivery (30 s when zero).
	Timeout time.Duration
}

// SMTP sends email messages through one SMTP server.
type SMTP struct {
	cfg SMTPConfig
}

// NewSMTP checks cfg and returns the transport.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("smtp: address %q: %w", cfg.Addr, err)
	}
	switch cfg.TLS {
	case "":
		cfg.TLS = TLSStartTLS
	case TLSStartTLS, TLSImplicit:
	case TLSNone:
		if !isLoopback(host) {
			return nil, fmt.Errorf("smtp: tls %q is only allowed to a loopback server, not %q", TLSNone, host)
		}
	default:
		return nil, fmt.Errorf("smtp: tls must be %s, %s or %s, not %q", TLSStartTLS, TLSImplicit, TLSNone, cfg.TLS)
	}
	if cfg.From != "" {
		if _, err := mail.ParseAddress(cfg.From); err != nil {
			return nil, fmt.Errorf("smtp: from %q: %w", cfg.From, err)
		}
	}
	if cfg.TLSConfig == nil {
		cfg.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	} else {
		cfg.TLSConfig = cfg.TLSConfig.Clone()
	}
	if cfg.TLSConfig.ServerName == "" {
		cfg.TLSConfig.ServerName = host
	}
	if cfg.HelloName == "" {
		cfg.HelloName = "localhost"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	return &SMTP{cfg: cfg}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Send implements Sender for email messages.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if m.Medium != MediumEmail {
		return ErrNoTransport
	}
	from := m.From
	if from == "" {
		from = s.cfg.From
	}
	fromAddr, err := mail.ParseAddress(from)
	if err != nil {
		return fmt.Errorf("smtp: sender address %q: %w", from, err)
	}
	to, err := mail.ParseAddress(m.Destination)
	if err != nil {
		return fmt.Errorf("smtp: recipient address: %w", err)
	}
	var replyTo *mail.Address
	if m.ReplyTo != "" {
		if replyTo, err = mail.ParseAddress(m.ReplyTo); err != nil {
			return fmt.Errorf("smtp: reply-to address %q: %w", m.ReplyTo, err)
		}
	}
	body, err := compose(fromAddr, to, replyTo, m, time.Now())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	return s.deliver(ctx, fromAddr.Address, to.Address, body)
}

// deliver runs one SMTP session.
func (s *SMTP) deliver(ctx context.Context, from, to string, body []byte) error {
	d := net.Dialer{}
	conn, err := d.DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("smtp: connect: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl) //nolint:errcheck // a failed deadline surfaces as an I/O error
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if s.cfg.TLS == TLSImplicit {
		tc := tls.Client(conn, s.cfg.TLSConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return fmt.Errorf("smtp: tls handshake: %w", err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.cfg.TLSConfig.ServerName)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp: greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello(s.cfg.HelloName); err != nil {
		return fmt.Errorf("smtp: ehlo: %w", err)
	}
	if s.cfg.TLS == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return errors.New("smtp: the server does not offer STARTTLS (set tls: tls or, on loopback, none)")
		}
		if err := c.StartTLS(s.cfg.TLSConfig); err != nil {
			return fmt.Errorf("smtp: starttls: %w", err)
		}
	}
	if s.cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return errors.New("smtp: the server does not offer AUTH")
		}
		if err := c.Auth(plainAuth{user: s.cfg.Username, pass: s.cfg.Password, tls: s.cfg.TLS != TLSNone}); err != nil {
			return fmt.Errorf("smtp: auth: %w", err)
		}
	}
	if err := c.Mail(from); err != nil {
		return fmt.Errorf("smtp: mail from: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("smtp: rcpt to: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: data: %w", err)
	}
	if _, err := w.Write(body); err != nil {
		return fmt.Errorf("smtp: write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: end of data: %w", err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("smtp: quit: %w", err)
	}
	return nil
}

// plainAuth is AUTH PLAIN (RFC 4616). It refuses to send the password over
// a connection that is neither TLS nor (TLSNone being loopback-only) local.
type plainAuth struct {
	user, pass string
	tls        bool
}

func (a plainAuth) Start(info *smtp.ServerInfo) (string, []byte, error) {
	if !info.TLS && a.tls {
		return "", nil, errors.New("refusing to authenticate over an unencrypted connection")
	}
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.pass), nil
}

func (a plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected server challenge")
	}
	return nil, nil
}

// compose builds an RFC 5322 message: quoted-printable UTF-8 text, HTML
// when the body contains markup (Cognito's templates may), encoded-word
// subject, and no header a template can inject into.
func compose(from, to, replyTo *mail.Address, m Message, now time.Time) ([]byte, error) {
	if strings.ContainsAny(m.Subject, "\r\n") {
		return nil, errors.New("smtp: subject contains a line break")
	}
	id := make([]byte, 12)
	rand.Read(id) //nolint:errcheck // crypto/rand does not fail
	domain := "cognate.local"
	if _, d, ok := strings.Cut(from.Address, "@"); ok && d != "" {
		domain = d
	}
	var b bytes.Buffer
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	h("From", from.String())
	h("To", to.String())
	if replyTo != nil {
		h("Reply-To", replyTo.String())
	}
	h("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	h("Date", now.UTC().Format(time.RFC1123Z))
	h("Message-ID", "<"+hex.EncodeToString(id)+"@"+domain+">")
	h("MIME-Version", "1.0")
	ctype := "text/plain"
	if looksHTML(m.Body) {
		ctype = "text/html"
	}
	h("Content-Type", ctype+"; charset=UTF-8")
	h("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(m.Body)); err != nil {
		return nil, fmt.Errorf("smtp: encode body: %w", err)
	}
	if err := qp.Close(); err != nil {
		return nil, fmt.Errorf("smtp: encode body: %w", err)
	}
	b.WriteString("\r\n")
	return b.Bytes(), nil
}

func looksHTML(s string) bool {
	l := strings.ToLower(s)
	for _, tag := range []string{"<br", "<p", "<a ", "<div", "<html", "<b>", "<strong", "<span", "<table"} {
		if strings.Contains(l, tag) {
			return true
		}
	}
	return false
}
