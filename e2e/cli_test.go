package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestCLILogin drives `cognate admin create-user` and `cognate login` (SRP)
// against a running demo, including --call of the notes API.
func TestCLILogin(t *testing.T) {
	d := startDemo(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := runCLI(t, ctx, "", "admin", "create-user", "-endpoint", d.srv.URL, "-pool-id", d.poolID,
		"-username", "carol", "-attributes", "email=carol@example.com", "-password", "Car0l-Passw0rd!"); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, ctx, "Car0l-Passw0rd!\n", "login", "-endpoint", d.srv.URL, "-pool-id", d.poolID,
		"-client-id", d.clientID, "-username", "carol", "-password-stdin", "-call", d.srv.URL+"/dev/notes")
	if err != nil {
		t.Fatal(err)
	}
	jsonPart, callPart, ok := strings.Cut(out, "HTTP/1.1 ")
	if !ok {
		t.Fatalf("no call output in:\n%s", out)
	}
	var res struct {
		AuthenticationResult struct{ IdToken, AccessToken, RefreshToken, TokenType string }
	}
	if err := json.Unmarshal([]byte(jsonPart), &res); err != nil {
		t.Fatalf("tokens JSON: %v\n%s", err, jsonPart)
	}
	if res.AuthenticationResult.IdToken == "" || res.AuthenticationResult.RefreshToken == "" || res.AuthenticationResult.TokenType != "Bearer" {
		t.Fatalf("tokens = %+v", res.AuthenticationResult)
	}
	if !strings.HasPrefix(callPart, "200 OK") || !strings.Contains(callPart, `"title":"Notes for carol"`) {
		t.Fatalf("call output: %s", callPart)
	}

	_, err = runCLI(t, ctx, "wrong-password\n", "login", "-endpoint", d.srv.URL, "-pool-id", d.poolID,
		"-client-id", d.clientID, "-username", "carol", "-password-stdin")
	if err == nil || !strings.Contains(err.Error(), "NotAuthorizedException: Incorrect username or password.") {
		t.Fatalf("wrong password: %v", err)
	}
	_, err = runCLI(t, ctx, "whatever\n", "login", "-endpoint", d.srv.URL, "-pool-id", d.poolID,
		"-client-id", d.clientID, "-username", "nobody-here", "-password-stdin")
	if err == nil || !strings.Contains(err.Error(), "NotAuthorizedException: Incorrect username or password.") {
		t.Fatalf("unknown user must look like a wrong password: %v", err)
	}
}

// TestVersion checks the version command.
func TestVersion(t *testing.T) {
	out, err := runCLI(t, context.Background(), "", "version")
	if err != nil || !strings.HasPrefix(out, "cognate ") {
		t.Fatalf("version: %q %v", out, err)
	}
}
