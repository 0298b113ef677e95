package userpool

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

func TestSelfService(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	poolID := e.pool(t, autoVerifyEmail)
	clientID := e.client(t, poolID)
	e.user(t, poolID, "alice", "email", "alice@example.com", "email_verified", "true")
	res, err := e.srpLogin(t, poolID, clientID, "alice", goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	tok := res.AccessToken

	got := must(e.api.GetUser(e.ctx, &cip.GetUserInput{AccessToken: tok}))
	if *got.Username != "alice" || attrMap(got.UserAttributes)["email"] != "alice@example.com" {
		t.Fatalf("get user %+v", got)
	}
	_, err = e.api.GetUser(e.ctx, &cip.GetUserInput{AccessToken: res.IdToken})
	wantErr(t, err, "NotAuthorizedException", "Invalid Access Token")
	_, err = e.api.GetUser(e.ctx, &cip.GetUserInput{AccessToken: aws.String("a.b.c")})
	wantErr(t, err, "NotAuthorizedException", "Invalid Access Token")

	up := must(e.api.UpdateUserAttributes(e.ctx, &cip.UpdateUserAttributesInput{AccessToken: tok, UserAttributes: []types.AttributeType{
		{Name: aws.String("email"), Value: aws.String("alice@new.example")}, {Name: aws.String("email_verified"), Value: aws.String("true")}}}))
	if len(up.CodeDeliveryDetailsList) != 1 || *up.CodeDeliveryDetailsList[0].AttributeName != "email" {
		t.Fatalf("update output %+v", up)
	}
	attrs := attrMap(must(e.api.GetUser(e.ctx, &cip.GetUserInput{AccessToken: tok})).UserAttributes)
	if attrs["email"] != "alice@new.example" || attrs["email_verified"] != "false" {
		t.Fatalf("a user cannot verify an email by writing email_verified: %v", attrs)
	}
	code, _ := e.inbox.Last(poolID, "alice")
	_, err = e.api.VerifyUserAttribute(e.ctx, &cip.VerifyUserAttributeInput{AccessToken: tok, AttributeName: aws.String("email"), Code: aws.String("x" + code)})
	wantErr(t, err, "CodeMismatchException", "")
	must(e.api.VerifyUserAttribute(e.ctx, &cip.VerifyUserAttributeInput{AccessToken: tok, AttributeName: aws.String("email"), Code: aws.String(code)}))
	if a := attrMap(must(e.api.GetUser(e.ctx, &cip.GetUserInput{AccessToken: tok})).UserAttributes); a["email_verified"] != "true" {
		t.Errorf("not verified: %v", a)
	}

	must(e.api.GetUserAttributeVerificationCode(e.ctx, &cip.GetUserAttributeVerificationCodeInput{AccessToken: tok, AttributeName: aws.String("email")}))
	if d, ok := e.inbox.LastDelivery(poolID, "alice"); !ok || d.Kind != CodeAttribute || d.Attribute != "email" {
		t.Errorf("verification code delivery %+v", d)
	}
	_, err = e.api.GetUserAttributeVerificationCode(e.ctx, &cip.GetUserAttributeVerificationCodeInput{AccessToken: tok, AttributeName: aws.String("name")})
	wantErr(t, err, "InvalidParameterException", "")

	_, err = e.api.ChangePassword(e.ctx, &cip.ChangePasswordInput{AccessToken: tok, PreviousPassword: aws.String("Wrong-Passw0rd"), ProposedPassword: aws.String("Next-Passw0rd!")})
	wantErr(t, err, "NotAuthorizedException", "Incorrect username or password.")
	_, err = e.api.ChangePassword(e.ctx, &cip.ChangePasswordInput{AccessToken: tok, PreviousPassword: aws.String(goodPassword), ProposedPassword: aws.String("short")})
	wantErr(t, err, "InvalidPasswordException", "")
	must(e.api.ChangePassword(e.ctx, &cip.ChangePasswordInput{AccessToken: tok, PreviousPassword: aws.String(goodPassword), ProposedPassword: aws.String("Next-Passw0rd!")}))
	if _, err := e.srpLogin(t, poolID, clientID, "alice", "Next-Passw0rd!"); err != nil {
		t.Fatalf("login with the new password: %v", err)
	}

	must(e.api.DeleteUser(e.ctx, &cip.DeleteUserInput{AccessToken: tok}))
	_, err = e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("alice")})
	wantErr(t, err, "UserNotFoundException", "")
	_, err = e.api.GetUser(e.ctx, &cip.GetUserInput{AccessToken: tok})
	wantErr(t, err, "NotAuthorizedException", "Access Token has been revoked")
}
