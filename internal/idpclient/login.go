package idpclient

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/userpool/srp"
)

// AuthResult is Cognito's AuthenticationResultType.
type AuthResult struct {
	IDToken      string `json:"IdToken"`
	AccessToken  string `json:"AccessToken"`
	RefreshToken string `json:"RefreshToken,omitempty"`
	ExpiresIn    int    `json:"ExpiresIn"`
	TokenType    string `json:"TokenType"`
}

// ErrChallenge means the pool asked for a challenge this client does not
// answer (e.g. NEW_PASSWORD_REQUIRED).
var ErrChallenge = errors.New("unsupported challenge")

type authAnswer struct {
	ChallengeName        string            `json:"ChallengeName"`
	ChallengeParameters  map[string]string `json:"ChallengeParameters"`
	Session              string            `json:"Session"`
	AuthenticationResult *AuthResult       `json:"AuthenticationResult"`
}

// Login describes one SRP sign-in.
type Login struct {
	PoolID, ClientID, ClientSecret string
	Username, Password             string
}

// LoginSRP signs in with USER_SRP_AUTH (InitiateAuth, then the
// PASSWORD_VERIFIER challenge), as amazon-cognito-identity-js does.
func (c *Client) LoginSRP(ctx context.Context, l Login) (*AuthResult, error) {
	_, poolName, ok := strings.Cut(l.PoolID, "_")
	if !ok {
		return nil, fmt.Errorf("pool id %q has no region prefix", l.PoolID)
	}
	cl, err := srp.NewClient()
	if err != nil {
		return nil, fmt.Errorf("srp client: %w", err)
	}
	params := map[string]string{"USERNAME": l.Username, "SRP_A": cl.AHex()}
	if l.ClientSecret != "" {
		params["SECRET_HASH"] = SecretHash(l.ClientSecret, l.Username, l.ClientID)
	}
	var first authAnswer
	err = c.Call(ctx, "InitiateAuth", map[string]any{
		"AuthFlow": "USER_SRP_AUTH", "ClientId": l.ClientID, "AuthParameters": params,
	}, &first)
	if err != nil {
		return nil, err
	}
	if first.ChallengeName != "PASSWORD_VERIFIER" {
		return nil, fmt.Errorf("%w: %s", ErrChallenge, first.ChallengeName)
	}
	cp := first.ChallengeParameters
	userID := cp["USER_ID_FOR_SRP"]
	ts, sig, err := cl.Respond(poolName, userID, l.Password, cp["SALT"], cp["SRP_B"], cp["SECRET_BLOCK"], time.Now())
	if err != nil {
		return nil, fmt.Errorf("srp: %w", err)
	}
	resp := map[string]string{
		"USERNAME":                    userID,
		"PASSWORD_CLAIM_SECRET_BLOCK": cp["SECRET_BLOCK"],
		"PASSWORD_CLAIM_SIGNATURE":    sig,
		"TIMESTAMP":                   ts,
	}
	if l.ClientSecret != "" {
		resp["SECRET_HASH"] = SecretHash(l.ClientSecret, userID, l.ClientID)
	}
	req := map[string]any{"ChallengeName": "PASSWORD_VERIFIER", "ClientId": l.ClientID, "ChallengeResponses": resp}
	if first.Session != "" {
		req["Session"] = first.Session
	}
	var second authAnswer
	if err := c.Call(ctx, "RespondToAuthChallenge", req, &second); err != nil {
		return nil, err
	}
	if second.AuthenticationResult == nil {
		return nil, fmt.Errorf("%w: %s", ErrChallenge, second.ChallengeName)
	}
	return second.AuthenticationResult, nil
}

// SecretHash computes Cognito's SECRET_HASH: Base64(HMAC-SHA256(secret, username + clientId)).
func SecretHash(secret, username, clientID string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(username + clientID))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
