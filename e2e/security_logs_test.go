package e2e

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// serverKeyHex is a fixed COGNATE_SERVER_KEY for the log audit.
const serverKeyHex = "5ec7e7c0ffee5ec7e7c0ffee5ec7e7c0ffee5ec7e7c0ffee5ec7e7c0ffee0042"

var revealedCode = regexp.MustCompile(`\bcode=\d`)

var codeInLog = regexp.MustCompile(`msg="verification code sent".* username=(\S+) kind=(\S+) .* code=(\d+)`)

// lastCode returns the latest code the dev sender logged for username.
func lastCode(t *testing.T, srv *server, username, kind string) string {
	t.Helper()
	return nthCode(t, srv, username, kind, 1)
}

// nthCode waits until at least n codes of kind were logged for username (the
// log arrives through a pipe, after the answer) and returns the latest.
func nthCode(t *testing.T, srv *server, username, kind string, n int) string {
	t.Helper()
	code := ""
	eventually(t, 5*time.Second, fmt.Sprintf("%d %s codes logged for %s", n, kind, username), func() (bool, string) {
		out := srv.output()
		seen := 0
		for _, m := range codeInLog.FindAllStringSubmatch(out, -1) {
			if m[1] == username && m[2] == kind {
				code = m[3]
				seen++
			}
		}
		return seen >= n, "not enough codes in:\n" + out
	})
	return code
}

func secretHash(secret, username, clientID string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(username + clientID))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// TestSecretsNeverLogged drives every flow that carries a secret through a
// server logging at debug level, then searches its whole output (logs and
// banner) for the secrets, and for any 40-character piece of the long ones.
//
// Verification codes are the one deliberate exception: at debug level the
// development code sender logs them (Cognate sends no e-mail; that log line
// is how a developer confirms a sign-up). That is acceptable because it is
// opt-in (debug only), the codes are short-lived and single-use, and they
// are consumed here before the audit; at info level they are hidden (see
// the "info level" subtest).
func TestSecretsNeverLogged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := &demo{srv: startServerEnv(t, "", []string{"COGNATE_SERVER_KEY=" + serverKeyHex})}
	d.idp = newIDP(d.srv.URL)
	startDemoLookupOnly(t, d)
	secrets := map[string]string{"server key": serverKeyHex}
	long := map[string]string{} // checked piecewise too

	// Sign-up and confirmation.
	const signUpPw, adminPw, wrongPw, resetPw = "S1gnUp-Secret-Pw!", "Adm1n-Secret-Pw!", "Wr0ng-Secret-Pw!", "Res3t-Secret-Pw!"
	secrets["sign-up password"], secrets["admin password"], secrets["wrong password"], secrets["reset password"] = signUpPw, adminPw, wrongPw, resetPw
	if _, err := d.idp.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(d.clientID), Username: aws.String("sue"), Password: aws.String(signUpPw),
		UserAttributes: []ciptypes.AttributeType{{Name: aws.String("email"), Value: aws.String("sue@example.com")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.idp.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(d.clientID), Username: aws.String("sue"),
		ConfirmationCode: aws.String(lastCode(t, d.srv, "sue", "signup"))}); err != nil {
		t.Fatal(err)
	}

	// SRP, keeping every wire value.
	run := d.srpBegin(t, "sue")
	resp := run.answer(t, signUpPw, time.Now())
	out, err := d.respond(resp)
	if err != nil {
		t.Fatal(err)
	}
	long["SRP_A"], long["SRP_B"], long["SECRET_BLOCK"] = run.aHex, run.params["SRP_B"], run.params["SECRET_BLOCK"]
	secrets["PASSWORD_CLAIM_SIGNATURE"] = resp["PASSWORD_CLAIM_SIGNATURE"]
	res := out.AuthenticationResult
	long["SRP id token"], long["SRP access token"], long["SRP refresh token"] = *res.IdToken, *res.AccessToken, *res.RefreshToken

	// Admin-created user, USER_PASSWORD_AUTH (right and wrong), refresh.
	d.createUser(t, "adam", "adam@example.com", adminPw)
	pw, err := d.passwordAuth("adam", adminPw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.passwordAuth("adam", wrongPw); err == nil {
		t.Fatal("wrong password accepted")
	}
	refreshed, err := d.idp.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: ciptypes.AuthFlowTypeRefreshTokenAuth, ClientId: aws.String(d.clientID),
		AuthParameters: map[string]string{"REFRESH_TOKEN": *pw.AuthenticationResult.RefreshToken}})
	if err != nil {
		t.Fatal(err)
	}
	long["password id token"], long["password access token"], long["password refresh token"] = *pw.AuthenticationResult.IdToken, *pw.AuthenticationResult.AccessToken, *pw.AuthenticationResult.RefreshToken
	long["refreshed id token"], long["refreshed access token"] = *refreshed.AuthenticationResult.IdToken, *refreshed.AuthenticationResult.AccessToken

	// Through the gateway, both authorizers; a self-service call with the access token.
	for _, route := range []string{"/dev/notes", "/dev/cognito/notes"} {
		if status, body, _ := get(t, d.srv.URL+route, *res.IdToken); status != 200 {
			t.Fatalf("%s: %d %s", route, status, body)
		}
	}
	if _, err := d.idp.GetUser(ctx, &cip.GetUserInput{AccessToken: res.AccessToken}); err != nil {
		t.Fatal(err)
	}

	// A client with a secret, used with SECRET_HASH.
	cl, err := d.idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(d.poolID), ClientName: aws.String("confidential"),
		GenerateSecret: true, ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{ciptypes.ExplicitAuthFlowsTypeAllowUserPasswordAuth, ciptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	clientID, clientSecret := aws.ToString(cl.UserPoolClient.ClientId), aws.ToString(cl.UserPoolClient.ClientSecret)
	if clientSecret == "" {
		t.Fatal("no client secret generated")
	}
	hash := secretHash(clientSecret, "adam", clientID)
	withSecret, err := d.idp.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth, ClientId: aws.String(clientID),
		AuthParameters: map[string]string{"USERNAME": "adam", "PASSWORD": adminPw, "SECRET_HASH": hash}})
	if err != nil {
		t.Fatal(err)
	}
	secrets["client secret"], secrets["SECRET_HASH"] = clientSecret, hash
	long["secret-client id token"], long["secret-client refresh token"] = *withSecret.AuthenticationResult.IdToken, *withSecret.AuthenticationResult.RefreshToken

	// Password reset; then sign out.
	if _, err := d.idp.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(d.clientID), Username: aws.String("sue")}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.idp.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{ClientId: aws.String(d.clientID), Username: aws.String("sue"),
		ConfirmationCode: aws.String(lastCode(t, d.srv, "sue", "forgot")), Password: aws.String(resetPw)}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.idp.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: pw.AuthenticationResult.AccessToken}); err != nil {
		t.Fatal(err)
	}

	logs := d.srv.output()
	for _, evidence := range []string{"level=DEBUG", `msg="user signed in"`, `msg="gateway request"`, "status=200", "username=sue"} {
		if !strings.Contains(logs, evidence) {
			t.Fatalf("the output lacks %q: the audit would prove nothing", evidence)
		}
	}
	for name, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("%s appears in the output", name)
		}
	}
	for name, s := range long {
		secrets[name] = s
		if len(s) < 40 {
			t.Fatalf("%s is only %d characters", name, len(s))
		}
		for i := 0; i+40 <= len(s); i++ {
			if strings.Contains(logs, s[i:i+40]) {
				t.Errorf("%s: the piece %q at offset %d appears in the output", name, s[i:i+40], i)
				break
			}
		}
	}

	t.Run("info level", func(t *testing.T) {
		srv := startServerEnv(t, "", []string{"COGNATE_LOG_LEVEL=info"})
		info := &demo{srv: srv, idp: newIDP(srv.URL)}
		startDemoLookupOnly(t, info)
		if _, err := info.idp.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(info.clientID), Username: aws.String("ivy"), Password: aws.String(signUpPw),
			UserAttributes: []ciptypes.AttributeType{{Name: aws.String("email"), Value: aws.String("ivy@example.com")}}}); err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Second, "the code announced", func() (bool, string) {
			out := srv.output()
			return strings.Contains(out, `msg="verification code sent"`), "not announced in:\n" + out
		})
		out := srv.output()
		if revealedCode.MatchString(out) || strings.Contains(out, signUpPw) {
			t.Fatalf("at info level the code must be announced but hidden:\n%s", out)
		}
	})
}
