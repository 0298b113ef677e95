package userpool

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/userpool/srp"
)

// srpTOTPLoginTimed runs USER_SRP_AUTH then SOFTWARE_TOKEN_MFA for user,
// returning the server's time (the client's SRP and TOTP work excluded).
func (e *env) srpTOTPLoginTimed(b *testing.B, poolName, clientID, user, secret string) time.Duration {
	c, err := srp.NewClient()
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	var ch authOutput
	e.call(b, "InitiateAuth", map[string]any{"AuthFlow": "USER_SRP_AUTH", "ClientId": clientID,
		"AuthParameters": map[string]string{"USERNAME": user, "SRP_A": c.AHex()}}, &ch)
	spent := time.Since(start)
	p := ch.ChallengeParameters
	stamp, sig, err := c.Respond(poolName, p["USER_ID_FOR_SRP"], goodPassword, p["SALT"], p["SRP_B"], p["SECRET_BLOCK"], e.clock.Now())
	if err != nil {
		b.Fatal(err)
	}
	start = time.Now()
	var mfa authOutput
	e.call(b, "RespondToAuthChallenge", map[string]any{"ChallengeName": "PASSWORD_VERIFIER", "ClientId": clientID,
		"ChallengeResponses": map[string]string{"USERNAME": p["USER_ID_FOR_SRP"], "PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"],
			"TIMESTAMP": stamp, "PASSWORD_CLAIM_SIGNATURE": sig}}, &mfa)
	spent += time.Since(start)
	if mfa.ChallengeName != chSoftwareToken {
		b.Fatalf("challenge %q, want SOFTWARE_TOKEN_MFA", mfa.ChallengeName)
	}
	code := codeAt(b, secret, e.clock.Now())
	start = time.Now()
	var res authOutput
	e.call(b, "RespondToAuthChallenge", map[string]any{"ChallengeName": chSoftwareToken, "ClientId": clientID, "Session": mfa.Session,
		"ChallengeResponses": map[string]string{"USERNAME": user, "SOFTWARE_TOKEN_MFA_CODE": code}}, &res)
	spent += time.Since(start)
	if res.AuthenticationResult == nil {
		b.Fatal("no tokens after TOTP")
	}
	return spent
}

// BenchmarkTOTPLogin compares a TOTP-protected login (USER_SRP_AUTH,
// PASSWORD_VERIFIER, SOFTWARE_TOKEN_MFA: one more request, a session write
// and take, a user update recording the used step) with a plain SRP login,
// interleaved in the same run; it reports both rates and their ratio. The
// fake clock moves one TOTP step per iteration, since each step's code is
// usable once.
//
//	go test -run '^$' -bench BenchmarkTOTPLogin ./internal/userpool/
func BenchmarkTOTPLogin(b *testing.B) {
	e := newEnv(b)
	plainPool, plainClient := e.setup(b)
	totpPool := e.pool(b)
	must(e.api.SetUserPoolMfaConfig(e.ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(totpPool), MfaConfiguration: types.UserPoolMfaTypeOptional,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}}))
	totpClient := e.client(b, totpPool)
	e.user(b, totpPool, "bob")
	tok := must(e.passwordAuth(totpClient, "bob", goodPassword)).AuthenticationResult.AccessToken
	secret := *must(e.api.AssociateSoftwareToken(e.ctx, &cip.AssociateSoftwareTokenInput{AccessToken: tok})).SecretCode
	must(e.api.VerifySoftwareToken(e.ctx, &cip.VerifySoftwareTokenInput{AccessToken: tok, UserCode: aws.String(codeAt(b, secret, e.clock.Now()))}))
	name := func(id string) string { return id[strings.IndexByte(id, '_')+1:] }
	var plain, withTOTP time.Duration
	for b.Loop() {
		e.clock.Advance(totpPeriod * time.Second)
		plain += e.srpLoginTimed(b, name(plainPool), plainClient)
		withTOTP += e.srpTOTPLoginTimed(b, name(totpPool), totpClient, "bob", secret)
	}
	n := float64(b.N)
	b.ReportMetric(n/plain.Seconds(), "srp-logins/s")
	b.ReportMetric(n/withTOTP.Seconds(), "totp-logins/s")
	b.ReportMetric(withTOTP.Seconds()/plain.Seconds(), "cost-ratio")
	b.ReportMetric(0, "ns/op")
}
