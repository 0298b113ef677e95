package userpool

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/secret"
)

// TestEmailAlias: with an email alias, a verified email signs in like the
// username; an unverified one does not.
func TestEmailAlias(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	poolID := e.pool(t, func(in *cip.CreateUserPoolInput) { in.AliasAttributes = []types.AliasAttributeType{"email"} })
	clientID := e.client(t, poolID)
	e.user(t, poolID, "ivan", "email", "ivan@example.com", "email_verified", "true")
	e.user(t, poolID, "jill", "email", "jill@example.com")
	if _, err := e.passwordAuth(clientID, "ivan@example.com", goodPassword); err != nil {
		t.Fatalf("verified alias: %v", err)
	}
	if res, err := e.srpLogin(t, poolID, clientID, "ivan@example.com", goodPassword); err != nil || res == nil {
		t.Fatalf("SRP with alias: %v", err)
	}
	_, err := e.passwordAuth(clientID, "jill@example.com", goodPassword)
	wantErr(t, err, "NotAuthorizedException", "Incorrect username or password.")
	_, err = e.api.AdminCreateUser(e.ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("kim"),
		MessageAction: types.MessageActionTypeSuppress, UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String("ivan@example.com")}, {Name: aws.String("email_verified"), Value: aws.String("true")}}})
	wantErr(t, err, "AliasExistsException", "An account with the given email already exists.")
	_, err = e.api.AdminCreateUser(e.ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("kim@example.com")})
	wantErr(t, err, "InvalidParameterException", "Username cannot be of email format, since user pool is configured for email alias.")
}

// TestClientTokenSettings: validity units and read attributes shape tokens.
func TestClientTokenSettings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	poolID, _ := e.setup(t)
	must(e.api.AdminUpdateUserAttributes(e.ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: aws.String(poolID), Username: aws.String("alice"),
		UserAttributes: []types.AttributeType{{Name: aws.String("name"), Value: aws.String("Alice")}}}))
	clientID := e.client(t, poolID, func(in *cip.CreateUserPoolClientInput) {
		in.AccessTokenValidity = aws.Int32(30)
		in.IdTokenValidity = aws.Int32(2)
		in.TokenValidityUnits = &types.TokenValidityUnitsType{AccessToken: "minutes", IdToken: "hours"}
		in.ReadAttributes = []string{"email", "email_verified"}
	})
	out, err := e.passwordAuth(clientID, "alice", goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	res := out.AuthenticationResult
	_, id := decodeJWT(t, *res.IdToken)
	_, acc := decodeJWT(t, *res.AccessToken)
	if res.ExpiresIn != 1800 || acc["exp"].(float64)-acc["iat"].(float64) != 1800 || id["exp"].(float64)-id["iat"].(float64) != 7200 {
		t.Errorf("lifetimes: ExpiresIn %d, access %v, id %v", res.ExpiresIn, acc["exp"].(float64)-acc["iat"].(float64), id["exp"].(float64)-id["iat"].(float64))
	}
	if _, ok := id["name"]; ok || id["email"] != "alice@example.com" {
		t.Errorf("read attributes not applied: %v", keys(id))
	}
	got := must(e.api.GetUser(e.ctx, &cip.GetUserInput{AccessToken: res.AccessToken}))
	names := keysOf(attrMap(got.UserAttributes))
	if !slices.Equal(names, []string{"email", "email_verified", "sub"}) {
		t.Errorf("GetUser attributes %v", names)
	}
}

func keysOf(m map[string]string) []string {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return keys(out)
}

// TestVerifierSealedAtRest: the stored password material is sealed with
// the server key and bound to its pool and username.
func TestVerifierSealedAtRest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	poolID, _ := e.setup(t)
	u, err := e.store.GetUser(e.ctx, poolID, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.sealer.Open(u.Credentials, credentialsAAD(poolID, "alice")); err != nil {
		t.Fatalf("cannot open own credentials: %v", err)
	}
	if _, err := e.svc.sealer.Open(u.Credentials, credentialsAAD(poolID, "bob")); err == nil {
		t.Error("credentials open under another username")
	}
	other, _ := secret.NewSealer(make([]byte, secret.KeySize))
	if _, err := other.Open(u.Credentials, credentialsAAD(poolID, "alice")); err == nil {
		t.Error("credentials open without the server key")
	}
}
