package userpool

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

func TestEnsureIsIdempotent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	spec := PoolSpec{Name: "notes-users", AutoVerifiedAttributes: []string{"email"}}
	client := ClientSpec{Name: "notes-client", ExplicitAuthFlows: []string{"ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}}
	user := UserSpec{Username: "alice", Password: goodPassword, Attributes: map[string]string{"email": "alice@example.com", "email_verified": "true"},
		Groups: []string{"readers"}}
	var poolID, clientID string
	for round := range 2 {
		p, err := e.svc.EnsurePool(e.ctx, spec)
		if err != nil {
			t.Fatal(err)
		}
		c, err := e.svc.EnsureClient(e.ctx, p, client)
		if err != nil {
			t.Fatal(err)
		}
		name, err := e.svc.EnsureUser(e.ctx, p, user)
		if err != nil || name != "alice" {
			t.Fatalf("ensure user: %q %v", name, err)
		}
		if round == 1 && (p != poolID || c != clientID) {
			t.Fatalf("second round created new resources: %s/%s vs %s/%s", p, c, poolID, clientID)
		}
		poolID, clientID = p, c
	}
	pools := must(e.api.ListUserPools(e.ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)}))
	if len(pools.UserPools) != 1 {
		t.Fatalf("pools %+v", pools.UserPools)
	}
	desc := must(e.api.DescribeUserPoolClient(e.ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(poolID), ClientId: aws.String(clientID)}))
	if desc.UserPoolClient.ClientSecret != nil || len(desc.UserPoolClient.ExplicitAuthFlows) != 3 {
		t.Errorf("client %+v", desc.UserPoolClient)
	}
	res, err := e.srpLogin(t, poolID, clientID, "alice", goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	_, id := decodeJWT(t, *res.IdToken)
	if g, _ := id["cognito:groups"].([]any); len(g) != 1 || g[0] != "readers" || id["email"] != "alice@example.com" {
		t.Errorf("claims %v", id)
	}

	// A changed password or status in the store is put back.
	must(e.api.AdminSetUserPassword(e.ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String("alice"),
		Password: aws.String("Other-Passw0rd"), Permanent: false}))
	if _, err := e.svc.EnsureUser(e.ctx, poolID, user); err != nil {
		t.Fatal(err)
	}
	got := must(e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("alice")}))
	if got.UserStatus != types.UserStatusTypeConfirmed {
		t.Errorf("status %s", got.UserStatus)
	}
	if _, err := e.svc.EnsureUser(e.ctx, poolID, UserSpec{Username: "weak", Password: "weak"}); err == nil {
		t.Error("a password outside the policy must be refused")
	}
}
