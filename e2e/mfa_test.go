package e2e

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// mfaPool creates a pool with OPTIONAL TOTP MFA (and, when devices is set,
// device tracking that remembers confirmed devices), an SRP client and a
// confirmed user; it returns the pool and client ids.
func mfaPool(t *testing.T, idp *cip.Client, mode types.UserPoolMfaType, devices bool, username, password string) (string, string) {
	return mfaPoolWith(t, idp, mode, devices, true, username, password)
}

// mfaPoolWith is mfaPool with email MFA (EMAIL_OTP) configured or not.
func mfaPoolWith(t *testing.T, idp *cip.Client, mode types.UserPoolMfaType, devices, email bool, username, password string) (string, string) {
	t.Helper()
	ctx := context.Background()
	in := &cip.CreateUserPoolInput{PoolName: aws.String("mfa-pool"),
		EmailConfiguration: &types.EmailConfigurationType{EmailSendingAccount: types.EmailSendingAccountTypeDeveloper, From: aws.String("mfa@example.test")}}
	if devices {
		in.DeviceConfiguration = &types.DeviceConfigurationType{ChallengeRequiredOnNewDevice: true}
	}
	pool, err := idp.CreateUserPool(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	mfa := &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID), MfaConfiguration: mode,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}}
	if email {
		mfa.EmailMfaConfiguration = &types.EmailMfaConfigType{Subject: aws.String("Sign-in code"), Message: aws.String("Your sign-in code is {####}")}
	}
	if _, err := idp.SetUserPoolMfaConfig(ctx, mfa); err != nil {
		t.Fatal(err)
	}
	client, err := idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("web"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	if username != "" {
		if _, err := idp.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String(username),
			MessageAction: types.MessageActionTypeSuppress, UserAttributes: []types.AttributeType{
				{Name: aws.String("email"), Value: aws.String(username + "@example.test")}, {Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := idp.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String(username),
			Password: aws.String(password), Permanent: true}); err != nil {
			t.Fatal(err)
		}
	}
	return poolID, aws.ToString(client.UserPoolClient.ClientId)
}

// TestNodeMFA runs e2e/node/mfa/identity-js.test.js: amazon-cognito-identity-js
// sets up TOTP, signs in through totpRequired/sendMFACode (wrong and replayed
// codes refused), and a remembered device skips MFA.
func TestNodeMFA(t *testing.T) {
	node, dir := requireNode(t)
	srv := startServer(t, "")
	idp := newIDP(srv.URL)
	poolID, clientID := mfaPool(t, idp, types.UserPoolMfaTypeOptional, true, "mfauser", "Mfa-Passw0rd!")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-concurrency=1", "mfa/identity-js.test.js")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "COGNATE_URL="+srv.URL, "POOL_ID="+poolID, "CLIENT_ID="+clientID,
		"COGNATE_USERNAME=mfauser", "COGNATE_PASSWORD=Mfa-Passw0rd!")
	out, err := cmd.CombinedOutput()
	t.Logf("node --test:\n%s", out)
	if err != nil {
		t.Fatalf("node tests failed: %v", err)
	}
}

// TestNodeAmplifyMFA runs e2e/node/mfa/amplify.test.mjs: Amplify v6 signIn
// and confirmSignIn through TOTP set-up, TOTP codes, email codes and the
// USER_AUTH first-factor selection.
func TestNodeAmplifyMFA(t *testing.T) {
	node, dir := requireNode(t)
	srv := startServer(t, "")
	idp := newIDP(srv.URL)
	ctx := context.Background()
	const pw = "Amp-Passw0rd!"
	totpPool, totpClient := mfaPoolWith(t, idp, types.UserPoolMfaTypeOn, false, false, "amp-totp", pw)
	emailPool, emailClient := mfaPool(t, idp, types.UserPoolMfaTypeOptional, false, "amp-email", pw)
	if _, err := idp.AdminSetUserMFAPreference(ctx, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: aws.String(emailPool), Username: aws.String("amp-email"),
		EmailMfaSettings: &types.EmailMfaSettingsType{Enabled: true, PreferredMfa: true}}); err != nil {
		t.Fatal(err)
	}
	choice, err := idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("choice"),
		Policies: &types.UserPoolPolicyType{SignInPolicy: &types.SignInPolicyType{
			AllowedFirstAuthFactors: []types.AuthFactorType{types.AuthFactorTypePassword, types.AuthFactorTypeEmailOtp}}},
		EmailConfiguration: &types.EmailConfigurationType{EmailSendingAccount: types.EmailSendingAccountTypeDeveloper, From: aws.String("c@example.test")}})
	if err != nil {
		t.Fatal(err)
	}
	choicePool := aws.ToString(choice.UserPool.Id)
	cc, err := idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(choicePool), ClientName: aws.String("web"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserAuth, types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := idp.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(choicePool), Username: aws.String("amp-choice"),
		MessageAction: types.MessageActionTypeSuppress, UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String("choice@example.test")}, {Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := idp.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(choicePool), Username: aws.String("amp-choice"),
		Password: aws.String(pw), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	// MFA required, TOTP and email MFA configured, and a user with no email
	// address: Amplify offers the MFA_SETUP selection and email set-up.
	setupPool, setupClient := mfaPoolWith(t, idp, types.UserPoolMfaTypeOn, false, true, "", pw)
	if _, err := idp.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(setupPool), Username: aws.String("amp-setup"),
		MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	if _, err := idp.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(setupPool), Username: aws.String("amp-setup"),
		Password: aws.String(pw), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, node, "--test", "--test-concurrency=1", "mfa/amplify.test.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "COGNATE_URL="+srv.URL, "COGNATE_BIN="+binary, "COGNATE_PASSWORD="+pw,
		"TOTP_POOL_ID="+totpPool, "TOTP_CLIENT_ID="+totpClient, "EMAIL_POOL_ID="+emailPool, "EMAIL_CLIENT_ID="+emailClient,
		"SETUP_POOL_ID="+setupPool, "SETUP_CLIENT_ID="+setupClient,
		"CHOICE_POOL_ID="+choicePool, "CHOICE_CLIENT_ID="+aws.ToString(cc.UserPoolClient.ClientId))
	out, err := cmd.CombinedOutput()
	t.Logf("node --test:\n%s", out)
	if err != nil {
		t.Fatalf("node tests failed: %v", err)
	}
	// The address the set-up proved is now the user's, verified, with email MFA on.
	got, err := idp.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(setupPool), Username: aws.String("amp-setup")})
	if err != nil {
		t.Fatal(err)
	}
	attrs := map[string]string{}
	for _, a := range got.UserAttributes {
		attrs[aws.ToString(a.Name)] = aws.ToString(a.Value)
	}
	if attrs["email"] != "amp-setup@example.test" || attrs["email_verified"] != "true" {
		t.Fatalf("attributes after email MFA set-up = %v", attrs)
	}
	if len(got.UserMFASettingList) != 1 || got.UserMFASettingList[0] != "EMAIL_OTP" {
		t.Fatalf("UserMFASettingList = %v, want [EMAIL_OTP]", got.UserMFASettingList)
	}
}

// TestNodeAmplifyLifecycle runs e2e/node/amplify/lifecycle.test.mjs:
// Amplify v6 signUp, confirmSignUp (the code from the outbox), signIn,
// fetchAuthSession, fetchAuthSession({forceRefresh: true}),
// updateUserAttributes and signOut({global: true}).
func TestNodeAmplifyLifecycle(t *testing.T) {
	node, dir := requireNode(t)
	srv := startServer(t, "")
	idp := newIDP(srv.URL)
	ctx := context.Background()
	pool, err := idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("amplify-life"),
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail}})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	c, err := idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("web"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, node, "--test", "--test-concurrency=1", "amplify/lifecycle.test.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "COGNATE_URL="+srv.URL, "COGNATE_BIN="+binary, "POOL_ID="+poolID,
		"CLIENT_ID="+aws.ToString(c.UserPoolClient.ClientId))
	out, err := cmd.CombinedOutput()
	t.Logf("node --test:\n%s", out)
	if err != nil {
		t.Fatalf("node tests failed: %v", err)
	}
	// The attributes Amplify set are on the user.
	u, err := idp.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("amp-life")})
	if err != nil || u.UserStatus != types.UserStatusTypeConfirmed {
		t.Fatalf("user after the Amplify session: %v %+v", err, u)
	}
	got := map[string]string{}
	for _, a := range u.UserAttributes {
		got[aws.ToString(a.Name)] = aws.ToString(a.Value)
	}
	if got["given_name"] != "Ampy" || got["family_name"] != "Lifecycle" || got["email_verified"] != "true" {
		t.Fatalf("attributes: %v", got)
	}
}
