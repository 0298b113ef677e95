package e2e

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/smithy-go"
)

// noRetryIDP is a client that makes each call once: the SDK would otherwise
// retry LimitExceededException and TooManyRequestsException (throttling
// errors to it) and hide what the server answered.
func noRetryIDP(url string) *cip.Client {
	return cip.New(cip.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDCOGNATE", "secret", ""),
		RetryMaxAttempts: 1,
	})
}

// startDemoConfig serves the demo from its configuration file with extra
// top-level settings prepended.
func startDemoConfig(t *testing.T, extra string) *demo {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(repoRoot(), "internal", "demo", "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "demo.yaml")
	if err := os.WriteFile(cfg, append([]byte(extra+"\n"), src...), 0o600); err != nil {
		t.Fatal(err)
	}
	return startDemoIn(t, "", "--config", cfg)
}

// TestResetCodeBruteForceBounded plays the attack of issue 9: ForgotPassword
// and ConfirmForgotPassword in a loop, a fresh code each round. Before, every
// code came with a fresh budget of wrong guesses; now the user can be sent 5
// codes an hour and may enter 5 wrong codes in all (whatever was re-issued),
// then both are refused with AWS's LimitExceededException, and an unknown
// user is limited exactly alike (no enumeration). The budget's reset after
// 15 quiet minutes is tested with a fake clock in internal/userpool.
func TestResetCodeBruteForceBounded(t *testing.T) {
	// The per-source bucket (TestSourceRateLimit) would throttle this
	// loopback loop first; it is off here to show the per-user limits alone.
	d := startDemoConfig(t, "authThrottling: {rateLimit: -1}")
	idp := noRetryIDP(d.srv.URL)
	ctx := context.Background()
	d.createUser(t, "rita", "rita@example.com", "Rita-Passw0rd-1")
	d.createUser(t, "sam", "sam@example.com", "Sam-Passw0rd-1")
	const limit = "Attempt limit exceeded, please try after some time."

	type tally struct{ issued, issueRefused, checked, guessRefused int }
	attack := func(name string, rounds int, real bool) tally {
		t.Helper()
		var got tally
		for i := range rounds {
			_, err := idp.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(d.clientID), Username: aws.String(name)})
			switch {
			case err == nil:
				got.issued++
			default:
				if code, msg := apiError(t, err); code != "LimitExceededException" || msg != limit {
					t.Fatalf("%s round %d: ForgotPassword: %s %q", name, i, code, msg)
				}
				got.issueRefused++
			}
			guess := "000000"
			if real && lastCode(t, d.srv, name, "forgot") == guess {
				guess = "000001" // the attacker does not know the code; never hit it by luck here
			}
			_, err = idp.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{ClientId: aws.String(d.clientID),
				Username: aws.String(name), ConfirmationCode: aws.String(guess), Password: aws.String("Pwn3d-Passw0rd!")})
			switch code, msg := apiError(t, err); {
			case code == "CodeMismatchException":
				got.checked++
			case code == "LimitExceededException" && msg == limit:
				got.guessRefused++
			default:
				t.Fatalf("%s round %d: ConfirmForgotPassword: %s %q", name, i, code, msg)
			}
		}
		return got
	}
	const rounds = 30
	want := tally{issued: 5, issueRefused: rounds - 5, checked: 5, guessRefused: rounds - 5}
	if got := attack("rita", rounds, true); got != want {
		t.Fatalf("known user: %+v, want %+v", got, want)
	}
	if n := strings.Count(d.srv.output(), "username=rita kind=forgot"); n != 5 {
		t.Fatalf("%d codes sent to rita, want 5", n)
	}
	// The budget is spent: even the right (latest) code is refused now.
	_, err := idp.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{ClientId: aws.String(d.clientID), Username: aws.String("rita"),
		ConfirmationCode: aws.String(lastCode(t, d.srv, "rita", "forgot")), Password: aws.String("Pwn3d-Passw0rd!")})
	if code, msg := apiError(t, err); code != "LimitExceededException" || msg != limit {
		t.Fatalf("right code after the budget is spent: %s %q", code, msg)
	}
	d.loginSRP(t, "rita", "Rita-Passw0rd-1") // the password did not change

	// An unknown user meets the same limits, so they tell nothing.
	if got := attack("nobody", rounds, false); got != want {
		t.Fatalf("unknown user: %+v, want %+v (as a known user)", got, want)
	}

	// The honest path still works: a typo, a re-sent code, then the right one.
	for range 2 {
		if _, err := idp.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(d.clientID), Username: aws.String("sam")}); err != nil {
			t.Fatal(err)
		}
	}
	code := nthCode(t, d.srv, "sam", "forgot", 2)
	typo := "000000"
	if code == typo {
		typo = "000001"
	}
	_, err = idp.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{ClientId: aws.String(d.clientID), Username: aws.String("sam"),
		ConfirmationCode: aws.String(typo), Password: aws.String("Sam-Passw0rd-2")})
	if c, _ := apiError(t, err); c != "CodeMismatchException" {
		t.Fatalf("typo: %v", err)
	}
	if _, err := idp.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{ClientId: aws.String(d.clientID), Username: aws.String("sam"),
		ConfirmationCode: aws.String(code), Password: aws.String("Sam-Passw0rd-2")}); err != nil {
		t.Fatalf("right code: %v", err)
	}
	d.loginSRP(t, "sam", "Sam-Passw0rd-2")
}

// TestSourceRateLimit: Cognito's public operations share a token bucket per
// source address (here authThrottling 0.01/s, burst 5), answering AWS's
// TooManyRequestsException "Rate exceeded" with HTTP 400 once it is empty;
// signed admin operations are not counted, and behind a trusted proxy each
// forwarded client has its own bucket.
func TestSourceRateLimit(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cognate.yaml")
	if err := os.WriteFile(cfg, []byte(`
authThrottling: {rateLimit: 0.01, burstLimit: 5, trustedProxies: [127.0.0.1]}
pools:
  - name: staff
    clients:
      - name: web
        explicitAuthFlows: [ALLOW_USER_PASSWORD_AUTH, ALLOW_REFRESH_TOKEN_AUTH]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, "", "--config", cfg)
	var poolID, clientID string
	for _, line := range strings.Split(srv.output(), "\n") {
		f := strings.Fields(line)
		if len(f) == 4 && f[0] == "pool" && f[1] == "staff" {
			poolID = f[3]
		}
		if len(f) == 4 && f[0] == "client" && f[1] == "web" {
			clientID = f[3]
		}
	}
	if poolID == "" || clientID == "" {
		t.Fatalf("pool or client missing from the banner:\n%s", srv.output())
	}
	idp := noRetryIDP(srv.URL)
	ctx := context.Background()
	login := func() error {
		_, err := idp.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: aws.String(clientID),
			AuthParameters: map[string]string{"USERNAME": "ghost", "PASSWORD": "Wrong-Passw0rd-1"}})
		return err
	}
	const calls = 12
	answered, throttled := 0, 0
	for i := range calls {
		switch code, msg := apiError(t, login()); {
		case code == "NotAuthorizedException" || code == "UserNotFoundException":
			answered++
		case code == "TooManyRequestsException" && msg == "Rate exceeded":
			throttled++
		default:
			t.Fatalf("call %d: %s %q", i, code, msg)
		}
	}
	if answered != 5 || throttled != calls-5 {
		t.Fatalf("%d answered, %d throttled; want 5 (the burst) and %d", answered, throttled, calls-5)
	}
	// Every public operation draws on the same bucket...
	_, err := idp.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(clientID), Username: aws.String("ghost")})
	if code, _ := apiError(t, err); code != "TooManyRequestsException" {
		t.Fatalf("ForgotPassword from the same source: %v", err)
	}
	// ...while admin operations go on.
	if _, err := idp.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("ghost")}); apiErrorCode(err) != "UserNotFoundException" {
		t.Fatalf("admin operation: %v", err)
	}
	forgot := func(forwardedFor string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader(`{"ClientId":"`+clientID+`","Username":"ghost"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.ForgotPassword")
		if forwardedFor != "" {
			req.Header.Set("X-Forwarded-For", forwardedFor)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(body)
	}
	// The wire form, as the JSON protocol has it: 400 with the type in a header.
	resp, body := forgot("")
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("x-amzn-ErrorType") != "TooManyRequestsException" ||
		body != `{"__type":"TooManyRequestsException","message":"Rate exceeded"}` {
		t.Fatalf("raw answer: %d %s %s", resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), body)
	}
	// 127.0.0.1 is a trusted proxy here: the clients it forwards for have
	// their own buckets, while its own is empty.
	for _, client := range []string{"198.51.100.7", "203.0.113.1, 198.51.100.8"} {
		if resp, body := forgot(client); resp.StatusCode != http.StatusOK {
			t.Fatalf("client %s behind the trusted proxy: %d %s", client, resp.StatusCode, body)
		}
	}
}

// TestLockoutParallel: 200 wrong passwords sent at once (issue 9 saw 7
// password checks for a limit of 5) get exactly 5 checks from the real
// server; the others are refused unchecked with "Password attempts exceeded".
func TestLockoutParallel(t *testing.T) {
	d := startDemoConfig(t, "authThrottling: {rateLimit: -1}") // 200 calls from loopback at once
	d.createUser(t, "lou", "lou@example.com", "Lou-Passw0rd-1")
	idp := noRetryIDP(d.srv.URL)
	const n = 200
	var (
		wg               sync.WaitGroup
		mu               sync.Mutex
		checked, refused int
	)
	for range n {
		wg.Go(func() {
			_, err := idp.InitiateAuth(context.Background(), &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: aws.String(d.clientID),
				AuthParameters: map[string]string{"USERNAME": "lou", "PASSWORD": "Wrong-Passw0rd-1"}})
			var ae smithy.APIError
			if !errors.As(err, &ae) {
				t.Errorf("want an API error, got %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			switch ae.ErrorMessage() {
			case msgIncorrect:
				checked++
			case "Password attempts exceeded":
				refused++
			default:
				t.Errorf("unexpected %s %q", ae.ErrorCode(), ae.ErrorMessage())
			}
		})
	}
	wg.Wait()
	if checked != 5 || refused != n-5 {
		t.Fatalf("%d password checks, %d refused; want exactly 5 and %d", checked, refused, n-5)
	}
}
