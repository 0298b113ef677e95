package e2e

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// TestClientSecrets rotates app client secrets with AddUserPoolClientSecret,
// ListUserPoolClientSecrets and DeleteUserPoolClientSecret: both active
// secrets work for SECRET_HASH and for the token endpoint's client
// authentication, a deleted one no longer does, and the documented errors.
func TestClientSecrets(t *testing.T) {
	e := setupOAuth(t)
	ctx := t.Context()
	conf, err := e.idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(e.poolID), ClientName: aws.String("conf"),
		GenerateSecret: true, ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{ciptypes.ExplicitAuthFlowsTypeAllowUserPasswordAuth, ciptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	cid, first := aws.ToString(conf.UserPoolClient.ClientId), aws.ToString(conf.UserPoolClient.ClientSecret)
	login := func(secret string) error {
		_, err := e.idp.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth, ClientId: aws.String(cid),
			AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": "Alice-Passw0rd!", "SECRET_HASH": secretHash(secret, "alice", cid)}})
		return err
	}
	list := func(client string) []ciptypes.ClientSecretDescriptorType {
		t.Helper()
		out, err := e.idp.ListUserPoolClientSecrets(ctx, &cip.ListUserPoolClientSecretsInput{UserPoolId: aws.String(e.poolID), ClientId: aws.String(client)})
		if err != nil {
			t.Fatal(err)
		}
		return out.ClientSecrets
	}
	idPattern := regexp.MustCompile(`^` + cid + `--\d+$`)
	secrets := list(cid)
	if len(secrets) != 1 || !idPattern.MatchString(aws.ToString(secrets[0].ClientSecretId)) || secrets[0].ClientSecretValue != nil || secrets[0].ClientSecretCreateDate == nil {
		t.Fatalf("secrets of a new client: %+v", secrets)
	}
	firstID := aws.ToString(secrets[0].ClientSecretId)

	added, err := e.idp.AddUserPoolClientSecret(ctx, &cip.AddUserPoolClientSecretInput{UserPoolId: aws.String(e.poolID), ClientId: aws.String(cid)})
	if err != nil {
		t.Fatal(err)
	}
	d := added.ClientSecretDescriptor
	second := aws.ToString(d.ClientSecretValue)
	if !idPattern.MatchString(aws.ToString(d.ClientSecretId)) || aws.ToString(d.ClientSecretId) == firstID || len(second) < 24 || second == first || d.ClientSecretCreateDate == nil {
		t.Fatalf("added secret: %+v", d)
	}
	for _, s := range []string{first, second} {
		if err := login(s); err != nil {
			t.Fatalf("SECRET_HASH with an active secret: %v", err)
		}
	}
	if got := list(cid); len(got) != 2 || aws.ToString(got[1].ClientSecretId) != aws.ToString(d.ClientSecretId) || got[1].ClientSecretValue != nil {
		t.Fatalf("listed secrets: %+v", got)
	}
	// A third is over AWS's limit of two.
	_, err = e.idp.AddUserPoolClientSecret(ctx, &cip.AddUserPoolClientSecretInput{UserPoolId: aws.String(e.poolID), ClientId: aws.String(cid)})
	wantAPIError(t, err, "LimitExceededException", "Client "+cid+" already has the maximum of 2 client secrets.")

	// Rotation: the first secret goes; only the second works.
	_, err = e.idp.DeleteUserPoolClientSecret(ctx, &cip.DeleteUserPoolClientSecretInput{UserPoolId: aws.String(e.poolID), ClientId: aws.String(cid),
		ClientSecretId: aws.String(cid + "--1")})
	wantAPIError(t, err, "ResourceNotFoundException", "Client secret "+cid+"--1 does not exist.")
	if _, err := e.idp.DeleteUserPoolClientSecret(ctx, &cip.DeleteUserPoolClientSecretInput{UserPoolId: aws.String(e.poolID), ClientId: aws.String(cid),
		ClientSecretId: aws.String(firstID)}); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, login(first), "NotAuthorizedException", "Unable to verify secret hash for client "+cid)
	if err := login(second); err != nil {
		t.Fatalf("the remaining secret: %v", err)
	}
	desc, err := e.idp.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(e.poolID), ClientId: aws.String(cid)})
	if err != nil || aws.ToString(desc.UserPoolClient.ClientSecret) != second {
		t.Fatalf("described secret after rotation: %v", err)
	}
	_, err = e.idp.DeleteUserPoolClientSecret(ctx, &cip.DeleteUserPoolClientSecretInput{UserPoolId: aws.String(e.poolID), ClientId: aws.String(cid),
		ClientSecretId: d.ClientSecretId})
	wantAPIErrorContaining(t, err, "InvalidParameterException", "is the client's only secret")

	// A secret of one's own: accepted, not echoed; a bad one refused.
	custom := "Custom_Secret_value_0123456789"
	mine, err := e.idp.AddUserPoolClientSecret(ctx, &cip.AddUserPoolClientSecretInput{UserPoolId: aws.String(e.poolID), ClientId: aws.String(e.m2mClient),
		ClientSecret: aws.String(custom)})
	if err != nil || mine.ClientSecretDescriptor.ClientSecretValue != nil || mine.ClientSecretDescriptor.ClientSecretId == nil {
		t.Fatalf("custom secret: %v %+v", err, mine)
	}
	_, err = e.idp.AddUserPoolClientSecret(ctx, &cip.AddUserPoolClientSecretInput{UserPoolId: aws.String(e.poolID), ClientId: aws.String(e.webClient),
		ClientSecret: aws.String("short")})
	wantAPIErrorContaining(t, err, "InvalidParameterException", "at 'clientSecret' failed to satisfy constraint")
	_, err = e.idp.AddUserPoolClientSecret(ctx, &cip.AddUserPoolClientSecretInput{UserPoolId: aws.String(e.poolID), ClientId: aws.String(e.webClient)})
	wantAPIError(t, err, "InvalidParameterException", "Client "+e.webClient+" has no client secret: only a confidential client can have more secrets.")
	_, err = e.idp.ListUserPoolClientSecrets(ctx, &cip.ListUserPoolClientSecretsInput{UserPoolId: aws.String(e.poolID), ClientId: aws.String("nosuchclient")})
	wantAPIError(t, err, "ResourceNotFoundException", "User pool client nosuchclient does not exist.")
	if got := list(e.webClient); len(got) != 0 {
		t.Fatalf("a public client has secrets: %+v", got)
	}
	// The token endpoint takes either secret of the machine client.
	for _, s := range []string{e.m2mSecret, custom} {
		st, body, _ := oauthPost(t, e.https, e.issuer+"/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "scope": {apiScope}}, e.m2mClient, s)
		if st != 200 || !strings.HasPrefix(body["access_token"], "ey") {
			t.Fatalf("client credentials with secret %d: %d %v", len(s), st, body)
		}
	}
	if st, body, _ := oauthPost(t, e.https, e.issuer+"/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "scope": {apiScope}}, e.m2mClient, "Wrong-secret-0123456789abc"); st != 400 && st != 401 {
		t.Fatalf("wrong secret: %d %v", st, body)
	}
}
