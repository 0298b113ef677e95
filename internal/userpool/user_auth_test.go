package userpool

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

func TestUserAuthChoiceBasedSignIn(t *testing.T) {
	e := newEnv(t)
	poolID := e.pool(t, func(in *cip.CreateUserPoolInput) {
		in.Policies = &types.UserPoolPolicyType{SignInPolicy: &types.SignInPolicyType{
			AllowedFirstAuthFactors: []types.AuthFactorType{types.AuthFactorTypePassword, types.AuthFactorTypeEmailOtp}}}
		in.EmailConfiguration = &types.EmailConfigurationType{EmailSendingAccount: types.EmailSendingAccountTypeDeveloper, From: aws.String("a@example.com")}
	})
	clientID := e.client(t, poolID, func(in *cip.CreateUserPoolClientInput) {
		in.ExplicitAuthFlows = append(in.ExplicitAuthFlows, types.ExplicitAuthFlowsTypeAllowUserAuth)
	})
	e.user(t, poolID, "alice", "email", "alice@example.com", "email_verified", "true")
	start := func(user string, params map[string]string) (*cip.InitiateAuthOutput, error) {
		p := map[string]string{"USERNAME": user}
		for k, v := range params {
			p[k] = v
		}
		return e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserAuth, ClientId: aws.String(clientID), AuthParameters: p})
	}

	out := must(start("alice", nil))
	if out.ChallengeName != types.ChallengeNameTypeSelectChallenge || len(out.AvailableChallenges) != 3 ||
		out.AvailableChallenges[0] != "PASSWORD" || out.AvailableChallenges[1] != "PASSWORD_SRP" || out.AvailableChallenges[2] != "EMAIL_OTP" {
		t.Fatalf("SELECT_CHALLENGE: %s %v", out.ChallengeName, out.AvailableChallenges)
	}
	ch := must(e.api.RespondToAuthChallenge(e.ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeSelectChallenge,
		Session: out.Session, ChallengeResponses: map[string]string{"USERNAME": "alice", "ANSWER": "EMAIL_OTP"}}))
	d, _ := e.inbox.LastDelivery(poolID, "alice")
	if ch.ChallengeName != types.ChallengeNameTypeEmailOtp || d.Kind != CodeMFA || d.Medium != "EMAIL" {
		t.Fatalf("EMAIL_OTP first factor: %s %+v", ch.ChallengeName, d)
	}
	res := must(e.api.RespondToAuthChallenge(e.ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeEmailOtp,
		Session: ch.Session, ChallengeResponses: map[string]string{"USERNAME": "alice", "EMAIL_OTP_CODE": d.Code}}))
	if res.AuthenticationResult == nil {
		t.Fatal("no tokens after the email code")
	}
	f := must(e.api.GetUserAuthFactors(e.ctx, &cip.GetUserAuthFactorsInput{AccessToken: res.AuthenticationResult.AccessToken}))
	if len(f.ConfiguredUserAuthFactors) != 2 {
		t.Fatalf("ConfiguredUserAuthFactors = %v", f.ConfiguredUserAuthFactors)
	}

	// PREFERRED_CHALLENGE PASSWORD signs in at once; a wrong one is NotAuthorized.
	if out := must(start("alice", map[string]string{"PREFERRED_CHALLENGE": "PASSWORD", "PASSWORD": goodPassword})); out.AuthenticationResult == nil {
		t.Fatalf("preferred PASSWORD: %s", out.ChallengeName)
	}
	_, err := start("alice", map[string]string{"PREFERRED_CHALLENGE": "PASSWORD", "PASSWORD": "wrong-Passw0rd"})
	wantErr(t, err, "NotAuthorizedException", msgIncorrect)
	// An unknown user gets the same kind of answer, and its codes never match.
	out = must(start("nobody", map[string]string{"PREFERRED_CHALLENGE": "EMAIL_OTP"}))
	if out.ChallengeName != types.ChallengeNameTypeEmailOtp {
		t.Fatalf("unknown user: %s", out.ChallengeName)
	}
	_, err = e.api.RespondToAuthChallenge(e.ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeEmailOtp,
		Session: out.Session, ChallengeResponses: map[string]string{"USERNAME": "nobody", "EMAIL_OTP_CODE": "123456"}})
	wantErr(t, err, "CodeMismatchException", msgMFACodeMismatch)
	// A client without ALLOW_USER_AUTH refuses the flow.
	plain := e.client(t, poolID)
	_, err = e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserAuth, ClientId: aws.String(plain),
		AuthParameters: map[string]string{"USERNAME": "alice"}})
	wantErr(t, err, "InvalidParameterException", "")
}
