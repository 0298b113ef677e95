package userpool

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

func autoVerifyEmail(in *cip.CreateUserPoolInput) {
	in.AutoVerifiedAttributes = []types.VerifiedAttributeType{"email"}
}

func (e *env) signUp(clientID, name, password, email string) (*cip.SignUpOutput, error) {
	return e.api.SignUp(e.ctx, &cip.SignUpInput{ClientId: aws.String(clientID), Username: aws.String(name), Password: aws.String(password),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(email)}}})
}

func TestSignUpAndConfirm(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	poolID := e.pool(t, autoVerifyEmail)
	clientID := e.client(t, poolID)
	out, err := e.signUp(clientID, "carol", goodPassword, "carol@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if out.UserConfirmed || len(*out.UserSub) != 36 || *out.CodeDeliveryDetails.Destination != "c***@e***" ||
		out.CodeDeliveryDetails.DeliveryMedium != types.DeliveryMediumTypeEmail || *out.CodeDeliveryDetails.AttributeName != "email" {
		t.Fatalf("sign-up output %+v", out)
	}
	_, err = e.signUp(clientID, "carol", goodPassword, "carol@example.com")
	wantErr(t, err, "UsernameExistsException", "User already exists")
	_, err = e.signUp(clientID, "dave", "weak", "d@example.com")
	wantErr(t, err, "InvalidPasswordException", "Password did not conform with policy: Password not long enough")

	_, err = e.passwordAuth(clientID, "carol", goodPassword)
	wantErr(t, err, "UserNotConfirmedException", "User is not confirmed.")
	_, err = e.passwordAuth(clientID, "carol", "Wrong-Passw0rd")
	wantErr(t, err, "NotAuthorizedException", "Incorrect username or password.")

	code, ok := e.inbox.Last(poolID, "carol")
	if !ok || len(code) != 6 {
		t.Fatalf("code %q", code)
	}
	confirm := func(code string) error {
		_, err := e.api.ConfirmSignUp(e.ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(clientID), Username: aws.String("carol"), ConfirmationCode: aws.String(code)})
		return err
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	wantErr(t, confirm(wrong), "CodeMismatchException", "Invalid verification code provided, please try again.")
	if err := confirm(code); err != nil {
		t.Fatal(err)
	}
	// With existence errors hidden (the default), a confirmed user's answer
	// is an unknown user's; LEGACY clients are told the status.
	wantErr(t, confirm(code), "CodeMismatchException", "Invalid verification code provided, please try again.")
	legacy := e.client(t, poolID, func(in *cip.CreateUserPoolClientInput) {
		in.PreventUserExistenceErrors = types.PreventUserExistenceErrorTypesLegacy
	})
	_, err = e.api.ConfirmSignUp(e.ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(legacy), Username: aws.String("carol"), ConfirmationCode: aws.String(code)})
	wantErr(t, err, "NotAuthorizedException", "User cannot be confirmed. Current status is CONFIRMED")
	got := must(e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("carol")}))
	if got.UserStatus != types.UserStatusTypeConfirmed || attrMap(got.UserAttributes)["email_verified"] != "true" {
		t.Fatalf("after confirm %+v", got)
	}
	if _, err := e.passwordAuth(clientID, "carol", goodPassword); err != nil {
		t.Fatal(err)
	}
	_, err = e.api.ConfirmSignUp(e.ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(clientID), Username: aws.String("nobody"), ConfirmationCode: aws.String("123456")})
	wantErr(t, err, "CodeMismatchException", "")
}

func TestCodeLimitsAndExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	poolID := e.pool(t, autoVerifyEmail)
	clientID := e.client(t, poolID)
	must(e.signUp(clientID, "erin", goodPassword, "erin@example.com"))
	code, _ := e.inbox.Last(poolID, "erin")
	confirm := func(c string) error {
		_, err := e.api.ConfirmSignUp(e.ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(clientID), Username: aws.String("erin"), ConfirmationCode: aws.String(c)})
		return err
	}
	wrong := "999999"
	if code == wrong {
		wrong = "999998"
	}
	for range defaultCodeGuesses {
		wantErr(t, confirm(wrong), "CodeMismatchException", "")
	}
	wantErr(t, confirm(code), "LimitExceededException", "Attempt limit exceeded, please try after some time.")

	res := must(e.api.ResendConfirmationCode(e.ctx, &cip.ResendConfirmationCodeInput{ClientId: aws.String(clientID), Username: aws.String("erin")}))
	if *res.CodeDeliveryDetails.Destination != "e***@e***" {
		t.Errorf("resend %+v", res.CodeDeliveryDetails)
	}
	code, _ = e.inbox.Last(poolID, "erin")
	e.clock.Advance(signUpCodeTTL + time.Second)
	wantErr(t, confirm(code), "ExpiredCodeException", "Invalid code provided, please request a code again.")

	fake := must(e.api.ResendConfirmationCode(e.ctx, &cip.ResendConfirmationCodeInput{ClientId: aws.String(clientID), Username: aws.String("ghost")}))
	if fake.CodeDeliveryDetails == nil || fake.CodeDeliveryDetails.DeliveryMedium != types.DeliveryMediumTypeEmail {
		t.Errorf("unknown user resend should look normal: %+v", fake.CodeDeliveryDetails)
	}
}

func TestForgotPassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	poolID, clientID := e.setup(t)
	out := must(e.api.ForgotPassword(e.ctx, &cip.ForgotPasswordInput{ClientId: aws.String(clientID), Username: aws.String("alice")}))
	if *out.CodeDeliveryDetails.Destination != "a***@e***" {
		t.Errorf("delivery %+v", out.CodeDeliveryDetails)
	}
	code, _ := e.inbox.Last(poolID, "alice")
	confirm := func(code, pw string) error {
		_, err := e.api.ConfirmForgotPassword(e.ctx, &cip.ConfirmForgotPasswordInput{ClientId: aws.String(clientID),
			Username: aws.String("alice"), ConfirmationCode: aws.String(code), Password: aws.String(pw)})
		return err
	}
	wantErr(t, confirm(code, "weak"), "InvalidPasswordException", "")
	if err := confirm(code, "New-Passw0rd!"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, confirm(code, "Newer-Passw0rd!"), "ExpiredCodeException", "")
	if _, err := e.passwordAuth(clientID, "alice", "New-Passw0rd!"); err != nil {
		t.Fatal(err)
	}
	ghost := must(e.api.ForgotPassword(e.ctx, &cip.ForgotPasswordInput{ClientId: aws.String(clientID), Username: aws.String("ghost")}))
	if ghost.CodeDeliveryDetails == nil {
		t.Error("unknown user must get a normal-looking answer")
	}
	_, err := e.api.ConfirmForgotPassword(e.ctx, &cip.ConfirmForgotPasswordInput{ClientId: aws.String(clientID),
		Username: aws.String("ghost"), ConfirmationCode: aws.String("123456"), Password: aws.String("New-Passw0rd!")})
	wantErr(t, err, "CodeMismatchException", "")

	// AWS: with existence errors hidden, a user without a verified contact
	// and a disabled user get a simulated delivery too; LEGACY clients
	// are told why.
	e.user(t, poolID, "noemail")
	legacy := e.client(t, poolID, func(in *cip.CreateUserPoolClientInput) {
		in.PreventUserExistenceErrors = types.PreventUserExistenceErrorTypesLegacy
	})
	sent := e.inbox.Count()
	for _, name := range []string{"noemail", "alice"} {
		if name == "alice" {
			must(e.api.AdminDisableUser(e.ctx, &cip.AdminDisableUserInput{UserPoolId: aws.String(poolID), Username: aws.String("alice")}))
		}
		out := must(e.api.ForgotPassword(e.ctx, &cip.ForgotPasswordInput{ClientId: aws.String(clientID), Username: aws.String(name)}))
		if out.CodeDeliveryDetails == nil || out.CodeDeliveryDetails.DeliveryMedium != types.DeliveryMediumTypeEmail {
			t.Errorf("%s: want a simulated delivery, got %+v", name, out.CodeDeliveryDetails)
		}
	}
	if e.inbox.Count() != sent {
		t.Error("a simulated delivery must send nothing")
	}
	_, err = e.api.ForgotPassword(e.ctx, &cip.ForgotPasswordInput{ClientId: aws.String(legacy), Username: aws.String("noemail")})
	wantErr(t, err, "InvalidParameterException", "Cannot reset password for the user as there is no registered/verified email or phone_number")
	_, err = e.api.ForgotPassword(e.ctx, &cip.ForgotPasswordInput{ClientId: aws.String(legacy), Username: aws.String("alice")})
	wantErr(t, err, "NotAuthorizedException", "User is disabled.")
	// ConfirmForgotPassword: a disabled user's entry is a wrong code.
	_, err = e.api.ConfirmForgotPassword(e.ctx, &cip.ConfirmForgotPasswordInput{ClientId: aws.String(clientID),
		Username: aws.String("alice"), ConfirmationCode: aws.String("123456"), Password: aws.String("New-Passw0rd!")})
	wantErr(t, err, "CodeMismatchException", "")

	_, err = e.api.ForgotPassword(e.ctx, &cip.ForgotPasswordInput{ClientId: aws.String(legacy), Username: aws.String("ghost")})
	wantErr(t, err, "UserNotFoundException", "User does not exist.")
}

func TestSignUpWithEmailUsername(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	poolID := e.pool(t, autoVerifyEmail, func(in *cip.CreateUserPoolInput) {
		in.UsernameAttributes = []types.UsernameAttributeType{"email"}
		in.UsernameConfiguration = &types.UsernameConfigurationType{CaseSensitive: aws.Bool(false)}
	})
	clientID := e.client(t, poolID)
	out := must(e.api.SignUp(e.ctx, &cip.SignUpInput{ClientId: aws.String(clientID), Username: aws.String("Frank@Example.com"), Password: aws.String(goodPassword)}))
	code, ok := e.inbox.Last(poolID, *out.UserSub)
	if !ok {
		t.Fatal("no code for the sub-named user")
	}
	must(e.api.ConfirmSignUp(e.ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(clientID), Username: aws.String("frank@example.com"), ConfirmationCode: aws.String(code)}))
	res, err := e.passwordAuth(clientID, "FRANK@example.com", goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	if res.AuthenticationResult == nil {
		t.Fatal("no tokens")
	}
	_, err = e.api.SignUp(e.ctx, &cip.SignUpInput{ClientId: aws.String(clientID), Username: aws.String("frank@example.com"), Password: aws.String(goodPassword)})
	wantErr(t, err, "UsernameExistsException", "An account with the given email already exists.")
	_, err = e.api.SignUp(e.ctx, &cip.SignUpInput{ClientId: aws.String(clientID), Username: aws.String("frank"), Password: aws.String(goodPassword)})
	wantErr(t, err, "InvalidParameterException", "Username should be either an email or a phone number.")
}
