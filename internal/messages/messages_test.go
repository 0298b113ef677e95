package messages

import (
	"context"
	"crypto/hmac"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/secret"
	"github.com/cognate-dev/cognate/internal/store"
	"github.com/cognate-dev/cognate/internal/store/sqlite"
)

func TestComposeHeadersAndBody(t *testing.T) {
	from, _ := mail.ParseAddress("Notes <notes@example.com>")
	to, _ := mail.ParseAddress("alice@example.com")
	raw, err := compose(from, to, nil, Message{Subject: "Votre code é", Body: "<p>Code <b>123456</b></p>"}, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); s != "Votre code é" {
		t.Fatalf("subject %q", s)
	}
	if ct := msg.Header.Get("Content-Type"); ct != "text/html; charset=UTF-8" {
		t.Fatalf("content type %q", ct)
	}
	if msg.Header.Get("Message-ID") == "" || !strings.HasSuffix(msg.Header.Get("Message-ID"), "@example.com>") {
		t.Fatalf("message id %q", msg.Header.Get("Message-ID"))
	}
	if _, err := compose(from, to, nil, Message{Subject: "x\r\nBcc: evil@example.com"}, time.Now()); err == nil {
		t.Fatal("a subject with a line break was accepted")
	}
}

func TestNewSMTPRefusesCleartextOffLoopback(t *testing.T) {
	if _, err := NewSMTP(SMTPConfig{Addr: "mail.example.com:25", TLS: TLSNone}); err == nil {
		t.Fatal("tls none to a remote server accepted")
	}
	if _, err := NewSMTP(SMTPConfig{Addr: "127.0.0.1:25", TLS: TLSNone}); err != nil {
		t.Fatal(err)
	}
	if _, err := NewSMTP(SMTPConfig{Addr: "mail.example.com:587", TLS: "maybe"}); err == nil {
		t.Fatal("unknown tls mode accepted")
	}
}

func TestWebhookSignsAndReportsFailures(t *testing.T) {
	var gotSig, gotStamp string
	var body []byte
	status := http.StatusNoContent
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ = io.ReadAll(r.Body)
		gotSig, gotStamp = r.Header.Get("X-Cognate-Signature"), r.Header.Get("X-Cognate-Timestamp")
		w.WriteHeader(status)
	}))
	defer srv.Close()
	hook, err := NewWebhook(WebhookConfig{URL: srv.URL, Secret: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	m := Message{PoolID: "p", Username: "u", Medium: MediumSMS, Destination: "+15550001111", Body: "code 123456"}
	if err := hook.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if !hmac.Equal([]byte(gotSig), []byte("sha256="+Sign("s3cret", gotStamp, body))) || !strings.Contains(string(body), `"phoneNumber":"+15550001111"`) {
		t.Fatalf("signature %q over %s", gotSig, body)
	}
	status = http.StatusBadGateway
	if err := hook.Send(context.Background(), m); err == nil {
		t.Fatal("a 502 from the webhook was reported as delivered")
	}
	if err := hook.Send(context.Background(), Message{Medium: MediumEmail}); !errors.Is(err, ErrNoTransport) {
		t.Fatalf("email to the SMS webhook: %v", err)
	}
	if _, err := NewWebhook(WebhookConfig{URL: "http://sms.example.com/hook"}); err == nil {
		t.Fatal("plain http to a remote webhook accepted")
	}
}

type failing struct{}

func (failing) Send(context.Context, Message) error { return errors.New("boom") }

func TestRouterOutboxSealedAndTrimmed(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ":memory:", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.CreatePool(ctx, poolRow("p1")); err != nil {
		t.Fatal(err)
	}
	sealer, _ := secret.NewSealer(make([]byte, secret.KeySize))
	ob := NewOutbox(st, sealer, 2)
	r := &Router{Outbox: ob, Email: failing{}}
	for i, code := range []string{"111111", "222222", "333333"} {
		err := r.Send(ctx, Message{PoolID: "p1", Username: []string{"a", "b", "a"}[i], Medium: MediumSMS, Code: code, Body: "code " + code})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Send(ctx, Message{PoolID: "p1", Username: "a", Medium: MediumEmail, Code: "444444"}); err == nil {
		t.Fatal("a transport failure was swallowed")
	}
	rows, _ := st.ListMessages(ctx, "p1", 10)
	for _, row := range rows {
		if strings.Contains(string(row.Data), "444444") || strings.Contains(string(row.Data), "333333") {
			t.Fatal("outbox stores codes in clear text")
		}
	}
	list, err := ob.List(ctx, "p1", Filter{Username: "a"})
	if err != nil {
		t.Fatal(err)
	}
	// Kept: the newest two (444444 to a, 333333 to a); 111111 was trimmed.
	if len(list) != 2 || list[0].Code != "444444" || list[1].Code != "333333" {
		t.Fatalf("outbox for a = %+v", list)
	}
}

func poolRow(id string) store.Pool {
	now := time.Now()
	return store.Pool{ID: id, Name: id, Config: []byte("{}"), CreatedAt: now, UpdatedAt: now}
}

// TestOutboxMount: the outbox's endpoint answers a pool's messages, 404 for
// an unknown pool, and 404 for every pool when the outbox is disabled (nil).
func TestOutboxMount(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ":memory:", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.CreatePool(ctx, poolRow("p1")); err != nil {
		t.Fatal(err)
	}
	sealer, _ := secret.NewSealer(make([]byte, secret.KeySize))
	ob := NewOutbox(st, sealer, 0)
	if err := ob.Send(ctx, Message{PoolID: "p1", Username: "a", Medium: MediumEmail, Code: "123456"}); err != nil {
		t.Fatal(err)
	}
	get := func(o *Outbox, path string) (int, string) {
		mux := http.NewServeMux()
		o.Mount(mux)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code, rec.Body.String()
	}
	if code, body := get(ob, "/_cognate/outbox/p1"); code != 200 || !strings.Contains(body, `"123456"`) {
		t.Fatalf("outbox of p1: %d %s", code, body)
	}
	if code, body := get(ob, "/_cognate/outbox/p2"); code != 404 || !strings.Contains(body, "User pool p2 does not exist.") {
		t.Fatalf("unknown pool: %d %s", code, body)
	}
	if code, body := get(nil, "/_cognate/outbox/p1"); code != 404 || !strings.Contains(body, "messages.outbox.disabled") {
		t.Fatalf("disabled outbox: %d %s", code, body)
	}
}
