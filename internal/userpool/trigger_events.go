package userpool

import (
	"context"
	"errors"
	"maps"

	"github.com/cognate-dev/cognate/internal/store"
)

// Request and response shapes of the sign-up, confirmation and
// authentication triggers (AWS's field names; aws-lambda-go's
// events.CognitoEventUserPools* structs decode them strictly).

type preSignUpRequest struct {
	UserAttributes map[string]string `json:"userAttributes"`
	ValidationData map[string]string `json:"validationData"`
	ClientMetadata map[string]string `json:"clientMetadata"`
}

type preSignUpResponse struct {
	AutoConfirmUser bool `json:"autoConfirmUser"`
	AutoVerifyEmail bool `json:"autoVerifyEmail"`
	AutoVerifyPhone bool `json:"autoVerifyPhone"`
}

type postConfirmationRequest struct {
	UserAttributes map[string]string `json:"userAttributes"`
	ClientMetadata map[string]string `json:"clientMetadata"`
}

type preAuthenticationRequest struct {
	UserAttributes map[string]string `json:"userAttributes"`
	ValidationData map[string]string `json:"validationData"`
	UserNotFound   bool              `json:"userNotFound,omitempty"`
}

type postAuthenticationRequest struct {
	NewDeviceUsed  bool              `json:"newDeviceUsed"`
	UserAttributes map[string]string `json:"userAttributes"`
	ClientMetadata map[string]string `json:"clientMetadata"`
}

// validationMap is ValidationData as triggers see it: null when absent.
func validationMap(attrs []attributeType) map[string]string {
	if len(attrs) == 0 {
		return nil
	}
	return attributeMap(attrs)
}

// preSignUp runs the pre sign-up trigger (source SignUp, AdminCreateUser
// or ExternalProvider) for a user about to be created.
func (s *Service) preSignUp(ctx context.Context, p *pool, source, clientID string, u store.User, validation []attributeType, meta map[string]string) (preSignUpResponse, error) {
	var resp preSignUpResponse
	if !p.hasTrigger(trigPreSignUp) {
		return resp, nil
	}
	// An existing username is refused before the trigger runs.
	if _, err := s.store.GetUser(ctx, p.ID, u.Username); err == nil {
		msg := "User already exists"
		if source == "AdminCreateUser" {
			msg = "User account already exists"
		}
		return resp, apiErr(excUsernameExists, "%s", msg)
	} else if !errors.Is(err, store.ErrNotFound) {
		return resp, wrap("get user", err)
	}
	attrs := maps.Clone(u.Attributes)
	delete(attrs, "sub")
	err := s.invokeTrigger(ctx, p, triggerCall{trigger: trigPreSignUp, source: source, username: u.Username, clientID: clientID},
		preSignUpRequest{UserAttributes: attrs, ValidationData: validationMap(validation), ClientMetadata: metadata(meta)},
		preSignUpResponse{}, &resp)
	return resp, err
}

// postConfirmation runs the post confirmation trigger (source
// ConfirmSignUp or ConfirmForgotPassword) for a user just confirmed.
func (s *Service) postConfirmation(ctx context.Context, p *pool, source, clientID string, u store.User, meta map[string]string) error {
	if !p.hasTrigger(trigPostConfirmation) {
		return nil
	}
	return s.invokeTrigger(ctx, p, triggerCall{trigger: trigPostConfirmation, source: source, username: u.Username, clientID: clientID},
		postConfirmationRequest{UserAttributes: triggerAttributes(p, u), ClientMetadata: metadata(meta)}, nil, nil)
}

// preAuthentication runs the pre authentication trigger before a password
// or challenge is checked. For an unknown user (only when the client hides
// existence) userNotFound is set and the name given is the userName.
func (s *Service) preAuthentication(ctx context.Context, p *pool, c *client, u store.User, found bool, name string, validation map[string]string) error {
	if !p.hasTrigger(trigPreAuthentication) {
		return nil
	}
	req := preAuthenticationRequest{UserAttributes: map[string]string{}, ValidationData: validation}
	username := name
	if found {
		req.UserAttributes, username = triggerAttributes(p, u), u.Username
	} else {
		req.UserNotFound = true
	}
	return s.invokeTrigger(ctx, p, triggerCall{trigger: trigPreAuthentication, source: "Authentication", username: username, clientID: c.ID},
		req, nil, nil)
}

// postAuthentication runs the post authentication trigger after a
// successful sign-in, before tokens are issued.
func (s *Service) postAuthentication(ctx context.Context, p *pool, c *client, u store.User, meta map[string]string) error {
	if !p.hasTrigger(trigPostAuthentication) {
		return nil
	}
	return s.invokeTrigger(ctx, p, triggerCall{trigger: trigPostAuthentication, source: "Authentication", username: u.Username, clientID: c.ID},
		postAuthenticationRequest{UserAttributes: triggerAttributes(p, u), ClientMetadata: metadata(meta)}, nil, nil)
}
