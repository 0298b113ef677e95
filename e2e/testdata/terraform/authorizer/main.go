// Command authorizer is the tutorial's custom TOKEN authorizer written with
// aws-lambda-go, for the Terraform stack (AWS provider 1.60 predates the
// nodejs20.x runtime, so that stack runs the Go versions of the tutorial's
// functions on runtime "provided"). Like examples/notes/functions/authorizer
// it verifies a user pool id token (issuer, token_use, kid from the pool's
// JWKS, RS256, expiry) and allows every method of the stage, with
// principalId, username and email in the context.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

var (
	issuer = os.Getenv("ISSUER")
	mu     sync.Mutex
	keys   *jose.JSONWebKeySet // loaded once per instance, reloaded on an unknown kid
)

func jwks(ctx context.Context, reload bool) (*jose.JSONWebKeySet, error) {
	mu.Lock()
	defer mu.Unlock()
	if keys != nil && !reload {
		return keys, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, issuer+"/.well-known/jwks.json", nil)
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("JWKS answered %d", res.StatusCode)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(res.Body).Decode(&set); err != nil {
		return nil, err
	}
	keys = &set
	return keys, nil
}

type idClaims struct {
	jwt.Claims
	TokenUse string `json:"token_use"`
	Username string `json:"cognito:username"`
	Email    string `json:"email"`
}

var errUnauthorized = errors.New("Unauthorized")

func handle(ctx context.Context, ev events.APIGatewayCustomAuthorizerRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
	raw := strings.TrimSpace(strings.TrimPrefix(ev.AuthorizationToken, "Bearer "))
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || len(tok.Headers) != 1 {
		return events.APIGatewayCustomAuthorizerResponse{}, errUnauthorized
	}
	set, err := jwks(ctx, false)
	if err != nil {
		fmt.Println("authorizer error:", err)
		return events.APIGatewayCustomAuthorizerResponse{}, errUnauthorized
	}
	found := set.Key(tok.Headers[0].KeyID)
	if len(found) == 0 {
		if set, err = jwks(ctx, true); err != nil || len(set.Key(tok.Headers[0].KeyID)) == 0 {
			return events.APIGatewayCustomAuthorizerResponse{}, errUnauthorized
		}
		found = set.Key(tok.Headers[0].KeyID)
	}
	var c idClaims
	if err := tok.Claims(found[0].Key, &c); err != nil {
		return events.APIGatewayCustomAuthorizerResponse{}, errUnauthorized
	}
	if c.TokenUse != "id" || c.Validate(jwt.Expected{Issuer: issuer, Time: time.Now()}) != nil {
		return events.APIGatewayCustomAuthorizerResponse{}, errUnauthorized
	}
	parts := strings.SplitN(ev.MethodArn, "/", 3)
	if len(parts) < 2 {
		return events.APIGatewayCustomAuthorizerResponse{}, errUnauthorized
	}
	return events.APIGatewayCustomAuthorizerResponse{
		PrincipalID: c.Subject,
		PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{
			Version: "2012-10-17",
			Statement: []events.IAMPolicyStatement{{
				Action:   []string{"execute-api:Invoke"},
				Effect:   "Allow",
				Resource: []string{parts[0] + "/" + parts[1] + "/*/*"},
			}},
		},
		Context: map[string]any{"principalId": c.Subject, "username": c.Username, "email": c.Email},
	}, nil
}

func main() { lambda.Start(handle) }
