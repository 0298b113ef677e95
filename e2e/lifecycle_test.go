package e2e

import (
	"context"
	"encoding/json"
	"net"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestDataSurvivesRestart restarts the server on the same data directory: the
// pool, the user and the signing keys are the same, so a token issued before
// the restart still passes the gateway and the password still works.
func TestDataSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	// The issuer includes the address, so the second server must reuse it.
	addr := freeAddr(t)
	first := startDemoIn(t, dir, "--addr", addr)
	first.createUser(t, "dave", "dave@example.com", "Dav3-Passw0rd!")
	tok := first.loginSRP(t, "dave", "Dav3-Passw0rd!")
	first.srv.stop(t)

	second := startDemoIn(t, dir, "--addr", addr)
	if second.poolID != first.poolID || second.clientID != first.clientID {
		t.Fatalf("ids changed across restart: %s/%s vs %s/%s", first.poolID, first.clientID, second.poolID, second.clientID)
	}
	status, body, _ := get(t, second.srv.URL+"/dev/cognito/notes", aws.ToString(tok.IdToken))
	if status != 200 {
		t.Fatalf("pre-restart token after restart: %d %s", status, body)
	}
	second.loginSRP(t, "dave", "Dav3-Passw0rd!")
}

func startDemoIn(t *testing.T, dir string, args ...string) *demo {
	t.Helper()
	d := &demo{srv: startServer(t, dir, args...)}
	d.idp = newIDP(d.srv.URL)
	return startDemoLookupOnly(t, d)
}

// startDemoLookupOnly fills in the demo pool's and client's ids.
func startDemoLookupOnly(t *testing.T, d *demo) *demo {
	t.Helper()
	ctx := context.Background()
	pools, err := d.idp.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pools.UserPools {
		if aws.ToString(p.Name) == "notes-users" {
			d.poolID = aws.ToString(p.Id)
		}
	}
	clients, err := d.idp.ListUserPoolClients(ctx, &cip.ListUserPoolClientsInput{UserPoolId: aws.String(d.poolID)})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range clients.UserPoolClients {
		if aws.ToString(c.ClientName) == "notes-client" {
			d.clientID = aws.ToString(c.ClientId)
		}
	}
	if d.poolID == "" || d.clientID == "" {
		t.Fatal("demo pool or client not found")
	}
	return d
}

// TestRevokedTokensRefusedByGateway signs out globally and expects the Cognito
// authorizer to refuse the old id token within a second (docs/ARCHITECTURE.md,
// "The login path": the revocation feed).
func TestRevokedTokensRefusedByGateway(t *testing.T) {
	d := startDemo(t)
	d.createUser(t, "erin", "erin@example.com", "Er1n-Passw0rd!")
	tok := d.loginSRP(t, "erin", "Er1n-Passw0rd!")
	url := d.srv.URL + "/dev/cognito/notes"
	if status, body, _ := get(t, url, aws.ToString(tok.IdToken)); status != 200 {
		t.Fatalf("before sign-out: %d %s", status, body)
	}
	if _, err := d.idp.GlobalSignOut(context.Background(), &cip.GlobalSignOutInput{AccessToken: tok.AccessToken}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, url, aws.ToString(tok.IdToken), time.Second, `the revoked token refused: 401 {"message":"Unauthorized"}`,
		func(status int, body string) bool { return status == 401 && body == `{"message":"Unauthorized"}` })
	_, err := d.idp.GetUser(context.Background(), &cip.GetUserInput{AccessToken: tok.AccessToken})
	if code := apiErrorCode(err); code != "NotAuthorizedException" {
		t.Fatalf("GetUser with a revoked access token: %v", err)
	}
	_, err = d.idp.InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: aws.String(d.clientID),
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(tok.RefreshToken)},
	})
	if code := apiErrorCode(err); code != "NotAuthorizedException" {
		t.Fatalf("refresh after global sign-out: %v", err)
	}
}

// TestLambdaInvokeAPI calls the demo's functions through aws-sdk-go-v2's lambda client.
func TestLambdaInvokeAPI(t *testing.T) {
	d := startDemo(t)
	lc := lambda.New(lambda.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(d.srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDCOGNATE", "secret", ""),
	})
	ctx := context.Background()
	out, err := lc.Invoke(ctx, &lambda.InvokeInput{
		FunctionName: aws.String("listAccountNotes"),
		Payload:      []byte(`{"policyContext":{"username":"frank"}}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	var notes struct{ Title string }
	if err := json.Unmarshal(out.Payload, &notes); err != nil || notes.Title != "Notes for frank" || out.FunctionError != nil {
		t.Fatalf("invoke: %s %v %v", out.Payload, err, out.FunctionError)
	}
	out, err = lc.Invoke(ctx, &lambda.InvokeInput{
		FunctionName: aws.String("notesAuthorizer"),
		Payload:      []byte(`{"type":"TOKEN","authorizationToken":"nope","methodArn":"arn:aws:execute-api:us-east-1:000000000000:x/dev/GET/notes"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	var fnErr struct{ ErrorMessage string }
	json.Unmarshal(out.Payload, &fnErr)
	if aws.ToString(out.FunctionError) == "" || fnErr.ErrorMessage != "Unauthorized" {
		t.Fatalf("authorizer refusal: FunctionError=%v payload=%s", aws.ToString(out.FunctionError), out.Payload)
	}
	_, err = lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("nope")})
	var nf *lambdatypes.ResourceNotFoundException
	if !asErr(err, &nf) {
		t.Fatalf("unknown function: %v", err)
	}
}

// freeAddr returns a loopback address with a port free at the time of the call.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
