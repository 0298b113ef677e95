package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const reloadConfig = `apis:
  - name: hello
    stages: [{name: v, variables: {greeting: GREETING}}]
    definition:
      openapi: 3.0.1
      info: {title: hello, version: "1"}
      paths:
        /hello:
          get:
            responses: {"200": {description: ok}}
            x-amazon-apigateway-integration:
              type: mock
              requestTemplates: {application/json: '{"statusCode": 200}'}
              responses:
                default:
                  statusCode: "200"
                  responseTemplates: {application/json: '{"says":"$stageVariables.greeting"}'}
`

// TestReloadOnSIGHUP edits the configuration of a running server and sends
// SIGHUP: the new deployment is served; a broken file changes nothing.
func TestReloadOnSIGHUP(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "cognate.yaml")
	write := func(s string) {
		if err := os.WriteFile(cfg, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(strings.Replace(reloadConfig, "GREETING", "hello", 1))
	srv := startServer(t, "", "--config", cfg)
	url := srv.URL + "/v/hello"
	if status, body, _ := get(t, url, ""); status != 200 || body != `{"says":"hello"}` {
		t.Fatalf("before reload: %d %s", status, body)
	}

	write(strings.Replace(reloadConfig, "GREETING", "bonjour", 1))
	srv.cmd.Process.Signal(syscall.SIGHUP)
	waitBody(t, url, `{"says":"bonjour"}`, 5*time.Second)

	write("apis: [{name: hello, colour: red}]\n") // invalid: unknown key
	srv.cmd.Process.Signal(syscall.SIGHUP)
	eventually(t, 5*time.Second, "a logged reload failure", func() (bool, string) {
		out := srv.output()
		return strings.Contains(out, "reload failed"), "no reload failure in:\n" + out
	})
	if status, body, _ := get(t, url, ""); status != 200 || body != `{"says":"bonjour"}` {
		t.Fatalf("after a failed reload: %d %s", status, body)
	}
}

func waitBody(t *testing.T, url, want string, within time.Duration) {
	t.Helper()
	waitUntil(t, url, "", within, "200 "+want, func(status int, body string) bool { return status == 200 && body == want })
}

// TestThrottlingFromConfig: the config's throttling is each stage's token
// bucket; past the burst, AWS's 429 answer.
func TestThrottlingFromConfig(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "cognate.yaml")
	body := "throttling: {rateLimit: 1, burstLimit: 2}\n" + strings.Replace(reloadConfig, "GREETING", "hi", 1)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, "", "--config", cfg)
	var ok, throttled int
	for range 6 {
		status, body, hdr := get(t, srv.URL+"/v/hello", "")
		switch {
		case status == 200:
			ok++
		case status == 429 && body == `{"message":"Too Many Requests"}` && hdr.Get("x-amzn-ErrorType") != "":
			throttled++
		default:
			t.Fatalf("unexpected answer %d %s", status, body)
		}
	}
	if ok < 2 || throttled == 0 {
		t.Fatalf("%d answered, %d throttled: want the burst of 2 answered and the rest throttled", ok, throttled)
	}
}
