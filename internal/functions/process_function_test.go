package functions

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestGoFunctionOutcomes(t *testing.T) {
	r := newTestRunner(t, Options{})
	if err := register(r, goFunction("go", map[string]string{"GREETING": "hi"})); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		payload   string
		want      string // exact payload on success
		errType   string // errorType on failure
		errSubstr string // substring of errorMessage on failure
	}{
		{name: "echo", payload: `{"hello":"world"}`, want: `{"hello":"world"}`},
		{name: "handler error", payload: `{"action":"error","message":"no such note"}`, errType: "errorString", errSubstr: "no such note"},
		{name: "panic", payload: `{"action":"panic","message":"boom"}`, errType: "string", errSubstr: "boom"},
		{name: "crash mid-invocation", payload: `{"action":"exit","code":2}`, errType: "Runtime.ExitError", errSubstr: "exit status 2"},
		{name: "timeout", payload: `{"action":"sleep","millis":5000}`, errType: "Sandbox.Timedout", errSubstr: "Task timed out after 1.00 seconds"},
		{name: "oversized reply", payload: `{"action":"big","size":7000000}`, errType: "Function.ResponseSizeTooLarge", errSubstr: "6291556 bytes"},
		{name: "after failures", payload: `{"again":true}`, want: `{"again":true}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := mustInvoke(t, r, "go", tc.payload)
			if res.RequestID == "" {
				t.Error("no request id")
			}
			if tc.errType == "" {
				if res.FunctionError != "" || string(res.Payload) != tc.want {
					t.Fatalf("got %q %s, want %s", res.FunctionError, res.Payload, tc.want)
				}
				return
			}
			doc := decodeError(t, res)
			if doc.ErrorType != tc.errType || !strings.Contains(doc.ErrorMessage, tc.errSubstr) {
				t.Fatalf("got %s/%q, want %s/%q", doc.ErrorType, doc.ErrorMessage, tc.errType, tc.errSubstr)
			}
		})
	}
}

func TestGoFunctionContextAndEnvironment(t *testing.T) {
	t.Setenv("COGNATE_TEST_SECRET", "parent-secret")
	r := newTestRunner(t, Options{Region: "eu-west-1"})
	cfg := goFunction("ctx", map[string]string{"GREETING": "hi"})
	cfg.MemorySize = 256
	cfg.Dir = taskRootDir(t)
	if err := register(r, cfg); err != nil {
		t.Fatal(err)
	}
	res := mustInvoke(t, r, "ctx", `{"action":"context"}`)
	var got struct {
		RequestID   string            `json:"requestId"`
		ARN         string            `json:"arn"`
		RemainingMs int64             `json:"remainingMs"`
		Env         map[string]string `json:"env"`
	}
	if err := json.Unmarshal(res.Payload, &got); err != nil {
		t.Fatalf("%s: %v", res.Payload, err)
	}
	if got.RequestID != res.RequestID {
		t.Errorf("request id %q, result has %q", got.RequestID, res.RequestID)
	}
	if got.ARN != "arn:aws:lambda:eu-west-1:000000000000:function:ctx" {
		t.Errorf("arn %q", got.ARN)
	}
	if got.RemainingMs <= 0 || got.RemainingMs > 1000 {
		t.Errorf("remaining %d ms, want within the 1 s timeout", got.RemainingMs)
	}
	want := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME": "ctx", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_REGION": "eu-west-1", "_HANDLER": "bootstrap", "LAMBDA_TASK_ROOT": cfg.Dir, "TZ": ":UTC", "GREETING": "hi",
		"COGNATE_TEST_SECRET": "", "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/ctx",
	}
	for k, v := range want {
		if got.Env[k] != v {
			t.Errorf("env %s = %q, want %q", k, got.Env[k], v)
		}
	}
}

func TestGoFunctionStartFailures(t *testing.T) {
	r := newTestRunner(t, Options{})
	for _, cfg := range []FunctionConfig{
		goFunction("initfail", map[string]string{"TEST_MODE": "initfail"}),
		goFunction("nonjson", map[string]string{"TEST_MODE": "nonjson"}),
		{Name: "missing", Runtime: "provided", Command: []string{"/nonexistent/bootstrap"}},
	} {
		if err := register(r, cfg); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct{ name, errType, errSubstr string }{
		{"initfail", "Runtime.ExitError", "exit status 3"},
		{"nonjson", "Runtime.InvalidResponsePayload", "not valid JSON"},
		{"missing", "Runtime.InvalidEntrypoint", "nonexistent"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := decodeError(t, mustInvoke(t, r, tc.name, `{}`))
			if doc.ErrorType != tc.errType || !strings.Contains(doc.ErrorMessage, tc.errSubstr) {
				t.Fatalf("got %s/%q, want %s/%q", doc.ErrorType, doc.ErrorMessage, tc.errType, tc.errSubstr)
			}
		})
	}
	logs := r.Logs("initfail")
	if !hasLine(logs, StreamStderr, "cannot load configuration") {
		t.Errorf("init output not captured: %+v", logs)
	}
}

func TestProvidedDefaultsToTaskRootBootstrap(t *testing.T) {
	dir := taskRootDir(t)
	bin, err := os.ReadFile(goHandlerBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), bin, 0o755); err != nil {
		t.Fatal(err)
	}
	r := newTestRunner(t, Options{})
	if err := register(r, FunctionConfig{Name: "boot", Runtime: "provided.al2023", Dir: dir}); err != nil {
		t.Fatal(err)
	}
	if res := mustInvoke(t, r, "boot", `{"x":1}`); string(res.Payload) != `{"x":1}` {
		t.Fatalf("got %q %s", res.FunctionError, res.Payload)
	}
}

func TestGoFunctionReuseAndReplacement(t *testing.T) {
	r := newTestRunner(t, Options{})
	cfg := goFunction("counter", nil)
	cfg.Timeout = time.Second
	if err := register(r, cfg); err != nil {
		t.Fatal(err)
	}
	count := func() (int, int) {
		t.Helper()
		var c struct{ Count, Pid int }
		res := mustInvoke(t, r, "counter", `{"action":"count"}`)
		if err := json.Unmarshal(res.Payload, &c); err != nil {
			t.Fatalf("%s: %v", res.Payload, err)
		}
		return c.Count, c.Pid
	}
	var pid int
	for want := 1; want <= 3; want++ {
		n, p := count()
		if n != want || (pid != 0 && p != pid) {
			t.Fatalf("count %d in pid %d, want %d in the same instance (%d)", n, p, want, pid)
		}
		pid = p
	}
	// A timeout kills the instance's whole process group ...
	doc := decodeError(t, mustInvoke(t, r, "counter", `{"action":"sleep","millis":3000}`))
	if doc.ErrorType != "Sandbox.Timedout" || !strings.HasSuffix(doc.ErrorMessage, "Task timed out after 1.00 seconds") {
		t.Fatalf("timeout error %+v", doc)
	}
	if !groupGone(pid) {
		t.Fatalf("process group %d survived the timeout", pid)
	}
	// ... and the next invocation runs on a fresh instance.
	if n, p := count(); n != 1 || p == pid {
		t.Fatalf("after timeout: count %d in pid %d, want 1 in a new instance", n, p)
	}
}

func TestIdleInstancesAreReaped(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	r := newTestRunner(t, Options{Now: clock, IdleTimeout: time.Minute})
	if err := register(r, goFunction("idle", nil)); err != nil {
		t.Fatal(err)
	}
	mustInvoke(t, r, "idle", `{"action":"count"}`)
	pids := r.allPids()
	if len(pids) != 1 {
		t.Fatalf("instances %v, want one", pids)
	}
	r.reapIdle()
	if got := r.allPids(); len(got) != 1 {
		t.Fatalf("instance reaped before its idle time: %v", got)
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	r.reapIdle()
	if got := r.allPids(); len(got) != 0 {
		t.Fatalf("instances %v survived the idle timeout", got)
	}
	if !groupGone(pids[0]) {
		t.Fatalf("process group %d still exists", pids[0])
	}
	var c struct{ Count int }
	if err := json.Unmarshal(mustInvoke(t, r, "idle", `{"action":"count"}`).Payload, &c); err != nil || c.Count != 1 {
		t.Fatalf("after reaping: count %d (%v), want a fresh instance", c.Count, err)
	}
}

func TestGoFunctionConcurrencyLimit(t *testing.T) {
	r := newTestRunner(t, Options{QueueSize: 1})
	cfg := goFunction("limited", nil)
	cfg.ReservedConcurrency = 1
	cfg.Timeout = 5 * time.Second
	if err := register(r, cfg); err != nil {
		t.Fatal(err)
	}
	f := r.lookup("limited")
	type answer struct {
		res Result
		err error
	}
	first, second := make(chan answer, 1), make(chan answer, 1)
	go func() {
		res, err := r.Invoke(context.Background(), "limited", []byte(`{"action":"sleep","millis":400}`))
		first <- answer{res, err}
	}()
	waitFor(t, "the first invocation to hold the slot", func() bool { return len(f.slots) == 1 })
	go func() {
		res, err := r.Invoke(context.Background(), "limited", []byte(`{"action":"count"}`))
		second <- answer{res, err}
	}()
	waitFor(t, "the second invocation to queue", func() bool { return f.waiting.Load() == 1 })
	if _, err := r.Invoke(context.Background(), "limited", []byte(`{}`)); !errors.Is(err, ErrTooManyRequests) {
		t.Fatalf("third invocation: %v, want ErrTooManyRequests", err)
	}
	for i, ch := range []chan answer{first, second} {
		a := <-ch
		if a.err != nil || a.res.FunctionError != "" {
			t.Fatalf("invocation %d: %v %s", i+1, a.err, a.res.Payload)
		}
	}
	if n := len(r.allPids()); n != 1 {
		t.Fatalf("%d instances, want 1 (reserved concurrency)", n)
	}
}

func TestGoFunctionLogs(t *testing.T) {
	r := newTestRunner(t, Options{})
	if err := register(r, goFunction("logger", nil)); err != nil {
		t.Fatal(err)
	}
	res := mustInvoke(t, r, "logger", `{"action":"log","message":"hello logs"}`)
	tail := string(res.LogTail)
	for _, want := range []string{
		"START RequestId: " + res.RequestID + " Version: $LATEST",
		"hello logs\n",
		"to stderr: hello logs",
		"END RequestId: " + res.RequestID,
		"REPORT RequestId: " + res.RequestID + "\tDuration: ",
		"Billed Duration: ", "Memory Size: 128 MB", "Max Memory Used: ", "Init Duration: ",
	} {
		if !strings.Contains(tail, want) {
			t.Errorf("log tail lacks %q:\n%s", want, tail)
		}
	}
	var tagged bool
	for _, l := range r.Logs("logger") {
		if l.Message == "hello logs" && l.RequestID == res.RequestID && l.Stream == StreamStdout && l.Function == "logger" {
			tagged = true
		}
	}
	if !tagged {
		t.Errorf("output line not tagged with the request id: %+v", r.Logs("logger"))
	}
	// A warm invocation reports no init duration.
	if warm := mustInvoke(t, r, "logger", `{}`); strings.Contains(string(warm.LogTail), "Init Duration") {
		t.Errorf("warm invocation reports an init duration:\n%s", warm.LogTail)
	}
}

func hasLine(lines []LogLine, stream, substr string) bool {
	for _, l := range lines {
		if l.Stream == stream && strings.Contains(l.Message, substr) {
			return true
		}
	}
	return false
}
