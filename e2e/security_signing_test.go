package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"
)

// The credentials of the enforced server: the root key from the
// environment, and two users declared in the config file.
const (
	rootKeyID     = "AKIDCOGNATEROOT0001"
	rootSecret    = "root-secret-0123456789abcdef"
	readerKeyID   = "AKIDCOGNATEREADER01"
	readerSecret  = "reader-secret-0123456789abcdef"
	invokerKeyID  = "AKIDCOGNATEINVOKER1"
	invokerSecret = "invoker-secret-0123456789abcde"
	testAccount   = "123456789012"
)

// startEnforced runs the notes demo with credentials: the root key and the
// users "reader" (Cognito reads, no AdminSetUserPassword) and "invoker"
// (lambda:InvokeFunction on listAccountNotes only).
func startEnforced(t *testing.T, extraEnv ...string) *demo {
	t.Helper()
	base, err := os.ReadFile(filepath.Join(repoRoot(), "internal", "demo", "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "cognate.yaml")
	sec := `
accountId: "` + testAccount + `"
security:
  users:
    - name: reader
      accessKeys: [{id: ` + readerKeyID + `, secret: ${READER_SECRET}}]
      policies:
        - name: cognito-read
          document:
            Version: "2012-10-17"
            Statement:
              - {Effect: Allow, Action: ["cognito-idp:Describe*", "cognito-idp:List*", "cognito-idp:Admin*"], Resource: "*"}
              - {Effect: Deny, Action: "cognito-idp:AdminSetUserPassword", Resource: "*"}
    - name: invoker
      accessKeys: [{id: ` + invokerKeyID + `, secret: "` + invokerSecret + `"}]
      policies:
        - name: invoke-notes
          document: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:` + testAccount + `:function:listAccountNotes"}]}'
`
	if err := os.WriteFile(cfg, append(base, sec...), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append([]string{"COGNATE_ROOT_ACCESS_KEY_ID=" + rootKeyID, "COGNATE_ROOT_SECRET_ACCESS_KEY=" + rootSecret, "READER_SECRET=" + readerSecret}, extraEnv...)
	d := &demo{srv: startServerEnv(t, "", env, "--config", cfg)}
	d.idp = idpAs(d.srv.URL, rootKeyID, rootSecret)
	return startDemoLookupOnly(t, d)
}

func idpAs(url, id, secret string) *cip.Client {
	return cip.New(cip.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, "")})
}

func lambdaAs(url, id, secret string) *lambda.Client {
	return lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, "")})
}

// wantAPIErrorContaining asserts err is the AWS error code, with a message containing msg.
func wantAPIErrorContaining(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), msg) {
		t.Fatalf("error = %v, want %s containing %q", err, code, msg)
	}
}

func TestSignedAPIsEnforced(t *testing.T) {
	d := startEnforced(t)
	ctx := context.Background()
	d.createUser(t, "alice", "alice@example.com", "Passw0rd!")
	poolARN := "arn:aws:cognito-idp:us-east-1:" + testAccount + ":userpool/" + d.poolID

	t.Run("root and allowed users succeed", func(t *testing.T) {
		if _, err := d.idp.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: &d.poolID, Username: aws.String("alice"), Password: aws.String("Passw0rd!2"), Permanent: true}); err != nil {
			t.Fatalf("root: %v", err)
		}
		reader := idpAs(d.srv.URL, readerKeyID, readerSecret)
		if _, err := reader.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &d.poolID, Username: aws.String("alice")}); err != nil {
			t.Fatalf("reader AdminGetUser: %v", err)
		}
		out, err := lambdaAs(d.srv.URL, invokerKeyID, invokerSecret).Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("listAccountNotes"), Payload: []byte(`{}`)})
		if err != nil || !strings.Contains(string(out.Payload), "Notes for anonymous") {
			t.Fatalf("invoker: %v %s", err, out.Payload)
		}
	})
	t.Run("policy denies", func(t *testing.T) {
		reader := idpAs(d.srv.URL, readerKeyID, readerSecret)
		_, err := reader.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: &d.poolID, Username: aws.String("alice"), Password: aws.String("Hijack3d!x"), Permanent: true})
		wantAPIErrorContaining(t, err, "AccessDeniedException", "User: arn:aws:iam::"+testAccount+":user/reader is not authorized to perform: cognito-idp:AdminSetUserPassword on resource: "+poolARN+" with an explicit deny in an identity-based policy")
		_, err = reader.DeleteUserPool(ctx, &cip.DeleteUserPoolInput{UserPoolId: &d.poolID})
		wantAPIErrorContaining(t, err, "AccessDeniedException", "because no identity-based policy allows the cognito-idp:DeleteUserPool action")
		_, err = lambdaAs(d.srv.URL, invokerKeyID, invokerSecret).Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("notesAuthorizer"), Payload: []byte(`{}`)})
		wantAPIErrorContaining(t, err, "AccessDeniedException", "is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:"+testAccount+":function:notesAuthorizer")
		// Nothing changed: alice still signs in with the password root set.
		if _, err := d.idp.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &d.clientID, AuthFlow: "USER_PASSWORD_AUTH",
			AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": "Passw0rd!2"}}); err != nil {
			t.Fatalf("password changed by a denied call: %v", err)
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		_, err := idpAs(d.srv.URL, rootKeyID, "not-the-root-secret-000").AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &d.poolID, Username: aws.String("alice")})
		wantAPIErrorContaining(t, err, "InvalidSignatureException", "The Canonical String for this request should have been\n'POST\n/\n")
		_, err = lambdaAs(d.srv.URL, invokerKeyID, "not-the-invoker-secret").Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("listAccountNotes")})
		wantAPIErrorContaining(t, err, "InvalidSignatureException", "The request signature we calculated does not match")
	})
	t.Run("unknown key", func(t *testing.T) {
		_, err := idpAs(d.srv.URL, "AKIDNOBODYKNOWS0001", rootSecret).ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(10)})
		wantAPIErrorContaining(t, err, "UnrecognizedClientException", "The security token included in the request is invalid.")
	})
	t.Run("unsigned", func(t *testing.T) {
		status, typ, body := rawCall(t, d.srv.URL+"/", "AWSCognitoIdentityProviderService.AdminSetUserPassword",
			`{"UserPoolId":"`+d.poolID+`","Username":"alice","Password":"Hijack3d!x","Permanent":true}`, nil)
		if status != 400 || typ != "MissingAuthenticationTokenException" || !strings.Contains(body, "Missing Authentication Token") {
			t.Fatalf("unsigned admin call: %d %s %s", status, typ, body)
		}
		status, typ, _ = rawCall(t, d.srv.URL+"/2015-03-31/functions/listAccountNotes/invocations", "", `{}`, nil)
		if status != 403 || typ != "MissingAuthenticationTokenException" {
			t.Fatalf("unsigned invoke: %d %s", status, typ)
		}
		status, typ, _ = rawCall(t, d.srv.URL+"/_cognate/pools/"+d.poolID+"/rotate-keys", "", ``, nil)
		if status != 403 || typ != "MissingAuthenticationTokenException" {
			t.Fatalf("unsigned rotate-keys: %d %s", status, typ)
		}
		if status, _, _ := rawGet(t, d.srv.URL+"/_cognate/health"); status != 200 {
			t.Fatalf("health needs no signature: %d", status)
		}
	})
	t.Run("expired and future signatures", func(t *testing.T) {
		for _, skew := range []time.Duration{-20 * time.Minute, 20 * time.Minute} {
			status, typ, body := rawCall(t, d.srv.URL+"/", "AWSCognitoIdentityProviderService.ListUserPools", `{"MaxResults":10}`, func(r *http.Request, payload []byte) {
				signAt(t, r, payload, "cognito-idp", rootKeyID, rootSecret, time.Now().Add(skew))
			})
			want := map[bool]string{true: "Signature expired: ", false: "Signature not yet current: "}[skew < 0]
			if status != 400 || typ != "InvalidSignatureException" || !strings.Contains(body, want) {
				t.Fatalf("skew %v: %d %s %s", skew, status, typ, body)
			}
		}
	})
	t.Run("public operations stay unsigned", func(t *testing.T) {
		status, _, body := rawCall(t, d.srv.URL+"/", "AWSCognitoIdentityProviderService.InitiateAuth",
			`{"AuthFlow":"USER_PASSWORD_AUTH","ClientId":"`+d.clientID+`","AuthParameters":{"USERNAME":"alice","PASSWORD":"Passw0rd!2"}}`, nil)
		if status != 200 || !strings.Contains(body, "AccessToken") {
			t.Fatalf("unsigned InitiateAuth: %d %s", status, body)
		}
	})
	t.Run("cognate CLI signs with the root key", func(t *testing.T) {
		cmd := exec.Command(binary, "admin", "rotate-keys", "-endpoint", d.srv.URL, "-pool-id", d.poolID)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=", "COGNATE_ROOT_ACCESS_KEY_ID="+rootKeyID, "COGNATE_ROOT_SECRET_ACCESS_KEY="+rootSecret)
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "rotated") {
			t.Fatalf("rotate-keys: %v %s", err, out)
		}
		cmd = exec.Command(binary, "admin", "list-pools", "-endpoint", d.srv.URL)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+readerKeyID, "AWS_SECRET_ACCESS_KEY=wrong-secret-wrong-secret")
		if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "InvalidSignatureException") {
			t.Fatalf("list-pools with a wrong secret: %v %s", err, out)
		}
	})
}

// signAt signs r with the SDK's signer at a chosen time.
func signAt(t *testing.T, r *http.Request, payload []byte, service, id, secret string, at time.Time) {
	t.Helper()
	sum := sha256.Sum256(payload)
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, r, hex.EncodeToString(sum[:]), service, "us-east-1", at); err != nil {
		t.Fatal(err)
	}
}

// rawCall POSTs body (with X-Amz-Target when target is set), lets prepare
// sign or decorate the request, and returns status, x-amzn-ErrorType and body.
func rawCall(t *testing.T, url, target, body string, prepare func(*http.Request, []byte)) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	}
	if prepare != nil {
		prepare(req, []byte(body))
	}
	return doRaw(t, req)
}

func rawGet(t *testing.T, url string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return doRaw(t, req)
}

func doRaw(t *testing.T, req *http.Request) (int, string, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), string(b)
}

func TestNonLoopbackNeedsCredentials(t *testing.T) {
	cmd := exec.Command(binary, "up", "--addr", "0.0.0.0:0", "--data", t.TempDir())
	cmd.Env = append(os.Environ(), "COGNATE_ROOT_ACCESS_KEY_ID=", "COGNATE_ROOT_SECRET_ACCESS_KEY=")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, cmd.Path, cmd.Args[1:]...).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "refusing to serve the AWS APIs on") || !strings.Contains(string(out), "--insecure-no-auth") {
		t.Fatalf("non-loopback without credentials: %v\n%s", err, out)
	}
	s := startServer(t, "", "--insecure-no-auth")
	_ = s // loopback with the flag: the flag changes nothing there, it starts
	s2 := startServerEnv(t, "", []string{"COGNATE_ROOT_ACCESS_KEY_ID=" + rootKeyID, "COGNATE_ROOT_SECRET_ACCESS_KEY=" + rootSecret})
	if !strings.Contains(s2.output(), "SigV4 signatures and IAM policies checked") {
		t.Fatalf("banner does not say signatures are checked:\n%s", s2.output())
	}
	if !strings.Contains(s.output(), "WARNING: no credentials configured") {
		t.Fatalf("open mode is not announced:\n%s", s.output())
	}
}

func TestHostAndOriginChecks(t *testing.T) {
	d := startDemo(t) // open mode: the origin and host defences matter most here
	for _, c := range []struct {
		host string
		want int
	}{{"evil.example", 403}, {"rebind.attacker.test:4566", 403}, {"localhost", 200}, {"127.0.0.1", 200}, {"[::1]:4566", 200}, {"abc123.execute-api.us-east-1.amazonaws.com", 200}} {
		req, _ := http.NewRequest(http.MethodGet, d.srv.URL+"/"+d.poolID+"/.well-known/jwks.json", nil)
		req.Host = c.host
		status, _, body := doRaw(t, req)
		if status != c.want || (c.want == 403 && !strings.Contains(body, "is not served here")) {
			t.Fatalf("Host %s: %d %s", c.host, status, body)
		}
	}
	preflight := func(origin, headers string) (int, string) {
		req, _ := http.NewRequest(http.MethodOptions, d.srv.URL+"/", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", headers)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin")
	}
	if status, acao := preflight("https://app.example", "content-type,x-amz-target,x-amz-user-agent"); status != 200 || acao != "*" {
		t.Fatalf("public preflight: %d %q", status, acao)
	}
	if status, acao := preflight("https://evil.example", "authorization,content-type,x-amz-date,x-amz-target"); status != 403 || acao != "" {
		t.Fatalf("signed preflight from a foreign origin: %d %q", status, acao)
	}
	// A signed call carrying a foreign Origin is refused before it runs.
	status, typ, _ := rawCall(t, d.srv.URL+"/", "AWSCognitoIdentityProviderService.AdminDeleteUser", `{"UserPoolId":"`+d.poolID+`","Username":"x"}`, func(r *http.Request, p []byte) {
		r.Header.Set("Origin", "https://evil.example")
		signAt(t, r, p, "cognito-idp", "AKIDANYTHING00001", "anything-at-all-0000", time.Now())
	})
	if status != 400 || typ != "AccessDeniedException" {
		t.Fatalf("cross-origin admin call: %d %s", status, typ)
	}
	// The JWKS is public: readable from any origin.
	req, _ := http.NewRequest(http.MethodGet, d.srv.URL+"/"+d.poolID+"/.well-known/jwks.json", nil)
	req.Header.Set("Origin", "https://app.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("jwks CORS: %q", resp.Header.Get("Access-Control-Allow-Origin"))
	}
}
