package userpool

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/cognate-dev/cognate/internal/store"
)

const msgLimit = "Attempt limit exceeded, please try after some time."

func (e *env) forgot(clientID, name string) error {
	_, err := e.api.ForgotPassword(e.ctx, &cip.ForgotPasswordInput{ClientId: aws.String(clientID), Username: aws.String(name)})
	return err
}

func (e *env) confirmForgot(clientID, name, code string) error {
	_, err := e.api.ConfirmForgotPassword(e.ctx, &cip.ConfirmForgotPasswordInput{ClientId: aws.String(clientID),
		Username: aws.String(name), ConfirmationCode: aws.String(code), Password: aws.String("N3w-Passw0rd!")})
	return err
}

// wrongCode returns a six-digit code that is not code.
func wrongCode(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

// TestGuessBudgetSurvivesReissue: asking for a new code does not buy new
// guesses; the budget comes back only after a quiet period, and then the
// latest code works.
func TestGuessBudgetSurvivesReissue(t *testing.T) {
	e := newEnv(t)
	poolID, clientID := e.setup(t)
	must(0, e.forgot(clientID, "alice"))
	code, _ := e.inbox.Last(poolID, "alice")
	for range defaultCodeGuesses {
		wantErr(t, e.confirmForgot(clientID, "alice", wrongCode(code)), "CodeMismatchException", msgCodeMismatch)
	}
	// Spent: even the right code is refused, unchecked.
	wantErr(t, e.confirmForgot(clientID, "alice", code), "LimitExceededException", msgLimit)
	// A fresh code does not reset the budget.
	for range 3 {
		must(0, e.forgot(clientID, "alice"))
	}
	code, _ = e.inbox.Last(poolID, "alice")
	wantErr(t, e.confirmForgot(clientID, "alice", code), "LimitExceededException", msgLimit)
	// Refused attempts do not extend the pause; once it has passed without
	// a guess, the latest code works and clears the budget.
	e.clock.Advance(defaultCodeGuessPause - time.Second)
	wantErr(t, e.confirmForgot(clientID, "alice", code), "LimitExceededException", msgLimit)
	e.clock.Advance(time.Second)
	if err := e.confirmForgot(clientID, "alice", code); err != nil {
		t.Fatalf("right code after the pause: %v", err)
	}
	if _, err := e.store.GetLockout(e.ctx, poolID, guessKey(CodeForgotPassword, "", "alice")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a right code must clear the budget: %v", err)
	}
	if _, err := e.passwordAuth(clientID, "alice", "N3w-Passw0rd!"); err != nil {
		t.Fatal(err)
	}

	// An unknown user's budget runs out the same way, so it tells nothing.
	for range defaultCodeGuesses {
		wantErr(t, e.confirmForgot(clientID, "ghost", "123456"), "CodeMismatchException", msgCodeMismatch)
	}
	wantErr(t, e.confirmForgot(clientID, "ghost", "123456"), "LimitExceededException", msgLimit)

	// ConfirmSignUp: the same budget, per user, surviving ResendConfirmationCode.
	p2 := e.pool(t, autoVerifyEmail)
	c2 := e.client(t, p2)
	must(e.signUp(c2, "erin", goodPassword, "erin@example.com"))
	confirm := func(c string) error {
		_, err := e.api.ConfirmSignUp(e.ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(c2), Username: aws.String("erin"), ConfirmationCode: aws.String(c)})
		return err
	}
	code, _ = e.inbox.Last(p2, "erin")
	for range defaultCodeGuesses {
		wantErr(t, confirm(wrongCode(code)), "CodeMismatchException", "")
	}
	must(e.api.ResendConfirmationCode(e.ctx, &cip.ResendConfirmationCodeInput{ClientId: aws.String(c2), Username: aws.String("erin")}))
	code, _ = e.inbox.Last(p2, "erin")
	wantErr(t, confirm(code), "LimitExceededException", msgLimit)
	e.clock.Advance(defaultCodeGuessPause)
	if err := confirm(code); err != nil {
		t.Fatalf("confirm after the pause: %v", err)
	}

	// VerifyUserAttribute: per user and attribute, surviving
	// GetUserAttributeVerificationCode.
	res := must(e.passwordAuth(clientID, "alice", "N3w-Passw0rd!"))
	tok := res.AuthenticationResult.AccessToken
	getCode := func() string {
		t.Helper()
		must(e.api.GetUserAttributeVerificationCode(e.ctx, &cip.GetUserAttributeVerificationCodeInput{AccessToken: tok, AttributeName: aws.String("email")}))
		c, _ := e.inbox.Last(poolID, "alice")
		return c
	}
	verify := func(c string) error {
		_, err := e.api.VerifyUserAttribute(e.ctx, &cip.VerifyUserAttributeInput{AccessToken: tok, AttributeName: aws.String("email"), Code: aws.String(c)})
		return err
	}
	code = getCode()
	for range defaultCodeGuesses {
		wantErr(t, verify(wrongCode(code)), "CodeMismatchException", "")
	}
	code = getCode()
	wantErr(t, verify(code), "LimitExceededException", msgLimit)
	e.clock.Advance(defaultCodeGuessPause)
	if err := verify(code); err != nil {
		t.Fatalf("verify after the pause: %v", err)
	}
}

// TestGuessBudgetParallel: parallel guesses get exactly the budget's worth
// of code checks (each is reserved in the store before the code is looked at).
func TestGuessBudgetParallel(t *testing.T) { testGuessBudgetParallel(t, newEnv(t)) }

// TestGuessBudgetParallelPostgres is TestGuessBudgetParallel on PostgreSQL.
func TestGuessBudgetParallelPostgres(t *testing.T) { testGuessBudgetParallel(t, newPostgresEnv(t)) }

func testGuessBudgetParallel(t *testing.T, e *env) {
	poolID, clientID := e.setup(t)
	must(0, e.forgot(clientID, "alice"))
	code, _ := e.inbox.Last(poolID, "alice")
	const n = 50
	var (
		wg                sync.WaitGroup
		mu                sync.Mutex
		mismatch, refused int
	)
	for range n {
		wg.Go(func() {
			err := e.confirmForgot(clientID, "alice", wrongCode(code))
			var ae smithy.APIError
			if !errors.As(err, &ae) {
				t.Errorf("unexpected result %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			switch ae.ErrorCode() {
			case "CodeMismatchException":
				mismatch++
			case "LimitExceededException":
				refused++
			default:
				t.Errorf("unexpected error %v", err)
			}
		})
	}
	wg.Wait()
	if mismatch != defaultCodeGuesses || refused != n-defaultCodeGuesses {
		t.Fatalf("%d codes checked (want exactly %d), %d refused", mismatch, defaultCodeGuesses, refused)
	}
}

// TestCodeIssueLimit: each user can be sent a few codes of a kind per hour,
// then LimitExceededException (and nothing sent); unknown users are limited
// alike, so the limit tells nothing.
func TestCodeIssueLimit(t *testing.T) {
	e := newEnv(t)
	poolID, clientID := e.setup(t)
	for _, name := range []string{"alice", "ghost"} {
		for i := range defaultCodeIssues {
			if err := e.forgot(clientID, name); err != nil {
				t.Fatalf("%s: ForgotPassword %d: %v", name, i+1, err)
			}
		}
		sent := e.inbox.Count()
		wantErr(t, e.forgot(clientID, name), "LimitExceededException", msgLimit)
		if e.inbox.Count() != sent {
			t.Fatalf("%s: a refused request sent a code", name)
		}
	}
	// AdminResetUserPassword sends the same kind of code: it shares the limit.
	_, err := e.api.AdminResetUserPassword(e.ctx, &cip.AdminResetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String("alice")})
	wantErr(t, err, "LimitExceededException", msgLimit)

	// One more every window/limit; the whole allowance after the window.
	drain := defaultCodeIssueWin / defaultCodeIssues
	e.clock.Advance(drain)
	must(0, e.forgot(clientID, "alice"))
	wantErr(t, e.forgot(clientID, "alice"), "LimitExceededException", msgLimit)
	e.clock.Advance(defaultCodeIssueWin)
	for range defaultCodeIssues {
		must(0, e.forgot(clientID, "alice"))
	}
	wantErr(t, e.forgot(clientID, "alice"), "LimitExceededException", msgLimit)
	// The right code still works while issuing is refused.
	code, _ := e.inbox.Last(poolID, "alice")
	if err := e.confirmForgot(clientID, "alice", code); err != nil {
		t.Fatal(err)
	}

	// Other kinds have their own allowance.
	res := must(e.passwordAuth(clientID, "alice", "N3w-Passw0rd!"))
	for i := range defaultCodeIssues + 1 {
		_, err := e.api.GetUserAttributeVerificationCode(e.ctx, &cip.GetUserAttributeVerificationCodeInput{
			AccessToken: res.AuthenticationResult.AccessToken, AttributeName: aws.String("email")})
		if i < defaultCodeIssues && err != nil {
			t.Fatalf("GetUserAttributeVerificationCode %d: %v", i+1, err)
		}
		if i == defaultCodeIssues {
			wantErr(t, err, "LimitExceededException", msgLimit)
		}
	}
	p2 := e.pool(t, autoVerifyEmail)
	c2 := e.client(t, p2)
	must(e.signUp(c2, "erin", goodPassword, "erin@example.com"))
	for _, name := range []string{"erin", "ghost"} {
		for range defaultCodeIssues {
			must(e.api.ResendConfirmationCode(e.ctx, &cip.ResendConfirmationCodeInput{ClientId: aws.String(c2), Username: aws.String(name)}))
		}
		_, err := e.api.ResendConfirmationCode(e.ctx, &cip.ResendConfirmationCodeInput{ClientId: aws.String(c2), Username: aws.String(name)})
		wantErr(t, err, "LimitExceededException", msgLimit)
	}

	// Limits are configurable.
	e2 := newEnv(t, func(c *Config) { c.Limits.CodeIssues, c.Limits.CodeIssueWindow = 2, time.Minute })
	_, c3 := e2.setup(t)
	must(0, e2.forgot(c3, "alice"))
	must(0, e2.forgot(c3, "alice"))
	wantErr(t, e2.forgot(c3, "alice"), "LimitExceededException", msgLimit)
	e2.clock.Advance(time.Minute)
	must(0, e2.forgot(c3, "alice"))
}

// TestSignUpOpsHideExistence: with PreventUserExistenceErrors ENABLED,
// ResendConfirmationCode and ConfirmSignUp answer a confirmed user as they
// answer an unknown one; LEGACY clients are told.
func TestSignUpOpsHideExistence(t *testing.T) {
	e := newEnv(t)
	poolID := e.pool(t, autoVerifyEmail)
	clientID := e.client(t, poolID)
	legacy := e.client(t, poolID, func(in *cip.CreateUserPoolClientInput) {
		in.PreventUserExistenceErrors = types.PreventUserExistenceErrorTypesLegacy
	})
	e.user(t, poolID, "kim@example.com", "email", "kim@example.com", "email_verified", "true") // CONFIRMED
	resend := func(client, name string) (*cip.ResendConfirmationCodeOutput, error) {
		return e.api.ResendConfirmationCode(e.ctx, &cip.ResendConfirmationCodeInput{ClientId: aws.String(client), Username: aws.String(name)})
	}
	sent := e.inbox.Count()
	known := must(resend(clientID, "kim@example.com"))
	unknown := must(resend(clientID, "kip@example.com"))
	if e.inbox.Count() != sent {
		t.Error("no code may be sent to a confirmed or unknown user")
	}
	k, u := known.CodeDeliveryDetails, unknown.CodeDeliveryDetails
	if k == nil || u == nil || aws.ToString(k.AttributeName) != aws.ToString(u.AttributeName) || k.DeliveryMedium != u.DeliveryMedium ||
		aws.ToString(k.Destination) != "k***@e***" || aws.ToString(u.Destination) != "k***@e***" {
		t.Fatalf("confirmed %+v, unknown %+v: must look alike", k, u)
	}
	_, err := resend(legacy, "kim@example.com")
	wantErr(t, err, "InvalidParameterException", "User is already confirmed.")
	_, err = resend(legacy, "kip@example.com")
	wantErr(t, err, "UserNotFoundException", "User does not exist.")

	confirm := func(client, name string) error {
		_, err := e.api.ConfirmSignUp(e.ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(client), Username: aws.String(name), ConfirmationCode: aws.String("123456")})
		return err
	}
	wantErr(t, confirm(legacy, "kim@example.com"), "NotAuthorizedException", "User cannot be confirmed. Current status is CONFIRMED")
	e.clock.Advance(defaultCodeGuessPause) // that entry counted too
	for _, name := range []string{"kim@example.com", "kip@example.com"} {
		for range defaultCodeGuesses {
			wantErr(t, confirm(clientID, name), "CodeMismatchException", msgCodeMismatch)
		}
		wantErr(t, confirm(clientID, name), "LimitExceededException", msgLimit)
	}
}

// TestSourceRateLimit: each source address has a token bucket on the
// public operations (TooManyRequestsException "Rate exceeded", HTTP 400);
// admin operations and other addresses are not affected.
func TestSourceRateLimit(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Limits.SourceRate, c.Limits.SourceBurst = 2, 3 })
	poolID, clientID := e.setup(t)
	call := func(ip, op, body string) (int, string) {
		t.Helper()
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.RemoteAddr = ip + ":5555"
		r.Header.Set("X-Amz-Target", ServiceName+"."+op)
		r.Header.Set("Content-Type", "application/x-amz-json-1.1")
		w := httptest.NewRecorder()
		e.svc.Handler().ServeHTTP(w, r)
		var out struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(w.Body.Bytes(), &out)
		if w.Code != http.StatusOK && out.Type == "TooManyRequestsException" && out.Message != msgRateExceeded {
			t.Fatalf("message %q", out.Message)
		}
		return w.Code, out.Type
	}
	auth := `{"AuthFlow":"USER_PASSWORD_AUTH","ClientId":"` + clientID + `","AuthParameters":{"USERNAME":"alice","PASSWORD":"` + goodPassword + `"}}`
	for i := range 3 {
		if code, typ := call("192.0.2.1", "InitiateAuth", auth); code != http.StatusOK {
			t.Fatalf("call %d within the burst: %d %s", i+1, code, typ)
		}
	}
	if code, typ := call("192.0.2.1", "InitiateAuth", auth); code != http.StatusBadRequest || typ != "TooManyRequestsException" {
		t.Fatalf("over the burst: %d %s", code, typ)
	}
	// The bucket is per source and for all public operations together.
	if code, typ := call("192.0.2.1", "ForgotPassword", `{"ClientId":"`+clientID+`","Username":"alice"}`); typ != "TooManyRequestsException" {
		t.Fatalf("another public operation from the same source: %d %s", code, typ)
	}
	if code, typ := call("192.0.2.2", "InitiateAuth", auth); code != http.StatusOK {
		t.Fatalf("another source: %d %s", code, typ)
	}
	// An IPv6 client shares one bucket across its /64.
	for i := range 3 {
		if code, typ := call("[2001:db8:1:2::"+string(rune('a'+i))+"]", "InitiateAuth", auth); code != http.StatusOK {
			t.Fatalf("v6 call %d: %d %s", i+1, code, typ)
		}
	}
	if _, typ := call("[2001:db8:1:2::ff]", "InitiateAuth", auth); typ != "TooManyRequestsException" {
		t.Fatalf("same /64: %s", typ)
	}
	// Admin (signed) operations are not counted.
	for range 5 {
		if code, typ := call("192.0.2.1", "AdminGetUser", `{"UserPoolId":"`+poolID+`","Username":"alice"}`); code != http.StatusOK {
			t.Fatalf("admin operation: %d %s", code, typ)
		}
	}
	// Tokens come back at the configured rate.
	e.clock.Advance(time.Second)
	for i := range 2 {
		if code, typ := call("192.0.2.1", "InitiateAuth", auth); code != http.StatusOK {
			t.Fatalf("refilled call %d: %d %s", i+1, code, typ)
		}
	}
	if _, typ := call("192.0.2.1", "InitiateAuth", auth); typ != "TooManyRequestsException" {
		t.Fatalf("after the refill: %s", typ)
	}
	// Idle buckets are swept once full again.
	e.clock.Advance(sweepEvery)
	call("192.0.2.9", "InitiateAuth", auth)
	e.svc.sources.mu.Lock()
	left := len(e.svc.sources.buckets)
	e.svc.sources.mu.Unlock()
	if left != 1 {
		t.Fatalf("%d buckets after the sweep, want only the new one", left)
	}
}

func TestSourceKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1": "192.0.2.1", "::ffff:192.0.2.1": "192.0.2.1",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64", "2001:db8:1:2::": "2001:db8:1:2::/64",
		"not-an-ip": "not-an-ip",
	} {
		if got := sourceKey(in); got != want {
			t.Errorf("sourceKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSweepCounters: counters that can no longer matter are deleted; live
// ones (a running lockout, a spent guess budget, an issue allowance not yet
// back) are kept.
func TestSweepCounters(t *testing.T) {
	e := newEnv(t)
	poolID, clientID := e.setup(t)
	for range freeFailures {
		e.passwordAuth(clientID, "ghost", "Wrong-Passw0rd")
	}
	for range defaultCodeIssues { // the allowance is back an hour later
		must(0, e.forgot(clientID, "alice"))
	}
	for range defaultCodeGuesses {
		e.confirmForgot(clientID, "alice", "000000")
	}
	keys := []string{"user|ghost", issueKey(CodeForgotPassword, "", "alice"), guessKey(CodeForgotPassword, "", "alice")}
	count := func() int {
		n := 0
		for _, k := range keys {
			if _, err := e.store.GetLockout(e.ctx, poolID, k); err == nil {
				n++
			}
		}
		return n
	}
	if n := must(e.svc.SweepCounters(e.ctx)); n != 0 || count() != 3 {
		t.Fatalf("fresh counters swept: %d deleted, %d left", n, count())
	}
	e.clock.Advance(staleCounterAge + defaultCodeGuessPause + time.Second)
	if n := must(e.svc.SweepCounters(e.ctx)); n != 2 || count() != 1 {
		t.Fatalf("after 30 min: %d deleted, %d left (the issue allowance is not back yet)", n, count())
	}
	e.clock.Advance(defaultCodeIssueWin)
	if n := must(e.svc.SweepCounters(e.ctx)); n != 1 || count() != 0 {
		t.Fatalf("after the issue window: %d deleted, %d left", n, count())
	}
}

func TestForwardedClient(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48")}
	tests := []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"untrusted peer: the header is ignored", "203.0.113.5:1", []string{"198.51.100.1"}, ""},
		{"one proxy", "10.0.0.1:1", []string{"198.51.100.1"}, "198.51.100.1"},
		{"spoofed left part is skipped", "10.0.0.1:1", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"chain of trusted proxies", "10.0.0.1:1", []string{"198.51.100.1, 10.2.2.2", "10.3.3.3"}, "198.51.100.1"},
		{"all hops trusted", "10.0.0.1:1", []string{"10.9.9.9, 10.2.2.2"}, "10.9.9.9"},
		{"no header", "10.0.0.1:1", nil, ""},
		{"malformed nearest hop", "10.0.0.1:1", []string{"198.51.100.1, junk"}, ""},
		{"malformed farther hop", "10.0.0.1:1", []string{"junk, 10.2.2.2"}, "10.2.2.2"},
		{"IPv6 proxy, mapped client", "[2001:db8:ffff::1]:1", []string{"::ffff:198.51.100.9"}, "198.51.100.9"},
	}
	for _, tc := range tests {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.RemoteAddr = tc.peer
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := forwardedClient(trusted, r); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestSourceRateLimitBehindProxy: with trusted proxies configured, clients
// behind one proxy get their own buckets; without, they share the proxy's.
func TestSourceRateLimitBehindProxy(t *testing.T) {
	for _, trusted := range []bool{false, true} {
		e := newEnv(t, func(c *Config) {
			c.Limits.SourceRate, c.Limits.SourceBurst = 1, 2
			if trusted {
				c.Limits.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
			}
		})
		_, clientID := e.setup(t)
		throttled := 0
		for i := range 6 { // two calls each from three clients, all through 10.0.0.1
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"ClientId":"`+clientID+`","Username":"ghost"}`))
			r.RemoteAddr = "10.0.0.1:4000"
			r.Header.Set("X-Forwarded-For", "198.51.100."+string(rune('1'+i/2)))
			r.Header.Set("X-Amz-Target", ServiceName+".ForgotPassword")
			w := httptest.NewRecorder()
			e.svc.Handler().ServeHTTP(w, r)
			if strings.Contains(w.Body.String(), "TooManyRequestsException") {
				throttled++
			}
		}
		if want := map[bool]int{false: 4, true: 0}[trusted]; throttled != want {
			t.Errorf("trusted proxies %v: %d of 6 throttled, want %d", trusted, throttled, want)
		}
	}
}
