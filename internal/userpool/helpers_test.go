package userpool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/cognate-dev/cognate/internal/secret"
	"github.com/cognate-dev/cognate/internal/store"
	"github.com/cognate-dev/cognate/internal/store/sqlite"
	"github.com/cognate-dev/cognate/internal/tokens"
	"github.com/cognate-dev/cognate/internal/userpool/srp"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is a running user pools service on a loopback port with a real
// SQLite store, driven by the AWS SDK.
type env struct {
	t     *testing.T
	ctx   context.Context
	svc   *Service
	api   *cip.Client
	inbox *Inbox
	clock *fakeClock
	store store.Store
	keys  *tokens.KeyRing
	revs  *tokens.Revocations
	url   string
	logs  *syncBuffer
}

// newEnv is a service on SQLite with a fake clock behind an HTTP server and
// an SDK client. The per-source rate limit is off (every call comes from
// loopback, and the fake clock would never refill a bucket) unless opts
// turn it on.
func newEnv(t testing.TB, opts ...func(*Config)) *env {
	return newEnvOn(t, func(logger *slog.Logger) store.Store {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"), logger)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}, opts...)
}

// newEnvOn is newEnv on the store that open returns (closed at cleanup).
func newEnvOn(t testing.TB, open func(*slog.Logger) store.Store, opts ...func(*Config)) *env {
	ctx := context.Background()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st := open(logger)
	t.Cleanup(func() { st.Close() })
	sealer, err := secret.NewSealer(bytes.Repeat([]byte{7}, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Now().UTC().Truncate(time.Millisecond)}
	keys := tokens.NewKeyRing(st, sealer, tokens.KeyRingOptions{Now: clock.Now, Logger: logger, NewKey: testNewKey})
	revs := tokens.NewRevocations(st, tokens.RevocationsOptions{Now: clock.Now, Logger: logger})
	inbox := &Inbox{}
	var base string
	cfg := Config{Store: st, Sealer: sealer, Keys: keys, Revocations: revs,
		Issuer: func(id string) string { return tokens.Issuer(base, "us-east-1", id, false) },
		Region: "us-east-1", Sender: inbox, Now: clock.Now, Logger: logger, Limits: Limits{SourceRate: -1}}
	for _, o := range opts {
		o(&cfg)
	}
	svc, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /", svc.Handler())
	mux.Handle("GET /{poolId}/.well-known/", tokens.WellKnownHandler(keys, func(id string) (string, bool) {
		if _, err := st.GetPool(ctx, id); err != nil {
			return "", false
		}
		return tokens.Issuer(base, "us-east-1", id, false), true
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	base = srv.URL
	api := cip.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient:  srv.Client(),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *cip.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	e := &env{ctx: ctx, svc: svc, api: api, inbox: inbox, clock: clock, store: st, keys: keys, revs: revs, url: srv.URL, logs: logs}
	if tt, ok := t.(*testing.T); ok {
		e.t = tt
	}
	return e
}

// wantErr asserts an AWS error of type code, with message msg when msg != "".
func wantErr(t testing.TB, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want %s, got %v", code, err)
	}
	if ae.ErrorCode() != code || (msg != "" && ae.ErrorMessage() != msg) {
		t.Fatalf("want %s %q, got %s %q", code, msg, ae.ErrorCode(), ae.ErrorMessage())
	}
}

// must returns v, panicking (and so failing the test) on err; for setup
// calls whose failure means the test cannot go on.
func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("setup call failed: %v", err))
	}
	return v
}

const goodPassword = "Corr3ct-Horse!"

// pool creates a pool (with opts applied to its input) and returns its id.
func (e *env) pool(t testing.TB, opts ...func(*cip.CreateUserPoolInput)) string {
	t.Helper()
	in := &cip.CreateUserPoolInput{PoolName: aws.String("test-pool")}
	for _, o := range opts {
		o(in)
	}
	return *must(e.api.CreateUserPool(e.ctx, in)).UserPool.Id
}

// client creates an app client allowing every flow and returns its id.
func (e *env) client(t testing.TB, poolID string, opts ...func(*cip.CreateUserPoolClientInput)) string {
	t.Helper()
	in := &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{"ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH",
			"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}}
	for _, o := range opts {
		o(in)
	}
	return *must(e.api.CreateUserPoolClient(e.ctx, in)).UserPoolClient.ClientId
}

// user creates a CONFIRMED user with goodPassword and the given attributes.
func (e *env) user(t testing.TB, poolID, name string, attrs ...string) {
	t.Helper()
	var list []types.AttributeType
	for i := 0; i+1 < len(attrs); i += 2 {
		list = append(list, types.AttributeType{Name: aws.String(attrs[i]), Value: aws.String(attrs[i+1])})
	}
	must(e.api.AdminCreateUser(e.ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID),
		Username: aws.String(name), UserAttributes: list, MessageAction: types.MessageActionTypeSuppress}))
	must(e.api.AdminSetUserPassword(e.ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID),
		Username: aws.String(name), Password: aws.String(goodPassword), Permanent: true}))
}

// setup is a pool, a client and a user "alice" with an email.
func (e *env) setup(t testing.TB) (poolID, clientID string) {
	t.Helper()
	poolID = e.pool(t)
	clientID = e.client(t, poolID)
	e.user(t, poolID, "alice", "email", "alice@example.com", "email_verified", "true")
	return poolID, clientID
}

func (e *env) passwordAuth(clientID, user, password string) (*cip.InitiateAuthOutput, error) {
	return e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		ClientId: aws.String(clientID), AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": password}})
}

// srpStart runs InitiateAuth USER_SRP_AUTH.
func (e *env) srpStart(t testing.TB, clientID, user string) (*srp.Client, *cip.InitiateAuthOutput, error) {
	t.Helper()
	c, err := srp.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserSrpAuth,
		ClientId: aws.String(clientID), AuthParameters: map[string]string{"USERNAME": user, "SRP_A": c.AHex()}})
	return c, out, err
}

// srpAnswer computes the PASSWORD_VERIFIER responses for a challenge.
func srpAnswer(t testing.TB, poolID string, c *srp.Client, ch map[string]string, password string, now time.Time) map[string]string {
	t.Helper()
	poolName := poolID[strings.IndexByte(poolID, '_')+1:]
	stamp, sig, err := c.Respond(poolName, ch["USER_ID_FOR_SRP"], password, ch["SALT"], ch["SRP_B"], ch["SECRET_BLOCK"], now)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"USERNAME": ch["USER_ID_FOR_SRP"], "PASSWORD_CLAIM_SECRET_BLOCK": ch["SECRET_BLOCK"],
		"TIMESTAMP": stamp, "PASSWORD_CLAIM_SIGNATURE": sig}
}

func (e *env) respondSRP(clientID string, resp map[string]string) (*cip.RespondToAuthChallengeOutput, error) {
	return e.api.RespondToAuthChallenge(e.ctx, &cip.RespondToAuthChallengeInput{ChallengeName: types.ChallengeNameTypePasswordVerifier,
		ClientId: aws.String(clientID), ChallengeResponses: resp})
}

// srpLogin signs in with SRP and returns the tokens.
func (e *env) srpLogin(t testing.TB, poolID, clientID, user, password string) (*types.AuthenticationResultType, error) {
	t.Helper()
	c, out, err := e.srpStart(t, clientID, user)
	if err != nil {
		return nil, err
	}
	res, err := e.respondSRP(clientID, srpAnswer(t, poolID, c, out.ChallengeParameters, password, e.clock.Now()))
	if err != nil {
		return nil, err
	}
	return res.AuthenticationResult, nil
}
