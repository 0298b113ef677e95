package userpool

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// decodeJWT returns a token's header and claims without verifying it.
func decodeJWT(t *testing.T, tok string) (map[string]any, map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %q", tok)
	}
	var h, c map[string]any
	for i, dst := range []*map[string]any{&h, &c} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			t.Fatal(err)
		}
	}
	return h, c
}

// verifyWithJWKS checks a token's RS256 signature against the served JWKS.
func (e *env) verifyWithJWKS(t *testing.T, poolID, tok string) {
	t.Helper()
	resp, err := http.Get(e.url + "/" + poolID + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct{ Kid, N, E string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	h, _ := decodeJWT(t, tok)
	for _, k := range set.Keys {
		if k.Kid != h["kid"] {
			continue
		}
		n, _ := base64.RawURLEncoding.DecodeString(k.N)
		ex, _ := base64.RawURLEncoding.DecodeString(k.E)
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(ex).Int64())}
		i := strings.LastIndexByte(tok, '.')
		sig, _ := base64.RawURLEncoding.DecodeString(tok[i+1:])
		sum := sha256.Sum256([]byte(tok[:i]))
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
			t.Fatalf("signature does not verify with the JWKS: %v", err)
		}
		return
	}
	t.Fatalf("kid %v not in JWKS", h["kid"])
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestTokenClaims(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	poolID := e.pool(t, customPool)
	clientID := e.client(t, poolID)
	e.user(t, poolID, "alice", "email", "alice@example.com", "email_verified", "true", "custom:tenant", "acme")
	must(e.api.CreateGroup(e.ctx, &cip.CreateGroupInput{UserPoolId: aws.String(poolID), GroupName: aws.String("admins")}))
	must(e.api.AdminAddUserToGroup(e.ctx, &cip.AdminAddUserToGroupInput{UserPoolId: aws.String(poolID), GroupName: aws.String("admins"), Username: aws.String("alice")}))

	out, err := e.passwordAuth(clientID, "alice", goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	res := out.AuthenticationResult
	if res.ExpiresIn != 3600 || *res.TokenType != "Bearer" || *res.RefreshToken == "" || out.ChallengeName != "" {
		t.Fatalf("result %+v", res)
	}
	if strings.Count(*res.RefreshToken, ".") != 0 {
		t.Errorf("refresh token must be opaque, got %q", *res.RefreshToken)
	}
	now := e.clock.Now().Unix()
	iss := e.url + "/" + poolID
	idH, id := decodeJWT(t, *res.IdToken)
	accH, acc := decodeJWT(t, *res.AccessToken)
	wantID := []string{"aud", "auth_time", "cognito:groups", "cognito:username", "custom:tenant", "email", "email_verified",
		"event_id", "exp", "iat", "iss", "jti", "origin_jti", "sub", "token_use"}
	if got := keys(id); !slices.Equal(got, wantID) {
		t.Errorf("id claims %v, want %v", got, wantID)
	}
	wantAccess := []string{"auth_time", "client_id", "cognito:groups", "event_id", "exp", "iat", "iss", "jti", "origin_jti", "scope", "sub", "token_use", "username"}
	if got := keys(acc); !slices.Equal(got, wantAccess) {
		t.Errorf("access claims %v, want %v", got, wantAccess)
	}
	if id["aud"] != clientID || id["token_use"] != "id" || id["iss"] != iss || id["cognito:username"] != "alice" ||
		id["email_verified"] != true || id["email"] != "alice@example.com" || id["custom:tenant"] != "acme" ||
		id["exp"] != float64(now+3600) || id["iat"] != float64(now) || id["auth_time"] != float64(now) ||
		id["origin_jti"] != acc["origin_jti"] || id["sub"] != acc["sub"] || id["jti"] == acc["jti"] {
		t.Errorf("id claims %v", id)
	}
	if acc["token_use"] != "access" || acc["scope"] != "aws.cognito.signin.user.admin" || acc["client_id"] != clientID ||
		acc["username"] != "alice" || acc["iss"] != iss || acc["exp"] != float64(now+3600) {
		t.Errorf("access claims %v", acc)
	}
	if g, _ := id["cognito:groups"].([]any); len(g) != 1 || g[0] != "admins" {
		t.Errorf("groups %v", id["cognito:groups"])
	}
	if idH["alg"] != "RS256" || idH["kid"] == accH["kid"] {
		t.Errorf("headers id %v access %v", idH, accH)
	}
	e.verifyWithJWKS(t, poolID, *res.IdToken)
	e.verifyWithJWKS(t, poolID, *res.AccessToken)

	// Refresh: new id and access tokens from the same sign-in, no new refresh token.
	e.clock.Advance(10 * time.Minute)
	ref, err := e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeRefreshTokenAuth, ClientId: aws.String(clientID),
		AuthParameters: map[string]string{"REFRESH_TOKEN": *res.RefreshToken}})
	if err != nil {
		t.Fatal(err)
	}
	if ref.AuthenticationResult.RefreshToken != nil {
		t.Error("refresh must not return a refresh token")
	}
	_, id2 := decodeJWT(t, *ref.AuthenticationResult.IdToken)
	if id2["origin_jti"] != id["origin_jti"] || id2["auth_time"] != id["auth_time"] || id2["iat"] != float64(now+600) {
		t.Errorf("refreshed claims %v", id2)
	}
	other := e.client(t, poolID)
	_, err = e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeRefreshToken, ClientId: aws.String(other),
		AuthParameters: map[string]string{"REFRESH_TOKEN": *res.RefreshToken}})
	wantErr(t, err, "NotAuthorizedException", "Invalid Refresh Token")
	_, err = e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeRefreshTokenAuth, ClientId: aws.String(clientID),
		AuthParameters: map[string]string{"REFRESH_TOKEN": "not-a-real-refresh-token-value"}})
	wantErr(t, err, "NotAuthorizedException", "Invalid Refresh Token")
}

func TestPasswordAuthErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	poolID, clientID := e.setup(t)
	pool := aws.String(poolID)
	tests := []struct {
		name, user, password, code, msg string
	}{
		{"wrong password", "alice", "Wrong-Passw0rd", "NotAuthorizedException", "Incorrect username or password."},
		{"unknown user", "mallory", "Wrong-Passw0rd", "NotAuthorizedException", "Incorrect username or password."},
		{"missing password", "alice", "", "InvalidParameterException", "Missing required parameter PASSWORD"},
		{"missing username", "", "x", "InvalidParameterException", "Missing required parameter USERNAME"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.passwordAuth(clientID, tc.user, tc.password)
			wantErr(t, err, tc.code, tc.msg)
		})
	}
	must(e.api.AdminDisableUser(e.ctx, &cip.AdminDisableUserInput{UserPoolId: pool, Username: aws.String("alice")}))
	_, err := e.passwordAuth(clientID, "alice", goodPassword)
	wantErr(t, err, "NotAuthorizedException", "User is disabled.")
	must(e.api.AdminEnableUser(e.ctx, &cip.AdminEnableUserInput{UserPoolId: pool, Username: aws.String("alice")}))

	must(e.api.AdminResetUserPassword(e.ctx, &cip.AdminResetUserPasswordInput{UserPoolId: pool, Username: aws.String("alice")}))
	_, err = e.passwordAuth(clientID, "alice", goodPassword)
	wantErr(t, err, "PasswordResetRequiredException", "Password reset required for the user")

	legacy := e.client(t, poolID, func(in *cip.CreateUserPoolClientInput) {
		in.PreventUserExistenceErrors = types.PreventUserExistenceErrorTypesLegacy
	})
	_, err = e.passwordAuth(legacy, "mallory", "Wrong-Passw0rd")
	wantErr(t, err, "UserNotFoundException", "User does not exist.")
	_, err = e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth, ClientId: aws.String(clientID),
		AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": goodPassword}})
	wantErr(t, err, "InvalidParameterException", "Initiate Auth method not supported.")
	_, err = e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: aws.String("nosuchclient0000000000000a"),
		AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": goodPassword}})
	wantErr(t, err, "ResourceNotFoundException", "User pool client nosuchclient0000000000000a does not exist.")
}

func TestNewPasswordRequired(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	poolID := e.pool(t, func(in *cip.CreateUserPoolInput) {
		in.Schema = []types.SchemaAttributeType{{Name: aws.String("name"), Required: aws.Bool(true)}}
	})
	clientID := e.client(t, poolID)
	pool := aws.String(poolID)
	must(e.api.AdminCreateUser(e.ctx, &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String("gina"), TemporaryPassword: aws.String("Temp-Passw0rd"),
		MessageAction: types.MessageActionTypeSuppress, UserAttributes: []types.AttributeType{{Name: aws.String("name"), Value: aws.String("Gina")},
			{Name: aws.String("email"), Value: aws.String("gina@example.com")}}}))
	out, err := e.api.AdminInitiateAuth(e.ctx, &cip.AdminInitiateAuthInput{UserPoolId: pool, ClientId: aws.String(clientID),
		AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "gina", "PASSWORD": "Temp-Passw0rd"}})
	if err != nil {
		t.Fatal(err)
	}
	if out.ChallengeName != types.ChallengeNameTypeNewPasswordRequired || out.Session == nil || out.AuthenticationResult != nil ||
		out.ChallengeParameters["USER_ID_FOR_SRP"] != "gina" || out.ChallengeParameters["requiredAttributes"] != "[]" {
		t.Fatalf("challenge %+v", out)
	}
	var shown map[string]string
	if err := json.Unmarshal([]byte(out.ChallengeParameters["userAttributes"]), &shown); err != nil || shown["email"] != "gina@example.com" || shown["sub"] != "" {
		t.Fatalf("userAttributes %q", out.ChallengeParameters["userAttributes"])
	}
	respond := func(session string, resp map[string]string) (*cip.AdminRespondToAuthChallengeOutput, error) {
		return e.api.AdminRespondToAuthChallenge(e.ctx, &cip.AdminRespondToAuthChallengeInput{UserPoolId: pool, ClientId: aws.String(clientID),
			ChallengeName: types.ChallengeNameTypeNewPasswordRequired, Session: aws.String(session), ChallengeResponses: resp})
	}
	_, err = respond(*out.Session, map[string]string{"USERNAME": "gina", "NEW_PASSWORD": "weak"})
	wantErr(t, err, "InvalidPasswordException", "")
	done, err := respond(*out.Session, map[string]string{"USERNAME": "gina", "NEW_PASSWORD": "Final-Passw0rd", "userAttributes.nickname": "gg"})
	if err != nil {
		t.Fatal(err)
	}
	if done.AuthenticationResult == nil || *done.AuthenticationResult.IdToken == "" {
		t.Fatalf("no tokens: %+v", done)
	}
	_, err = respond(*out.Session, map[string]string{"USERNAME": "gina", "NEW_PASSWORD": "Final-Passw0rd"})
	wantErr(t, err, "NotAuthorizedException", "Invalid session for the user, session is expired.")
	got := must(e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: pool, Username: aws.String("gina")}))
	if got.UserStatus != types.UserStatusTypeConfirmed || attrMap(got.UserAttributes)["nickname"] != "gg" {
		t.Errorf("after challenge %+v", got)
	}

	// An expired temporary password can no longer start the challenge.
	must(e.api.AdminSetUserPassword(e.ctx, &cip.AdminSetUserPasswordInput{UserPoolId: pool, Username: aws.String("gina"), Password: aws.String("Temp-Passw0rd"), Permanent: false}))
	e.clock.Advance(8 * 24 * time.Hour)
	_, err = e.passwordAuth(clientID, "gina", "Temp-Passw0rd")
	wantErr(t, err, "NotAuthorizedException", "Temporary password has expired and must be reset by an administrator.")
}
