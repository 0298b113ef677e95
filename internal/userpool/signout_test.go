package userpool

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

func (e *env) refresh(clientID, tok string) error {
	_, err := e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeRefreshTokenAuth, ClientId: aws.String(clientID),
		AuthParameters: map[string]string{"REFRESH_TOKEN": tok}})
	return err
}

func TestGlobalSignOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	poolID, clientID := e.setup(t)
	a := must(e.srpLogin(t, poolID, clientID, "alice", goodPassword))
	b := must(e.srpLogin(t, poolID, clientID, "alice", goodPassword))
	must(e.api.GlobalSignOut(e.ctx, &cip.GlobalSignOutInput{AccessToken: a.AccessToken}))
	for _, tok := range []*string{a.AccessToken, b.AccessToken} {
		_, err := e.api.GetUser(e.ctx, &cip.GetUserInput{AccessToken: tok})
		wantErr(t, err, "NotAuthorizedException", "Access Token has been revoked")
	}
	wantErr(t, e.refresh(clientID, *b.RefreshToken), "NotAuthorizedException", "Refresh Token has been revoked")
	_, err := e.api.GlobalSignOut(e.ctx, &cip.GlobalSignOutInput{AccessToken: a.AccessToken})
	wantErr(t, err, "NotAuthorizedException", "Access Token has been revoked")

	// Signing in again, even within the same second, gives working tokens.
	c := must(e.srpLogin(t, poolID, clientID, "alice", goodPassword))
	if _, err := e.api.GetUser(e.ctx, &cip.GetUserInput{AccessToken: c.AccessToken}); err != nil {
		t.Fatalf("new sign-in after global sign-out: %v", err)
	}

	e.clock.Advance(2 * time.Second)
	must(e.api.AdminUserGlobalSignOut(e.ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: aws.String(poolID), Username: aws.String("alice")}))
	_, err = e.api.GetUser(e.ctx, &cip.GetUserInput{AccessToken: c.AccessToken})
	wantErr(t, err, "NotAuthorizedException", "Access Token has been revoked")
	wantErr(t, e.refresh(clientID, *c.RefreshToken), "NotAuthorizedException", "Refresh Token has been revoked")
}

func TestRevokeToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	poolID, clientID := e.setup(t)
	a := must(e.srpLogin(t, poolID, clientID, "alice", goodPassword))
	b := must(e.srpLogin(t, poolID, clientID, "alice", goodPassword))
	must(e.api.RevokeToken(e.ctx, &cip.RevokeTokenInput{ClientId: aws.String(clientID), Token: a.RefreshToken}))
	wantErr(t, e.refresh(clientID, *a.RefreshToken), "NotAuthorizedException", "Refresh Token has been revoked")
	_, err := e.api.GetUser(e.ctx, &cip.GetUserInput{AccessToken: a.AccessToken})
	wantErr(t, err, "NotAuthorizedException", "Access Token has been revoked")
	// Another sign-in of the same user is untouched.
	if err := e.refresh(clientID, *b.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if _, err := e.api.GetUser(e.ctx, &cip.GetUserInput{AccessToken: b.AccessToken}); err != nil {
		t.Fatal(err)
	}
	// The gateway's verifier sees the revocation at once through the shared feed.
	if !e.revs.IsRevoked(poolID, map[string]any{"origin_jti": originJTI(t, *a.IdToken)}) {
		t.Error("revocation feed does not know the revoked sign-in")
	}

	secretClient := e.client(t, poolID, func(in *cip.CreateUserPoolClientInput) { in.GenerateSecret = true })
	_, err = e.api.RevokeToken(e.ctx, &cip.RevokeTokenInput{ClientId: aws.String(secretClient), Token: b.RefreshToken, ClientSecret: aws.String("wrong")})
	wantErr(t, err, "UnauthorizedException", "Invalid client or secret")
	_, err = e.api.RevokeToken(e.ctx, &cip.RevokeTokenInput{ClientId: aws.String(clientID), Token: b.AccessToken})
	wantErr(t, err, "UnsupportedTokenTypeException", "")

	noRevoke := e.client(t, poolID, func(in *cip.CreateUserPoolClientInput) { in.EnableTokenRevocation = aws.Bool(false) })
	_, err = e.api.RevokeToken(e.ctx, &cip.RevokeTokenInput{ClientId: aws.String(noRevoke), Token: b.RefreshToken})
	wantErr(t, err, "UnsupportedOperationException", "")
}

func originJTI(t *testing.T, tok string) string {
	_, c := decodeJWT(t, tok)
	s, _ := c["origin_jti"].(string)
	return s
}
