package userpool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/awsjson"
	"github.com/cognate-dev/cognate/internal/store"
)

// Invoker runs the functions a pool's LambdaConfig names (the function
// runner implements it). The error is for infrastructure failures only
// (wrapping ErrFunctionNotFound or ErrTooManyRequests when they apply); a
// function's own failure comes back in the result.
type Invoker interface {
	InvokeTrigger(ctx context.Context, function string, event []byte) (TriggerResult, error)
}

// TriggerResult is the outcome of one trigger invocation.
type TriggerResult struct {
	// Payload is the function's response, or Lambda's error document
	// ({errorMessage, errorType}) when FunctionError is set.
	Payload       []byte
	FunctionError string
	RequestID     string
}

// Errors an Invoker wraps so that the pool answers as Cognito does.
var (
	ErrFunctionNotFound = errors.New("function not found")
	ErrTooManyRequests  = errors.New("too many requests")
)

// TriggerTimeout is how long Cognito waits for a trigger (it cannot be changed on AWS).
const TriggerTimeout = 5 * time.Second

// Trigger failures, as Cognito reports them.
const (
	excUserLambdaValidation     = "UserLambdaValidationException"
	excInvalidLambdaResponse    = "InvalidLambdaResponseException"
	excUnexpectedLambda         = "UnexpectedLambdaException"
	excFeatureUnavailableInTier = "FeatureUnavailableInTierException"

	msgInvalidJSON       = "Invalid lambda function output : Invalid JSON"
	msgUnrecognizable    = "Unrecognizable lambda output"
	notApplicableClient  = "CLIENT_ID_NOT_APPLICABLE"
	unknownSDKVersion    = "aws-sdk-unknown-unknown"
	maxTriggerEventBytes = 6 << 20
)

// Trigger names: LambdaConfig fields, and the prefix of Cognito's messages.
const (
	trigPreSignUp          = "PreSignUp"
	trigPostConfirmation   = "PostConfirmation"
	trigPreAuthentication  = "PreAuthentication"
	trigPostAuthentication = "PostAuthentication"
	trigPreTokenGeneration = "PreTokenGeneration"
	trigUserMigration      = "UserMigration"
	trigCustomMessage      = "CustomMessage"
	trigDefineAuth         = "DefineAuthChallenge"
	trigCreateAuth         = "CreateAuthChallenge"
	trigVerifyAuth         = "VerifyAuthChallengeResponse"
	trigCustomEmailSender  = "CustomEmailSender"
	trigCustomSMSSender    = "CustomSMSSender"
)

// triggerARN returns the ARN configured for trigger, or "".
func (p *pool) triggerARN(trigger string) string {
	lc := p.cfg.LambdaConfig
	if lc == nil {
		return ""
	}
	switch trigger {
	case trigPreSignUp:
		return lc.PreSignUp
	case trigPostConfirmation:
		return lc.PostConfirmation
	case trigPreAuthentication:
		return lc.PreAuthentication
	case trigPostAuthentication:
		return lc.PostAuthentication
	case trigPreTokenGeneration:
		if lc.PreTokenGenerationConfig != nil {
			return lc.PreTokenGenerationConfig.LambdaArn
		}
		return lc.PreTokenGeneration
	case trigUserMigration:
		return lc.UserMigration
	case trigCustomMessage:
		return lc.CustomMessage
	case trigDefineAuth:
		return lc.DefineAuthChallenge
	case trigCreateAuth:
		return lc.CreateAuthChallenge
	case trigVerifyAuth:
		return lc.VerifyAuthChallengeResponse
	case trigCustomEmailSender:
		if lc.CustomEmailSender != nil {
			return lc.CustomEmailSender.LambdaArn
		}
	case trigCustomSMSSender:
		if lc.CustomSMSSender != nil {
			return lc.CustomSMSSender.LambdaArn
		}
	}
	return ""
}

// hasTrigger reports whether the pool has trigger configured.
func (p *pool) hasTrigger(trigger string) bool { return p.triggerARN(trigger) != "" }

// preTokenVersion is the pre token generation event version ("V1_0" ...).
func (p *pool) preTokenVersion() string {
	if lc := p.cfg.LambdaConfig; lc != nil && lc.PreTokenGenerationConfig != nil {
		return lc.PreTokenGenerationConfig.LambdaVersion
	}
	return "V1_0"
}

// callerContext is the callerContext of every trigger event.
type callerContext struct {
	AWSSDKVersion string `json:"awsSdkVersion"`
	ClientID      string `json:"clientId"`
}

// triggerEvent is the envelope Cognito sends to every trigger.
type triggerEvent struct {
	Version       string        `json:"version"`
	TriggerSource string        `json:"triggerSource"`
	Region        string        `json:"region"`
	UserPoolID    string        `json:"userPoolId"`
	UserName      *string       `json:"userName"`
	CallerContext callerContext `json:"callerContext"`
	Request       any           `json:"request"`
	Response      any           `json:"response"`
}

// triggerCall is one invocation: which trigger, its source and the caller.
type triggerCall struct {
	trigger  string
	prefix   string // the trigger source's prefix when it is not trigger
	source   string // the part after "<Trigger>_"
	version  string // "1" unless said otherwise
	username string
	clientID string // "" for CLIENT_ID_NOT_APPLICABLE
	noUser   bool   // userName is null (machine tokens)
}

type sdkVersionKey struct{}

// withSDKVersion records the caller's SDK (from User-Agent) for callerContext.
func withSDKVersion(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sdkVersionKey{}, sdkVersion(r.UserAgent()))))
	})
}

// sdkVersion turns "aws-sdk-go-v2/1.36.3 os/linux ..." into "aws-sdk-go-v2-1.36.3".
func sdkVersion(ua string) string {
	for _, tok := range strings.Fields(ua) {
		name, ver, ok := strings.Cut(tok, "/")
		if ok && (strings.HasPrefix(name, "aws-sdk-") || name == "aws-cli" || name == "aws-amplify") && ver != "" {
			return name + "-" + ver
		}
	}
	return unknownSDKVersion
}

func sdkVersionOf(ctx context.Context) string {
	if v, ok := ctx.Value(sdkVersionKey{}).(string); ok {
		return v
	}
	return unknownSDKVersion
}

// invokeTrigger sends the event to the pool's function for call.trigger and
// decodes the response part of the answer into out (when not nil). Failures
// are Cognito's: UserLambdaValidationException when the function fails,
// InvalidLambdaResponseException for an answer it cannot read,
// UnexpectedLambdaException when the function cannot be called or does
// not answer within the trigger timeout.
func (s *Service) invokeTrigger(ctx context.Context, p *pool, call triggerCall, request, response, out any) error {
	arn := p.triggerARN(call.trigger)
	version := call.version
	if version == "" {
		version = "1"
	}
	clientID := call.clientID
	if clientID == "" {
		clientID = notApplicableClient
	}
	if response == nil {
		response = struct{}{}
	}
	prefix := call.trigger
	if call.prefix != "" {
		prefix = call.prefix
	}
	var userName *string
	if !call.noUser {
		userName = &call.username
	}
	ev := triggerEvent{Version: version, TriggerSource: prefix + "_" + call.source, Region: s.region,
		UserPoolID: p.ID, UserName: userName, CallerContext: callerContext{AWSSDKVersion: sdkVersionOf(ctx), ClientID: clientID},
		Request: request, Response: response}
	payload, err := json.Marshal(ev)
	if err != nil {
		return wrap("encode trigger event", err)
	}
	unexpected := func(why string) error {
		return apiErr(excUnexpectedLambda, "%s invocation failed due to error %s.", call.trigger, why)
	}
	ref := parseFunctionARN(arn)
	if s.triggers == nil || !ref.OK || len(payload) > maxTriggerEventBytes {
		s.log.WarnContext(ctx, "trigger function not found", "pool", p.ID, "trigger", ev.TriggerSource, "arn", arn)
		return unexpected("ResourceNotFoundException")
	}
	tctx, cancel := context.WithTimeout(ctx, s.triggerTimeout)
	defer cancel()
	start := time.Now()
	fn := ref.Name
	if ref.Qualifier != "" && ref.Qualifier != "$LATEST" {
		fn += ":" + ref.Qualifier // a version or alias: the invoker resolves it
	}
	res, err := s.triggers.InvokeTrigger(tctx, fn, payload)
	took := time.Since(start)
	logAttrs := []any{"pool", p.ID, "trigger", ev.TriggerSource, "function", ref.Name, "request_id", res.RequestID,
		"duration", took.Round(time.Microsecond)}
	switch {
	case errors.Is(err, ErrFunctionNotFound):
		s.log.WarnContext(ctx, "trigger function not found", logAttrs...)
		return unexpected("ResourceNotFoundException")
	case errors.Is(err, ErrTooManyRequests):
		s.log.WarnContext(ctx, "trigger throttled", logAttrs...)
		return unexpected("TooManyRequestsException")
	case err != nil && tctx.Err() != nil && ctx.Err() == nil:
		s.log.WarnContext(ctx, "trigger timed out", logAttrs...)
		return unexpected("Socket timeout while invoking Lambda function")
	case err != nil:
		return wrap("invoke "+call.trigger+" trigger", err)
	}
	if res.FunctionError != "" {
		var doc struct {
			ErrorMessage string `json:"errorMessage"`
		}
		_ = json.Unmarshal(res.Payload, &doc)
		s.log.InfoContext(ctx, "trigger failed", append(logAttrs, "error", doc.ErrorMessage)...)
		return apiErr(excUserLambdaValidation, "%s failed with error %s.", call.trigger, doc.ErrorMessage)
	}
	s.log.InfoContext(ctx, "trigger invoked", logAttrs...)
	if call.trigger == trigCustomEmailSender || call.trigger == trigCustomSMSSender {
		return nil // Cognito reads nothing back from custom senders
	}
	// Every other trigger must return the event (an object), as on AWS.
	trimmed := bytes.TrimSpace(res.Payload)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return apiErr(excInvalidLambdaResponse, msgInvalidJSON)
	}
	var answer struct {
		Response json.RawMessage `json:"response"`
	}
	if err := json.Unmarshal(trimmed, &answer); err != nil {
		return apiErr(excInvalidLambdaResponse, msgInvalidJSON)
	}
	if out == nil || len(answer.Response) == 0 || string(answer.Response) == "null" {
		return nil
	}
	if err := json.Unmarshal(answer.Response, out); err != nil {
		return apiErr(excInvalidLambdaResponse, msgUnrecognizable)
	}
	return nil
}

// isAPIError reports whether err is an error for the caller (not an internal one).
func isAPIError(err error) bool {
	var ae *awsjson.Error
	return errors.As(err, &ae)
}

// triggerAttributes renders a stored user's attributes as Cognito puts them
// into trigger requests: every attribute (booleans as "true"/"false"
// strings), sub, cognito:user_status and, for verified aliases,
// cognito:email_alias / cognito:phone_number_alias.
func triggerAttributes(p *pool, u store.User) map[string]string {
	out := make(map[string]string, len(u.Attributes)+2)
	for k, v := range u.Attributes {
		if k == "identities" && v == "" {
			continue
		}
		out[k] = v
	}
	if u.Status != "" {
		out["cognito:user_status"] = u.Status
	}
	for _, attr := range []string{"email", "phone_number"} {
		if contains(p.cfg.AliasAttributes, attr) && u.Attributes[attr] != "" && u.Attributes[attr+"_verified"] == "true" {
			out["cognito:"+attr+"_alias"] = u.Attributes[attr]
		}
	}
	return out
}

// attributeMap turns AttributeType lists (ValidationData, new users'
// attributes) into the string maps triggers receive.
func attributeMap(attrs []attributeType) map[string]string {
	out := make(map[string]string, len(attrs))
	for _, a := range attrs {
		if a.Value != nil {
			out[a.Name] = *a.Value
		}
	}
	return out
}

// metadata returns m, or an empty map: Cognito sends {} rather than null.
func metadata(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
