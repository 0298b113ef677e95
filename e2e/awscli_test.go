package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// awsCLI runs the AWS CLI against the server with throwaway credentials.
func awsCLI(t *testing.T, aws, endpoint string, args ...string) (string, error) {
	t.Helper()
	return awsCLIAs(t, aws, endpoint, "AKIDCOGNATE", "secret", args...)
}

// awsCLIAs runs the AWS CLI signing with the access key id/secret.
func awsCLIAs(t *testing.T, aws, endpoint, id, secret string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, aws, append(args, "--endpoint-url", endpoint, "--output", "json")...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+id, "AWS_SECRET_ACCESS_KEY="+secret,
		"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String(), &cliError{err: err, stderr: stderr.String()}
	}
	return stdout.String(), nil
}

type cliError struct {
	err    error
	stderr string
}

func (e *cliError) Error() string { return e.err.Error() + ": " + e.stderr }

// TestAWSCLI drives the demo with the AWS CLI, changing only --endpoint-url:
// admin user creation, USER_PASSWORD_AUTH, the notes API with the id token,
// lambda invoke, and an AWS error.
func TestAWSCLI(t *testing.T) {
	aws := requireAWSCLI(t)
	d := startDemo(t)
	e := d.srv.URL
	out, err := awsCLI(t, aws, e, "cognito-idp", "list-user-pools", "--max-results", "10")
	if err != nil || !strings.Contains(out, d.poolID) {
		t.Fatalf("list-user-pools: %v\n%s", err, out)
	}
	if _, err := awsCLI(t, aws, e, "cognito-idp", "admin-create-user", "--user-pool-id", d.poolID, "--username", "judy",
		"--user-attributes", "Name=email,Value=judy@example.com", "--message-action", "SUPPRESS"); err != nil {
		t.Fatal(err)
	}
	if _, err := awsCLI(t, aws, e, "cognito-idp", "admin-set-user-password", "--user-pool-id", d.poolID, "--username", "judy",
		"--password", "Judy-Passw0rd!", "--permanent"); err != nil {
		t.Fatal(err)
	}
	out, err = awsCLI(t, aws, e, "cognito-idp", "initiate-auth", "--client-id", d.clientID, "--auth-flow", "USER_PASSWORD_AUTH",
		"--auth-parameters", "USERNAME=judy,PASSWORD=Judy-Passw0rd!")
	if err != nil {
		t.Fatal(err)
	}
	var auth struct{ AuthenticationResult struct{ IdToken string } }
	if err := json.Unmarshal([]byte(out), &auth); err != nil || auth.AuthenticationResult.IdToken == "" {
		t.Fatalf("initiate-auth: %v\n%s", err, out)
	}
	if status, body, _ := get(t, e+"/dev/notes", auth.AuthenticationResult.IdToken); status != 200 || !strings.Contains(body, "Notes for judy") {
		t.Fatalf("notes with the CLI's token: %d %s", status, body)
	}
	_, err = awsCLI(t, aws, e, "cognito-idp", "initiate-auth", "--client-id", d.clientID, "--auth-flow", "USER_PASSWORD_AUTH",
		"--auth-parameters", "USERNAME=judy,PASSWORD=wrong")
	if err == nil || !strings.Contains(err.Error(), "(NotAuthorizedException)") || !strings.Contains(err.Error(), "Incorrect username or password.") {
		t.Fatalf("wrong password: %v", err)
	}
	outFile := filepath.Join(t.TempDir(), "out.json")
	invoke := []string{"lambda", "invoke", "--function-name", "listAccountNotes", "--payload", `{"policyContext":{"username":"cli"}}`, outFile}
	if version, _ := awsCLI(t, aws, e, "--version"); !strings.HasPrefix(version, "aws-cli/1.") {
		invoke = append(invoke, "--cli-binary-format", "raw-in-base64-out") // v2 reads --payload as base64 otherwise
	}
	out, err = awsCLI(t, aws, e, invoke...)
	if err != nil || !strings.Contains(out, `"StatusCode": 200`) {
		t.Fatalf("lambda invoke: %v\n%s", err, out)
	}
	payload, _ := os.ReadFile(outFile)
	if !strings.Contains(string(payload), `"title":"Notes for cli"`) {
		t.Fatalf("lambda payload: %s", payload)
	}
}

// requireAWSCLI finds the AWS CLI; locally a missing one skips, under CI=true it fails.
func requireAWSCLI(t *testing.T) string {
	t.Helper()
	aws, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the AWS CLI is required in CI (scripts/test installs Debian's awscli): %v", err)
		}
		t.Skip("aws CLI not installed")
	}
	return aws
}

// TestAWSCLISigned: with credentials configured, the AWS CLI's signatures
// are checked: the root key works, a wrong secret, an unknown key and a
// denied action get AWS's errors.
func TestAWSCLISigned(t *testing.T) {
	aws := requireAWSCLI(t)
	d := startEnforced(t)
	e := d.srv.URL
	if out, err := awsCLIAs(t, aws, e, rootKeyID, rootSecret, "cognito-idp", "describe-user-pool", "--user-pool-id", d.poolID); err != nil || !strings.Contains(out, "notes-users") {
		t.Fatalf("root: %v\n%s", err, out)
	}
	if out, err := awsCLIAs(t, aws, e, invokerKeyID, invokerSecret, "lambda", "invoke", "--function-name", "listAccountNotes", filepath.Join(t.TempDir(), "out.json")); err != nil || !strings.Contains(out, `"StatusCode": 200`) {
		t.Fatalf("invoker: %v\n%s", err, out)
	}
	for _, c := range []struct {
		id, secret, want string
		args             []string
	}{
		{rootKeyID, "wrong-wrong-wrong-wrong", "(InvalidSignatureException)", []string{"cognito-idp", "list-user-pools", "--max-results", "5"}},
		{"AKIDNOBODYKNOWS0001", rootSecret, "(UnrecognizedClientException)", []string{"cognito-idp", "list-user-pools", "--max-results", "5"}},
		{readerKeyID, readerSecret, "(AccessDeniedException) when calling the AdminSetUserPassword operation: User: arn:aws:iam::" + testAccount + ":user/reader is not authorized", []string{"cognito-idp", "admin-set-user-password", "--user-pool-id", d.poolID, "--username", "nobody", "--password", "Passw0rd!x"}},
		{invokerKeyID, invokerSecret, "(AccessDeniedException) when calling the Invoke operation", []string{"lambda", "invoke", "--function-name", "notesAuthorizer", filepath.Join(t.TempDir(), "o.json")}},
	} {
		_, err := awsCLIAs(t, aws, e, c.id, c.secret, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("%v: %v, want %q", c.args, err, c.want)
		}
	}
}

// TestAWSCLIProfileSnippet runs README's `aws configure set` lines (with
// the server's port) in a throwaway config, then calls Cognate through the
// profile alone: no --endpoint-url, no credentials in the environment.
func TestAWSCLIProfileSnippet(t *testing.T) {
	aws := requireAWSCLI(t)
	readme, err := os.ReadFile(filepath.Join(repoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	d := startDemo(t)
	dir := t.TempDir()
	env := []string{"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"), "AWS_PAGER="}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var lines int
	for _, line := range strings.Split(string(readme), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "aws configure set ") {
			continue
		}
		lines++
		args := strings.Fields(strings.ReplaceAll(line, "http://127.0.0.1:4566", d.srv.URL))[1:]
		cmd := exec.CommandContext(ctx, aws, args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v %s", line, err, out)
		}
	}
	if lines < 4 {
		t.Fatalf("README has %d `aws configure set` lines, want the 4-line profile snippet", lines)
	}
	cmd := exec.CommandContext(ctx, aws, "--profile", "cognate", "--output", "json", "cognito-idp", "list-user-pools", "--max-results", "10")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), d.poolID) {
		t.Fatalf("list-user-pools through the profile: %v\n%s", err, out)
	}
}
