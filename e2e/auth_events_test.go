package e2e

import (
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// TestAuthEvents: with threat protection in AUDIT mode a pool records
// sign-ins (passed and failed), sign-ups and forgotten passwords;
// AdminListUserAuthEvents pages through them newest first, and feedback
// is given by an administrator or, with the event's feedback token, by
// the user.
func TestAuthEvents(t *testing.T) {
	srv := startServer(t, "")
	idp := newIDP(srv.URL)
	ctx := t.Context()
	pool, err := idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("audited"), UserPoolTier: ciptypes.UserPoolTierTypePlus,
		AutoVerifiedAttributes: []ciptypes.VerifiedAttributeType{ciptypes.VerifiedAttributeTypeEmail},
		UserPoolAddOns:         &ciptypes.UserPoolAddOnsType{AdvancedSecurityMode: ciptypes.AdvancedSecurityModeTypeAudit}})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	client, err := idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("app"),
		ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{ciptypes.ExplicitAuthFlowsTypeAllowUserSrpAuth, ciptypes.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
			ciptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	d := &demo{srv: srv, idp: idp, poolID: poolID, clientID: aws.ToString(client.UserPoolClient.ClientId)}
	if _, err := idp.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(d.clientID), Username: aws.String("eva"), Password: aws.String("Eva-Passw0rd!1"),
		UserAttributes: []ciptypes.AttributeType{{Name: aws.String("email"), Value: aws.String("eva@example.com")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := idp.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: aws.String(poolID), Username: aws.String("eva")}); err != nil {
		t.Fatal(err)
	}
	if _, err := idp.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: aws.String(poolID), Username: aws.String("eva"),
		UserAttributes: []ciptypes.AttributeType{{Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	d.loginSRP(t, "eva", "Eva-Passw0rd!1")
	_, err = d.passwordAuth("eva", "Wr0ng-Passw0rd!")
	wantAPIError(t, err, "NotAuthorizedException", "Incorrect username or password.")
	if _, err := d.trySRP("eva", "Wr0ng-Passw0rd!"); err == nil {
		t.Fatal("SRP with a wrong password passed")
	}
	if _, err := idp.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(d.clientID), Username: aws.String("eva")}); err != nil {
		t.Fatal(err)
	}

	list := func(max int32, next *string) *cip.AdminListUserAuthEventsOutput {
		t.Helper()
		out, err := idp.AdminListUserAuthEvents(ctx, &cip.AdminListUserAuthEventsInput{UserPoolId: aws.String(poolID), Username: aws.String("eva"),
			MaxResults: aws.Int32(max), NextToken: next})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	var events []ciptypes.AuthEventType
	var next *string
	for range 10 {
		page := list(2, next)
		if len(page.AuthEvents) > 2 {
			t.Fatalf("page of %d events", len(page.AuthEvents))
		}
		events = append(events, page.AuthEvents...)
		if next = page.NextToken; next == nil {
			break
		}
	}
	type want struct {
		typ  ciptypes.EventType
		resp ciptypes.EventResponseType
		ch   string
	}
	wants := []want{ // newest first
		{ciptypes.EventTypeForgotPassword, ciptypes.EventResponseTypePass, ""},
		{ciptypes.EventTypeSignIn, ciptypes.EventResponseTypeFail, "Password:Failure"},
		{ciptypes.EventTypeSignIn, ciptypes.EventResponseTypeFail, "Password:Failure"},
		{ciptypes.EventTypeSignIn, ciptypes.EventResponseTypePass, "Password:Success"},
		{ciptypes.EventTypeSignUp, ciptypes.EventResponseTypePass, ""},
	}
	if len(events) != len(wants) {
		t.Fatalf("%d events, want %d: %+v", len(events), len(wants), events)
	}
	uuid := regexp.MustCompile(`^[0-9a-f-]{36}$`)
	for i, w := range wants {
		ev := events[i]
		var ch []string
		for _, c := range ev.ChallengeResponses {
			ch = append(ch, string(c.ChallengeName)+":"+string(c.ChallengeResponse))
		}
		if ev.EventType != w.typ || ev.EventResponse != w.resp || strings.Join(ch, ",") != w.ch || !uuid.MatchString(aws.ToString(ev.EventId)) ||
			ev.CreationDate == nil || ev.EventRisk == nil || ev.EventRisk.RiskDecision != ciptypes.RiskDecisionTypeNoRisk ||
			ev.EventContextData == nil || aws.ToString(ev.EventContextData.IpAddress) != "127.0.0.1" ||
			!strings.HasPrefix(aws.ToString(ev.EventContextData.DeviceName), "aws-sdk-go-v2") || ev.EventFeedback != nil {
			t.Errorf("event %d: %+v (want %+v)", i, ev, w)
		}
		if i > 0 && ev.CreationDate.After(*events[i-1].CreationDate) {
			t.Errorf("event %d is newer than event %d", i, i-1)
		}
	}

	// Feedback: by an administrator, then by the user with the event's token.
	pass, fail := aws.ToString(events[3].EventId), aws.ToString(events[1].EventId)
	if _, err := idp.AdminUpdateAuthEventFeedback(ctx, &cip.AdminUpdateAuthEventFeedbackInput{UserPoolId: aws.String(poolID), Username: aws.String("eva"),
		EventId: aws.String(pass), FeedbackValue: ciptypes.FeedbackValueTypeValid}); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`event_id=` + fail + ` .*feedback_token=(\w+)`).FindStringSubmatch(srv.output())
	if m == nil {
		t.Fatal("no feedback token logged for the failed sign-in")
	}
	_, err = idp.UpdateAuthEventFeedback(ctx, &cip.UpdateAuthEventFeedbackInput{UserPoolId: aws.String(poolID), Username: aws.String("eva"),
		EventId: aws.String(fail), FeedbackToken: aws.String("wrong-token"), FeedbackValue: ciptypes.FeedbackValueTypeInvalid})
	wantAPIError(t, err, "NotAuthorizedException", "Invalid feedback token.")
	if _, err := idp.UpdateAuthEventFeedback(ctx, &cip.UpdateAuthEventFeedbackInput{UserPoolId: aws.String(poolID), Username: aws.String("eva"),
		EventId: aws.String(fail), FeedbackToken: aws.String(m[1]), FeedbackValue: ciptypes.FeedbackValueTypeInvalid}); err != nil {
		t.Fatal(err)
	}
	got := list(10, nil).AuthEvents
	if f := got[3].EventFeedback; f == nil || f.FeedbackValue != ciptypes.FeedbackValueTypeValid || aws.ToString(f.Provider) != "Admin" || f.FeedbackDate == nil {
		t.Fatalf("admin feedback: %+v", f)
	}
	if f := got[1].EventFeedback; f == nil || f.FeedbackValue != ciptypes.FeedbackValueTypeInvalid || aws.ToString(f.Provider) != "User" {
		t.Fatalf("user feedback: %+v", f)
	}

	// Documented errors.
	_, err = idp.AdminUpdateAuthEventFeedback(ctx, &cip.AdminUpdateAuthEventFeedbackInput{UserPoolId: aws.String(poolID), Username: aws.String("eva"),
		EventId: aws.String("00000000-0000-0000-0000-000000000000"), FeedbackValue: ciptypes.FeedbackValueTypeValid})
	wantAPIError(t, err, "ResourceNotFoundException", "Auth event not found.")
	_, err = idp.AdminListUserAuthEvents(ctx, &cip.AdminListUserAuthEventsInput{UserPoolId: aws.String(poolID), Username: aws.String("nobody")})
	wantAPIError(t, err, "UserNotFoundException", "User does not exist.")
	_, err = idp.AdminListUserAuthEvents(ctx, &cip.AdminListUserAuthEventsInput{UserPoolId: aws.String("us-east-1_missing"), Username: aws.String("eva")})
	wantAPIError(t, err, "ResourceNotFoundException", "User pool us-east-1_missing does not exist.")
	plain, err := idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("plain")})
	if err != nil {
		t.Fatal(err)
	}
	pd := &demo{srv: srv, idp: idp, poolID: aws.ToString(plain.UserPool.Id)}
	pd.createUser(t, "pat", "pat@example.com", "Pat-Passw0rd!1")
	_, err = idp.AdminListUserAuthEvents(ctx, &cip.AdminListUserAuthEventsInput{UserPoolId: plain.UserPool.Id, Username: aws.String("pat")})
	wantAPIError(t, err, "UserPoolAddOnNotEnabledException", "Threat protection (AdvancedSecurityMode) is not enabled for user pool "+pd.poolID+".")
}
