package e2e

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/pquerna/otp/totp"

	"github.com/cognate-dev/cognate/internal/userpool/srp"
)

func wantType[T error](t *testing.T, err error, what string) {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("%s: got %v, want %T", what, err, target)
	}
}

func totpNow(t *testing.T, secret string, offset time.Duration) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, time.Now().Add(offset))
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// TestMFAAndDevicesSDK drives every MFA and device operation with
// aws-sdk-go-v2, checking AWS's error types, with EMAIL_OTP codes sent
// through SMTP to Mailpit and read back from it.
func TestMFAAndDevicesSDK(t *testing.T) {
	mp := startMailpit(t)
	srv := startWithMessages(t, mp, newSMSHook(t), mp.Password)
	idp := newIDP(srv.URL)
	ctx := context.Background()
	const user, pw = "erin", "Erin-Passw0rd!"
	poolID, clientID := mfaPool(t, idp, types.UserPoolMfaTypeOptional, true, user, pw)
	pool, client := aws.String(poolID), aws.String(clientID)

	t.Run("pool MFA config", func(t *testing.T) {
		got, err := idp.GetUserPoolMfaConfig(ctx, &cip.GetUserPoolMfaConfigInput{UserPoolId: pool})
		if err != nil || got.MfaConfiguration != types.UserPoolMfaTypeOptional || !got.SoftwareTokenMfaConfiguration.Enabled ||
			aws.ToString(got.EmailMfaConfiguration.Subject) != "Sign-in code" {
			t.Fatalf("GetUserPoolMfaConfig = %+v, %v", got, err)
		}
		other, _ := idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("plain")})
		_, err = idp.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: other.UserPool.Id, MfaConfiguration: types.UserPoolMfaTypeOn})
		wantType[*types.InvalidParameterException](t, err, "MFA ON without a factor")
		_, err = idp.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: other.UserPool.Id, MfaConfiguration: types.UserPoolMfaTypeOptional,
			EmailMfaConfiguration: &types.EmailMfaConfigType{}})
		wantType[*types.InvalidParameterException](t, err, "email MFA without a DEVELOPER email configuration")
		_, err = idp.GetUserPoolMfaConfig(ctx, &cip.GetUserPoolMfaConfigInput{UserPoolId: aws.String("us-east-1_missing")})
		wantType[*types.ResourceNotFoundException](t, err, "missing pool")
	})

	first, err := idp.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: client,
		AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": pw}})
	if err != nil || first.AuthenticationResult == nil || first.AuthenticationResult.NewDeviceMetadata == nil {
		t.Fatalf("first sign-in: %+v, %v", first, err)
	}
	access := first.AuthenticationResult.AccessToken
	var secret string

	t.Run("software token", func(t *testing.T) {
		_, err := idp.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: access, UserCode: aws.String("123456")})
		wantType[*types.SoftwareTokenMFANotFoundException](t, err, "verify before associate")
		assoc, err := idp.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{AccessToken: access})
		if err != nil {
			t.Fatal(err)
		}
		secret = aws.ToString(assoc.SecretCode)
		_, err = idp.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: access, UserCode: aws.String("123456")})
		wantType[*types.EnableSoftwareTokenMFAException](t, err, "wrong code")
		v, err := idp.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: access, UserCode: aws.String(totpNow(t, secret, 0)), FriendlyDeviceName: aws.String("app")})
		if err != nil || v.Status != types.VerifySoftwareTokenResponseTypeSuccess {
			t.Fatalf("verify: %+v %v", v, err)
		}
		_, err = idp.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{AccessToken: access, Session: aws.String(strings.Repeat("s", 30))})
		wantType[*types.InvalidParameterException](t, err, "both AccessToken and Session")
	})

	t.Run("preferences", func(t *testing.T) {
		_, err := idp.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: access, SMSMfaSettings: &types.SMSMfaSettingsType{Enabled: true}})
		wantType[*types.InvalidParameterException](t, err, "SMS without a phone number")
		if _, err := idp.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: access,
			SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true},
			EmailMfaSettings:         &types.EmailMfaSettingsType{Enabled: true}}); err != nil {
			t.Fatal(err)
		}
		u, err := idp.GetUser(ctx, &cip.GetUserInput{AccessToken: access})
		if err != nil || aws.ToString(u.PreferredMfaSetting) != "SOFTWARE_TOKEN_MFA" || len(u.UserMFASettingList) != 2 {
			t.Fatalf("GetUser MFA fields: %+v %v", u, err)
		}
		_, err = idp.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: aws.String("not-a-token"),
			EmailMfaSettings: &types.EmailMfaSettingsType{Enabled: true}})
		wantType[*types.NotAuthorizedException](t, err, "bad access token")
	})

	t.Run("SOFTWARE_TOKEN_MFA sign-in", func(t *testing.T) {
		out, err := idp.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: client,
			AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": pw}})
		if err != nil || out.ChallengeName != types.ChallengeNameTypeSoftwareTokenMfa {
			t.Fatalf("preferred TOTP: %+v %v", out, err)
		}
		_, err = idp.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: client, ChallengeName: types.ChallengeNameTypeSoftwareTokenMfa,
			Session: out.Session, ChallengeResponses: map[string]string{"USERNAME": user, "SOFTWARE_TOKEN_MFA_CODE": "000000"}})
		wantType[*types.CodeMismatchException](t, err, "wrong TOTP")
		res, err := idp.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: client, ChallengeName: types.ChallengeNameTypeSoftwareTokenMfa,
			Session: out.Session, ChallengeResponses: map[string]string{"USERNAME": user, "SOFTWARE_TOKEN_MFA_CODE": totpNow(t, secret, 30*time.Second)}})
		if err != nil || res.AuthenticationResult == nil {
			t.Fatalf("TOTP answer: %v", err)
		}
	})

	t.Run("EMAIL_OTP by SMTP, admin flow", func(t *testing.T) {
		if _, err := idp.AdminSetUserMFAPreference(ctx, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: pool, Username: aws.String(user),
			EmailMfaSettings: &types.EmailMfaSettingsType{Enabled: true, PreferredMfa: true}}); err != nil {
			t.Fatal(err)
		}
		got, _ := idp.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: pool, Username: aws.String(user)})
		if aws.ToString(got.PreferredMfaSetting) != "EMAIL_OTP" {
			t.Fatalf("AdminGetUser PreferredMfaSetting = %q", aws.ToString(got.PreferredMfaSetting))
		}
		before := mp.count(t)
		out, err := idp.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth, UserPoolId: pool, ClientId: client,
			AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": pw}})
		if err != nil || out.ChallengeName != types.ChallengeNameTypeEmailOtp || out.ChallengeParameters["CODE_DELIVERY_DELIVERY_MEDIUM"] != "EMAIL" {
			t.Fatalf("preferred email: %+v %v", out, err)
		}
		waitFor(t, 30*time.Second, "the sign-in code mail", func() bool { return mp.count(t) > before })
		m := mp.waitMail(t, user+"@example.test")
		code := sixDigits.FindString(m.Text)
		if m.Subject != "Sign-in code" || code == "" || !strings.Contains(m.Text, "Your sign-in code is "+code) {
			t.Fatalf("sign-in mail: %q %q", m.Subject, m.Text)
		}
		_, err = idp.AdminRespondToAuthChallenge(ctx, &cip.AdminRespondToAuthChallengeInput{UserPoolId: pool, ClientId: client, ChallengeName: types.ChallengeNameTypeEmailOtp,
			Session: out.Session, ChallengeResponses: map[string]string{"USERNAME": user, "EMAIL_OTP_CODE": "999999x"}})
		wantType[*types.CodeMismatchException](t, err, "wrong email code")
		res, err := idp.AdminRespondToAuthChallenge(ctx, &cip.AdminRespondToAuthChallengeInput{UserPoolId: pool, ClientId: client, ChallengeName: types.ChallengeNameTypeEmailOtp,
			Session: out.Session, ChallengeResponses: map[string]string{"USERNAME": user, "EMAIL_OTP_CODE": code}})
		if err != nil || res.AuthenticationResult == nil {
			t.Fatalf("email code answer: %v", err)
		}
		_, err = idp.AdminRespondToAuthChallenge(ctx, &cip.AdminRespondToAuthChallengeInput{UserPoolId: pool, ClientId: client, ChallengeName: types.ChallengeNameTypeEmailOtp,
			Session: out.Session, ChallengeResponses: map[string]string{"USERNAME": user, "EMAIL_OTP_CODE": code}})
		wantType[*types.NotAuthorizedException](t, err, "spent session")
	})

	t.Run("devices", func(t *testing.T) {
		meta := first.AuthenticationResult.NewDeviceMetadata
		salt := []byte("0123456789abcdef")
		verifier := srp.Verifier(aws.ToString(meta.DeviceGroupKey), aws.ToString(meta.DeviceKey), "device-secret", salt)
		cfg := &types.DeviceSecretVerifierConfigType{PasswordVerifier: aws.String(base64.StdEncoding.EncodeToString(verifier)),
			Salt: aws.String(base64.StdEncoding.EncodeToString(salt))}
		_, err := idp.ConfirmDevice(ctx, &cip.ConfirmDeviceInput{AccessToken: access, DeviceKey: aws.String("us-east-1_unknown"), DeviceSecretVerifierConfig: cfg})
		wantType[*types.ResourceNotFoundException](t, err, "confirm an unknown device")
		conf, err := idp.ConfirmDevice(ctx, &cip.ConfirmDeviceInput{AccessToken: access, DeviceKey: meta.DeviceKey, DeviceName: aws.String("laptop"), DeviceSecretVerifierConfig: cfg})
		if err != nil || conf.UserConfirmationNecessary {
			t.Fatalf("ConfirmDevice: %+v %v", conf, err)
		}
		list, err := idp.ListDevices(ctx, &cip.ListDevicesInput{AccessToken: access})
		if err != nil || len(list.Devices) != 1 || aws.ToString(list.Devices[0].DeviceKey) != aws.ToString(meta.DeviceKey) {
			t.Fatalf("ListDevices: %+v %v", list, err)
		}
		got, err := idp.GetDevice(ctx, &cip.GetDeviceInput{AccessToken: access, DeviceKey: meta.DeviceKey})
		if err != nil || deviceAttr(got.Device, "dev:device_remembered_status") != "remembered" || deviceAttr(got.Device, "device_name") != "laptop" {
			t.Fatalf("GetDevice: %+v %v", got, err)
		}
		if _, err := idp.UpdateDeviceStatus(ctx, &cip.UpdateDeviceStatusInput{AccessToken: access, DeviceKey: meta.DeviceKey,
			DeviceRememberedStatus: types.DeviceRememberedStatusTypeNotRemembered}); err != nil {
			t.Fatal(err)
		}
		ag, err := idp.AdminGetDevice(ctx, &cip.AdminGetDeviceInput{UserPoolId: pool, Username: aws.String(user), DeviceKey: meta.DeviceKey})
		if err != nil || deviceAttr(ag.Device, "dev:device_remembered_status") != "not_remembered" {
			t.Fatalf("AdminGetDevice: %+v %v", ag, err)
		}
		if _, err := idp.AdminUpdateDeviceStatus(ctx, &cip.AdminUpdateDeviceStatusInput{UserPoolId: pool, Username: aws.String(user), DeviceKey: meta.DeviceKey,
			DeviceRememberedStatus: types.DeviceRememberedStatusTypeRemembered}); err != nil {
			t.Fatal(err)
		}
		al, err := idp.AdminListDevices(ctx, &cip.AdminListDevicesInput{UserPoolId: pool, Username: aws.String(user)})
		if err != nil || len(al.Devices) != 1 {
			t.Fatalf("AdminListDevices: %+v %v", al, err)
		}

		// The remembered device signs in with DEVICE_SRP_AUTH and skips the (email) MFA.
		out, err := idp.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: client,
			AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": pw, "DEVICE_KEY": aws.ToString(meta.DeviceKey)}})
		if err != nil || out.ChallengeName != types.ChallengeNameTypeDeviceSrpAuth {
			t.Fatalf("remembered device: %+v %v", out, err)
		}
		c, _ := srp.NewClient()
		dev, err := idp.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: client, ChallengeName: types.ChallengeNameTypeDeviceSrpAuth,
			Session: out.Session, ChallengeResponses: map[string]string{"USERNAME": user, "DEVICE_KEY": aws.ToString(meta.DeviceKey), "SRP_A": c.AHex()}})
		if err != nil {
			t.Fatal(err)
		}
		p := dev.ChallengeParameters
		stamp, sig, err := c.Respond(aws.ToString(meta.DeviceGroupKey), aws.ToString(meta.DeviceKey), "device-secret", p["SALT"], p["SRP_B"], p["SECRET_BLOCK"], time.Now())
		if err != nil {
			t.Fatal(err)
		}
		done, err := idp.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: client, ChallengeName: types.ChallengeNameTypeDevicePasswordVerifier,
			Session: dev.Session, ChallengeResponses: map[string]string{"USERNAME": user, "DEVICE_KEY": aws.ToString(meta.DeviceKey),
				"PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"], "TIMESTAMP": stamp, "PASSWORD_CLAIM_SIGNATURE": sig}})
		if err != nil || done.AuthenticationResult == nil {
			t.Fatalf("DEVICE_PASSWORD_VERIFIER: %+v %v", done, err)
		}

		if _, err := idp.ForgetDevice(ctx, &cip.ForgetDeviceInput{AccessToken: access, DeviceKey: meta.DeviceKey}); err != nil {
			t.Fatal(err)
		}
		_, err = idp.GetDevice(ctx, &cip.GetDeviceInput{AccessToken: access, DeviceKey: meta.DeviceKey})
		wantType[*types.ResourceNotFoundException](t, err, "forgotten device")
		_, err = idp.AdminForgetDevice(ctx, &cip.AdminForgetDeviceInput{UserPoolId: pool, Username: aws.String(user), DeviceKey: meta.DeviceKey})
		wantType[*types.ResourceNotFoundException](t, err, "forget twice")
		_, err = idp.AdminListDevices(ctx, &cip.AdminListDevicesInput{UserPoolId: pool, Username: aws.String("nobody")})
		wantType[*types.ResourceNotFoundException](t, err, "devices of an unknown user")
		_, err = idp.AdminForgetDevice(ctx, &cip.AdminForgetDeviceInput{UserPoolId: pool, Username: aws.String("nobody"), DeviceKey: meta.DeviceKey})
		wantType[*types.UserNotFoundException](t, err, "forget a device of an unknown user")
	})
}

func deviceAttr(d *types.DeviceType, name string) string {
	for _, a := range d.DeviceAttributes {
		if aws.ToString(a.Name) == name {
			return aws.ToString(a.Value)
		}
	}
	return ""
}

// TestChoiceSignInAndRotationSDK: USER_AUTH with SELECT_CHALLENGE and an
// EMAIL_OTP first factor mailed through Mailpit, GetUserAuthFactors, and
// GetTokensFromRefreshToken with RefreshTokenRotation, with aws-sdk-go-v2.
func TestChoiceSignInAndRotationSDK(t *testing.T) {
	mp := startMailpit(t)
	srv := startWithMessages(t, mp, newSMSHook(t), mp.Password)
	idp := newIDP(srv.URL)
	ctx := context.Background()
	pool, err := idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("choice"),
		Policies: &types.UserPoolPolicyType{SignInPolicy: &types.SignInPolicyType{
			AllowedFirstAuthFactors: []types.AuthFactorType{types.AuthFactorTypePassword, types.AuthFactorTypeEmailOtp}}},
		EmailConfiguration: &types.EmailConfigurationType{EmailSendingAccount: types.EmailSendingAccountTypeDeveloper, From: aws.String("c@example.test")}})
	if err != nil {
		t.Fatal(err)
	}
	poolID := pool.UserPool.Id
	cl, err := idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: poolID, ClientName: aws.String("web"),
		ExplicitAuthFlows:    []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
		RefreshTokenRotation: &types.RefreshTokenRotationType{Feature: types.FeatureTypeEnabled}})
	if err != nil {
		t.Fatal(err)
	}
	client := cl.UserPoolClient.ClientId
	if _, err := idp.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: poolID, Username: aws.String("fay"), MessageAction: types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("fay@example.test")}, {Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	out, err := idp.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserAuth, ClientId: client, AuthParameters: map[string]string{"USERNAME": "fay"}})
	want := []types.ChallengeNameType{types.ChallengeNameTypePassword, types.ChallengeNameTypePasswordSrp, types.ChallengeNameTypeEmailOtp}
	if err != nil || out.ChallengeName != types.ChallengeNameTypeSelectChallenge || len(out.AvailableChallenges) != 3 || out.AvailableChallenges[2] != want[2] || out.AvailableChallenges[0] != want[0] {
		t.Fatalf("USER_AUTH: %+v %v", out, err)
	}
	ch, err := idp.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: client, ChallengeName: types.ChallengeNameTypeSelectChallenge,
		Session: out.Session, ChallengeResponses: map[string]string{"USERNAME": "fay", "ANSWER": "EMAIL_OTP"}})
	if err != nil || ch.ChallengeName != types.ChallengeNameTypeEmailOtp {
		t.Fatalf("choose EMAIL_OTP: %+v %v", ch, err)
	}
	code := sixDigits.FindString(mp.waitMail(t, "fay@example.test").Text)
	res, err := idp.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: client, ChallengeName: types.ChallengeNameTypeEmailOtp,
		Session: ch.Session, ChallengeResponses: map[string]string{"USERNAME": "fay", "EMAIL_OTP_CODE": code}})
	if err != nil || res.AuthenticationResult == nil {
		t.Fatalf("email code: %v", err)
	}
	f, err := idp.GetUserAuthFactors(ctx, &cip.GetUserAuthFactorsInput{AccessToken: res.AuthenticationResult.AccessToken})
	if err != nil || len(f.ConfiguredUserAuthFactors) != 2 || f.ConfiguredUserAuthFactors[1] != types.AuthFactorTypeEmailOtp {
		t.Fatalf("GetUserAuthFactors: %+v %v", f, err)
	}
	_, err = idp.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserAuth, ClientId: client,
		AuthParameters: map[string]string{"USERNAME": "fay", "PREFERRED_CHALLENGE": "PASSWORD", "PASSWORD": "Whatever-1!"}})
	wantType[*types.NotAuthorizedException](t, err, "a wrong password as first factor")

	old := res.AuthenticationResult.RefreshToken
	rot, err := idp.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: client, RefreshToken: old})
	if err != nil || rot.AuthenticationResult.RefreshToken == nil || aws.ToString(rot.AuthenticationResult.RefreshToken) == aws.ToString(old) {
		t.Fatalf("GetTokensFromRefreshToken: %+v %v", rot, err)
	}
	_, err = idp.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: client, RefreshToken: old})
	wantType[*types.RefreshTokenReuseException](t, err, "a rotated refresh token used again")
	_, err = idp.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: client, RefreshToken: aws.String(strings.Repeat("x", 64))})
	wantType[*types.NotAuthorizedException](t, err, "a forged refresh token")
}
