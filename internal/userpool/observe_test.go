package userpool

import (
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

type signInCounts struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *signInCounts) SignIn(op, outcome string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[op+" "+outcome]++
}

// TestCallLogAndSignInOutcomes: every call is one info line with operation,
// pool, client and outcome; failed sign-ins get their own line; sign-in
// outcomes are counted.
func TestCallLogAndSignInOutcomes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	counts := &signInCounts{n: map[string]int{}}
	e.svc.metrics = counts
	poolID, clientID := e.setup(t)
	must(e.srpLogin(t, poolID, clientID, "alice", goodPassword))
	_, err := e.passwordAuth(clientID, "alice", "Wrong-Passw0rd-9")
	wantErr(t, err, excNotAuthorized, msgIncorrect)
	_, err = e.api.DescribeUserPool(e.ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(poolID + "x")})
	wantErr(t, err, excResourceNotFound, "")

	logs := e.logs.String()
	for _, want := range []string{
		"msg=\"cognito call\" op=DescribeUserPool request_id=",
		"pool=" + poolID + "x outcome=ResourceNotFoundException",
		"msg=\"sign-in failed\" op=InitiateAuth",
		"client=" + clientID + " outcome=NotAuthorizedException",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "Wrong-Passw0rd-9") {
		t.Error("the password reached the log")
	}
	counts.mu.Lock()
	defer counts.mu.Unlock()
	for k, want := range map[string]int{
		"InitiateAuth challenge":              1, // USER_SRP_AUTH answers PASSWORD_VERIFIER
		"RespondToAuthChallenge success":      1,
		"InitiateAuth NotAuthorizedException": 1,
	} {
		if counts.n[k] != want {
			t.Errorf("sign-ins %q = %d, want %d (all: %v)", k, counts.n[k], want, counts.n)
		}
	}
}
