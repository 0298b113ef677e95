package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/idpclient"
	"github.com/cognate-dev/cognate/internal/userpool/srp"
)

// account is one user of the demo pool.
type account struct {
	poolID, clientID   string
	username, password string
}

// challenge is InitiateAuth's PASSWORD_VERIFIER answer.
type challenge struct {
	ChallengeName       string            `json:"ChallengeName"`
	ChallengeParameters map[string]string `json:"ChallengeParameters"`
	Session             string            `json:"Session"`
}

// authResult is RespondToAuthChallenge's answer.
type authResult struct {
	ChallengeName        string                `json:"ChallengeName"`
	AuthenticationResult *idpclient.AuthResult `json:"AuthenticationResult"`
}

// loginTiming is what one SRP login cost.
type loginTiming struct {
	total time.Duration // both round trips and the client's math
	math  time.Duration // srp.NewClient + Respond alone (wall time)
}

// login signs in with USER_SRP_AUTH: InitiateAuth on first, the
// PASSWORD_VERIFIER answer on second (the same client for a plain login,
// another node to show that SRP sessions are shared).
func login(ctx context.Context, first, second *idpclient.Client, a account) (*idpclient.AuthResult, loginTiming, error) {
	var t loginTiming
	start := time.Now()
	_, poolName, ok := strings.Cut(a.poolID, "_")
	if !ok {
		return nil, t, fmt.Errorf("pool id %q has no region prefix", a.poolID)
	}
	m0 := time.Now()
	cl, err := srp.NewClient()
	if err != nil {
		return nil, t, fmt.Errorf("srp client: %w", err)
	}
	aHex := cl.AHex()
	t.math = time.Since(m0)

	var ch challenge
	err = first.Call(ctx, "InitiateAuth", map[string]any{
		"AuthFlow": "USER_SRP_AUTH", "ClientId": a.clientID,
		"AuthParameters": map[string]string{"USERNAME": a.username, "SRP_A": aHex},
	}, &ch)
	if err != nil {
		return nil, t, err
	}
	if ch.ChallengeName != "PASSWORD_VERIFIER" {
		return nil, t, fmt.Errorf("unexpected challenge %q", ch.ChallengeName)
	}
	p := ch.ChallengeParameters
	userID := p["USER_ID_FOR_SRP"]
	m1 := time.Now()
	ts, sig, err := cl.Respond(poolName, userID, a.password, p["SALT"], p["SRP_B"], p["SECRET_BLOCK"], time.Now())
	t.math += time.Since(m1)
	if err != nil {
		return nil, t, fmt.Errorf("srp respond: %w", err)
	}
	req := map[string]any{
		"ChallengeName": "PASSWORD_VERIFIER", "ClientId": a.clientID,
		"ChallengeResponses": map[string]string{
			"USERNAME":                    userID,
			"PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"],
			"PASSWORD_CLAIM_SIGNATURE":    sig,
			"TIMESTAMP":                   ts,
		},
	}
	if ch.Session != "" {
		req["Session"] = ch.Session
	}
	var res authResult
	if err := second.Call(ctx, "RespondToAuthChallenge", req, &res); err != nil {
		return nil, t, err
	}
	if res.AuthenticationResult == nil || res.AuthenticationResult.IDToken == "" {
		return nil, t, fmt.Errorf("no tokens (challenge %q)", res.ChallengeName)
	}
	t.total = time.Since(start)
	return res.AuthenticationResult, t, nil
}

// clientMathOnly times the client's SRP work of one login (NewClient, AHex,
// Respond) against a fixed challenge, n times in this goroutine, and returns
// the mean. p holds a real challenge's parameters (SALT, SRP_B, SECRET_BLOCK,
// USER_ID_FOR_SRP); Respond does not check B against A, so reusing B is the
// same arithmetic.
func clientMathOnly(ctx context.Context, a account, p map[string]string, n int) (time.Duration, error) {
	_, poolName, _ := strings.Cut(a.poolID, "_")
	start := time.Now()
	done := 0
	for ; done < n && ctx.Err() == nil; done++ {
		cl, err := srp.NewClient()
		if err != nil {
			return 0, fmt.Errorf("srp client: %w", err)
		}
		_ = cl.AHex()
		if _, _, err := cl.Respond(poolName, p["USER_ID_FOR_SRP"], a.password, p["SALT"], p["SRP_B"], p["SECRET_BLOCK"], time.Now()); err != nil {
			return 0, fmt.Errorf("srp respond: %w", err)
		}
	}
	if done == 0 {
		return 0, ctx.Err()
	}
	return time.Since(start) / time.Duration(done), nil
}
