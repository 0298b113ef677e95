package scalebench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/idpclient"
	"github.com/cognate-dev/cognate/internal/userpool/srp"
)

// serviceTarget prefixes the X-Amz-Target of user pool operations.
const serviceTarget = "AWSCognitoIdentityProviderService."

// client talks to one running Cognate over loopback HTTP with keep-alive.
type client struct {
	base string
	http *http.Client
}

func newClient(base string) *client {
	tr := &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute}
	return &client{base: base, http: &http.Client{Transport: tr, Timeout: 5 * time.Minute}}
}

// close drops the idle connections.
func (c *client) close() { c.http.CloseIdleConnections() }

// call invokes a user pool operation and decodes its answer into out (which
// may be nil); a non-200 answer is an error carrying the AWS error body.
func (c *client) call(op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encode %s: %w", op, err)
	}
	req, err := http.NewRequest(http.MethodPost, c.base+"/", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("request %s: %w", op, err)
	}
	req.Header.Set("X-Amz-Target", serviceTarget+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if err := idpclient.Sign(context.Background(), req, "cognito-idp"); err != nil {
		return err
	}
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return fmt.Errorf("%s: read answer: %w", op, err)
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %d %s", op, res.StatusCode, bytes.TrimSpace(raw))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s: decode answer: %w", op, err)
	}
	return nil
}

// authResult is the part of InitiateAuth / RespondToAuthChallenge answers
// the benchmark reads.
type authResult struct {
	ChallengeName        string
	ChallengeParameters  map[string]string
	AuthenticationResult *struct {
		IdToken, AccessToken, RefreshToken string
	}
}

// loginTiming is one SRP login: the server's share (both round trips) and
// the client's own SRP math, measured apart.
type loginTiming struct {
	server, client       time.Duration
	idToken              string
	accessToken, refresh string
}

// srpLogin signs username in with USER_SRP_AUTH. Only the two HTTP round
// trips count as server time; computing A and the password claim does not.
func (c *client) srpLogin(poolID, clientID, username, password string) (loginTiming, error) {
	var lt loginTiming
	poolName := poolID[strings.IndexByte(poolID, '_')+1:]
	t0 := time.Now()
	sc, err := srp.NewClient()
	if err != nil {
		return lt, err
	}
	lt.client = time.Since(t0)

	t0 = time.Now()
	var ch authResult
	err = c.call("InitiateAuth", map[string]any{"AuthFlow": "USER_SRP_AUTH", "ClientId": clientID,
		"AuthParameters": map[string]string{"USERNAME": username, "SRP_A": sc.AHex()}}, &ch)
	lt.server = time.Since(t0)
	if err != nil {
		return lt, err
	}
	if ch.ChallengeName != "PASSWORD_VERIFIER" {
		return lt, fmt.Errorf("InitiateAuth %s: challenge %q, want PASSWORD_VERIFIER", username, ch.ChallengeName)
	}

	p := ch.ChallengeParameters
	t0 = time.Now()
	stamp, sig, err := sc.Respond(poolName, p["USER_ID_FOR_SRP"], password, p["SALT"], p["SRP_B"], p["SECRET_BLOCK"], time.Now())
	lt.client += time.Since(t0)
	if err != nil {
		return lt, err
	}

	t0 = time.Now()
	var res authResult
	err = c.call("RespondToAuthChallenge", map[string]any{"ChallengeName": "PASSWORD_VERIFIER", "ClientId": clientID,
		"ChallengeResponses": map[string]string{"USERNAME": p["USER_ID_FOR_SRP"], "PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"],
			"TIMESTAMP": stamp, "PASSWORD_CLAIM_SIGNATURE": sig}}, &res)
	lt.server += time.Since(t0)
	if err != nil {
		return lt, err
	}
	if res.AuthenticationResult == nil || res.AuthenticationResult.IdToken == "" {
		return lt, fmt.Errorf("RespondToAuthChallenge %s: no tokens", username)
	}
	lt.idToken = res.AuthenticationResult.IdToken
	lt.accessToken, lt.refresh = res.AuthenticationResult.AccessToken, res.AuthenticationResult.RefreshToken
	return lt, nil
}

// notes is the demo function's answer.
type notes struct {
	Title string `json:"title"`
}

// authorizedGet calls the demo's Cognito-authorizer route with idToken and
// returns the round-trip time and the notes title (which names the user).
func (c *client) authorizedGet(idToken string) (time.Duration, string, error) {
	req, err := http.NewRequest(http.MethodGet, c.base+"/dev/cognito/notes", nil)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", idToken)
	t0 := time.Now()
	res, err := c.http.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("GET /dev/cognito/notes: %w", err)
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	spent := time.Since(t0)
	if err != nil {
		return spent, "", fmt.Errorf("GET /dev/cognito/notes: read: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return spent, "", fmt.Errorf("GET /dev/cognito/notes: %d %s", res.StatusCode, bytes.TrimSpace(raw))
	}
	var n notes
	if err := json.Unmarshal(raw, &n); err != nil {
		return spent, "", fmt.Errorf("GET /dev/cognito/notes: decode: %w", err)
	}
	return spent, n.Title, nil
}

// timedCall runs a user pool operation and returns its round-trip time.
func (c *client) timedCall(op string, in, out any) (time.Duration, error) {
	t0 := time.Now()
	err := c.call(op, in, out)
	return time.Since(t0), err
}
