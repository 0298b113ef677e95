package e2e

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"golang.org/x/oauth2"
)

// TestFederationThroughSecondPool signs in to one pool through another
// pool of the same server acting as its upstream OIDC provider: discovery,
// the upstream's managed login, the code exchange at /oauth2/idpresponse,
// id-token verification, attribute mapping, the PROVIDER_sub user with its
// identities, then linking the subject to a native user.
func TestFederationThroughSecondPool(t *testing.T) {
	e := setupOAuth(t)
	ctx := t.Context()
	upPool := setupUpstream(t, e)
	_, err := e.idp.CreateIdentityProvider(ctx, &cip.CreateIdentityProviderInput{UserPoolId: aws.String(e.poolID), ProviderName: aws.String("Upstream"),
		ProviderType: ciptypes.IdentityProviderTypeTypeOidc, ProviderDetails: map[string]string{"client_id": "x", "authorize_scopes": "openid", "oidc_issuer": "https://x.example"}})
	var dup *ciptypes.DuplicateProviderException
	if !asErr(err, &dup) {
		t.Fatalf("duplicate provider: %v", err)
	}
	if _, err := e.idp.CreateIdentityProvider(ctx, &cip.CreateIdentityProviderInput{UserPoolId: aws.String(e.poolID), ProviderName: aws.String("Corp"),
		ProviderType: ciptypes.IdentityProviderTypeTypeSaml, ProviderDetails: map[string]string{"MetadataURL": "https://idp.corp.example/metadata"}}); err != nil {
		t.Fatal(err)
	}
	got, err := e.idp.GetIdentityProviderByIdentifier(ctx, &cip.GetIdentityProviderByIdentifierInput{UserPoolId: aws.String(e.poolID), IdpIdentifier: aws.String("upstream.example")})
	if err != nil || aws.ToString(got.IdentityProvider.ProviderName) != "Upstream" {
		t.Fatalf("by identifier: %v", err)
	}
	list, err := e.idp.ListIdentityProviders(ctx, &cip.ListIdentityProvidersInput{UserPoolId: aws.String(e.poolID), MaxResults: aws.Int32(10)})
	if err != nil || len(list.Providers) != 2 {
		t.Fatalf("list providers: %v %+v", err, list)
	}
	if _, err := e.idp.UpdateUserPoolClient(ctx, &cip.UpdateUserPoolClientInput{UserPoolId: aws.String(e.poolID), ClientId: aws.String(e.webClient),
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []ciptypes.OAuthFlowType{ciptypes.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid", "email", "profile"}, CallbackURLs: []string{callbackURL}, LogoutURLs: []string{signedOut},
		SupportedIdentityProviders: []string{"COGNITO", "Upstream", "Corp"}}); err != nil {
		t.Fatal(err)
	}

	verifier := oauth2.GenerateVerifier()
	authorize := func(b *http.Client, kv ...string) *url.URL {
		t.Helper()
		v := url.Values{"response_type": {"code"}, "client_id": {e.webClient}, "redirect_uri": {callbackURL}, "state": {"fed-1"},
			"scope": {"openid email"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		res, _ := fetch(t, b, e.issuer+"/oauth2/authorize?"+v.Encode())
		up, _ := url.Parse(res.Header.Get("Location"))
		if res.StatusCode != 302 || !strings.HasPrefix(up.String(), e.srv.URL+"/"+upPool+"/oauth2/authorize?") || up.Query().Get("nonce") == "" || up.Query().Get("code_challenge") == "" {
			t.Fatalf("not sent to the upstream provider: %d %s", res.StatusCode, up)
		}
		// The upstream's managed login, then back through idpresponse.
		res, body := fetch(t, b, up.String())
		if res.StatusCode != 302 {
			t.Fatalf("upstream authorize: %d %s", res.StatusCode, body)
		}
		_, page := fetch(t, b, e.srv.URL+res.Header.Get("Location"))
		res, _ = submit(t, b, e.srv.URL, page, url.Values{"username": {"dave"}, "password": {"Dave-Passw0rd!"}})
		back := res.Header.Get("Location")
		if !strings.HasPrefix(back, e.issuer+"/oauth2/idpresponse?") {
			t.Fatalf("upstream did not return to idpresponse: %d %s", res.StatusCode, back)
		}
		res, _ = fetch(t, b, back)
		cb, _ := url.Parse(res.Header.Get("Location"))
		if res.StatusCode != 302 || !strings.HasPrefix(cb.String(), callbackURL) || cb.Query().Get("state") != "fed-1" || cb.Query().Get("code") == "" {
			t.Fatalf("idpresponse: %d %s", res.StatusCode, cb)
		}
		// A replayed provider response is refused.
		if res, _ := fetch(t, b, back); res.StatusCode != 400 {
			t.Fatalf("replayed idpresponse: %d", res.StatusCode)
		}
		return cb
	}
	redeem := func(cb *url.URL) map[string]any {
		t.Helper()
		st, body, _ := oauthPost(t, e.https, e.issuer+"/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "client_id": {e.webClient},
			"code": {cb.Query().Get("code")}, "redirect_uri": {callbackURL}, "code_verifier": {verifier}}, "", "")
		if st != 200 {
			t.Fatalf("token: %d %v", st, body)
		}
		return jwtClaims(t, body["id_token"])
	}

	// The sign-in page offers the provider as a button that restarts the request through it.
	lb := e.browser(t)
	lv := url.Values{"response_type": {"code"}, "client_id": {e.webClient}, "redirect_uri": {callbackURL}, "state": {"fed-0"},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}}
	_, loginPage := fetch(t, lb, e.issuer+"/login?"+lv.Encode())
	button := html.UnescapeString(regexpFind(t, `<a class="provider" href="([^"]+)">Continue with Upstream</a>`, loginPage))
	if res, _ := fetch(t, lb, e.srv.URL+button); res.StatusCode != 302 || !strings.HasPrefix(res.Header.Get("Location"), e.srv.URL+"/"+upPool+"/oauth2/authorize?") {
		t.Fatalf("provider button: %d %s", res.StatusCode, res.Header.Get("Location"))
	}

	id := redeem(authorize(e.browser(t), "identity_provider", "Upstream"))
	username, _ := id["cognito:username"].(string)
	ids, _ := id["identities"].([]any)
	if !strings.HasPrefix(username, "Upstream_") || id["email"] != "dave@upstream.example" || len(ids) != 1 {
		t.Fatalf("federated id token: %v", id)
	}
	first, _ := ids[0].(map[string]any)
	if first["providerName"] != "Upstream" || first["providerType"] != "OIDC" || first["userId"] != strings.TrimPrefix(username, "Upstream_") {
		t.Fatalf("identities: %v", ids)
	}
	u, err := e.idp.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(e.poolID), Username: aws.String(username)})
	if err != nil || u.UserStatus != ciptypes.UserStatusTypeExternalProvider {
		t.Fatalf("federated user: %v %v", err, u)
	}

	// Link the upstream subject to alice: the next federated sign-in is alice.
	upSub := strings.TrimPrefix(username, "Upstream_")
	if _, err := e.idp.AdminLinkProviderForUser(ctx, &cip.AdminLinkProviderForUserInput{UserPoolId: aws.String(e.poolID),
		DestinationUser: &ciptypes.ProviderUserIdentifierType{ProviderName: aws.String("Cognito"), ProviderAttributeValue: aws.String("alice")},
		SourceUser:      &ciptypes.ProviderUserIdentifierType{ProviderName: aws.String("Upstream"), ProviderAttributeName: aws.String("Cognito_Subject"), ProviderAttributeValue: aws.String(upSub)}}); err != nil {
		t.Fatal(err)
	}
	id = redeem(authorize(e.browser(t), "idp_identifier", "upstream.example"))
	if id["cognito:username"] != "alice" {
		t.Fatalf("linked sign-in came as %v", id["cognito:username"])
	}
	// Disabling the provider for that subject unlinks it.
	if _, err := e.idp.AdminDisableProviderForUser(ctx, &cip.AdminDisableProviderForUserInput{UserPoolId: aws.String(e.poolID),
		User: &ciptypes.ProviderUserIdentifierType{ProviderName: aws.String("Upstream"), ProviderAttributeName: aws.String("Cognito_Subject"), ProviderAttributeValue: aws.String(upSub)}}); err != nil {
		t.Fatal(err)
	}
	// SAML (sign-in itself: saml_test.go): described as stored; a provider
	// whose metadata cannot be fetched sends the client server_error.
	d, err := e.idp.DescribeIdentityProvider(ctx, &cip.DescribeIdentityProviderInput{UserPoolId: aws.String(e.poolID), ProviderName: aws.String("Corp")})
	if err != nil || d.IdentityProvider.ProviderDetails["MetadataURL"] != "https://idp.corp.example/metadata" {
		t.Fatalf("describe SAML: %v", err)
	}
	v := url.Values{"response_type": {"code"}, "client_id": {e.webClient}, "redirect_uri": {callbackURL}, "identity_provider": {"Corp"},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}}
	res, _ := fetch(t, e.browser(t), e.issuer+"/oauth2/authorize?"+v.Encode())
	if loc, _ := url.Parse(res.Header.Get("Location")); res.StatusCode != http.StatusFound || loc.Query().Get("error") != "server_error" {
		t.Fatalf("SAML sign-in with unreachable metadata: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
}

// setupUpstream makes another pool of the same server the OIDC provider
// "Upstream" of e's pool (identifier upstream.example, email mapped), with
// a user dave; it returns the upstream pool's id.
func setupUpstream(t *testing.T, e *oauthEnv) string {
	t.Helper()
	ctx := t.Context()
	// The upstream provider: another pool with a confidential client whose
	// callback is the downstream pool's idpresponse endpoint.
	up, err := e.idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("upstream")})
	if err != nil {
		t.Fatal(err)
	}
	upPool := aws.ToString(up.UserPool.Id)
	upClient, err := e.idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(upPool), ClientName: aws.String("downstream"),
		GenerateSecret: true, AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []ciptypes.OAuthFlowType{ciptypes.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid", "email", "profile"}, CallbackURLs: []string{e.issuer + "/oauth2/idpresponse"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.idp.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(upPool), Username: aws.String("dave"),
		MessageAction: ciptypes.MessageActionTypeSuppress, UserAttributes: []ciptypes.AttributeType{
			{Name: aws.String("email"), Value: aws.String("dave@upstream.example")}, {Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.idp.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(upPool), Username: aws.String("dave"),
		Password: aws.String("Dave-Passw0rd!"), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	// The downstream pool knows it as an OIDC provider.
	if _, err := e.idp.CreateIdentityProvider(ctx, &cip.CreateIdentityProviderInput{UserPoolId: aws.String(e.poolID), ProviderName: aws.String("Upstream"),
		ProviderType: ciptypes.IdentityProviderTypeTypeOidc, IdpIdentifiers: []string{"upstream.example"},
		ProviderDetails: map[string]string{"client_id": aws.ToString(upClient.UserPoolClient.ClientId), "client_secret": aws.ToString(upClient.UserPoolClient.ClientSecret),
			"authorize_scopes": "openid email", "attributes_request_method": "GET", "oidc_issuer": e.srv.URL + "/" + upPool},
		AttributeMapping: map[string]string{"email": "email", "email_verified": "email_verified"}}); err != nil {
		t.Fatal(err)
	}
	return upPool
}
