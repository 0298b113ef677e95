package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// senderKey is the local key standing in for the KMS key of the custom
// email sender (32 bytes, base64).
var senderKey = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

// triggersConfig declares two pools: go-pool, whose every trigger is one
// aws-lambda-go function decoding events strictly, and node-pool, whose
// triggers are Node.js exports.handler files written as the Cognito
// developer guide's examples. The tenant API checks, with a Cognito
// authorizer, the scope and claims the pre token generation V2_0 trigger adds.
func triggersConfig(t *testing.T) string {
	t.Helper()
	td := filepath.Join(repoRoot(), "e2e", "testdata", "triggers")
	cfg := filepath.Join(t.TempDir(), "cognate.yaml")
	node := func(name string, env string) string {
		s := fmt.Sprintf("  - {name: %s, runtime: nodejs20.x, handler: %s.handler, dir: %s, timeout: 5", name, name, filepath.Join(td, "node"))
		if env != "" {
			s += ", environment: {" + env + "}"
		}
		return s + "}\n"
	}
	// Functions may run as nobody (README: Function isolation): the binary's
	// directory must be readable by others, which t.TempDir's is not.
	binDir, err := os.MkdirTemp("", "cognate-triggers-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(binDir) })
	if err := os.Chmod(binDir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(binDir, "bootstrap")
	flows := "[ALLOW_USER_SRP_AUTH, ALLOW_USER_PASSWORD_AUTH, ALLOW_REFRESH_TOKEN_AUTH, ALLOW_CUSTOM_AUTH]"
	doc := `kmsKeys: [{id: sender-key, key: ` + senderKey + `}]
functions:
  - name: goTriggers
    runtime: provided.al2023
    dir: ` + filepath.Join(td, "go") + `
    build: [go, build, -o, ` + bin + `, .]
    command: [` + bin + `]
    timeout: 5
` + node("preSignUp", "") + node("migrateUser", "") + node("defineAuthChallenge", "") + node("createAuthChallenge", "") +
		node("verifyAuthChallenge", "") + node("customEmailSender", "KEY: "+senderKey) + `pools:
  - name: go-pool
    autoVerifiedAttributes: [email]
    clients: [{name: app, explicitAuthFlows: ` + flows + `}]
    lambdaConfig:
      preSignUp: goTriggers
      postConfirmation: goTriggers
      preAuthentication: goTriggers
      postAuthentication: goTriggers
      preTokenGeneration: goTriggers
      preTokenGenerationVersion: V2_0
      userMigration: goTriggers
      customMessage: goTriggers
      defineAuthChallenge: goTriggers
      createAuthChallenge: goTriggers
      verifyAuthChallengeResponse: goTriggers
  - name: node-pool
    autoVerifiedAttributes: [email]
    customAttributes: [domain]
    clients: [{name: app, explicitAuthFlows: ` + flows + `}]
    lambdaConfig:
      preSignUp: preSignUp
      userMigration: migrateUser
      defineAuthChallenge: defineAuthChallenge
      createAuthChallenge: createAuthChallenge
      verifyAuthChallengeResponse: verifyAuthChallenge
      customEmailSender: customEmailSender
      kmsKeyId: sender-key
apis:
  - name: tenant
    stages: [{name: dev}]
    definition:
      openapi: 3.0.1
      info: {title: tenant, version: "1"}
      paths:
        /tenant:
          get:
            security: [{pool: [notes/read]}]
            responses: {"200": {description: ok}}
            x-amazon-apigateway-integration:
              type: mock
              requestTemplates: {application/json: '{"statusCode": 200}'}
              responses:
                default:
                  statusCode: "200"
                  responseTemplates: {application/json: '{"tenant":"$context.authorizer.claims.tenant","plan":"$context.authorizer.claims.plan","user":"$context.authorizer.claims.username"}'}
      components:
        securitySchemes:
          pool:
            type: apiKey
            name: Authorization
            in: header
            x-amazon-apigateway-authtype: cognito_user_pools
            x-amazon-apigateway-authorizer:
              type: cognito_user_pools
              providerARNs: ["arn:aws:cognito-idp:${aws:region}:${aws:account}:userpool/${pool:go-pool}"]
`
	if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// triggerStack is a running server with the two trigger pools.
type triggerStack struct {
	srv                  *server
	idp                  *cip.Client
	goPool, goClient     string
	nodePool, nodeClient string
}

func startTriggerStack(t *testing.T) *triggerStack {
	t.Helper()
	st := &triggerStack{srv: startServer(t, "", "--config", triggersConfig(t))}
	st.idp = newIDP(st.srv.URL)
	ctx := context.Background()
	pools, err := st.idp.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pools.UserPools {
		clients, err := st.idp.ListUserPoolClients(ctx, &cip.ListUserPoolClientsInput{UserPoolId: p.Id})
		if err != nil || len(clients.UserPoolClients) != 1 {
			t.Fatalf("clients of %s: %v", aws.ToString(p.Name), err)
		}
		switch aws.ToString(p.Name) {
		case "go-pool":
			st.goPool, st.goClient = aws.ToString(p.Id), aws.ToString(clients.UserPoolClients[0].ClientId)
		case "node-pool":
			st.nodePool, st.nodeClient = aws.ToString(p.Id), aws.ToString(clients.UserPoolClients[0].ClientId)
		}
	}
	if st.goPool == "" || st.nodePool == "" {
		t.Fatal("trigger pools not found")
	}
	return st
}

func (st *triggerStack) pool(poolID, clientID string) *demo {
	return &demo{srv: st.srv, idp: st.idp, poolID: poolID, clientID: clientID}
}

func (st *triggerStack) logs(t *testing.T, function string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := runCLI(t, ctx, "", "logs", "-endpoint", st.srv.URL, function)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTriggersGo drives every go-pool trigger through the AWS SDK. The
// function decodes each event strictly into aws-lambda-go's type, so any
// shape difference fails the call that caused it.
func TestTriggersGo(t *testing.T) {
	t.Parallel()
	st := startTriggerStack(t)
	d := st.pool(st.goPool, st.goClient)
	ctx := context.Background()
	signUp := func(name, email string) (*cip.SignUpOutput, error) {
		return st.idp.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(d.clientID), Username: aws.String(name),
			Password: aws.String("Tr1gger-Passw0rd!"), ClientMetadata: map[string]string{"from": "e2e"},
			UserAttributes: []ciptypes.AttributeType{{Name: aws.String("email"), Value: aws.String(email)}}})
	}

	// PreSignUp refuses: an AWS error, and no user left behind.
	_, err := signUp("blocked-bo", "bo@example.com")
	wantAPIError(t, err, "UserLambdaValidationException", "PreSignUp failed with error sign-up refused for blocked-bo.")
	_, err = st.idp.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(d.poolID), Username: aws.String("blocked-bo")})
	wantAPIError(t, err, "UserNotFoundException", "")

	// PreSignUp auto-confirms a trusted domain; others confirm with a code.
	out, err := signUp("amy", "amy@trusted.example")
	if err != nil || !out.UserConfirmed {
		t.Fatalf("trusted sign-up: %+v %v", out, err)
	}
	if out, err = signUp("ben", "ben@example.com"); err != nil || out.UserConfirmed {
		t.Fatalf("sign-up: %+v %v", out, err)
	}
	if _, err := st.idp.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(d.clientID), Username: aws.String("ben"),
		ConfirmationCode: aws.String(lastCode(t, st.srv, "ben", "signup"))}); err != nil {
		t.Fatal(err)
	}

	// Pre token generation V2_0: a claim in both tokens, a claim and a scope
	// in the access token, which the gateway's Cognito authorizer checks.
	tok := d.loginSRP(t, "amy", "Tr1gger-Passw0rd!")
	id, access := claimsOf(t, aws.ToString(tok.IdToken)), claimsOf(t, aws.ToString(tok.AccessToken))
	if id["tenant"] != "acme" || access["tenant"] != "acme" || access["plan"] != "gold" ||
		access["scope"] != "aws.cognito.signin.user.admin notes/read" {
		t.Fatalf("id %v\naccess %v", id, access)
	}
	status, body, _ := get(t, st.srv.URL+"/dev/tenant", aws.ToString(tok.AccessToken))
	if status != 200 || body != `{"tenant":"acme","plan":"gold","user":"amy"}` {
		t.Fatalf("gateway with the access token: %d %s", status, body)
	}
	// The id token has no scope: the method's authorization scope refuses it.
	if status, body, _ := get(t, st.srv.URL+"/dev/tenant", aws.ToString(tok.IdToken)); status != 401 {
		t.Fatalf("gateway with the id token: %d %s", status, body)
	}

	// UserMigration on first sign-in (USER_PASSWORD_AUTH), then local sign-ins.
	_, err = d.passwordAuth("legacy-lou", "Wr0ng-Passw0rd!")
	wantAPIError(t, err, "NotAuthorizedException", "Incorrect username or password.")
	if _, err := d.passwordAuth("legacy-lou", "Legacy-Passw0rd-1"); err != nil {
		t.Fatalf("migrating sign-in: %v", err)
	}
	d.loginSRP(t, "legacy-lou", "Legacy-Passw0rd-1")
	if _, err := d.passwordAuth("legacy-lou", "Legacy-Passw0rd-1"); err != nil {
		t.Fatal(err)
	}
	// UserMigration in ForgotPassword: RESET_REQUIRED, then a reset and SRP.
	if _, err := st.idp.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(d.clientID), Username: aws.String("legacy-liz")}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.idp.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{ClientId: aws.String(d.clientID), Username: aws.String("legacy-liz"),
		ConfirmationCode: aws.String(lastCode(t, st.srv, "legacy-liz", "forgot")), Password: aws.String("N3w-Passw0rd-2")}); err != nil {
		t.Fatal(err)
	}
	d.loginSRP(t, "legacy-liz", "N3w-Passw0rd-2")

	// CUSTOM_AUTH through the SDK.
	first, err := st.idp.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: ciptypes.AuthFlowTypeCustomAuth, ClientId: aws.String(d.clientID),
		AuthParameters: map[string]string{"USERNAME": "ben"}})
	if err != nil || first.ChallengeName != ciptypes.ChallengeNameTypeCustomChallenge || first.ChallengeParameters["question"] != "What is 6 times 7?" {
		t.Fatalf("custom auth: %+v %v", first, err)
	}
	done, err := st.idp.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(d.clientID),
		ChallengeName: ciptypes.ChallengeNameTypeCustomChallenge, Session: first.Session,
		ChallengeResponses: map[string]string{"USERNAME": "ben", "ANSWER": "42"}})
	if err != nil || done.AuthenticationResult == nil {
		t.Fatalf("custom answer: %+v %v", done, err)
	}

	// Every invocation is in `cognate logs`, tagged with its request id.
	logs := st.logs(t, "goTriggers")
	for _, want := range []string{"trigger PreSignUp_SignUp for amy", "trigger PostConfirmation_ConfirmSignUp for amy",
		"trigger CustomMessage_SignUp for ben", "trigger PostConfirmation_ConfirmSignUp for ben",
		"trigger PreAuthentication_Authentication for amy", "trigger PostAuthentication_Authentication for amy",
		"trigger TokenGeneration_Authentication for amy", "trigger UserMigration_Authentication for legacy-lou",
		"trigger UserMigration_ForgotPassword for legacy-liz", "trigger CustomMessage_ForgotPassword for legacy-liz",
		"trigger PostConfirmation_ConfirmForgotPassword for legacy-liz",
		"trigger DefineAuthChallenge_Authentication for ben", "trigger CreateAuthChallenge_Authentication for ben",
		"trigger VerifyAuthChallengeResponse_Authentication for ben"} {
		if !strings.Contains(logs, want) {
			t.Errorf("cognate logs lacks %q", want)
		}
	}
	if n := strings.Count(logs, "trigger UserMigration_Authentication for legacy-lou"); n != 2 {
		t.Errorf("legacy-lou migrated %d times (want 2: the wrong password, then the migration); local sign-ins must not call the trigger", n)
	}
	// The server's log names each invocation's request id, as `cognate logs` does.
	m := regexp.MustCompile(`msg="trigger invoked".* trigger=PreSignUp_SignUp .*request_id=(\S+)`).FindStringSubmatch(st.srv.output())
	if m == nil || m[1] == "" || !strings.Contains(logs, m[1]) {
		t.Errorf("the server log's request id for PreSignUp_SignUp is not in cognate logs (%v)", m)
	}
}

// TestTriggersNode runs the Cognito developer guide's Node.js trigger
// examples and drives node-pool with amazon-cognito-identity-js
// (e2e/node/triggers): CUSTOM_AUTH (initiateAuth + customChallenge),
// CUSTOM_WITH_SRP, sign-up auto-confirmed by pre sign-up, the custom email
// sender (the code decrypted by the trigger) and user migration.
func TestTriggersNode(t *testing.T) {
	t.Parallel()
	node, dir := requireNode(t)
	st := startTriggerStack(t)
	d := st.pool(st.nodePool, st.nodeClient)
	d.createUser(t, "carla", "carla@example.com", "Carla-Passw0rd-1")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-concurrency=1", "triggers/")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "COGNATE_URL="+st.srv.URL, "POOL_ID="+d.poolID, "CLIENT_ID="+d.clientID,
		"COGNATE_USERNAME=carla", "COGNATE_PASSWORD=Carla-Passw0rd-1", "COGNATE_BIN="+binary)
	out, err := cmd.CombinedOutput()
	t.Logf("node --test triggers/:\n%s", out)
	if err != nil {
		t.Fatalf("node trigger tests failed: %v", err)
	}
	// The migrated user now signs in locally, with SRP, through the SDK.
	d.loginSRP(t, "belladonna", "Test123")
}

// TestTriggersAWSCLI sets LambdaConfig with the AWS CLI's shorthand and
// reads it back: the trigger then runs (and an unknown function fails as
// on AWS, at call time).
func TestTriggersAWSCLI(t *testing.T) {
	t.Parallel()
	cli := requireAWSCLI(t)
	st := startTriggerStack(t)
	arn := "arn:aws:lambda:us-east-1:000000000000:function:"
	out, err := awsCLI(t, cli, st.srv.URL, "cognito-idp", "create-user-pool", "--pool-name", "cli-pool",
		"--lambda-config", "PreSignUp="+arn+"goTriggers,PreTokenGenerationConfig={LambdaArn="+arn+"goTriggers,LambdaVersion=V2_0},PostConfirmation="+arn+"missing")
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ UserPool struct{ Id string } }
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatal(err)
	}
	out, err = awsCLI(t, cli, st.srv.URL, "cognito-idp", "describe-user-pool", "--user-pool-id", created.UserPool.Id,
		"--query", "UserPool.LambdaConfig")
	if err != nil {
		t.Fatal(err)
	}
	var lc map[string]any
	if err := json.Unmarshal([]byte(out), &lc); err != nil {
		t.Fatal(err)
	}
	if lc["PreSignUp"] != arn+"goTriggers" || lc["PreTokenGeneration"] != arn+"goTriggers" ||
		fmt.Sprint(lc["PreTokenGenerationConfig"]) != "map[LambdaArn:"+arn+"goTriggers LambdaVersion:V2_0]" {
		t.Fatalf("LambdaConfig %s", out)
	}
	out, err = awsCLI(t, cli, st.srv.URL, "cognito-idp", "create-user-pool-client", "--user-pool-id", created.UserPool.Id,
		"--client-name", "app", "--query", "UserPoolClient.ClientId")
	if err != nil {
		t.Fatal(err)
	}
	var clientID string
	if err := json.Unmarshal([]byte(out), &clientID); err != nil {
		t.Fatal(err)
	}
	_, err = awsCLI(t, cli, st.srv.URL, "cognito-idp", "sign-up", "--client-id", clientID, "--username", "blocked-cli",
		"--password", "Cl1-Passw0rd!")
	if err == nil || !strings.Contains(err.Error(), "UserLambdaValidationException") || !strings.Contains(err.Error(), "PreSignUp failed with error sign-up refused for blocked-cli.") {
		t.Fatalf("refused sign-up: %v", err)
	}
	// The user is created (PreSignUp accepts), then the unknown post
	// confirmation function fails the confirmation as on AWS.
	if _, err := awsCLI(t, cli, st.srv.URL, "cognito-idp", "sign-up", "--client-id", clientID, "--username", "cli-user",
		"--password", "Cl1-Passw0rd!"); err != nil {
		t.Fatal(err)
	}
	_, err = awsCLI(t, cli, st.srv.URL, "cognito-idp", "admin-confirm-sign-up", "--user-pool-id", created.UserPool.Id, "--username", "cli-user")
	if err == nil || !strings.Contains(err.Error(), "UnexpectedLambdaException") || !strings.Contains(err.Error(), "PostConfirmation invocation failed due to error ResourceNotFoundException.") {
		t.Fatalf("unknown post confirmation function: %v", err)
	}
}
