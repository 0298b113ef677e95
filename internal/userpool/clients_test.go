package userpool

import (
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

func TestClientLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	poolID := e.pool(t)
	out, err := e.api.CreateUserPoolClient(e.ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID),
		ClientName: aws.String("web"), GenerateSecret: true})
	if err != nil {
		t.Fatal(err)
	}
	c := out.UserPoolClient
	if !regexp.MustCompile(`^[a-z0-9]{26}$`).MatchString(*c.ClientId) || len(*c.ClientSecret) != 51 {
		t.Errorf("client id %q secret length %d", *c.ClientId, len(*c.ClientSecret))
	}
	if c.RefreshTokenValidity != 30 || c.PreventUserExistenceErrors != "ENABLED" || !*c.EnableTokenRevocation ||
		len(c.ExplicitAuthFlows) != 3 || c.TokenValidityUnits.AccessToken != "hours" || c.TokenValidityUnits.RefreshToken != "days" {
		t.Errorf("defaults: %+v", c)
	}
	desc := must(e.api.DescribeUserPoolClient(e.ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(poolID), ClientId: c.ClientId}))
	if *desc.UserPoolClient.ClientSecret != *c.ClientSecret || *desc.UserPoolClient.ClientName != "web" {
		t.Errorf("described %+v", desc.UserPoolClient)
	}
	e.client(t, poolID)
	list := must(e.api.ListUserPoolClients(e.ctx, &cip.ListUserPoolClientsInput{UserPoolId: aws.String(poolID), MaxResults: aws.Int32(1)}))
	if len(list.UserPoolClients) != 1 || list.NextToken == nil {
		t.Fatalf("list: %+v", list)
	}
	up, err := e.api.UpdateUserPoolClient(e.ctx, &cip.UpdateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientId: c.ClientId,
		ClientName: aws.String("web2"), AccessTokenValidity: aws.Int32(30), TokenValidityUnits: &types.TokenValidityUnitsType{AccessToken: "minutes"},
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{"ALLOW_USER_PASSWORD_AUTH"}})
	if err != nil {
		t.Fatal(err)
	}
	if *up.UserPoolClient.ClientName != "web2" || *up.UserPoolClient.AccessTokenValidity != 30 || *up.UserPoolClient.ClientSecret != *c.ClientSecret {
		t.Errorf("updated %+v", up.UserPoolClient)
	}
	_, err = e.api.UpdateUserPoolClient(e.ctx, &cip.UpdateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientId: c.ClientId,
		IdTokenValidity: aws.Int32(2), TokenValidityUnits: &types.TokenValidityUnitsType{IdToken: "days"}})
	wantErr(t, err, "InvalidParameterException", "")
	must(e.api.DeleteUserPoolClient(e.ctx, &cip.DeleteUserPoolClientInput{UserPoolId: aws.String(poolID), ClientId: c.ClientId}))
	_, err = e.api.DescribeUserPoolClient(e.ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(poolID), ClientId: c.ClientId})
	wantErr(t, err, "ResourceNotFoundException", "User pool client "+*c.ClientId+" does not exist.")
}

func TestExplicitAuthFlowsEnforced(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	poolID := e.pool(t)
	e.user(t, poolID, "alice")
	srpOnly := e.client(t, poolID, func(in *cip.CreateUserPoolClientInput) { in.ExplicitAuthFlows = nil })
	_, err := e.passwordAuth(srpOnly, "alice", goodPassword)
	wantErr(t, err, "InvalidParameterException", "USER_PASSWORD_AUTH flow not enabled for this client")
	_, err = e.api.AdminInitiateAuth(e.ctx, &cip.AdminInitiateAuthInput{UserPoolId: aws.String(poolID), ClientId: aws.String(srpOnly),
		AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": goodPassword}})
	wantErr(t, err, "InvalidParameterException", "ADMIN_USER_PASSWORD_AUTH flow not enabled for this client")
	if _, err := e.srpLogin(t, poolID, srpOnly, "alice", goodPassword); err != nil {
		t.Fatalf("SRP is a default flow: %v", err)
	}
	legacy := e.client(t, poolID, func(in *cip.CreateUserPoolClientInput) {
		in.ExplicitAuthFlows = []types.ExplicitAuthFlowsType{"ADMIN_NO_SRP_AUTH"}
	})
	if _, err := e.api.AdminInitiateAuth(e.ctx, &cip.AdminInitiateAuthInput{UserPoolId: aws.String(poolID), ClientId: aws.String(legacy),
		AuthFlow: types.AuthFlowTypeAdminNoSrpAuth, AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": goodPassword}}); err != nil {
		t.Fatalf("legacy ADMIN_NO_SRP_AUTH: %v", err)
	}
	_, err = e.passwordAuth(legacy, "alice", goodPassword)
	wantErr(t, err, "InvalidParameterException", "")
}

func TestSecretHashRequired(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	poolID := e.pool(t)
	e.user(t, poolID, "alice")
	out := must(e.api.CreateUserPoolClient(e.ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID),
		ClientName: aws.String("server"), GenerateSecret: true,
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}}))
	id, sec := *out.UserPoolClient.ClientId, *out.UserPoolClient.ClientSecret
	auth := func(hash string) error {
		params := map[string]string{"USERNAME": "alice", "PASSWORD": goodPassword}
		if hash != "" {
			params["SECRET_HASH"] = hash
		}
		_, err := e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth,
			ClientId: aws.String(id), AuthParameters: params})
		return err
	}
	wantErr(t, auth(""), "NotAuthorizedException", "Client "+id+" is configured for secret but secret was not received")
	wantErr(t, auth(secretHash(sec, "bob", id)), "NotAuthorizedException", "Unable to verify secret hash for client "+id)
	if err := auth(secretHash(sec, "alice", id)); err != nil {
		t.Fatal(err)
	}
}
