package userpool

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/document"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/passkeytest"
)

// passkeyPool is a pool allowing PASSWORD and WEB_AUTHN with relying party
// localhost, a USER_AUTH client, and alice signed in with her password.
func passkeyPool(t *testing.T, e *env, uv types.UserVerificationType) (poolID, clientID, access string) {
	t.Helper()
	poolID = e.pool(t, func(in *cip.CreateUserPoolInput) {
		in.Policies = &types.UserPoolPolicyType{SignInPolicy: &types.SignInPolicyType{
			AllowedFirstAuthFactors: []types.AuthFactorType{types.AuthFactorTypePassword, types.AuthFactorTypeWebAuthn}}}
	})
	must(e.api.SetUserPoolMfaConfig(e.ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID),
		WebAuthnConfiguration: &types.WebAuthnConfigurationType{RelyingPartyId: aws.String("localhost"), UserVerification: uv}}))
	clientID = e.client(t, poolID, func(in *cip.CreateUserPoolClientInput) {
		in.ExplicitAuthFlows = append(in.ExplicitAuthFlows, types.ExplicitAuthFlowsTypeAllowUserAuth)
	})
	e.user(t, poolID, "alice", "email", "alice@example.com")
	out := must(e.passwordAuth(clientID, "alice", goodPassword))
	return poolID, clientID, *out.AuthenticationResult.AccessToken
}

func creationOptions(t *testing.T, out *cip.StartWebAuthnRegistrationOutput) []byte {
	t.Helper()
	raw, err := out.CredentialCreationOptions.MarshalSmithyDocument()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func registerPasskey(t *testing.T, e *env, access string, a *passkeytest.Authenticator) error {
	t.Helper()
	start := must(e.api.StartWebAuthnRegistration(e.ctx, &cip.StartWebAuthnRegistrationInput{AccessToken: aws.String(access)}))
	resp, err := a.Create(creationOptions(t, start))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	_ = json.Unmarshal(resp, &doc)
	_, err = e.api.CompleteWebAuthnRegistration(e.ctx, &cip.CompleteWebAuthnRegistrationInput{AccessToken: aws.String(access),
		Credential: document.NewLazyDocument(doc)})
	return err
}

func TestPasskeyRegistrationAndSignIn(t *testing.T) {
	e := newEnv(t)
	poolID, clientID, access := passkeyPool(t, e, types.UserVerificationTypeRequired)

	// The creation options carry the relying party, the user's sub and the pool's UV requirement.
	start := must(e.api.StartWebAuthnRegistration(e.ctx, &cip.StartWebAuthnRegistrationInput{AccessToken: aws.String(access)}))
	var opts struct {
		RP                     struct{ ID string }   `json:"rp"`
		User                   struct{ Name string } `json:"user"`
		AuthenticatorSelection struct {
			ResidentKey      string `json:"residentKey"`
			UserVerification string `json:"userVerification"`
		} `json:"authenticatorSelection"`
		Challenge string `json:"challenge"`
	}
	if err := json.Unmarshal(creationOptions(t, start), &opts); err != nil {
		t.Fatal(err)
	}
	if opts.RP.ID != "localhost" || opts.User.Name != "alice" || opts.AuthenticatorSelection.UserVerification != "required" ||
		opts.AuthenticatorSelection.ResidentKey != "required" || len(opts.Challenge) < 43 {
		t.Fatalf("creation options: %+v", opts)
	}

	// A response from another origin, or bound to another relying party, is refused.
	evil := passkeytest.New("https://evil.example")
	err := registerPasskey(t, e, access, evil)
	wantErr(t, err, "WebAuthnOriginNotAllowedException", "")
	other := passkeytest.New("http://localhost:8080")
	other.RPID = "example.com"
	wantErr(t, registerPasskey(t, e, access, other), "WebAuthnRelyingPartyMismatchException", "")

	// A good registration; the challenge then is gone.
	a := passkeytest.New("http://localhost:8080")
	if err := registerPasskey(t, e, access, a); err != nil {
		t.Fatalf("register: %v", err)
	}
	resp, _ := a.Create(creationOptions(t, start))
	var doc map[string]any
	_ = json.Unmarshal(resp, &doc)
	_, err = e.api.CompleteWebAuthnRegistration(e.ctx, &cip.CompleteWebAuthnRegistrationInput{AccessToken: aws.String(access), Credential: document.NewLazyDocument(doc)})
	wantErr(t, err, "WebAuthnChallengeNotFoundException", "")

	list := must(e.api.ListWebAuthnCredentials(e.ctx, &cip.ListWebAuthnCredentialsInput{AccessToken: aws.String(access)}))
	if len(list.Credentials) != 1 || *list.Credentials[0].CredentialId != a.CredentialID() || *list.Credentials[0].RelyingPartyId != "localhost" ||
		aws.ToString(list.Credentials[0].AuthenticatorAttachment) != "platform" || list.Credentials[0].CreatedAt == nil {
		t.Fatalf("ListWebAuthnCredentials: %+v", list.Credentials)
	}
	f := must(e.api.GetUserAuthFactors(e.ctx, &cip.GetUserAuthFactorsInput{AccessToken: aws.String(access)}))
	if !containsFactor(f.ConfiguredUserAuthFactors, types.AuthFactorTypeWebAuthn) {
		t.Fatalf("GetUserAuthFactors = %v", f.ConfiguredUserAuthFactors)
	}

	// USER_AUTH offers WEB_AUTHN; the assertion signs in; a replayed one does not.
	sel := must(e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserAuth, ClientId: aws.String(clientID),
		AuthParameters: map[string]string{"USERNAME": "alice"}}))
	if !containsChallenge(sel.AvailableChallenges, types.ChallengeNameTypeWebAuthn) {
		t.Fatalf("AvailableChallenges = %v", sel.AvailableChallenges)
	}
	ch := must(e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserAuth, ClientId: aws.String(clientID),
		AuthParameters: map[string]string{"USERNAME": "alice", "PREFERRED_CHALLENGE": "WEB_AUTHN"}}))
	reqOpts := ch.ChallengeParameters["CREDENTIAL_REQUEST_OPTIONS"]
	if ch.ChallengeName != types.ChallengeNameTypeWebAuthn || reqOpts == "" {
		t.Fatalf("WEB_AUTHN challenge: %s %v", ch.ChallengeName, ch.ChallengeParameters)
	}
	var ro struct {
		RPID             string                `json:"rpId"`
		UserVerification string                `json:"userVerification"`
		AllowCredentials []struct{ ID string } `json:"allowCredentials"`
	}
	_ = json.Unmarshal([]byte(reqOpts), &ro)
	if ro.RPID != "localhost" || ro.UserVerification != "required" || len(ro.AllowCredentials) != 1 || ro.AllowCredentials[0].ID != a.CredentialID() {
		t.Fatalf("request options: %s", reqOpts)
	}
	assertion, err := a.Get([]byte(reqOpts))
	if err != nil {
		t.Fatal(err)
	}
	answer := func(session *string, cred []byte) (*cip.RespondToAuthChallengeOutput, error) {
		return e.api.RespondToAuthChallenge(e.ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeWebAuthn,
			Session: session, ChallengeResponses: map[string]string{"USERNAME": "alice", "CREDENTIAL": string(cred)}})
	}
	// A signature made by another key is refused and the session stays usable.
	forger := passkeytest.New("http://localhost:8080")
	forged, _ := forger.Get([]byte(reqOpts))
	var fm, am map[string]any
	_ = json.Unmarshal(forged, &fm)
	_ = json.Unmarshal(assertion, &am)
	fm["id"], fm["rawId"] = am["id"], am["rawId"]
	forged, _ = json.Marshal(fm)
	_, err = answer(ch.Session, forged)
	wantErr(t, err, "NotAuthorizedException", msgIncorrect)
	res, err := answer(ch.Session, assertion)
	if err != nil {
		t.Fatalf("passkey sign-in: %v\n%s", err, e.logs.String())
	}
	if res.AuthenticationResult == nil || res.AuthenticationResult.AccessToken == nil {
		t.Fatal("no tokens after the passkey")
	}
	_, err = answer(ch.Session, assertion)
	wantErr(t, err, "NotAuthorizedException", msgInvalidSession)
	// The same assertion against a fresh challenge fails (its challenge is the old one).
	ch2 := must(e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserAuth, ClientId: aws.String(clientID),
		AuthParameters: map[string]string{"USERNAME": "alice", "PREFERRED_CHALLENGE": "WEB_AUTHN"}}))
	_, err = answer(ch2.Session, assertion)
	wantErr(t, err, "NotAuthorizedException", msgIncorrect)
	// An assertion made at another origin is refused (RespondToAuthChallenge models no WebAuthn error).
	a.Origin = "https://evil.example"
	bad, _ := a.Get([]byte(ch2.ChallengeParameters["CREDENTIAL_REQUEST_OPTIONS"]))
	_, err = answer(ch2.Session, bad)
	wantErr(t, err, "NotAuthorizedException", msgIncorrect)
	if !strings.Contains(e.logs.String(), "not allowed for relying party id localhost") {
		t.Fatal("the refused origin is not in the log")
	}
	a.Origin = "http://localhost:8080"

	// Deleting the passkey takes WEB_AUTHN away.
	_, err = e.api.DeleteWebAuthnCredential(e.ctx, &cip.DeleteWebAuthnCredentialInput{AccessToken: aws.String(access), CredentialId: aws.String("nope")})
	wantErr(t, err, "ResourceNotFoundException", "")
	must(e.api.DeleteWebAuthnCredential(e.ctx, &cip.DeleteWebAuthnCredentialInput{AccessToken: aws.String(access), CredentialId: aws.String(a.CredentialID())}))
	if l := must(e.api.ListWebAuthnCredentials(e.ctx, &cip.ListWebAuthnCredentialsInput{AccessToken: aws.String(access)})); len(l.Credentials) != 0 {
		t.Fatalf("after delete: %+v", l.Credentials)
	}
	_, err = e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserAuth, ClientId: aws.String(clientID),
		AuthParameters: map[string]string{"USERNAME": "alice", "PREFERRED_CHALLENGE": "WEB_AUTHN"}})
	if err == nil {
		sel := must(e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserAuth, ClientId: aws.String(clientID),
			AuthParameters: map[string]string{"USERNAME": "alice"}}))
		if containsChallenge(sel.AvailableChallenges, types.ChallengeNameTypeWebAuthn) {
			t.Fatalf("WEB_AUTHN still offered: %v", sel.AvailableChallenges)
		}
	}
	if u := must(e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("alice")})); !u.Enabled {
		t.Fatal("alice disabled")
	}
}

func TestPasskeyRegistrationRules(t *testing.T) {
	e := newEnv(t)
	_, clientID, access := passkeyPool(t, e, types.UserVerificationTypePreferred)

	// The challenge expires.
	a := passkeytest.New("http://localhost:3000")
	start := must(e.api.StartWebAuthnRegistration(e.ctx, &cip.StartWebAuthnRegistrationInput{AccessToken: aws.String(access)}))
	e.clock.Advance(6 * time.Minute)
	resp, _ := a.Create(creationOptions(t, start))
	var doc map[string]any
	_ = json.Unmarshal(resp, &doc)
	_, err := e.api.CompleteWebAuthnRegistration(e.ctx, &cip.CompleteWebAuthnRegistrationInput{AccessToken: aws.String(e.freshAccess(t, clientID)), Credential: document.NewLazyDocument(doc)})
	wantErr(t, err, "WebAuthnChallengeNotFoundException", "")

	// A token of another client cannot finish what this client started.
	access = e.freshAccess(t, clientID)
	start = must(e.api.StartWebAuthnRegistration(e.ctx, &cip.StartWebAuthnRegistrationInput{AccessToken: aws.String(access)}))
	poolID := e.poolOf(t, clientID)
	other := e.client(t, poolID)
	otherAccess := *must(e.passwordAuth(other, "alice", goodPassword)).AuthenticationResult.AccessToken
	resp, _ = a.Create(creationOptions(t, start))
	_ = json.Unmarshal(resp, &doc)
	_, err = e.api.CompleteWebAuthnRegistration(e.ctx, &cip.CompleteWebAuthnRegistrationInput{AccessToken: aws.String(otherAccess), Credential: document.NewLazyDocument(doc)})
	wantErr(t, err, "WebAuthnClientMismatchException", "")

	// A pool that does not allow WEB_AUTHN, or has no relying party id, refuses registration.
	plainPool := e.pool(t)
	plainClient := e.client(t, plainPool)
	e.user(t, plainPool, "bob")
	bob := *must(e.passwordAuth(plainClient, "bob", goodPassword)).AuthenticationResult.AccessToken
	_, err = e.api.StartWebAuthnRegistration(e.ctx, &cip.StartWebAuthnRegistrationInput{AccessToken: aws.String(bob)})
	wantErr(t, err, "WebAuthnNotEnabledException", "")
	noRP := e.pool(t, func(in *cip.CreateUserPoolInput) {
		in.Policies = &types.UserPoolPolicyType{SignInPolicy: &types.SignInPolicyType{
			AllowedFirstAuthFactors: []types.AuthFactorType{types.AuthFactorTypePassword, types.AuthFactorTypeWebAuthn}}}
	})
	noRPClient := e.client(t, noRP)
	e.user(t, noRP, "carol")
	carol := *must(e.passwordAuth(noRPClient, "carol", goodPassword)).AuthenticationResult.AccessToken
	_, err = e.api.StartWebAuthnRegistration(e.ctx, &cip.StartWebAuthnRegistrationInput{AccessToken: aws.String(carol)})
	wantErr(t, err, "WebAuthnConfigurationMissingException", "")
	_, err = e.api.StartWebAuthnRegistration(e.ctx, &cip.StartWebAuthnRegistrationInput{AccessToken: aws.String("not-a-token")})
	wantErr(t, err, "NotAuthorizedException", "")

	// An unknown user asked for WEB_AUTHN gets a challenge of the same shape that never verifies.
	ch := must(e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserAuth, ClientId: aws.String(clientID),
		AuthParameters: map[string]string{"USERNAME": "nobody", "PREFERRED_CHALLENGE": "WEB_AUTHN"}}))
	if ch.ChallengeName != types.ChallengeNameTypeWebAuthn || ch.ChallengeParameters["CREDENTIAL_REQUEST_OPTIONS"] == "" {
		t.Fatalf("unknown user: %s %v", ch.ChallengeName, ch.ChallengeParameters)
	}
	fake, _ := a.Get([]byte(ch.ChallengeParameters["CREDENTIAL_REQUEST_OPTIONS"]))
	_, err = e.api.RespondToAuthChallenge(e.ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeWebAuthn,
		Session: ch.Session, ChallengeResponses: map[string]string{"USERNAME": "nobody", "CREDENTIAL": string(fake)}})
	wantErr(t, err, "NotAuthorizedException", msgIncorrect)
}

func containsFactor(list []types.AuthFactorType, f types.AuthFactorType) bool {
	for _, x := range list {
		if x == f {
			return true
		}
	}
	return false
}

func containsChallenge(list []types.ChallengeNameType, c types.ChallengeNameType) bool {
	for _, x := range list {
		if x == c {
			return true
		}
	}
	return false
}

func (e *env) freshAccess(t *testing.T, clientID string) string {
	t.Helper()
	return *must(e.passwordAuth(clientID, "alice", goodPassword)).AuthenticationResult.AccessToken
}

func (e *env) poolOf(t *testing.T, clientID string) string {
	t.Helper()
	for _, p := range must(e.api.ListUserPools(e.ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)})).UserPools {
		cs := must(e.api.ListUserPoolClients(e.ctx, &cip.ListUserPoolClientsInput{UserPoolId: p.Id}))
		for _, c := range cs.UserPoolClients {
			if *c.ClientId == clientID {
				return *p.Id
			}
		}
	}
	t.Fatalf("no pool has client %s", clientID)
	return ""
}

// TestPasskeyRelyingPartyFromDomain: without a RelyingPartyId the pool's
// domain is the relying party, as on AWS.
func TestPasskeyRelyingPartyFromDomain(t *testing.T) {
	e := newEnv(t)
	poolID := e.pool(t, func(in *cip.CreateUserPoolInput) {
		in.Policies = &types.UserPoolPolicyType{SignInPolicy: &types.SignInPolicyType{
			AllowedFirstAuthFactors: []types.AuthFactorType{types.AuthFactorTypePassword, types.AuthFactorTypeWebAuthn}}}
	})
	clientID := e.client(t, poolID)
	e.user(t, poolID, "dora")
	access := *must(e.passwordAuth(clientID, "dora", goodPassword)).AuthenticationResult.AccessToken
	_, err := e.api.StartWebAuthnRegistration(e.ctx, &cip.StartWebAuthnRegistrationInput{AccessToken: aws.String(access)})
	wantErr(t, err, "WebAuthnConfigurationMissingException", "")
	must(e.api.CreateUserPoolDomain(e.ctx, &cip.CreateUserPoolDomainInput{UserPoolId: aws.String(poolID), Domain: aws.String("dora-app")}))
	start := must(e.api.StartWebAuthnRegistration(e.ctx, &cip.StartWebAuthnRegistrationInput{AccessToken: aws.String(access)}))
	var opts struct {
		RP struct{ ID string } `json:"rp"`
	}
	_ = json.Unmarshal(creationOptions(t, start), &opts)
	if opts.RP.ID != "dora-app.auth.us-east-1.amazoncognito.com" {
		t.Fatalf("relying party = %q", opts.RP.ID)
	}
	a := passkeytest.New("https://dora-app.auth.us-east-1.amazoncognito.com")
	resp, _ := a.Create(creationOptions(t, start))
	var doc map[string]any
	_ = json.Unmarshal(resp, &doc)
	must(e.api.CompleteWebAuthnRegistration(e.ctx, &cip.CompleteWebAuthnRegistrationInput{AccessToken: aws.String(access), Credential: document.NewLazyDocument(doc)}))
}
