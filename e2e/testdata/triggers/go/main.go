// Command go-triggers is one aws-lambda-go function serving every user pool
// trigger of the e2e tests. Each event is decoded strictly (unknown fields
// fail) into aws-lambda-go's events.CognitoEventUserPools* type for its
// trigger source, so an event shape that differs from aws-lambda-go's
// structs fails the invocation and with it the test.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// legacy is the "legacy" user store the migration trigger reads.
var legacy = map[string]struct{ password, email string }{
	"legacy-lou": {"Legacy-Passw0rd-1", "lou@legacy.example"},
	"legacy-liz": {"Legacy-Passw0rd-2", "liz@legacy.example"},
}

func decode[T any](raw json.RawMessage) (*T, error) {
	var ev T
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		return nil, fmt.Errorf("event does not match %T: %w", ev, err)
	}
	return &ev, nil
}

func handle(_ context.Context, raw json.RawMessage) (any, error) {
	var hdr events.CognitoEventUserPoolsHeader
	if err := json.Unmarshal(raw, &hdr); err != nil {
		return nil, err
	}
	fmt.Printf("trigger %s for %s\n", hdr.TriggerSource, hdr.UserName)
	src := hdr.TriggerSource
	switch {
	case strings.HasPrefix(src, "PreSignUp_"):
		ev, err := decode[events.CognitoEventUserPoolsPreSignup](raw)
		if err != nil {
			return nil, err
		}
		email := ev.Request.UserAttributes["email"]
		if strings.HasPrefix(ev.UserName, "blocked") || strings.HasSuffix(email, "@blocked.example") {
			return nil, fmt.Errorf("sign-up refused for %s", ev.UserName)
		}
		if strings.HasSuffix(email, "@trusted.example") {
			ev.Response.AutoConfirmUser, ev.Response.AutoVerifyEmail = true, true
		}
		// A federated user (first sign-in through an identity provider).
		if src == "PreSignUp_ExternalProvider" && strings.HasSuffix(email, "@upstream.example") {
			ev.Response.AutoVerifyEmail = true
		}
		return ev, nil
	case strings.HasPrefix(src, "PostConfirmation_"):
		return decode[events.CognitoEventUserPoolsPostConfirmation](raw)
	case strings.HasPrefix(src, "PreAuthentication_"):
		return decode[events.CognitoEventUserPoolsPreAuthentication](raw)
	case strings.HasPrefix(src, "PostAuthentication_"):
		return decode[events.CognitoEventUserPoolsPostAuthentication](raw)
	case src == "TokenGeneration_ClientCredentials":
		// A V3_0 event for a machine token: no user, the client's scopes.
		ev, err := decode[events.CognitoEventUserPoolsPreTokenGenV2_0](raw)
		if err != nil {
			return nil, err
		}
		if ev.Version != "3" || ev.UserName != "" || len(ev.Request.UserAttributes) != 0 || len(ev.Request.Scopes) == 0 {
			return nil, fmt.Errorf("unexpected client credentials event %+v", ev)
		}
		at := &ev.Response.ClaimsAndScopeOverrideDetails.AccessTokenGeneration
		at.ClaimsToAddOrOverride = map[string]any{"tenant": ev.Request.ClientMetadata["tenant"], "machine": true}
		at.ScopesToAdd = []string{"notes/read"}
		return ev, nil
	case strings.HasPrefix(src, "TokenGeneration_"):
		ev, err := decode[events.CognitoEventUserPoolsPreTokenGenV2_0](raw)
		if err != nil {
			return nil, err
		}
		d := &ev.Response.ClaimsAndScopeOverrideDetails
		d.IDTokenGeneration.ClaimsToAddOrOverride = map[string]any{"tenant": "acme"}
		d.AccessTokenGeneration.ClaimsToAddOrOverride = map[string]any{"tenant": "acme", "plan": "gold"}
		d.AccessTokenGeneration.ScopesToAdd = []string{"notes/read"}
		return ev, nil
	case strings.HasPrefix(src, "UserMigration_"):
		ev, err := decode[events.CognitoEventUserPoolsMigrateUser](raw)
		if err != nil {
			return nil, err
		}
		u, ok := legacy[ev.UserName]
		if !ok || (src == "UserMigration_Authentication" && ev.CognitoEventUserPoolsMigrateUserRequest.Password != u.password) {
			return ev, nil // not migrated: Cognito answers as for an unknown user
		}
		ev.CognitoEventUserPoolsMigrateUserResponse.UserAttributes = map[string]string{"email": u.email, "email_verified": "true"}
		ev.MessageAction = "SUPPRESS"
		if src == "UserMigration_Authentication" {
			ev.FinalUserStatus = "CONFIRMED"
		}
		return ev, nil
	case strings.HasPrefix(src, "CustomMessage_"):
		ev, err := decode[events.CognitoEventUserPoolsCustomMessage](raw)
		if err != nil {
			return nil, err
		}
		ev.Response.EmailSubject = "Your code"
		ev.Response.EmailMessage = "Hello " + ev.UserName + ", your code is " + ev.Request.CodeParameter
		return ev, nil
	case strings.HasPrefix(src, "DefineAuthChallenge_"):
		ev, err := decode[events.CognitoEventUserPoolsDefineAuthChallenge](raw)
		if err != nil {
			return nil, err
		}
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
		return ev, nil
	case strings.HasPrefix(src, "CreateAuthChallenge_"):
		ev, err := decode[events.CognitoEventUserPoolsCreateAuthChallenge](raw)
		if err != nil {
			return nil, err
		}
		ev.Response.PublicChallengeParameters = map[string]string{"question": "What is 6 times 7?"}
		ev.Response.PrivateChallengeParameters = map[string]string{"answer": "42"}
		ev.Response.ChallengeMetadata = "ARITHMETIC"
		return ev, nil
	case strings.HasPrefix(src, "VerifyAuthChallengeResponse_"):
		ev, err := decode[events.CognitoEventUserPoolsVerifyAuthChallenge](raw)
		if err != nil {
			return nil, err
		}
		ev.Response.AnswerCorrect = ev.Request.ChallengeAnswer == ev.Request.PrivateChallengeParameters["answer"]
		return ev, nil
	}
	return nil, fmt.Errorf("unexpected trigger source %s", src)
}

func main() { lambda.Start(handle) }
