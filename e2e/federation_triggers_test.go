package e2e

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"golang.org/x/oauth2"
)

// fedTriggersConfig declares two trigger functions (no pools): goTriggers,
// the aws-lambda-go function of the trigger tests (strict decoding), and
// fedTriggers, a Node.js exports.handler.
func fedTriggersConfig(t *testing.T) string {
	t.Helper()
	td := filepath.Join(repoRoot(), "e2e", "testdata", "triggers")
	binDir, err := os.MkdirTemp("", "cognate-fed-triggers-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(binDir) })
	if err := os.Chmod(binDir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(binDir, "bootstrap")
	doc := `functions:
  - name: goTriggers
    runtime: provided.al2023
    dir: ` + filepath.Join(td, "go") + `
    build: [go, build, -o, ` + bin + `, .]
    command: [` + bin + `]
    timeout: 5
  - {name: fedTriggers, runtime: nodejs20.x, handler: fedTriggers.handler, dir: ` + filepath.Join(td, "node") + `, timeout: 5}
`
	cfg := filepath.Join(t.TempDir(), "cognate.yaml")
	if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// federate runs one browser sign-in through the Upstream provider as
// user and returns where the downstream pool finally redirected.
func federate(t *testing.T, e *oauthEnv, upPool, user, password, verifier string) *url.URL {
	t.Helper()
	b := e.browser(t)
	v := url.Values{"response_type": {"code"}, "client_id": {e.webClient}, "redirect_uri": {callbackURL}, "state": {"st-" + user},
		"scope": {"openid email"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"},
		"identity_provider": {"Upstream"}}
	res, _ := fetch(t, b, e.issuer+"/oauth2/authorize?"+v.Encode())
	up := res.Header.Get("Location")
	if res.StatusCode != 302 || !strings.HasPrefix(up, e.srv.URL+"/"+upPool+"/oauth2/authorize?") {
		t.Fatalf("not sent to the upstream provider: %d %s", res.StatusCode, up)
	}
	res, body := fetch(t, b, up)
	if res.StatusCode != 302 {
		t.Fatalf("upstream authorize: %d %s", res.StatusCode, body)
	}
	_, page := fetch(t, b, e.srv.URL+res.Header.Get("Location"))
	res, _ = submit(t, b, e.srv.URL, page, url.Values{"username": {user}, "password": {password}})
	back := res.Header.Get("Location")
	if !strings.HasPrefix(back, e.issuer+"/oauth2/idpresponse?") {
		t.Fatalf("upstream did not return to idpresponse: %d %s", res.StatusCode, back)
	}
	res, _ = fetch(t, b, back)
	cb, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != 302 || !strings.HasPrefix(cb.String(), callbackURL) || cb.Query().Get("state") != "st-"+user {
		t.Fatalf("idpresponse: %d %s", res.StatusCode, cb)
	}
	return cb
}

// TestFederationTriggers: a first sign-in through an OIDC provider runs
// PreSignUp_ExternalProvider (its autoVerifyEmail applied, its refusal an
// OAuth error redirect with Cognito's message and no user created),
// PostConfirmation_ConfirmSignUp and, at the code's redemption,
// TokenGeneration_HostedAuth; a client-credentials grant runs a V3_0 pre
// token generation trigger (TokenGeneration_ClientCredentials, client
// metadata from aws_client_metadata, claims and scopes added to the
// access token), and a V2_0 trigger does not run for it. Once with the
// aws-lambda-go function (events decoded strictly), once with Node.js.
func TestFederationTriggers(t *testing.T) {
	e := setupOAuthArgs(t, "--config", fedTriggersConfig(t))
	ctx := t.Context()
	upPool := setupUpstream(t, e)
	// Map the email only, so that email_verified comes from the trigger.
	if _, err := e.idp.UpdateIdentityProvider(ctx, &cip.UpdateIdentityProviderInput{UserPoolId: aws.String(e.poolID), ProviderName: aws.String("Upstream"),
		AttributeMapping: map[string]string{"email": "email"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.idp.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(upPool), Username: aws.String("eve"),
		MessageAction: ciptypes.MessageActionTypeSuppress, UserAttributes: []ciptypes.AttributeType{
			{Name: aws.String("email"), Value: aws.String("eve@blocked.example")}, {Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.idp.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(upPool), Username: aws.String("eve"),
		Password: aws.String("Eve-Passw0rd!1"), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.idp.UpdateUserPoolClient(ctx, &cip.UpdateUserPoolClientInput{UserPoolId: aws.String(e.poolID), ClientId: aws.String(e.webClient),
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []ciptypes.OAuthFlowType{ciptypes.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid", "email", "profile"}, CallbackURLs: []string{callbackURL}, LogoutURLs: []string{signedOut},
		SupportedIdentityProviders: []string{"COGNITO", "Upstream"}}); err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:lambda:us-east-1:000000000000:function:"
	setTriggers := func(fn, version string) {
		t.Helper()
		if _, err := e.idp.UpdateUserPool(ctx, &cip.UpdateUserPoolInput{UserPoolId: aws.String(e.poolID), UserPoolTier: ciptypes.UserPoolTierTypeEssentials,
			AutoVerifiedAttributes: []ciptypes.VerifiedAttributeType{ciptypes.VerifiedAttributeTypeEmail},
			LambdaConfig: &ciptypes.LambdaConfigType{PreSignUp: aws.String(arn + fn), PostConfirmation: aws.String(arn + fn),
				PreTokenGenerationConfig: &ciptypes.PreTokenGenerationVersionConfigType{LambdaArn: aws.String(arn + fn),
					LambdaVersion: ciptypes.PreTokenGenerationLambdaVersionType(version)}}}); err != nil {
			t.Fatal(err)
		}
	}
	machineToken := func(meta string) map[string]any {
		t.Helper()
		form := url.Values{"grant_type": {"client_credentials"}, "scope": {apiScope}}
		if meta != "" {
			form.Set("aws_client_metadata", meta)
		}
		st, body, _ := oauthPost(t, e.https, e.issuer+"/oauth2/token", form, e.m2mClient, e.m2mSecret)
		if st != 200 {
			t.Fatalf("client credentials: %d %v", st, body)
		}
		return jwtClaims(t, body["access_token"])
	}
	verifier := oauth2.GenerateVerifier()
	for _, tc := range []struct{ fn, refusal string }{
		{"goTriggers", "PreSignUp failed with error sign-up refused for Upstream_"},
		{"fedTriggers", "PreSignUp failed with error federated sign-up refused for eve@blocked.example."},
	} {
		setTriggers(tc.fn, "V3_0")
		// Each round is a first sign-in: the previous round's user goes.
		users, err := e.idp.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(e.poolID), Filter: aws.String(`email = "dave@upstream.example"`)})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range users.Users {
			if _, err := e.idp.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: aws.String(e.poolID), Username: u.Username}); err != nil {
				t.Fatal(err)
			}
		}

		cb := federate(t, e, upPool, "dave", "Dave-Passw0rd!", verifier)
		st, body, _ := oauthPost(t, e.https, e.issuer+"/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "client_id": {e.webClient},
			"code": {cb.Query().Get("code")}, "redirect_uri": {callbackURL}, "code_verifier": {verifier}}, "", "")
		if st != 200 {
			t.Fatalf("%s: token: %d %v (callback %s)", tc.fn, st, body, cb)
		}
		id, access := jwtClaims(t, body["id_token"]), jwtClaims(t, body["access_token"])
		username, _ := id["cognito:username"].(string)
		if !strings.HasPrefix(username, "Upstream_") || id["tenant"] != "acme" || access["tenant"] != "acme" || id["email_verified"] != true {
			t.Fatalf("%s: federated tokens: id %v access %v", tc.fn, id, access)
		}
		u, err := e.idp.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(e.poolID), Username: aws.String(username)})
		if err != nil || u.UserStatus != ciptypes.UserStatusTypeExternalProvider || attr(u.UserAttributes, "email_verified") != "true" {
			t.Fatalf("%s: federated user: %v %+v", tc.fn, err, u)
		}

		// The trigger refuses eve: an OAuth error redirect, no user.
		cb = federate(t, e, upPool, "eve", "Eve-Passw0rd!1", verifier)
		if cb.Query().Get("error") != "invalid_request" || !strings.HasPrefix(cb.Query().Get("error_description"), tc.refusal) || cb.Query().Get("code") != "" {
			t.Fatalf("%s: refused federated sign-up: %s", tc.fn, cb)
		}
		users, err = e.idp.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(e.poolID), Filter: aws.String(`email = "eve@blocked.example"`)})
		if err != nil || len(users.Users) != 0 {
			t.Fatalf("%s: refused federated user was created: %v %+v", tc.fn, err, users)
		}

		// V3_0 customizes machine tokens.
		mt := machineToken(`{"tenant":"t-` + tc.fn + `"}`)
		if mt["tenant"] != "t-"+tc.fn || mt["machine"] != true || mt["scope"] != apiScope+" notes/read" || mt["client_id"] != e.m2mClient || mt["sub"] != e.m2mClient {
			t.Fatalf("%s: V3_0 machine token: %v", tc.fn, mt)
		}
		logs := fedLogs(t, e, tc.fn)
		for _, want := range []string{"trigger PreSignUp_ExternalProvider for " + username, "trigger PostConfirmation_ConfirmSignUp for " + username,
			"trigger TokenGeneration_HostedAuth for " + username, "trigger PreSignUp_ExternalProvider for Upstream_",
			"trigger TokenGeneration_ClientCredentials for "} {
			if !strings.Contains(logs, want) {
				t.Errorf("%s: cognate logs lacks %q:\n%s", tc.fn, want, logs)
			}
		}
	}
	// Bad client metadata is refused before any trigger runs.
	st, body, _ := oauthPost(t, e.https, e.issuer+"/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "scope": {apiScope},
		"aws_client_metadata": {`["not", "an object"]`}}, e.m2mClient, e.m2mSecret)
	if st != 400 || body["error"] != "invalid_request" {
		t.Fatalf("bad aws_client_metadata: %d %v", st, body)
	}
	// A V2_0 trigger does not run for machine tokens.
	setTriggers("goTriggers", "V2_0")
	if mt := machineToken(`{"tenant":"v2"}`); mt["tenant"] != nil || mt["scope"] != apiScope {
		t.Fatalf("V2_0 customized a machine token: %v", mt)
	}
}

// fedLogs is `cognate logs FUNCTION` for e's server.
func fedLogs(t *testing.T, e *oauthEnv, function string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := runCLI(t, ctx, "", "logs", "-endpoint", "http://127.0.0.1:"+e.port, function)
	if err != nil {
		t.Fatal(fmt.Errorf("cognate logs: %w", err))
	}
	return out
}

// attr is the value of the named attribute in attrs ("" when absent).
func attr(attrs []ciptypes.AttributeType, name string) string {
	for _, a := range attrs {
		if aws.ToString(a.Name) == name {
			return aws.ToString(a.Value)
		}
	}
	return ""
}
