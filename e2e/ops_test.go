package e2e

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// requireNodeBinary returns node, skipping locally (failing under CI=true) without it.
func requireNodeBinary(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("node is required in CI: %v", err)
		}
		t.Skipf("node not installed: %v", err)
	}
	return node
}

const opsHandler = `exports.handler = async (event) => {
  if (event.fail) { const e = new TypeError("boom: " + event.fail); throw e; }
  console.log("serving", event.n || 0);
  return { version: "VERSION" };
};
`

const opsConfig = `pools:
  - name: keep-users
  - name: temp-users
functions:
  - name: thrower
    runtime: nodejs20.x
    handler: index.handler
    dir: fn
  - name: spare
    runtime: builtin
    handler: listAccountNotes
apis:
  - name: hello
    stages: [{name: v}, {name: old}]
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
              responses: {default: {statusCode: "200", responseTemplates: {application/json: '{"ok":true}'}}}
`

// opsSetup writes the config and the function's code into a fresh directory.
func opsSetup(t *testing.T, version string) (dir, cfg string) {
	t.Helper()
	dir = t.TempDir()
	// Run as root, Cognate runs functions as an unprivileged user: the task
	// root and its parents must be searchable by others.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "fn"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeHandler(t, dir, version)
	cfg = filepath.Join(dir, "cognate.yaml")
	if err := os.WriteFile(cfg, []byte(opsConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, cfg
}

func writeHandler(t *testing.T, dir, version string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "fn", "index.js"), []byte(strings.Replace(opsHandler, "VERSION", version, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func lambdaClient(url string) *lambda.Client {
	return lambda.New(lambda.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDCOGNATE", "secret", ""),
	})
}

// scrape fetches and parses the Prometheus text exposition at url.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse metrics: %v", err)
	}
	return fams
}

// counter sums the family's samples whose labels include want.
func counter(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	var sum float64
	f := fams[name]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.GetMetric() {
		for k, v := range want {
			found := false
			for _, l := range m.GetLabel() {
				if l.GetName() == k && l.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum
}

// TestOperability runs a configuration with a Node.js function that throws:
// the thrown error is in `cognate logs` (found through the state file, on a
// random port) as Lambda's "ERROR Invoke Error" line and in the server log;
// -follow streams new lines; the ops listener serves health, readiness and
// metrics that parse with the Prometheus text parser; a changed handler is
// picked up on SIGHUP; `cognate apply -dry-run` prints the removal of what
// the file dropped, and `cognate apply` removes it.
func TestOperability(t *testing.T) {
	requireNodeBinary(t)
	dir, cfg := opsSetup(t, "v1")
	data := t.TempDir()
	ops := freeAddr(t)
	srv := startServer(t, data, "--config", cfg, "--ops-addr", ops)
	if !strings.Contains(srv.output(), "pid ") {
		t.Errorf("banner does not print the PID:\n%s", srv.output())
	}
	lc := lambdaClient(srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("thrower"), Payload: []byte(`{"fail":"bad input"}`)})
	if err != nil || aws.ToString(out.FunctionError) == "" {
		t.Fatalf("failing invoke: %v %v", err, out)
	}
	out, err = lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("thrower"), Payload: []byte(`{"n":1}`)})
	if err != nil || string(out.Payload) != `{"version":"v1"}` {
		t.Fatalf("invoke v1: %v %s", err, out.Payload)
	}

	// cognate logs finds the server through the state file in its data dir.
	logs, err := runCLI(t, ctx, "", "logs", "-data", data, "thrower")
	if err != nil {
		t.Fatal(err)
	}
	var errLine string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "\tERROR\tInvoke Error \t{") {
			errLine = l
		}
	}
	if errLine == "" {
		t.Fatalf("no ERROR Invoke Error line in cognate logs:\n%s", logs)
	}
	js := errLine[strings.Index(errLine, "{"):]
	var doc struct {
		ErrorType    string   `json:"errorType"`
		ErrorMessage string   `json:"errorMessage"`
		Stack        []string `json:"stack"`
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil || doc.ErrorType != "TypeError" || doc.ErrorMessage != "boom: bad input" || len(doc.Stack) == 0 {
		t.Fatalf("error document %q: %v %+v", js, err, doc)
	}
	if !strings.Contains(srv.output(), "Invoke Error") || !strings.Contains(srv.output(), "boom: bad input") {
		t.Errorf("the server log lacks the Invoke Error:\n%s", srv.output())
	}
	if !strings.Contains(srv.output(), "lambda invoke") {
		t.Errorf("the server log lacks the Invoke call")
	}

	// cognate logs -follow prints lines written after it started.
	fctx, fcancel := context.WithCancel(ctx)
	follow := exec.CommandContext(fctx, binary, "logs", "-follow", "thrower")
	follow.Env = append(os.Environ(), "COGNATE_ENDPOINT="+srv.URL)
	pipe, _ := follow.StdoutPipe()
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { fcancel(); follow.Wait() }()
	lines := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// Wait until the follower has printed the backlog (the v1 call's line).
	awaitLine(t, lines, "serving 1", 10*time.Second)
	if _, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("thrower"), Payload: []byte(`{"n":42}`)}); err != nil {
		t.Fatal(err)
	}
	awaitLine(t, lines, "serving 42", 10*time.Second)

	// The ops listener: health, readiness, metrics.
	for _, p := range []string{"/_cognate/health", "/_cognate/ready"} {
		if status, body, _ := get(t, "http://"+ops+p, ""); status != 200 {
			t.Errorf("%s: %d %s", p, status, body)
		}
	}
	if status, _, _ := get(t, "http://"+ops+"/dev/hello", ""); status != 404 {
		t.Errorf("the ops listener serves more than health, readiness and metrics: %d", status)
	}
	get(t, srv.URL+"/v/hello", "")
	fams := scrape(t, "http://"+ops+"/_cognate/metrics")
	if n := counter(fams, "cognate_function_invocations_total", map[string]string{"function": "thrower"}); n < 3 {
		t.Errorf("function invocations %v, want ≥ 3", n)
	}
	if n := counter(fams, "cognate_function_errors_total", map[string]string{"function": "thrower"}); n != 1 {
		t.Errorf("function errors %v, want 1", n)
	}
	if n := counter(fams, "cognate_function_cold_starts_total", map[string]string{"function": "thrower"}); n < 1 {
		t.Errorf("cold starts %v, want ≥ 1", n)
	}
	if n := counter(fams, "cognate_http_requests_total", map[string]string{"route": "hello GET /hello", "code": "200"}); n != 1 {
		t.Errorf("gateway requests by route %v, want 1", n)
	}
	if n := counter(fams, "cognate_http_requests_total", map[string]string{"route": "lambda", "code": "200"}); n < 3 {
		t.Errorf("lambda requests %v, want ≥ 3", n)
	}
	for _, name := range []string{"cognate_http_request_duration_seconds", "cognate_function_duration_seconds", "cognate_store_operation_duration_seconds"} {
		if n := counter(fams, name, nil); n <= 0 {
			t.Errorf("histogram %s has %v samples", name, n)
		}
	}

	// SIGHUP picks up changed handler code, not only changed configuration.
	writeHandler(t, dir, "v2")
	srv.cmd.Process.Signal(syscall.SIGHUP)
	eventually(t, 15*time.Second, `the changed code's {"version":"v2"}`, func() (bool, string) {
		out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("thrower"), Payload: []byte(`{}`)})
		if err != nil {
			return false, err.Error()
		}
		return string(out.Payload) == `{"version":"v2"}`, string(out.Payload)
	})

	// Drop a function and a stage: the dry run prints the plan and changes nothing.
	trimmed := strings.Replace(strings.Replace(opsConfig, "  - name: spare\n    runtime: builtin\n    handler: listAccountNotes\n", "", 1), ", {name: old}", "", 1)
	trimmed = strings.Replace(trimmed, "  - name: temp-users\n", "", 1)
	if err := os.WriteFile(cfg, []byte(trimmed), 0o600); err != nil {
		t.Fatal(err)
	}
	plan, err := runCLI(t, ctx, "", "apply", "-dry-run", "-data", data)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"- would remove function spare", "- would remove api hello stage old", "- would remove pool temp-users"} {
		if !strings.Contains(plan, want) {
			t.Errorf("dry run lacks %q:\n%s", want, plan)
		}
	}
	if strings.Contains(plan, "function thrower") && !strings.Contains(plan, "0 to create") {
		t.Errorf("dry run: %s", plan)
	}
	if _, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("spare"), Payload: []byte(`{}`)}); err != nil {
		t.Fatalf("the dry run removed spare: %v", err)
	}
	if _, err := runCLI(t, ctx, "", "apply", "-data", data); err != nil {
		t.Fatal(err)
	}
	_, err = lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("spare"), Payload: []byte(`{}`)})
	var nf *lambdatypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("spare after apply: %v, want ResourceNotFoundException", err)
	}
	pools, err := newIDP(srv.URL).ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range pools.UserPools {
		names = append(names, aws.ToString(p.Name))
	}
	if slices.Contains(names, "temp-users") || !slices.Contains(names, "keep-users") {
		t.Errorf("pools after apply: %v, want keep-users without temp-users", names)
	}
	if status, _, _ := get(t, srv.URL+"/old/hello", ""); status != 403 {
		t.Errorf("removed stage still served: %d", status)
	}
	if status, _, _ := get(t, srv.URL+"/v/hello", ""); status != 200 {
		t.Errorf("kept stage: %d", status)
	}
}

func awaitLine(t *testing.T, lines <-chan string, want string, within time.Duration) {
	t.Helper()
	timeout := time.After(within)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("cognate logs -follow ended before %q", want)
			}
			if strings.Contains(l, want) {
				return
			}
		case <-timeout:
			t.Fatalf("cognate logs -follow did not print %q within %v", want, within)
		}
	}
}

// TestFunctionChecksAtStart: a function whose directory or handler module is
// missing, or whose command is not executable, fails the start with an error
// that names it (not "fork/exec ...: no such file").
func TestFunctionChecksAtStart(t *testing.T) {
	requireNodeBinary(t)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // the server key of each start stays out of $HOME
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "empty"), 0o755)
	os.WriteFile(filepath.Join(dir, "empty", "bootstrap"), []byte("#!/bin/sh\n"), 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for fn, want := range map[string]string{
		"{name: f, runtime: nodejs20.x, handler: index.handler, dir: nowhere}":    "dir " + filepath.Join(dir, "nowhere") + " does not exist",
		"{name: f, runtime: nodejs20.x, handler: main.handler, dir: empty}":       "no module main.js, main.cjs or main.mjs",
		"{name: f, runtime: provided.al2023, command: [./bootstrap], dir: empty}": "is not executable",
		"{name: f, runtime: provided.al2023, command: [./missing], dir: empty}":   "does not exist",
	} {
		cfg := filepath.Join(dir, "cognate.yaml")
		os.WriteFile(cfg, []byte("functions:\n  - "+fn+"\n"), 0o600)
		_, err := runCLI(t, ctx, "", "up", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--config", cfg)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "function f") {
			t.Errorf("%s: err %v, want %q", fn, err, want)
		}
	}
}

// TestWrongServerKey: a data directory whose database was sealed with another
// server key fails the start with a message that says what to do.
func TestWrongServerKey(t *testing.T) {
	data := t.TempDir()
	first := startServer(t, data)
	first.stop(t)
	other := make([]byte, 32)
	rand.Read(other)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "up", "--addr", "127.0.0.1:0", "--data", data)
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+data+".config", "COGNATE_SERVER_KEY="+hex.EncodeToString(other))
	out, err := cmd.CombinedOutput()
	want := "this database was sealed with a different server key: give every node the same COGNATE_SERVER_KEY"
	if err == nil || !strings.Contains(string(out), want) {
		t.Fatalf("err %v, output:\n%s\nwant %q", err, out, want)
	}
}
