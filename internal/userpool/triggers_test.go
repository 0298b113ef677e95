package userpool

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/userpool/srp"
)

// fakeFunctions is an Invoker running Go handlers by function name. Each
// handler gets the raw event and returns the raw answer, or an error
// message (a failed invocation).
type fakeFunctions struct {
	mu    sync.Mutex
	fns   map[string]func(raw []byte) ([]byte, error)
	calls []string // trigger sources, in order
}

func (f *fakeFunctions) InvokeTrigger(ctx context.Context, name string, event []byte) (TriggerResult, error) {
	f.mu.Lock()
	fn := f.fns[name]
	var hdr struct {
		TriggerSource string `json:"triggerSource"`
	}
	_ = json.Unmarshal(event, &hdr)
	f.calls = append(f.calls, hdr.TriggerSource)
	f.mu.Unlock()
	if fn == nil {
		return TriggerResult{}, fmt.Errorf("invoke %s: %w", name, ErrFunctionNotFound)
	}
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	go func() { out, err := fn(event); done <- result{out, err} }()
	select {
	case r := <-done:
		if r.err != nil {
			doc, _ := json.Marshal(map[string]string{"errorMessage": r.err.Error(), "errorType": "Error"})
			return TriggerResult{Payload: doc, FunctionError: "Unhandled", RequestID: "req-1"}, nil
		}
		return TriggerResult{Payload: r.out, RequestID: "req-1"}, nil
	case <-ctx.Done():
		return TriggerResult{RequestID: "req-1"}, ctx.Err()
	}
}

func (f *fakeFunctions) set(name string, fn func(raw []byte) ([]byte, error)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fns[name] = fn
}

func (f *fakeFunctions) sources() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// strict decodes an event into an aws-lambda-go type, failing on any field
// the type does not know: the event shapes must be aws-lambda-go's.
func strict[T any](t testing.TB, raw []byte) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Errorf("event does not decode strictly into %T: %v\n%s", v, err, raw)
	}
	return v
}

// handler wraps a typed aws-lambda-go style handler.
func handler[T any](t testing.TB, fn func(ev *T) error) func([]byte) ([]byte, error) {
	return func(raw []byte) ([]byte, error) {
		ev := strict[T](t, raw)
		if err := fn(&ev); err != nil {
			return nil, err
		}
		return json.Marshal(ev)
	}
}

func fnARN(name string) *string {
	return aws.String("arn:aws:lambda:us-east-1:123456789012:function:" + name)
}

// triggerEnv is an env whose pools call fns.
func triggerEnv(t *testing.T) (*env, *fakeFunctions) {
	e := newEnv(t)
	fns := &fakeFunctions{fns: map[string]func([]byte) ([]byte, error){}}
	e.svc.triggers = fns
	return e, fns
}

func withTriggers(lc *types.LambdaConfigType) func(*cip.CreateUserPoolInput) {
	return func(in *cip.CreateUserPoolInput) { in.LambdaConfig = lc }
}

func TestLambdaConfigRoundTrip(t *testing.T) {
	e, _ := triggerEnv(t)
	id := e.pool(t, withTriggers(&types.LambdaConfigType{PreSignUp: fnARN("pre"), PreTokenGeneration: fnARN("tok"),
		CustomEmailSender: &types.CustomEmailLambdaVersionConfigType{LambdaArn: fnARN("mail"), LambdaVersion: "V1_0"},
		KMSKeyID:          aws.String("arn:aws:kms:us-east-1:123456789012:key/k1")}))
	out := must(e.api.DescribeUserPool(e.ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(id)}))
	lc := out.UserPool.LambdaConfig
	if lc == nil || aws.ToString(lc.PreSignUp) != *fnARN("pre") || lc.PreTokenGenerationConfig == nil ||
		aws.ToString(lc.PreTokenGenerationConfig.LambdaArn) != *fnARN("tok") || lc.PreTokenGenerationConfig.LambdaVersion != "V1_0" ||
		lc.CustomEmailSender == nil || aws.ToString(lc.KMSKeyID) == "" {
		t.Fatalf("LambdaConfig = %+v", lc)
	}
	// UpdateUserPool replaces it; leaving it out removes every trigger.
	must(e.api.UpdateUserPool(e.ctx, &cip.UpdateUserPoolInput{UserPoolId: aws.String(id),
		LambdaConfig: &types.LambdaConfigType{PostConfirmation: fnARN("post")}}))
	out = must(e.api.DescribeUserPool(e.ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(id)}))
	if lc := out.UserPool.LambdaConfig; lc == nil || lc.PreSignUp != nil || aws.ToString(lc.PostConfirmation) != *fnARN("post") {
		t.Fatalf("after update LambdaConfig = %+v", lc)
	}

	for name, lc := range map[string]*types.LambdaConfigType{
		"bad arn":       {PreSignUp: aws.String("not-an-arn-at-all-x")},
		"bad version":   {PreTokenGenerationConfig: &types.PreTokenGenerationVersionConfigType{LambdaArn: fnARN("t"), LambdaVersion: "V9_0"}},
		"arn mismatch":  {PreTokenGeneration: fnARN("a"), PreTokenGenerationConfig: &types.PreTokenGenerationVersionConfigType{LambdaArn: fnARN("b"), LambdaVersion: "V2_0"}},
		"sender no key": {CustomSMSSender: &types.CustomSMSLambdaVersionConfigType{LambdaArn: fnARN("sms"), LambdaVersion: "V1_0"}},
	} {
		_, err := e.api.CreateUserPool(e.ctx, &cip.CreateUserPoolInput{PoolName: aws.String("p"), LambdaConfig: lc})
		t.Run(name, func(t *testing.T) { wantErr(t, err, "InvalidParameterException", "") })
	}
	_, err := e.api.CreateUserPool(e.ctx, &cip.CreateUserPoolInput{PoolName: aws.String("lite"), UserPoolTier: types.UserPoolTierTypeLite,
		LambdaConfig: &types.LambdaConfigType{PreTokenGenerationConfig: &types.PreTokenGenerationVersionConfigType{LambdaArn: fnARN("t"), LambdaVersion: "V2_0"}}})
	wantErr(t, err, "FeatureUnavailableInTierException", "")
}

func TestPreSignUpTrigger(t *testing.T) {
	e, fns := triggerEnv(t)
	poolID := e.pool(t, withTriggers(&types.LambdaConfigType{PreSignUp: fnARN("preSignUp"), PostConfirmation: fnARN("postConfirmation")}),
		func(in *cip.CreateUserPoolInput) { in.AutoVerifiedAttributes = []types.VerifiedAttributeType{"email"} })
	clientID := e.client(t, poolID)
	var seen events.CognitoEventUserPoolsPreSignup
	fns.set("preSignUp", handler(t, func(ev *events.CognitoEventUserPoolsPreSignup) error {
		seen = *ev
		if strings.HasPrefix(ev.UserName, "bad") {
			return fmt.Errorf("usernames may not start with bad")
		}
		if ev.Request.UserAttributes["email"] == "trusted@example.com" {
			ev.Response.AutoConfirmUser, ev.Response.AutoVerifyEmail = true, true
		}
		return nil
	}))
	var confirmed []events.CognitoEventUserPoolsPostConfirmation
	fns.set("postConfirmation", handler(t, func(ev *events.CognitoEventUserPoolsPostConfirmation) error {
		confirmed = append(confirmed, *ev)
		return nil
	}))
	signUp := func(name, email string) (*cip.SignUpOutput, error) {
		return e.api.SignUp(e.ctx, &cip.SignUpInput{ClientId: aws.String(clientID), Username: aws.String(name), Password: aws.String(goodPassword),
			UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(email)}},
			ValidationData: []types.AttributeType{{Name: aws.String("captcha"), Value: aws.String("ok")}},
			ClientMetadata: map[string]string{"source": "web"}})
	}
	_, err := signUp("bad-bob", "bob@example.com")
	wantErr(t, err, "UserLambdaValidationException", "PreSignUp failed with error usernames may not start with bad.")
	_, err = e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("bad-bob")})
	wantErr(t, err, "UserNotFoundException", "") // nothing half-done
	if e.inbox.Count() != 0 {
		t.Fatal("a code was sent for a refused sign-up")
	}

	n := len(fns.sources())
	_, err = e.api.SignUp(e.ctx, &cip.SignUpInput{ClientId: aws.String(clientID), Username: aws.String("alice0"), Password: aws.String(goodPassword)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.api.SignUp(e.ctx, &cip.SignUpInput{ClientId: aws.String(clientID), Username: aws.String("alice0"), Password: aws.String(goodPassword)})
	wantErr(t, err, "UsernameExistsException", "User already exists")
	if got := len(fns.sources()) - n; got != 1 {
		t.Fatalf("pre sign-up ran %d times for a new and an existing username, want 1", got)
	}

	out := must(signUp("carol", "trusted@example.com"))
	if !out.UserConfirmed || out.CodeDeliveryDetails != nil {
		t.Fatalf("auto-confirmed sign-up: %+v", out)
	}
	if seen.TriggerSource != "PreSignUp_SignUp" || seen.UserPoolID != poolID || seen.CallerContext.ClientID != clientID ||
		seen.Region != "us-east-1" || seen.Version != "1" || seen.CallerContext.AWSSDKVersion == "" ||
		seen.Request.ValidationData["captcha"] != "ok" || seen.Request.ClientMetadata["source"] != "web" {
		t.Fatalf("pre sign-up event: %+v", seen)
	}
	u := must(e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("carol")}))
	if u.UserStatus != types.UserStatusTypeConfirmed || attr(u.UserAttributes, "email_verified") != "true" {
		t.Fatalf("carol: %s %v", u.UserStatus, u.UserAttributes)
	}
	if len(confirmed) != 1 || confirmed[0].TriggerSource != "PostConfirmation_ConfirmSignUp" ||
		confirmed[0].Request.UserAttributes["cognito:user_status"] != "CONFIRMED" || confirmed[0].Request.UserAttributes["sub"] == "" ||
		confirmed[0].Request.ClientMetadata["source"] != "web" {
		t.Fatalf("post confirmation events: %+v", confirmed)
	}

	// Not auto-confirmed: a code, then ConfirmSignUp runs post confirmation.
	out = must(signUp("dave", "dave@example.com"))
	if out.UserConfirmed {
		t.Fatal("dave confirmed without a code")
	}
	code, _ := e.inbox.Last(poolID, "dave")
	must(e.api.ConfirmSignUp(e.ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(clientID), Username: aws.String("dave"),
		ConfirmationCode: aws.String(code), ClientMetadata: map[string]string{"step": "confirm"}}))
	last := confirmed[len(confirmed)-1]
	if last.UserName != "dave" || last.Request.UserAttributes["email_verified"] != "true" || last.Request.ClientMetadata["step"] != "confirm" {
		t.Fatalf("post confirmation for dave: %+v", last)
	}

	// AdminCreateUser: PreSignUp_AdminCreateUser with no app client.
	must(e.api.AdminCreateUser(e.ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("erin"),
		MessageAction: types.MessageActionTypeSuppress, ClientMetadata: map[string]string{"by": "admin"}}))
	if seen.TriggerSource != "PreSignUp_AdminCreateUser" || seen.CallerContext.ClientID != "CLIENT_ID_NOT_APPLICABLE" || seen.Request.ClientMetadata["by"] != "admin" {
		t.Fatalf("admin create user event: %+v", seen)
	}
}

func attr(list []types.AttributeType, name string) string {
	for _, a := range list {
		if aws.ToString(a.Name) == name {
			return aws.ToString(a.Value)
		}
	}
	return ""
}

func TestTriggerFailuresAsCognito(t *testing.T) {
	e, fns := triggerEnv(t)
	e.svc.triggerTimeout = 100 * time.Millisecond
	poolID := e.pool(t, withTriggers(&types.LambdaConfigType{PreSignUp: fnARN("preSignUp")}))
	clientID := e.client(t, poolID)
	signUp := func(name string) error {
		_, err := e.api.SignUp(e.ctx, &cip.SignUpInput{ClientId: aws.String(clientID), Username: aws.String(name), Password: aws.String(goodPassword)})
		return err
	}
	cases := []struct {
		fn        func([]byte) ([]byte, error)
		code, msg string
	}{
		{nil, "UnexpectedLambdaException", "PreSignUp invocation failed due to error ResourceNotFoundException."},
		{func([]byte) ([]byte, error) { time.Sleep(time.Second); return []byte(`{}`), nil },
			"UnexpectedLambdaException", "PreSignUp invocation failed due to error Socket timeout while invoking Lambda function."},
		{func([]byte) ([]byte, error) { return []byte(`null`), nil }, "InvalidLambdaResponseException", "Invalid lambda function output : Invalid JSON"},
		{func([]byte) ([]byte, error) { return []byte(`{"response":{"autoConfirmUser":"yes"}}`), nil },
			"InvalidLambdaResponseException", "Unrecognizable lambda output"},
	}
	for i, c := range cases {
		if c.fn == nil {
			delete(fns.fns, "preSignUp")
		} else {
			fns.set("preSignUp", c.fn)
		}
		name := fmt.Sprintf("user%d", i)
		wantErr(t, signUp(name), c.code, c.msg)
		_, err := e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String(name)})
		wantErr(t, err, "UserNotFoundException", "")
	}
	// A trigger whose answer is ignored must still return the event.
	poolID2 := e.pool(t, withTriggers(&types.LambdaConfigType{PostConfirmation: fnARN("postConfirmation")}))
	fns.set("postConfirmation", func([]byte) ([]byte, error) { return []byte(`null`), nil })
	c2 := e.client(t, poolID2)
	must(e.api.SignUp(e.ctx, &cip.SignUpInput{ClientId: aws.String(c2), Username: aws.String("vic"), Password: aws.String(goodPassword)}))
	_, err := e.api.AdminConfirmSignUp(e.ctx, &cip.AdminConfirmSignUpInput{UserPoolId: aws.String(poolID2), Username: aws.String("vic")})
	wantErr(t, err, "InvalidLambdaResponseException", "Invalid lambda function output : Invalid JSON")
	if u := must(e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID2), Username: aws.String("vic")})); u.UserStatus != types.UserStatusTypeConfirmed {
		t.Fatalf("vic is %s: as on AWS the user stays confirmed when post confirmation fails", u.UserStatus)
	}
	if !strings.Contains(e.logs.String(), "request_id=req-1") {
		t.Error("trigger invocations are not logged with their request id")
	}
}

func TestPreTokenGenerationTrigger(t *testing.T) {
	for _, version := range []string{"V1_0", "V2_0", "V3_0"} {
		t.Run(version, func(t *testing.T) {
			e, fns := triggerEnv(t)
			poolID := e.pool(t, withTriggers(&types.LambdaConfigType{PreAuthentication: fnARN("preAuth"), PostAuthentication: fnARN("postAuth"),
				PreTokenGenerationConfig: &types.PreTokenGenerationVersionConfigType{LambdaArn: fnARN("preToken"),
					LambdaVersion: types.PreTokenGenerationLambdaVersionType(version)}}))
			clientID := e.client(t, poolID)
			e.user(t, poolID, "alice", "email", "alice@example.com", "email_verified", "true")
			must(e.api.CreateGroup(e.ctx, &cip.CreateGroupInput{UserPoolId: aws.String(poolID), GroupName: aws.String("staff")}))
			must(e.api.AdminAddUserToGroup(e.ctx, &cip.AdminAddUserToGroupInput{UserPoolId: aws.String(poolID), Username: aws.String("alice"), GroupName: aws.String("staff")}))
			fns.set("preAuth", handler(t, func(ev *events.CognitoEventUserPoolsPreAuthentication) error {
				if ev.Request.ValidationData["block"] == "yes" {
					return fmt.Errorf("blocked")
				}
				return nil
			}))
			fns.set("postAuth", handler(t, func(ev *events.CognitoEventUserPoolsPostAuthentication) error { return nil }))
			if version == "V1_0" {
				fns.set("preToken", handler(t, func(ev *events.CognitoEventUserPoolsPreTokenGen) error {
					if ev.TriggerSource != "TokenGeneration_Authentication" && ev.TriggerSource != "TokenGeneration_RefreshTokens" {
						return fmt.Errorf("source %s", ev.TriggerSource)
					}
					ev.Response.ClaimsOverrideDetails.ClaimsToAddOrOverride = map[string]string{"tenant": "acme", "sub": "forged"}
					ev.Response.ClaimsOverrideDetails.ClaimsToSuppress = []string{"email"}
					ev.Response.ClaimsOverrideDetails.GroupOverrideDetails.GroupsToOverride = append(ev.Request.GroupConfiguration.GroupsToOverride, "extra")
					return nil
				}))
			} else {
				fns.set("preToken", handler(t, func(ev *events.CognitoEventUserPoolsPreTokenGenV2_0) error {
					if len(ev.Request.Scopes) != 1 || ev.Request.Scopes[0] != "aws.cognito.signin.user.admin" ||
						ev.Request.UserAttributes["cognito:user_status"] != "CONFIRMED" || ev.Version != version[1:2] {
						return fmt.Errorf("request %+v", ev.Request)
					}
					d := &ev.Response.ClaimsAndScopeOverrideDetails
					d.IDTokenGeneration.ClaimsToAddOrOverride = map[string]any{"tenant": "acme", "levels": []int{1, 2}}
					d.IDTokenGeneration.ClaimsToSuppress = []string{"email"}
					d.AccessTokenGeneration.ClaimsToAddOrOverride = map[string]any{"tenant": "acme", "client_id": "forged"}
					d.AccessTokenGeneration.ScopesToAdd = []string{"notes/read"}
					d.GroupOverrideDetails.GroupsToOverride = []string{"staff", "extra"}
					return nil
				}))
			}
			_, err := e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: aws.String(clientID),
				AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": goodPassword}, ClientMetadata: map[string]string{"block": "yes"}})
			wantErr(t, err, "UserLambdaValidationException", "PreAuthentication failed with error blocked.")

			tok := must(e.srpLogin(t, poolID, clientID, "alice", goodPassword))
			id, access := decodeClaims(t, *tok.IdToken), decodeClaims(t, *tok.AccessToken)
			if id["tenant"] != "acme" || id["email"] != nil || id["sub"] == "forged" || fmt.Sprint(id["cognito:groups"]) != "[staff extra]" {
				t.Fatalf("id claims %v", id)
			}
			if version == "V1_0" {
				if access["tenant"] != nil || access["scope"] != "aws.cognito.signin.user.admin" {
					t.Fatalf("V1 changed the access token: %v", access)
				}
			} else if access["tenant"] != "acme" || access["client_id"] != clientID || access["scope"] != "aws.cognito.signin.user.admin notes/read" ||
				fmt.Sprint(id["levels"]) != "[1 2]" {
				t.Fatalf("access claims %v, id %v", access, id)
			}
			refreshed := must(e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeRefreshTokenAuth, ClientId: aws.String(clientID),
				AuthParameters: map[string]string{"REFRESH_TOKEN": *tok.RefreshToken}}))
			if decodeClaims(t, *refreshed.AuthenticationResult.IdToken)["tenant"] != "acme" {
				t.Fatal("refreshed id token lacks the trigger's claim")
			}
			got := strings.Join(fns.sources(), ",")
			want := "PreAuthentication_Authentication,PreAuthentication_Authentication,PostAuthentication_Authentication,TokenGeneration_Authentication,TokenGeneration_RefreshTokens"
			if got != want {
				t.Fatalf("trigger sources\n got %s\nwant %s", got, want)
			}
		})
	}
}

func decodeClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestUserMigrationTrigger(t *testing.T) {
	e, fns := triggerEnv(t)
	poolID := e.pool(t, withTriggers(&types.LambdaConfigType{UserMigration: fnARN("migrate")}))
	clientID := e.client(t, poolID)
	legacy := map[string]string{"belladonna": "Legacy-Passw0rd!", "otto": ""}
	fns.set("migrate", handler(t, func(ev *events.CognitoEventUserPoolsMigrateUser) error {
		pw, ok := legacy[ev.UserName]
		switch {
		case !ok:
		case ev.TriggerSource == "UserMigration_Authentication" && ev.CognitoEventUserPoolsMigrateUserRequest.Password == pw:
			ev.CognitoEventUserPoolsMigrateUserResponse.UserAttributes = map[string]string{"email": ev.UserName + "@example.com", "email_verified": "true"}
			ev.FinalUserStatus, ev.MessageAction = "CONFIRMED", "SUPPRESS"
		case ev.TriggerSource == "UserMigration_ForgotPassword":
			ev.CognitoEventUserPoolsMigrateUserResponse.UserAttributes = map[string]string{"email": ev.UserName + "@example.com", "email_verified": "true"}
			ev.MessageAction = "SUPPRESS"
		}
		return nil
	}))
	// A wrong legacy password migrates nothing.
	_, err := e.passwordAuth(clientID, "belladonna", "Wr0ng-Passw0rd!")
	wantErr(t, err, "NotAuthorizedException", msgIncorrect)
	// The first sign-in migrates; later ones are local (SRP: no trigger).
	must(e.passwordAuth(clientID, "belladonna", "Legacy-Passw0rd!"))
	n := len(fns.sources())
	must(e.srpLogin(t, poolID, clientID, "belladonna", "Legacy-Passw0rd!"))
	must(e.passwordAuth(clientID, "belladonna", "Legacy-Passw0rd!"))
	if len(fns.sources()) != n {
		t.Fatalf("migrated user still calls the trigger: %v", fns.sources())
	}
	// Forgot password migrates as RESET_REQUIRED and sends the code.
	must(e.api.ForgotPassword(e.ctx, &cip.ForgotPasswordInput{ClientId: aws.String(clientID), Username: aws.String("otto")}))
	u := must(e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("otto")}))
	if u.UserStatus != types.UserStatusTypeResetRequired {
		t.Fatalf("otto is %s", u.UserStatus)
	}
	code, ok := e.inbox.Last(poolID, "otto")
	if !ok {
		t.Fatal("no reset code for the migrated user")
	}
	must(e.api.ConfirmForgotPassword(e.ctx, &cip.ConfirmForgotPasswordInput{ClientId: aws.String(clientID), Username: aws.String("otto"),
		ConfirmationCode: aws.String(code), Password: aws.String(goodPassword)}))
	must(e.srpLogin(t, poolID, clientID, "otto", goodPassword))
	// Unknown everywhere: the same answer as a wrong password.
	_, err = e.passwordAuth(clientID, "nobody", "Wr0ng-Passw0rd!")
	wantErr(t, err, "NotAuthorizedException", msgIncorrect)
}

func TestCustomAuthTriggers(t *testing.T) {
	e, fns := triggerEnv(t)
	poolID := e.pool(t, withTriggers(&types.LambdaConfigType{DefineAuthChallenge: fnARN("define"),
		CreateAuthChallenge: fnARN("create"), VerifyAuthChallengeResponse: fnARN("verify")}))
	clientID := e.client(t, poolID, func(in *cip.CreateUserPoolClientInput) {
		in.ExplicitAuthFlows = append(in.ExplicitAuthFlows, "ALLOW_CUSTOM_AUTH")
	})
	e.user(t, poolID, "alice", "email", "alice@example.com", "email_verified", "true")
	fns.set("define", handler(t, func(ev *events.CognitoEventUserPoolsDefineAuthChallenge) error {
		s := ev.Request.Session
		switch {
		case len(s) == 1 && s[0].ChallengeName == "SRP_A":
			ev.Response.ChallengeName = "PASSWORD_VERIFIER"
		case len(s) > 0 && s[len(s)-1].ChallengeName == "CUSTOM_CHALLENGE" && s[len(s)-1].ChallengeResult:
			ev.Response.IssueTokens = true
		case len(s) >= 3:
			ev.Response.FailAuthentication = true
		default:
			ev.Response.ChallengeName = "CUSTOM_CHALLENGE"
		}
		return nil
	}))
	fns.set("create", handler(t, func(ev *events.CognitoEventUserPoolsCreateAuthChallenge) error {
		ev.Response.PublicChallengeParameters = map[string]string{"question": "2+3?"}
		ev.Response.PrivateChallengeParameters = map[string]string{"answer": "5"}
		ev.Response.ChallengeMetadata = "SUM"
		return nil
	}))
	fns.set("verify", handler(t, func(ev *events.CognitoEventUserPoolsVerifyAuthChallenge) error {
		ev.Response.AnswerCorrect = ev.Request.ChallengeAnswer == ev.Request.PrivateChallengeParameters["answer"]
		return nil
	}))
	answer := func(session, a string) (*cip.RespondToAuthChallengeOutput, error) {
		return e.api.RespondToAuthChallenge(e.ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID),
			ChallengeName: types.ChallengeNameTypeCustomChallenge, Session: aws.String(session),
			ChallengeResponses: map[string]string{"USERNAME": "alice", "ANSWER": a}})
	}
	out := must(e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeCustomAuth, ClientId: aws.String(clientID),
		AuthParameters: map[string]string{"USERNAME": "alice"}}))
	if out.ChallengeName != types.ChallengeNameTypeCustomChallenge || out.ChallengeParameters["question"] != "2+3?" || out.Session == nil {
		t.Fatalf("custom challenge: %+v", out)
	}
	wrong := must(answer(*out.Session, "4"))
	if wrong.ChallengeName != types.ChallengeNameTypeCustomChallenge {
		t.Fatalf("after a wrong answer: %+v", wrong)
	}
	if _, err := answer(*out.Session, "5"); err == nil {
		t.Fatal("a used session was accepted again")
	}
	right := must(answer(*wrong.Session, "5"))
	if right.AuthenticationResult == nil || right.AuthenticationResult.IdToken == nil {
		t.Fatalf("no tokens: %+v", right)
	}

	// CUSTOM_WITH_SRP: SRP_A, PASSWORD_VERIFIER, then the custom challenge.
	c, err := srp.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	out = must(e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeCustomAuth, ClientId: aws.String(clientID),
		AuthParameters: map[string]string{"USERNAME": "alice", "SRP_A": c.AHex(), "CHALLENGE_NAME": "SRP_A"}}))
	if out.ChallengeName != types.ChallengeNameTypePasswordVerifier {
		t.Fatalf("want PASSWORD_VERIFIER, got %+v", out)
	}
	pv := must(e.api.RespondToAuthChallenge(e.ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID),
		ChallengeName: types.ChallengeNameTypePasswordVerifier, Session: out.Session,
		ChallengeResponses: srpAnswer(t, poolID, c, out.ChallengeParameters, goodPassword, e.clock.Now())}))
	if pv.ChallengeName != types.ChallengeNameTypeCustomChallenge {
		t.Fatalf("after PASSWORD_VERIFIER: %+v", pv)
	}
	if res := must(answer(*pv.Session, "5")); res.AuthenticationResult == nil {
		t.Fatal("CUSTOM_WITH_SRP gave no tokens")
	}
	// A wrong password ends the flow.
	c, _ = srp.NewClient()
	out = must(e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeCustomAuth, ClientId: aws.String(clientID),
		AuthParameters: map[string]string{"USERNAME": "alice", "SRP_A": c.AHex(), "CHALLENGE_NAME": "SRP_A"}}))
	_, err = e.api.RespondToAuthChallenge(e.ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID),
		ChallengeName: types.ChallengeNameTypePasswordVerifier, Session: out.Session,
		ChallengeResponses: srpAnswer(t, poolID, c, out.ChallengeParameters, "Wr0ng-Passw0rd!", e.clock.Now())})
	wantErr(t, err, "NotAuthorizedException", msgIncorrect)

	// Unknown users walk the same flow and never get tokens.
	out = must(e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeCustomAuth, ClientId: aws.String(clientID),
		AuthParameters: map[string]string{"USERNAME": "mallory"}}))
	if out.ChallengeName != types.ChallengeNameTypeCustomChallenge {
		t.Fatalf("unknown user: %+v", out)
	}
	res, err := e.api.RespondToAuthChallenge(e.ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID),
		ChallengeName: types.ChallengeNameTypeCustomChallenge, Session: out.Session,
		ChallengeResponses: map[string]string{"USERNAME": "mallory", "ANSWER": "5"}})
	if err == nil && res.AuthenticationResult != nil {
		t.Fatal("unknown user got tokens")
	}
}

func TestCustomMessageAndSenderTriggers(t *testing.T) {
	e, fns := triggerEnv(t)
	key := bytes.Repeat([]byte{9}, 32)
	e.svc.senderKeys = func(id string) ([]byte, bool) { return key, id == "arn:aws:kms:us-east-1:123456789012:key/k1" }
	poolID := e.pool(t, withTriggers(&types.LambdaConfigType{CustomMessage: fnARN("message")}),
		func(in *cip.CreateUserPoolInput) { in.AutoVerifiedAttributes = []types.VerifiedAttributeType{"email"} })
	clientID := e.client(t, poolID)
	fns.set("message", handler(t, func(ev *events.CognitoEventUserPoolsCustomMessage) error {
		ev.Response.EmailSubject = "Welcome " + ev.UserName
		ev.Response.EmailMessage = ev.TriggerSource + ": your code is " + ev.Request.CodeParameter
		return nil
	}))
	must(e.api.SignUp(e.ctx, &cip.SignUpInput{ClientId: aws.String(clientID), Username: aws.String("bob"), Password: aws.String(goodPassword),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("bob@example.com")}}}))
	d, _ := e.inbox.LastDelivery(poolID, "bob")
	if d.Subject != "Welcome bob" || d.Message != "CustomMessage_SignUp: your code is "+d.Code {
		t.Fatalf("delivery %+v", d)
	}
	must(e.api.ResendConfirmationCode(e.ctx, &cip.ResendConfirmationCodeInput{ClientId: aws.String(clientID), Username: aws.String("bob")}))
	if d, _ = e.inbox.LastDelivery(poolID, "bob"); !strings.HasPrefix(d.Message, "CustomMessage_ResendCode") {
		t.Fatalf("resend delivery %+v", d)
	}

	// Every kind of message goes through the trigger with its own source.
	fns.set("message", handler(t, func(ev *events.CognitoEventUserPoolsCustomMessage) error {
		if ev.TriggerSource == "CustomMessage_AdminCreateUser" {
			ev.Response.EmailMessage = "Sign in as " + ev.Request.UsernameParameter + " with " + ev.Request.CodeParameter
			return nil
		}
		ev.Response.EmailMessage = ev.TriggerSource + ": " + ev.Request.CodeParameter
		return nil
	}))
	must(e.api.AdminCreateUser(e.ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("cy"),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("cy@example.com")}}}))
	if d, _ := e.inbox.LastDelivery(poolID, "cy"); d.Message != "Sign in as cy with "+d.Code || d.Kind != CodeInvite {
		t.Fatalf("invitation %+v", d)
	}
	e.user(t, poolID, "dee", "email", "dee@example.com", "email_verified", "true")
	tok := must(e.srpLogin(t, poolID, clientID, "dee", goodPassword))
	must(e.api.UpdateUserAttributes(e.ctx, &cip.UpdateUserAttributesInput{AccessToken: tok.AccessToken,
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("dee2@example.com")}}}))
	if d, _ := e.inbox.LastDelivery(poolID, "dee"); d.Message != "CustomMessage_UpdateUserAttribute: "+d.Code {
		t.Fatalf("update attribute message %+v", d)
	}
	must(e.api.GetUserAttributeVerificationCode(e.ctx, &cip.GetUserAttributeVerificationCodeInput{AccessToken: tok.AccessToken, AttributeName: aws.String("email")}))
	if d, _ := e.inbox.LastDelivery(poolID, "dee"); d.Message != "CustomMessage_VerifyUserAttribute: "+d.Code {
		t.Fatalf("verify attribute message %+v", d)
	}
	must(e.api.AdminUpdateUserAttributes(e.ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: aws.String(poolID), Username: aws.String("dee"),
		UserAttributes: []types.AttributeType{{Name: aws.String("email_verified"), Value: aws.String("true")}}}))
	must(e.api.ForgotPassword(e.ctx, &cip.ForgotPasswordInput{ClientId: aws.String(clientID), Username: aws.String("dee")}))
	if d, _ := e.inbox.LastDelivery(poolID, "dee"); d.Message != "CustomMessage_ForgotPassword: "+d.Code {
		t.Fatalf("forgot password message %+v", d)
	}

	// A custom email sender replaces delivery; its code is encrypted.
	must(e.api.UpdateUserPool(e.ctx, &cip.UpdateUserPoolInput{UserPoolId: aws.String(poolID),
		AutoVerifiedAttributes: []types.VerifiedAttributeType{"email"},
		LambdaConfig: &types.LambdaConfigType{KMSKeyID: aws.String("arn:aws:kms:us-east-1:123456789012:key/k1"),
			CustomEmailSender: &types.CustomEmailLambdaVersionConfigType{LambdaArn: fnARN("mail"), LambdaVersion: "V1_0"}}}))
	var got struct {
		TriggerSource string `json:"triggerSource"`
		Request       struct {
			Type           string            `json:"type"`
			Code           string            `json:"code"`
			ClientMetadata map[string]string `json:"clientMetadata"`
			UserAttributes map[string]string `json:"userAttributes"`
		} `json:"request"`
	}
	fns.set("mail", func(raw []byte) ([]byte, error) { return nil, json.Unmarshal(raw, &got) })
	before := e.inbox.Count()
	must(e.api.ResendConfirmationCode(e.ctx, &cip.ResendConfirmationCodeInput{ClientId: aws.String(clientID), Username: aws.String("bob"),
		ClientMetadata: map[string]string{"lang": "fr"}}))
	if e.inbox.Count() != before {
		t.Fatal("Cognate delivered a message although a custom sender is configured")
	}
	if got.TriggerSource != "CustomEmailSender_ResendCode" || got.Request.Type != "customEmailSenderRequestV1" ||
		got.Request.ClientMetadata["lang"] != "fr" || got.Request.UserAttributes["email"] != "bob@example.com" {
		t.Fatalf("custom sender event %+v", got)
	}
	sealed, err := base64.StdEncoding.DecodeString(got.Request.Code)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	plain, err := gcm.Open(nil, sealed[:12], sealed[12:], nil)
	if err != nil {
		t.Fatalf("decrypt code: %v", err)
	}
	if len(plain) != 6 {
		t.Fatalf("decrypted code %q", plain)
	}
	must(e.api.ConfirmSignUp(e.ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(clientID), Username: aws.String("bob"), ConfirmationCode: aws.String(string(plain))}))
}
