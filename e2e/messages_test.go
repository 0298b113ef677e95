package e2e

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/messages"
)

// smsHook is a loopback SMS webhook that checks each request's signature.
type smsHook struct {
	srv    *httptest.Server
	secret string
	mu     sync.Mutex
	got    []messages.WebhookPayload
	bad    int
}

func newSMSHook(t *testing.T) *smsHook {
	h := &smsHook{secret: "hook-secret-0123456789"}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		want := "sha256=" + messages.Sign(h.secret, r.Header.Get("X-Cognate-Timestamp"), body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if !hmac.Equal([]byte(want), []byte(r.Header.Get("X-Cognate-Signature"))) || r.Header.Get("X-Api-Key") != "k1" {
			h.bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var p messages.WebhookPayload
		if err := json.Unmarshal(body, &p); err != nil {
			h.bad++
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		h.got = append(h.got, p)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *smsHook) last(t *testing.T) messages.WebhookPayload {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.bad > 0 || len(h.got) == 0 {
		t.Fatalf("sms webhook: %d good, %d refused requests", len(h.got), h.bad)
	}
	return h.got[len(h.got)-1]
}

// startWithMessages runs cognate with SMTP to mp and SMS to hook.
func startWithMessages(t *testing.T, mp *mailpit, hook *smsHook, password string) *server {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "cognate.yaml")
	yaml := `
messages:
  smtp:
    addr: ` + mp.SMTPAddr + `
    tls: starttls
    caFile: ` + mp.CAFile + `
    username: ` + mp.User + `
    password: ${SMTP_PASSWORD}
    from: "Cognate <cognate@example.test>"
  smsWebhook:
    url: ` + hook.srv.URL + `
    secret: ` + hook.secret + `
    headers: {X-Api-Key: k1}
  outbox: {keep: 10}
`
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return startServerEnv(t, "", []string{"SMTP_PASSWORD=" + password}, "--config", cfg)
}

var sixDigits = regexp.MustCompile(`\b(\d{6})\b`)

// TestMessagesDelivered: sign-up codes and invitations go out over SMTP
// (STARTTLS, AUTH) to a real mail server with the pool's templates and From
// address, SMS to a signed webhook, and every message lands in the outbox
// that `cognate outbox` reads.
func TestMessagesDelivered(t *testing.T) {
	mp := startMailpit(t)
	hook := newSMSHook(t)
	srv := startWithMessages(t, mp, hook, mp.Password)
	idp := newIDP(srv.URL)
	ctx := context.Background()

	pool, err := idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName:               aws.String("mail-pool"),
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		EmailConfiguration: &types.EmailConfigurationType{EmailSendingAccount: types.EmailSendingAccountTypeDeveloper,
			From: aws.String("Notes App <notes@example.test>"), ReplyToEmailAddress: aws.String("help@example.test")},
		VerificationMessageTemplate: &types.VerificationMessageTemplateType{DefaultEmailOption: types.DefaultEmailOptionTypeConfirmWithCode,
			EmailSubject: aws.String("Notes: confirm your address"), EmailMessage: aws.String("<p>Welcome to Notes. Your code: <b>{####}</b></p>"),
			SmsMessage: aws.String("Notes code {####}")},
		AdminCreateUserConfig: &types.AdminCreateUserConfigType{InviteMessageTemplate: &types.MessageTemplateType{
			EmailSubject: aws.String("You are invited"), EmailMessage: aws.String("Sign in as {username} with {####} now."),
			SMSMessage: aws.String("User {username} temp {####}")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	client, err := idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("c"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	clientID := aws.ToString(client.UserPoolClient.ClientId)

	t.Run("template validation", func(t *testing.T) {
		_, err := idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("bad"),
			VerificationMessageTemplate: &types.VerificationMessageTemplateType{EmailMessage: aws.String("no code here")}})
		wantAPIErrorContaining(t, err, "InvalidParameterException", "{####}")
	})

	t.Run("sign-up code by email", func(t *testing.T) {
		su, err := idp.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(clientID), Username: aws.String("alice"), Password: aws.String("Passw0rd!x"),
			UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("alice@example.test")}}})
		if err != nil {
			t.Fatal(err)
		}
		if d := su.CodeDeliveryDetails; d == nil || d.DeliveryMedium != types.DeliveryMediumTypeEmail || aws.ToString(d.Destination) != "a***@e***" {
			t.Fatalf("CodeDeliveryDetails = %+v", d)
		}
		m := mp.waitMail(t, "alice@example.test")
		if m.Subject != "Notes: confirm your address" || m.From.Address != "notes@example.test" || m.From.Name != "Notes App" ||
			len(m.ReplyTo) != 1 || m.ReplyTo[0].Address != "help@example.test" {
			t.Fatalf("mail headers: subject %q from %+v reply-to %+v", m.Subject, m.From, m.ReplyTo)
		}
		if !strings.Contains(m.HTML, "<b>") {
			t.Fatalf("HTML template not sent as HTML: %q", m.HTML)
		}
		code := sixDigits.FindString(m.Text + m.HTML)
		if code == "" {
			t.Fatalf("no code in the mail: %q", m.Text)
		}
		// The outbox holds the same message, readable with the CLI.
		out, err := runCLI(t, ctx, "", "outbox", "-endpoint", srv.URL, "-user", "alice", "-code", poolID)
		if err != nil || strings.TrimSpace(out) != code {
			t.Fatalf("cognate outbox -code = %q, %v; mail had %s", out, err, code)
		}
		if _, err := idp.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(clientID), Username: aws.String("alice"),
			ConfirmationCode: aws.String(code)}); err != nil {
			t.Fatalf("confirm with the mailed code: %v", err)
		}
	})

	t.Run("invitation by email and SMS", func(t *testing.T) {
		if _, err := idp.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("bob"),
			TemporaryPassword: aws.String("Temp-Pass1!"),
			UserAttributes:    []types.AttributeType{{Name: aws.String("email"), Value: aws.String("bob@example.test")}}}); err != nil {
			t.Fatal(err)
		}
		m := mp.waitMail(t, "bob@example.test")
		if m.Subject != "You are invited" || !strings.Contains(m.Text, "Sign in as bob with Temp-Pass1! now.") {
			t.Fatalf("invitation: %q %q", m.Subject, m.Text)
		}
		if _, err := idp.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("carol"),
			TemporaryPassword: aws.String("Temp-Pass2!"), DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeSms},
			UserAttributes: []types.AttributeType{{Name: aws.String("phone_number"), Value: aws.String("+15555550123")}}}); err != nil {
			t.Fatal(err)
		}
		p := hook.last(t)
		if p.PhoneNumber != "+15555550123" || p.Message != "User carol temp Temp-Pass2!" || p.PoolID != poolID || p.Kind != "invite" {
			t.Fatalf("sms webhook got %+v", p)
		}
		out, err := runCLI(t, ctx, "", "outbox", "-endpoint", srv.URL, poolID)
		if err != nil || !strings.Contains(out, "SMS") || !strings.Contains(out, "carol") || !strings.Contains(out, "bob@example.test") {
			t.Fatalf("cognate outbox: %v\n%s", err, out)
		}
	})

	t.Run("outbox API", func(t *testing.T) {
		status, _, body := rawGet(t, srv.URL+"/_cognate/outbox/"+poolID)
		if status != http.StatusForbidden && status != http.StatusUnauthorized {
			t.Fatalf("unsigned outbox read: %d %s", status, body)
		}
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/_cognate/outbox/"+poolID+"?username=carol&limit=1", nil)
		signAt(t, req, nil, "cognate", "AKIDCOGNATE", "secret", time.Now())
		status, _, body = doRaw(t, req)
		var page messages.ListResponse
		if status != http.StatusOK || json.Unmarshal([]byte(body), &page) != nil || len(page.Messages) != 1 ||
			page.Messages[0].Code != "Temp-Pass2!" || page.Messages[0].Medium != "SMS" {
			t.Fatalf("signed outbox read: %d %s", status, body)
		}
		req, _ = http.NewRequest(http.MethodGet, srv.URL+"/_cognate/outbox/us-east-1_nope", nil)
		signAt(t, req, nil, "cognate", "AKIDCOGNATE", "secret", time.Now())
		if status, _, body = doRaw(t, req); status != http.StatusNotFound {
			t.Fatalf("outbox of a missing pool: %d %s", status, body)
		}
	})
}

// TestMessagesSMTPFailure: a server that refuses our credentials makes the
// operation fail with CodeDeliveryFailureException, never a silent success.
func TestMessagesSMTPFailure(t *testing.T) {
	mp := startMailpit(t)
	hook := newSMSHook(t)
	srv := startWithMessages(t, mp, hook, "wrong-password")
	idp := newIDP(srv.URL)
	ctx := context.Background()
	pool, err := idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("p")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = idp.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: pool.UserPool.Id, Username: aws.String("dan"),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("dan@example.test")}}})
	var cdf *types.CodeDeliveryFailureException
	if !asErr(err, &cdf) {
		t.Fatalf("AdminCreateUser with a refused SMTP login: %v, want CodeDeliveryFailureException", err)
	}
	if n := mp.count(t); n != 0 {
		t.Fatalf("mailpit received %d messages despite the wrong password", n)
	}
}

// TestOutboxNeedsReadOutbox: with credentials enforced, reading a pool's
// outbox takes a valid signature and cognate:ReadOutbox on the pool's ARN.
func TestOutboxNeedsReadOutbox(t *testing.T) {
	d := startEnforced(t)
	ctx := context.Background()
	if _, err := d.idp.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(d.poolID), Username: aws.String("olga"),
		TemporaryPassword: aws.String("Temp-Pass3!"),
		UserAttributes:    []types.AttributeType{{Name: aws.String("email"), Value: aws.String("olga@example.test")}}}); err != nil {
		t.Fatal(err)
	}
	read := func(id, secret string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, d.srv.URL+"/_cognate/outbox/"+d.poolID+"?username=olga", nil)
		signAt(t, req, nil, "cognate", id, secret, time.Now())
		status, _, body := doRaw(t, req)
		return status, body
	}
	if status, body := read(rootKeyID, rootSecret); status != http.StatusOK || !strings.Contains(body, `"code":"Temp-Pass3!"`) {
		t.Fatalf("root reads the outbox: %d %s", status, body)
	}
	if status, body := read(readerKeyID, readerSecret); status != http.StatusForbidden || !strings.Contains(body, "cognate:ReadOutbox") {
		t.Fatalf("a user without cognate:ReadOutbox: %d %s", status, body)
	}
	if status, body := read(rootKeyID, "wrong-secret-wrong-secret-wrong"); status != http.StatusForbidden {
		t.Fatalf("a bad signature: %d %s", status, body)
	}
}
