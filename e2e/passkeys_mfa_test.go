package e2e

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/document"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/passkeytest"
)

// TestPasskeyAsMFASDK: WebAuthnConfiguration FactorConfiguration and the
// user's WebAuthnMfaSettings. A passkey alone does not pass a user who has
// MFA; with MULTI_FACTOR_WITH_USER_VERIFICATION and passkey MFA on, a
// user-verified passkey sign-in does, and one without user verification is
// refused.
func TestPasskeyAsMFASDK(t *testing.T) {
	srv := startServer(t, "")
	idp := newIDP(srv.URL)
	ctx := t.Context()
	const user, pw = "mira", "Mira-Passw0rd!"
	poolID, clientID := passkeyPool(t, idp, user, pw)
	client := aws.String(clientID)
	setConfig := func(factor types.WebAuthnFactorConfigurationType) error {
		_, err := idp.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID), MfaConfiguration: types.UserPoolMfaTypeOptional,
			SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true},
			WebAuthnConfiguration: &types.WebAuthnConfigurationType{RelyingPartyId: aws.String("localhost"), UserVerification: types.UserVerificationTypePreferred,
				FactorConfiguration: factor}})
		return err
	}
	if err := setConfig(types.WebAuthnFactorConfigurationType("TWO_FACTOR")); err == nil {
		t.Fatal("an unknown FactorConfiguration was accepted")
	} else {
		wantType[*types.InvalidParameterException](t, err, "unknown FactorConfiguration")
	}
	if err := setConfig(""); err != nil {
		t.Fatal(err)
	}
	got, err := idp.GetUserPoolMfaConfig(ctx, &cip.GetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID)})
	if err != nil || got.WebAuthnConfiguration == nil || got.WebAuthnConfiguration.FactorConfiguration != types.WebAuthnFactorConfigurationTypeSingleFactor {
		t.Fatalf("GetUserPoolMfaConfig = %+v, %v", got, err)
	}

	signIn, err := idp.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: client,
		AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": pw}})
	if err != nil {
		t.Fatal(err)
	}
	access := signIn.AuthenticationResult.AccessToken
	// A passkey (user-verifying authenticator) and an authenticator app.
	a := passkeytest.New("http://localhost:5173")
	start, err := idp.StartWebAuthnRegistration(ctx, &cip.StartWebAuthnRegistrationInput{AccessToken: access})
	if err != nil {
		t.Fatal(err)
	}
	opts, _ := start.CredentialCreationOptions.MarshalSmithyDocument()
	resp, err := a.Create(opts)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	_ = json.Unmarshal(resp, &doc)
	if _, err := idp.CompleteWebAuthnRegistration(ctx, &cip.CompleteWebAuthnRegistrationInput{AccessToken: access, Credential: document.NewLazyDocument(doc)}); err != nil {
		t.Fatal(err)
	}
	assoc, err := idp.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{AccessToken: access})
	if err != nil {
		t.Fatal(err)
	}
	secret := aws.ToString(assoc.SecretCode)
	if _, err := idp.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: access, UserCode: aws.String(totpNow(t, secret, 0))}); err != nil {
		t.Fatal(err)
	}
	if _, err := idp.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: access,
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true}}); err != nil {
		t.Fatal(err)
	}

	passkeySignIn := func(a *passkeytest.Authenticator) (*cip.RespondToAuthChallengeOutput, error) {
		t.Helper()
		ch, err := idp.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserAuth, ClientId: client,
			AuthParameters: map[string]string{"USERNAME": user, "PREFERRED_CHALLENGE": "WEB_AUTHN"}})
		if err != nil || ch.ChallengeName != types.ChallengeNameTypeWebAuthn {
			t.Fatalf("WEB_AUTHN challenge = %+v, %v", ch, err)
		}
		cred, err := a.Get([]byte(ch.ChallengeParameters["CREDENTIAL_REQUEST_OPTIONS"]))
		if err != nil {
			t.Fatal(err)
		}
		return idp.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: client, ChallengeName: types.ChallengeNameTypeWebAuthn,
			Session: ch.Session, ChallengeResponses: map[string]string{"USERNAME": user, "CREDENTIAL": string(cred)}})
	}

	// SINGLE_FACTOR: the passkey is one factor, the user's TOTP still follows.
	res, err := passkeySignIn(a)
	if err != nil || res.AuthenticationResult != nil || res.ChallengeName != types.ChallengeNameTypeSoftwareTokenMfa {
		t.Fatalf("passkey of a user with TOTP under SINGLE_FACTOR = %+v, %v", res, err)
	}
	done, err := idp.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: client, ChallengeName: types.ChallengeNameTypeSoftwareTokenMfa,
		Session: res.Session, ChallengeResponses: map[string]string{"USERNAME": user, "SOFTWARE_TOKEN_MFA_CODE": totpNow(t, secret, 30*time.Second)}})
	if err != nil || done.AuthenticationResult == nil {
		t.Fatalf("TOTP after the passkey = %+v, %v", done, err)
	}
	// Passkey MFA needs the pool's MULTI_FACTOR_WITH_USER_VERIFICATION.
	_, err = idp.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: access, WebAuthnMfaSettings: &types.WebAuthnMfaSettingsType{Enabled: true}})
	wantType[*types.InvalidParameterException](t, err, "passkey MFA under SINGLE_FACTOR")

	if err := setConfig(types.WebAuthnFactorConfigurationTypeMultiFactorWithUserVerification); err != nil {
		t.Fatal(err)
	}
	// MULTI_FACTOR_WITH_USER_VERIFICATION, but passkey MFA still off for the user.
	if res, err = passkeySignIn(a); err != nil || res.ChallengeName != types.ChallengeNameTypeSoftwareTokenMfa {
		t.Fatalf("passkey MFA off for the user = %+v, %v", res, err)
	}
	if _, err := idp.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: access, WebAuthnMfaSettings: &types.WebAuthnMfaSettingsType{Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	// A user-verified passkey now satisfies MFA.
	if res, err = passkeySignIn(a); err != nil || res.AuthenticationResult == nil || res.AuthenticationResult.IdToken == nil {
		t.Fatalf("user-verified passkey with passkey MFA = %+v, %v", res, err)
	}
	// Without user verification the assertion is refused.
	a.NoUserVerification = true
	_, err = passkeySignIn(a)
	wantType[*types.NotAuthorizedException](t, err, "a passkey assertion without user verification")
	a.NoUserVerification = false
	// A disabled user's passkey signs nobody in.
	if _, err := idp.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: aws.String(poolID), Username: aws.String(user)}); err != nil {
		t.Fatal(err)
	}
	_, err = passkeySignIn(a)
	wantType[*types.NotAuthorizedException](t, err, "the passkey of a disabled user")
}

// TestPasskeySignInNeedsUsername: as AWS documents, every USER_AUTH
// challenge (WEB_AUTHN included) requires USERNAME, so there is no
// username-less passkey start; the managed login pages ask for the name
// first (TestBrowserManagedLoginMFAAndPasskeys).
func TestPasskeySignInNeedsUsername(t *testing.T) {
	srv := startServer(t, "")
	idp := newIDP(srv.URL)
	ctx := t.Context()
	_, clientID := passkeyPool(t, idp, "nora", "Nora-Passw0rd!")
	_, err := idp.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserAuth, ClientId: aws.String(clientID),
		AuthParameters: map[string]string{"PREFERRED_CHALLENGE": "WEB_AUTHN"}})
	wantType[*types.InvalidParameterException](t, err, "USER_AUTH WEB_AUTHN without USERNAME")
	ch, err := idp.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserAuth, ClientId: aws.String(clientID),
		AuthParameters: map[string]string{"USERNAME": "nora"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = idp.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeSelectChallenge,
		Session: ch.Session, ChallengeResponses: map[string]string{"ANSWER": "WEB_AUTHN"}})
	wantType[*types.InvalidParameterException](t, err, "SELECT_CHALLENGE without USERNAME")
}
