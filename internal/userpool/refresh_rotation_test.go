package userpool

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

func TestRefreshTokenRotation(t *testing.T) {
	e := newEnv(t)
	poolID := e.pool(t)
	e.user(t, poolID, "alice")
	_, err := e.api.CreateUserPoolClient(e.ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("bad"),
		RefreshTokenRotation: &types.RefreshTokenRotationType{Feature: types.FeatureTypeEnabled, RetryGracePeriodSeconds: aws.Int32(61)}})
	wantErr(t, err, "InvalidParameterException", "")
	rotating := e.client(t, poolID, func(in *cip.CreateUserPoolClientInput) {
		in.RefreshTokenRotation = &types.RefreshTokenRotationType{Feature: types.FeatureTypeEnabled, RetryGracePeriodSeconds: aws.Int32(10)}
	})
	first := must(e.passwordAuth(rotating, "alice", goodPassword)).AuthenticationResult.RefreshToken
	get := func(client string, tok *string) (*cip.GetTokensFromRefreshTokenOutput, error) {
		return e.api.GetTokensFromRefreshToken(e.ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: aws.String(client), RefreshToken: tok})
	}
	out := must(get(rotating, first))
	second := out.AuthenticationResult.RefreshToken
	if second == nil || *second == *first || out.AuthenticationResult.IdToken == nil {
		t.Fatal("rotation must return a new refresh token")
	}
	// Within the grace period the old token still works; after it, reuse is refused.
	must(get(rotating, first))
	e.clock.Advance(11 * time.Second)
	_, err = get(rotating, first)
	wantErr(t, err, "RefreshTokenReuseException", "")
	if out := must(get(rotating, second)); out.AuthenticationResult.RefreshToken == nil {
		t.Fatal("the rotated token rotates again")
	}
	// Without rotation: same refresh token kept, no new one returned, reusable.
	plain := e.client(t, poolID)
	tok := must(e.passwordAuth(plain, "alice", goodPassword)).AuthenticationResult.RefreshToken
	for range 2 {
		if out := must(get(plain, tok)); out.AuthenticationResult.RefreshToken != nil {
			t.Fatal("a refresh token without rotation")
		}
	}
	_, err = get(plain, aws.String("not-a-refresh-token-not-a-refresh-token"))
	wantErr(t, err, "NotAuthorizedException", msgInvalidRefresh)
	_, err = get(rotating, tok)
	wantErr(t, err, "NotAuthorizedException", msgInvalidRefresh) // another client's token
}
