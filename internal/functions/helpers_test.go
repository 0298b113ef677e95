package functions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// goHandlerBin is the aws-lambda-go test function, built once per run.
var goHandlerBin string

func TestMain(m *testing.M) {
	if addr := os.Getenv(floorClientEnv); addr != "" {
		runFloorClient(addr) // the child side of BenchmarkWarmInvokeAdded's protocol floor
		os.Exit(0)
	}
	if err := installGreetModule(); err != nil {
		fmt.Fprintln(os.Stderr, "install node fixture:", err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "cognate-functions-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Functions may run as an unprivileged user: the handler must be reachable.
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	goHandlerBin = filepath.Join(dir, "gohandler")
	build := exec.Command("go", "build", "-o", goHandlerBin, "./testdata/gohandler")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build test handler:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// installGreetModule puts the fixture module that the "behaviours" handler
// requires into that handler's own node_modules, to show that a handler's
// node_modules resolve. Its source is testdata/node/greet-module.js: git
// ignores node_modules directories, so the installed copy is made here.
func installGreetModule() error {
	src, err := os.ReadFile(filepath.Join("testdata", "node", "greet-module.js"))
	if err != nil {
		return err
	}
	dir := filepath.Join("testdata", "node", "behaviours", "node_modules", "greet")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "index.js"), src, 0o644)
}

// newTestRunner returns a runner logging to the test output; the cleanup
// closes it and checks that no instance's process group survived.
func newTestRunner(t testing.TB, opts Options) *Runner {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	r := NewRunner(opts)
	t.Cleanup(func() {
		pids := r.allPids()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
		for _, pid := range pids {
			if !groupGone(pid) {
				t.Errorf("process group %d still exists after Close", pid)
			}
		}
	})
	return r
}

// allPids lists the process group ids of every instance of every function.
func (r *Runner) allPids() []int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []int
	for _, f := range r.fns {
		out = append(out, f.pids()...)
	}
	return out
}

func (f *function) pids() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []int
	for in := range f.all {
		out = append(out, in.proc.Pid())
	}
	return out
}

// groupGone polls (bounded) until kill(-pgid, 0) reports ESRCH.
func groupGone(pgid int) bool {
	for range 200 {
		if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// waitFor polls cond (bounded) — for states reached by other goroutines.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func goFunction(name string, env map[string]string) FunctionConfig {
	return FunctionConfig{Name: name, Runtime: "provided.al2023", Command: []string{goHandlerBin}, Handler: "bootstrap",
		Environment: env, Timeout: time.Second}
}

// needNode skips when node is missing locally; on CI it must be there.
func needNode(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is required on CI")
		}
		t.Skip("node not installed")
	}
}

// errorDocument decodes Lambda's error shape.
type errorDocument struct {
	ErrorMessage string   `json:"errorMessage"`
	ErrorType    string   `json:"errorType"`
	StackTrace   []string `json:"stackTrace"`
}

func decodeError(t *testing.T, res Result) errorDocument {
	t.Helper()
	if res.FunctionError != FunctionErrorUnhandled {
		t.Fatalf("FunctionError = %q, want Unhandled (payload %s)", res.FunctionError, res.Payload)
	}
	var doc errorDocument
	if err := json.Unmarshal(res.Payload, &doc); err != nil {
		// Go panics carry structured stack frames; keep the two fields.
		var loose struct{ ErrorMessage, ErrorType string }
		if err2 := json.Unmarshal(res.Payload, &loose); err2 != nil {
			t.Fatalf("error payload %s: %v", res.Payload, err)
		}
		doc.ErrorMessage, doc.ErrorType = loose.ErrorMessage, loose.ErrorType
	}
	return doc
}

func mustInvoke(t *testing.T, r *Runner, name, payload string) Result {
	t.Helper()
	res, err := r.Invoke(context.Background(), name, []byte(payload))
	if err != nil {
		t.Fatalf("invoke %s %s: %v", name, payload, err)
	}
	return res
}

// taskRootDir is a temporary task root that the unprivileged user functions
// run as (when the tests run as root) can reach.
func taskRootDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// register applies a process function (Apply is the runner's one way to
// register a function).
func register(r *Runner, cfg FunctionConfig) error {
	_, err := r.Apply(cfg, nil)
	return err
}

// registerBuiltin applies an in-process function named name.
func registerBuiltin(r *Runner, name string, h BuiltinHandler, cfg FunctionConfig) error {
	cfg.Name = name
	_, err := r.Apply(cfg, h)
	return err
}
