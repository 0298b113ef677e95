package e2e

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/document"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/passkeytest"
)

// passkeyPool creates a pool allowing PASSWORD and WEB_AUTHN with relying
// party localhost, a public USER_AUTH client and a confirmed user.
func passkeyPool(t *testing.T, idp *cip.Client, user, pw string) (poolID, clientID string) {
	t.Helper()
	ctx := context.Background()
	p, err := idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("passkeys"),
		Policies: &types.UserPoolPolicyType{SignInPolicy: &types.SignInPolicyType{
			AllowedFirstAuthFactors: []types.AuthFactorType{types.AuthFactorTypePassword, types.AuthFactorTypeWebAuthn}}}})
	if err != nil {
		t.Fatal(err)
	}
	poolID = aws.ToString(p.UserPool.Id)
	if _, err := idp.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID),
		WebAuthnConfiguration: &types.WebAuthnConfigurationType{RelyingPartyId: aws.String("localhost"), UserVerification: types.UserVerificationTypePreferred}}); err != nil {
		t.Fatal(err)
	}
	c, err := idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("web"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserAuth, types.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	clientID = aws.ToString(c.UserPoolClient.ClientId)
	if _, err := idp.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String(user),
		MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	if _, err := idp.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String(user),
		Password: aws.String(pw), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	return poolID, clientID
}

// TestPasskeysSDK registers a passkey made by a software authenticator and
// signs in with it through USER_AUTH, with aws-sdk-go-v2 and AWS's error types.
func TestPasskeysSDK(t *testing.T) {
	srv := startServer(t, "")
	idp := newIDP(srv.URL)
	ctx := context.Background()
	const user, pw = "pia", "Pia-Passw0rd!"
	_, clientID := passkeyPool(t, idp, user, pw)
	client := aws.String(clientID)
	signIn, err := idp.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: client,
		AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": pw}})
	if err != nil {
		t.Fatal(err)
	}
	access := signIn.AuthenticationResult.AccessToken
	a := passkeytest.New("http://localhost:5173")

	register := func(a *passkeytest.Authenticator) error {
		start, err := idp.StartWebAuthnRegistration(ctx, &cip.StartWebAuthnRegistrationInput{AccessToken: access})
		if err != nil {
			t.Fatal(err)
		}
		opts, err := start.CredentialCreationOptions.MarshalSmithyDocument()
		if err != nil {
			t.Fatal(err)
		}
		resp, err := a.Create(opts)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		_ = json.Unmarshal(resp, &doc)
		_, err = idp.CompleteWebAuthnRegistration(ctx, &cip.CompleteWebAuthnRegistrationInput{AccessToken: access, Credential: document.NewLazyDocument(doc)})
		return err
	}
	t.Run("registration", func(t *testing.T) {
		_, err := idp.CompleteWebAuthnRegistration(ctx, &cip.CompleteWebAuthnRegistrationInput{AccessToken: access,
			Credential: document.NewLazyDocument(map[string]any{"id": "x"})})
		wantType[*types.WebAuthnChallengeNotFoundException](t, err, "complete without start")
		wantType[*types.WebAuthnOriginNotAllowedException](t, register(passkeytest.New("https://phish.example")), "another origin")
		other := passkeytest.New("http://localhost:5173")
		other.RPID = "example.com"
		wantType[*types.WebAuthnRelyingPartyMismatchException](t, register(other), "another relying party")
		if err := register(a); err != nil {
			t.Fatalf("register: %v", err)
		}
		list, err := idp.ListWebAuthnCredentials(ctx, &cip.ListWebAuthnCredentialsInput{AccessToken: access})
		if err != nil || len(list.Credentials) != 1 || aws.ToString(list.Credentials[0].CredentialId) != a.CredentialID() ||
			aws.ToString(list.Credentials[0].RelyingPartyId) != "localhost" {
			t.Fatalf("ListWebAuthnCredentials = %+v, %v", list, err)
		}
		f, err := idp.GetUserAuthFactors(ctx, &cip.GetUserAuthFactorsInput{AccessToken: access})
		if err != nil || !hasFactor(f.ConfiguredUserAuthFactors, types.AuthFactorTypeWebAuthn) {
			t.Fatalf("GetUserAuthFactors = %+v, %v", f, err)
		}
	})

	t.Run("sign-in", func(t *testing.T) {
		sel, err := idp.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserAuth, ClientId: client,
			AuthParameters: map[string]string{"USERNAME": user}})
		if err != nil || sel.ChallengeName != types.ChallengeNameTypeSelectChallenge || !hasChallenge(sel.AvailableChallenges, types.ChallengeNameTypeWebAuthn) {
			t.Fatalf("SELECT_CHALLENGE = %+v, %v", sel, err)
		}
		ch, err := idp.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: client, ChallengeName: types.ChallengeNameTypeSelectChallenge,
			Session: sel.Session, ChallengeResponses: map[string]string{"USERNAME": user, "ANSWER": "WEB_AUTHN"}})
		if err != nil || ch.ChallengeName != types.ChallengeNameTypeWebAuthn {
			t.Fatalf("ANSWER WEB_AUTHN = %+v, %v", ch, err)
		}
		cred, err := a.Get([]byte(ch.ChallengeParameters["CREDENTIAL_REQUEST_OPTIONS"]))
		if err != nil {
			t.Fatal(err)
		}
		answer := func(session *string, cred []byte) (*cip.RespondToAuthChallengeOutput, error) {
			return idp.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: client, ChallengeName: types.ChallengeNameTypeWebAuthn,
				Session: session, ChallengeResponses: map[string]string{"USERNAME": user, "CREDENTIAL": string(cred)}})
		}
		res, err := answer(ch.Session, cred)
		if err != nil || res.AuthenticationResult == nil || res.AuthenticationResult.IdToken == nil {
			t.Fatalf("passkey sign-in = %+v, %v", res, err)
		}
		_, err = answer(ch.Session, cred)
		wantType[*types.NotAuthorizedException](t, err, "a used session")

		pref, err := idp.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserAuth, ClientId: client,
			AuthParameters: map[string]string{"USERNAME": user, "PREFERRED_CHALLENGE": "WEB_AUTHN"}})
		if err != nil || pref.ChallengeName != types.ChallengeNameTypeWebAuthn {
			t.Fatalf("PREFERRED_CHALLENGE WEB_AUTHN = %+v, %v", pref, err)
		}
		_, err = answer(pref.Session, cred)
		wantType[*types.NotAuthorizedException](t, err, "an assertion of an old challenge")
		a.Origin = "https://phish.example"
		phished, _ := a.Get([]byte(pref.ChallengeParameters["CREDENTIAL_REQUEST_OPTIONS"]))
		a.Origin = "http://localhost:5173"
		_, err = answer(pref.Session, phished)
		wantType[*types.NotAuthorizedException](t, err, "an assertion made on another origin")
		good, _ := a.Get([]byte(pref.ChallengeParameters["CREDENTIAL_REQUEST_OPTIONS"]))
		if res, err := answer(pref.Session, good); err != nil || res.AuthenticationResult == nil {
			t.Fatalf("PREFERRED_CHALLENGE sign-in = %+v, %v", res, err)
		}
	})

	t.Run("delete", func(t *testing.T) {
		_, err := idp.DeleteWebAuthnCredential(ctx, &cip.DeleteWebAuthnCredentialInput{AccessToken: access, CredentialId: aws.String("missing")})
		wantType[*types.ResourceNotFoundException](t, err, "delete a missing passkey")
		if _, err := idp.DeleteWebAuthnCredential(ctx, &cip.DeleteWebAuthnCredentialInput{AccessToken: access, CredentialId: aws.String(a.CredentialID())}); err != nil {
			t.Fatal(err)
		}
		list, err := idp.ListWebAuthnCredentials(ctx, &cip.ListWebAuthnCredentialsInput{AccessToken: access})
		if err != nil || len(list.Credentials) != 0 {
			t.Fatalf("after delete: %+v, %v", list, err)
		}
		_, err = idp.StartWebAuthnRegistration(ctx, &cip.StartWebAuthnRegistrationInput{AccessToken: aws.String("bad.token.here")})
		wantType[*types.NotAuthorizedException](t, err, "a bad access token")
	})
}

func hasFactor(list []types.AuthFactorType, f types.AuthFactorType) bool {
	for _, x := range list {
		if x == f {
			return true
		}
	}
	return false
}

func hasChallenge(list []types.ChallengeNameType, c types.ChallengeNameType) bool {
	for _, x := range list {
		if x == c {
			return true
		}
	}
	return false
}

// TestBrowserPasskeys registers a passkey with Amplify v6
// associateWebAuthnCredential in headless Chromium (CDP virtual
// authenticator) and signs in with it (USER_AUTH, WEB_AUTHN).
func TestBrowserPasskeys(t *testing.T) {
	srv := startServer(t, "")
	idp := newIDP(srv.URL)
	const user, pw = "browserpasskey", "Pa55key-Passw0rd!"
	poolID, clientID := passkeyPool(t, idp, user, pw)
	runBrowserTest(t, "passkeys.test.js",
		"COGNATE_URL="+srv.URL, "POOL_ID="+poolID, "CLIENT_ID="+clientID,
		"COGNATE_USERNAME="+user, "COGNATE_PASSWORD="+pw)
}
