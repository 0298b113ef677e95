package userpool

import (
	"encoding/base32"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/userpool/srp"
)

func codeAt(t testing.TB, secretB32 string, at time.Time) string {
	t.Helper()
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secretB32)
	if err != nil {
		t.Fatal(err)
	}
	c, err := totpCode(raw, totpStep(at))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// RFC 6238's SHA-1 test vectors (8 digits there; the last 6 are the 6-digit code).
func TestTOTPVectors(t *testing.T) {
	secret := []byte("12345678901234567890")
	for unix, want := range map[int64]string{59: "287082", 1111111109: "081804", 1234567890: "005924", 2000000000: "279037"} {
		got, err := totpCode(secret, unix/30)
		if err != nil || got != want {
			t.Errorf("T=%d: %s, %v; want %s", unix, got, err, want)
		}
	}
}

func (e *env) mfaPool(t *testing.T, mode types.UserPoolMfaType, opts ...func(*cip.SetUserPoolMfaConfigInput)) (string, string) {
	t.Helper()
	poolID := e.pool(t, func(in *cip.CreateUserPoolInput) {
		in.EmailConfiguration = &types.EmailConfigurationType{EmailSendingAccount: types.EmailSendingAccountTypeDeveloper, From: aws.String("a@example.com")}
	})
	in := &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID), MfaConfiguration: mode,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}}
	for _, o := range opts {
		o(in)
	}
	must(e.api.SetUserPoolMfaConfig(e.ctx, in))
	return poolID, e.client(t, poolID)
}

// totpUser signs alice in, associates and verifies an authenticator, and returns its secret.
func (e *env) totpUser(t *testing.T, poolID, clientID string) string {
	t.Helper()
	e.user(t, poolID, "alice", "email", "alice@example.com", "phone_number", "+15550001234")
	res := must(e.passwordAuth(clientID, "alice", goodPassword))
	if res.AuthenticationResult == nil {
		t.Fatalf("before TOTP set-up, OPTIONAL MFA gave %s", res.ChallengeName)
	}
	at := res.AuthenticationResult.AccessToken
	assoc := must(e.api.AssociateSoftwareToken(e.ctx, &cip.AssociateSoftwareTokenInput{AccessToken: at}))
	_, err := e.api.VerifySoftwareToken(e.ctx, &cip.VerifySoftwareTokenInput{AccessToken: at, UserCode: aws.String("000000")})
	var enable *types.EnableSoftwareTokenMFAException
	if !errors.As(err, &enable) {
		t.Fatalf("wrong code verified: %v", err)
	}
	v := must(e.api.VerifySoftwareToken(e.ctx, &cip.VerifySoftwareTokenInput{AccessToken: at,
		UserCode: aws.String(codeAt(t, *assoc.SecretCode, e.clock.Now())), FriendlyDeviceName: aws.String("phone")}))
	if v.Status != types.VerifySoftwareTokenResponseTypeSuccess {
		t.Fatalf("verify: %v", v.Status)
	}
	u := must(e.api.GetUser(e.ctx, &cip.GetUserInput{AccessToken: at}))
	if len(u.UserMFASettingList) != 1 || u.UserMFASettingList[0] != "SOFTWARE_TOKEN_MFA" {
		t.Fatalf("UserMFASettingList = %v", u.UserMFASettingList)
	}
	return *assoc.SecretCode
}

func TestTOTPWindowSingleUseAndLockout(t *testing.T) {
	e := newEnv(t)
	poolID, clientID := e.mfaPool(t, types.UserPoolMfaTypeOptional)
	secret := e.totpUser(t, poolID, clientID)
	e.clock.Advance(time.Minute) // past the step used to verify

	start := func() *cip.InitiateAuthOutput {
		out := must(e.passwordAuth(clientID, "alice", goodPassword))
		if out.ChallengeName != types.ChallengeNameTypeSoftwareTokenMfa || out.Session == nil {
			t.Fatalf("challenge = %q", out.ChallengeName)
		}
		return out
	}
	answer := func(session *string, code string) (*cip.RespondToAuthChallengeOutput, error) {
		return e.api.RespondToAuthChallenge(e.ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID),
			ChallengeName: types.ChallengeNameTypeSoftwareTokenMfa, Session: session,
			ChallengeResponses: map[string]string{"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": code}})
	}
	// Two steps away: refused; the same session still works after it.
	ch := start()
	_, err := answer(ch.Session, codeAt(t, secret, e.clock.Now().Add(-60*time.Second)))
	wantErr(t, err, "CodeMismatchException", msgTOTPMismatch)
	// One step behind: accepted.
	prev := codeAt(t, secret, e.clock.Now().Add(-30*time.Second))
	res, err := answer(ch.Session, prev)
	if err != nil || res.AuthenticationResult == nil {
		t.Fatalf("code of the previous step: %v", err)
	}
	// The same code again, in a new sign-in: replay refused.
	ch = start()
	_, err = answer(ch.Session, prev)
	wantErr(t, err, "CodeMismatchException", msgTOTPMismatch)
	// The next step's code works once.
	next := codeAt(t, secret, e.clock.Now().Add(30*time.Second))
	if res, err := answer(ch.Session, next); err != nil || res.AuthenticationResult == nil {
		t.Fatalf("code of the next step: %v", err)
	}
	// The current step is older than the one just used: refused too.
	ch = start()
	_, err = answer(ch.Session, codeAt(t, secret, e.clock.Now()))
	wantErr(t, err, "CodeMismatchException", msgTOTPMismatch)
	// Wrong codes count toward the lockout: after the free failures even the
	// right code is refused, and the session survives for after the lock.
	e.clock.Advance(2 * time.Minute)
	ch = start()
	for range freeFailures {
		_, err = answer(ch.Session, "123456")
		wantErr(t, err, "CodeMismatchException", msgTOTPMismatch)
	}
	good := codeAt(t, secret, e.clock.Now())
	_, err = answer(ch.Session, good)
	wantErr(t, err, "NotAuthorizedException", msgAttemptsExceeded)
	e.clock.Advance(2 * time.Second)
	if res, err := answer(ch.Session, good); err != nil || res.AuthenticationResult == nil {
		t.Fatalf("right code after the lock: %v", err)
	}
	// The session expires with the client's AuthSessionValidity (3 minutes).
	e.clock.Advance(time.Minute)
	ch = start()
	e.clock.Advance(3*time.Minute + time.Second)
	_, err = answer(ch.Session, codeAt(t, secret, e.clock.Now()))
	wantErr(t, err, "NotAuthorizedException", msgInvalidSession)
}

func TestMFASetupDuringSignIn(t *testing.T) {
	e := newEnv(t)
	poolID, clientID := e.mfaPool(t, types.UserPoolMfaTypeOn)
	e.user(t, poolID, "bob")
	c, out, err := e.srpStart(t, clientID, "bob")
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.respondSRP(clientID, srpAnswer(t, poolID, c, out.ChallengeParameters, goodPassword, e.clock.Now()))
	if err != nil || res.ChallengeName != types.ChallengeNameTypeMfaSetup || res.ChallengeParameters["MFAS_CAN_SETUP"] != `["SOFTWARE_TOKEN_MFA"]` {
		t.Fatalf("after SRP with MFA ON: %v %+v", err, res)
	}
	// Not verified yet: MFA_SETUP is refused.
	assoc := must(e.api.AssociateSoftwareToken(e.ctx, &cip.AssociateSoftwareTokenInput{Session: res.Session}))
	_, err = e.api.RespondToAuthChallenge(e.ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeMfaSetup,
		Session: assoc.Session, ChallengeResponses: map[string]string{"USERNAME": "bob"}})
	wantErr(t, err, "NotAuthorizedException", msgInvalidSession)

	c2, out2, err := e.srpStart(t, clientID, "bob")
	if err != nil {
		t.Fatal(err)
	}
	res = must(e.respondSRP(clientID, srpAnswer(t, poolID, c2, out2.ChallengeParameters, goodPassword, e.clock.Now())))
	assoc = must(e.api.AssociateSoftwareToken(e.ctx, &cip.AssociateSoftwareTokenInput{Session: res.Session}))
	v := must(e.api.VerifySoftwareToken(e.ctx, &cip.VerifySoftwareTokenInput{Session: assoc.Session, UserCode: aws.String(codeAt(t, *assoc.SecretCode, e.clock.Now()))}))
	done := must(e.api.RespondToAuthChallenge(e.ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeMfaSetup,
		Session: v.Session, ChallengeResponses: map[string]string{"USERNAME": "bob"}}))
	if done.AuthenticationResult == nil {
		t.Fatal("no tokens after MFA_SETUP")
	}
	got := must(e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("bob")}))
	if len(got.UserMFASettingList) != 1 {
		t.Fatalf("AdminGetUser UserMFASettingList = %v", got.UserMFASettingList)
	}
}

func TestSMSAndEmailCodesAndSelection(t *testing.T) {
	e := newEnv(t)
	poolID, clientID := e.mfaPool(t, types.UserPoolMfaTypeOptional, func(in *cip.SetUserPoolMfaConfigInput) {
		in.SmsMfaConfiguration = &types.SmsMfaConfigType{SmsAuthenticationMessage: aws.String("Sign-in code {####}")}
		in.EmailMfaConfiguration = &types.EmailMfaConfigType{Subject: aws.String("Your code"), Message: aws.String("Code: {####}")}
	})
	e.user(t, poolID, "carol", "email", "carol@example.com", "phone_number", "+15550009999")
	must(e.api.AdminSetUserMFAPreference(e.ctx, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: aws.String(poolID), Username: aws.String("carol"),
		SMSMfaSettings: &types.SMSMfaSettingsType{Enabled: true}, EmailMfaSettings: &types.EmailMfaSettingsType{Enabled: true}}))
	out := must(e.passwordAuth(clientID, "carol", goodPassword))
	if out.ChallengeName != types.ChallengeNameTypeSelectMfaType || out.ChallengeParameters["MFAS_CAN_CHOOSE"] != `["SMS_MFA","EMAIL_OTP"]` {
		t.Fatalf("two factors: %s %v", out.ChallengeName, out.ChallengeParameters)
	}
	sel := must(e.api.RespondToAuthChallenge(e.ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeSelectMfaType,
		Session: out.Session, ChallengeResponses: map[string]string{"USERNAME": "carol", "ANSWER": "EMAIL_OTP"}}))
	if sel.ChallengeName != types.ChallengeNameTypeEmailOtp || sel.ChallengeParameters["CODE_DELIVERY_DESTINATION"] != "c***@e***" {
		t.Fatalf("after choosing email: %s %v", sel.ChallengeName, sel.ChallengeParameters)
	}
	d, _ := e.inbox.LastDelivery(poolID, "carol")
	if d.Kind != CodeMFA || d.Medium != "EMAIL" || d.Subject != "Your code" || d.Message != "Code: "+d.Code {
		t.Fatalf("email code delivery: %+v", d)
	}
	_, err := e.api.RespondToAuthChallenge(e.ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeEmailOtp,
		Session: sel.Session, ChallengeResponses: map[string]string{"USERNAME": "carol", "EMAIL_OTP_CODE": "000000"}})
	wantErr(t, err, "CodeMismatchException", msgMFACodeMismatch)
	ok := must(e.api.RespondToAuthChallenge(e.ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeEmailOtp,
		Session: sel.Session, ChallengeResponses: map[string]string{"USERNAME": "carol", "EMAIL_OTP_CODE": d.Code}}))
	if ok.AuthenticationResult == nil {
		t.Fatal("no tokens after EMAIL_OTP")
	}
	// The session is single use once answered.
	_, err = e.api.RespondToAuthChallenge(e.ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeEmailOtp,
		Session: sel.Session, ChallengeResponses: map[string]string{"USERNAME": "carol", "EMAIL_OTP_CODE": d.Code}})
	wantErr(t, err, "NotAuthorizedException", msgInvalidSession)

	// SMS preferred: straight to SMS_MFA with the pool's message.
	must(e.api.AdminSetUserMFAPreference(e.ctx, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: aws.String(poolID), Username: aws.String("carol"),
		SMSMfaSettings: &types.SMSMfaSettingsType{Enabled: true, PreferredMfa: true}}))
	out = must(e.passwordAuth(clientID, "carol", goodPassword))
	d, _ = e.inbox.LastDelivery(poolID, "carol")
	if out.ChallengeName != types.ChallengeNameTypeSmsMfa || d.Medium != "SMS" || d.Message != "Sign-in code "+d.Code {
		t.Fatalf("preferred SMS: %s %+v", out.ChallengeName, d)
	}
	res := must(e.api.RespondToAuthChallenge(e.ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeSmsMfa,
		Session: out.Session, ChallengeResponses: map[string]string{"USERNAME": "carol", "SMS_MFA_CODE": d.Code}}))
	if res.AuthenticationResult == nil {
		t.Fatal("no tokens after SMS_MFA")
	}
}

func TestMFAConfigValidation(t *testing.T) {
	e := newEnv(t)
	poolID := e.pool(t)
	_, err := e.api.SetUserPoolMfaConfig(e.ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID), MfaConfiguration: types.UserPoolMfaTypeOn})
	wantErr(t, err, "InvalidParameterException", "")
	_, err = e.api.SetUserPoolMfaConfig(e.ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID), MfaConfiguration: types.UserPoolMfaTypeOptional,
		EmailMfaConfiguration: &types.EmailMfaConfigType{Message: aws.String("{####}")}})
	wantErr(t, err, "InvalidParameterException", "") // needs a DEVELOPER email configuration
	_, err = e.api.SetUserPoolMfaConfig(e.ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String("us-east-1_nope"), MfaConfiguration: types.UserPoolMfaTypeOff})
	wantErr(t, err, "ResourceNotFoundException", "")
	must(e.api.SetUserPoolMfaConfig(e.ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID), MfaConfiguration: types.UserPoolMfaTypeOptional,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}}))
	got := must(e.api.GetUserPoolMfaConfig(e.ctx, &cip.GetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID)}))
	if got.MfaConfiguration != types.UserPoolMfaTypeOptional || !got.SoftwareTokenMfaConfiguration.Enabled || got.SmsMfaConfiguration != nil {
		t.Fatalf("GetUserPoolMfaConfig = %+v", got)
	}
	desc := must(e.api.DescribeUserPool(e.ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(poolID)}))
	if desc.UserPool.MfaConfiguration != types.UserPoolMfaTypeOptional {
		t.Fatalf("DescribeUserPool MfaConfiguration = %q", desc.UserPool.MfaConfiguration)
	}
	e.user(t, poolID, "dan")
	_, err = e.api.AdminSetUserMFAPreference(e.ctx, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: aws.String(poolID), Username: aws.String("dan"),
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true}})
	wantErr(t, err, "InvalidParameterException", "User has not verified software token mfa")
}

func TestRememberedDeviceSkipsMFA(t *testing.T) {
	e := newEnv(t)
	poolID, clientID := e.mfaPool(t, types.UserPoolMfaTypeOptional)
	must(e.api.UpdateUserPool(e.ctx, &cip.UpdateUserPoolInput{UserPoolId: aws.String(poolID), MfaConfiguration: types.UserPoolMfaTypeOptional,
		DeviceConfiguration: &types.DeviceConfigurationType{ChallengeRequiredOnNewDevice: true, DeviceOnlyRememberedOnUserPrompt: false}}))
	secret := e.totpUser(t, poolID, clientID)
	e.clock.Advance(time.Minute)
	out := must(e.passwordAuth(clientID, "alice", goodPassword))
	res := must(e.api.RespondToAuthChallenge(e.ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeSoftwareTokenMfa,
		Session: out.Session, ChallengeResponses: map[string]string{"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": codeAt(t, secret, e.clock.Now())}}))
	meta := res.AuthenticationResult.NewDeviceMetadata
	if meta == nil || !strings.HasPrefix(*meta.DeviceKey, "us-east-1_") {
		t.Fatalf("NewDeviceMetadata = %+v", meta)
	}
	salt := []byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe}
	devicePassword := "device-random-password"
	verifier := srp.Verifier(*meta.DeviceGroupKey, *meta.DeviceKey, devicePassword, salt)
	conf := must(e.api.ConfirmDevice(e.ctx, &cip.ConfirmDeviceInput{AccessToken: res.AuthenticationResult.AccessToken, DeviceKey: meta.DeviceKey,
		DeviceName: aws.String("laptop"), DeviceSecretVerifierConfig: &types.DeviceSecretVerifierConfigType{
			PasswordVerifier: aws.String(base64.StdEncoding.EncodeToString(verifier)), Salt: aws.String(base64.StdEncoding.EncodeToString(salt))}}))
	if conf.UserConfirmationNecessary {
		t.Fatal("UserConfirmationNecessary without DeviceOnlyRememberedOnUserPrompt")
	}
	list := must(e.api.AdminListDevices(e.ctx, &cip.AdminListDevicesInput{UserPoolId: aws.String(poolID), Username: aws.String("alice")}))
	if len(list.Devices) != 1 || *list.Devices[0].DeviceKey != *meta.DeviceKey {
		t.Fatalf("AdminListDevices = %+v", list.Devices)
	}

	// Next sign-in from the device: DEVICE_SRP_AUTH, then tokens without MFA.
	out = must(e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: aws.String(clientID),
		AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": goodPassword, "DEVICE_KEY": *meta.DeviceKey}}))
	if out.ChallengeName != types.ChallengeNameTypeDeviceSrpAuth {
		t.Fatalf("from a remembered device: %s", out.ChallengeName)
	}
	c, err := srp.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	dev := must(e.api.RespondToAuthChallenge(e.ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeDeviceSrpAuth,
		Session: out.Session, ChallengeResponses: map[string]string{"USERNAME": "alice", "DEVICE_KEY": *meta.DeviceKey, "SRP_A": c.AHex()}}))
	p := dev.ChallengeParameters
	stamp, sig, err := c.Respond(*meta.DeviceGroupKey, *meta.DeviceKey, devicePassword, p["SALT"], p["SRP_B"], p["SECRET_BLOCK"], e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	done := must(e.api.RespondToAuthChallenge(e.ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeDevicePasswordVerifier,
		Session: dev.Session, ChallengeResponses: map[string]string{"USERNAME": "alice", "DEVICE_KEY": *meta.DeviceKey,
			"PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"], "TIMESTAMP": stamp, "PASSWORD_CLAIM_SIGNATURE": sig}}))
	if done.AuthenticationResult == nil || done.AuthenticationResult.NewDeviceMetadata != nil {
		t.Fatalf("remembered device: %+v", done)
	}
	// Not remembered any more: the device is proven, then MFA is asked.
	must(e.api.AdminUpdateDeviceStatus(e.ctx, &cip.AdminUpdateDeviceStatusInput{UserPoolId: aws.String(poolID), Username: aws.String("alice"),
		DeviceKey: meta.DeviceKey, DeviceRememberedStatus: types.DeviceRememberedStatusTypeNotRemembered}))
	out = must(e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: aws.String(clientID),
		AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": goodPassword, "DEVICE_KEY": *meta.DeviceKey}}))
	c = must(srp.NewClient())
	dev = must(e.api.RespondToAuthChallenge(e.ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeDeviceSrpAuth,
		Session: out.Session, ChallengeResponses: map[string]string{"USERNAME": "alice", "DEVICE_KEY": *meta.DeviceKey, "SRP_A": c.AHex()}}))
	p = dev.ChallengeParameters
	stamp, sig, _ = c.Respond(*meta.DeviceGroupKey, *meta.DeviceKey, "wrong-password", p["SALT"], p["SRP_B"], p["SECRET_BLOCK"], e.clock.Now())
	_, err = e.api.RespondToAuthChallenge(e.ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeDevicePasswordVerifier,
		Session: dev.Session, ChallengeResponses: map[string]string{"USERNAME": "alice", "DEVICE_KEY": *meta.DeviceKey,
			"PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"], "TIMESTAMP": stamp, "PASSWORD_CLAIM_SIGNATURE": sig}})
	wantErr(t, err, "NotAuthorizedException", msgIncorrect)

	must(e.api.AdminForgetDevice(e.ctx, &cip.AdminForgetDeviceInput{UserPoolId: aws.String(poolID), Username: aws.String("alice"), DeviceKey: meta.DeviceKey}))
	_, err = e.api.AdminGetDevice(e.ctx, &cip.AdminGetDeviceInput{UserPoolId: aws.String(poolID), Username: aws.String("alice"), DeviceKey: meta.DeviceKey})
	wantErr(t, err, "ResourceNotFoundException", "")
}
