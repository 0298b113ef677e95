package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrUnauthorized is the authorizer's refusal; API Gateway turns the error
// message "Unauthorized" into a 401.
var ErrUnauthorized = errors.New("Unauthorized")

// VerifyIDToken checks an id token of the demo pool (issuer, token_use "id",
// kid from the pool's JWKS, RS256 signature, expiry) and returns its claims.
type VerifyIDToken func(ctx context.Context, token string) (map[string]any, error)

// tokenAuthorizerEvent is API Gateway's TOKEN authorizer event.
type tokenAuthorizerEvent struct {
	Type               string `json:"type"`
	AuthorizationToken string `json:"authorizationToken"`
	MethodArn          string `json:"methodArn"`
}

type policyStatement struct {
	Action   string `json:"Action"`
	Effect   string `json:"Effect"`
	Resource string `json:"Resource"`
}

type policyDocument struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

type authorizerResponse struct {
	PrincipalID    string            `json:"principalId"`
	PolicyDocument policyDocument    `json:"policyDocument"`
	Context        map[string]string `json:"context"`
}

// NewNotesAuthorizer returns the custom TOKEN authorizer of the tutorial: it
// verifies the id token and allows every method of the API's stage for the
// token's subject, passing principalId, username and email as context.
func NewNotesAuthorizer(verify VerifyIDToken) func(context.Context, json.RawMessage) (json.RawMessage, error) {
	return func(ctx context.Context, event json.RawMessage) (json.RawMessage, error) {
		var ev tokenAuthorizerEvent
		if err := json.Unmarshal(event, &ev); err != nil {
			return nil, fmt.Errorf("decode authorizer event: %w", err)
		}
		token := strings.TrimSpace(ev.AuthorizationToken)
		if after, ok := strings.CutPrefix(token, "Bearer "); ok {
			token = strings.TrimSpace(after)
		}
		if token == "" {
			return nil, ErrUnauthorized
		}
		claims, err := verify(ctx, token)
		if err != nil {
			return nil, ErrUnauthorized
		}
		sub, _ := claims["sub"].(string)
		username, _ := claims["cognito:username"].(string)
		email, _ := claims["email"].(string)
		if sub == "" {
			return nil, ErrUnauthorized
		}
		return json.Marshal(authorizerResponse{
			PrincipalID: sub,
			PolicyDocument: policyDocument{
				Version: "2012-10-17",
				Statement: []policyStatement{{
					Action:   "execute-api:Invoke",
					Effect:   "Allow",
					Resource: stageWildcard(ev.MethodArn),
				}},
			},
			Context: map[string]string{"principalId": sub, "username": username, "email": email},
		})
	}
}

// stageWildcard turns arn:...:apiId/stage/METHOD/path into arn:...:apiId/stage/*/*
// (every method and resource of the stage), or "*" for an unexpected ARN.
func stageWildcard(methodArn string) string {
	parts := strings.SplitN(methodArn, "/", 3)
	if len(parts) < 2 || !strings.HasPrefix(parts[0], "arn:aws:execute-api:") {
		return "*"
	}
	return parts[0] + "/" + parts[1] + "/*/*"
}
