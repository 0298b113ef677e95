package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type invokeCounts struct {
	mu                  sync.Mutex
	calls, failed, cold int
}

func (c *invokeCounts) FunctionInvoked(_ string, _ time.Duration, failed, cold bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if failed {
		c.failed++
	}
	if cold {
		c.cold++
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestInvokeErrorLogged: a failing handler leaves Lambda's "ERROR Invoke
// Error" line with its JSON error in the function's log, the invocation's
// tail and the server log; a timeout does not (it has its own line).
func TestInvokeErrorLogged(t *testing.T) {
	var server lockedBuffer
	counts := &invokeCounts{}
	r := newTestRunner(t, Options{Logger: slog.New(slog.NewTextHandler(&server, nil)), Metrics: counts})
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(registerBuiltin(r, "fail", func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return nil, errors.New("no such note")
	}, FunctionConfig{}))
	must(registerBuiltin(r, "panic", func(context.Context, json.RawMessage) (json.RawMessage, error) { panic("kaboom") }, FunctionConfig{}))
	must(registerBuiltin(r, "ok", func(context.Context, json.RawMessage) (json.RawMessage, error) { return json.RawMessage(`1`), nil }, FunctionConfig{}))

	res := mustInvoke(t, r, "fail", `{}`)
	var line string
	for _, l := range r.Logs("fail") {
		if strings.Contains(l.Message, "\tERROR\tInvoke Error \t") {
			line = l.Message
		}
	}
	want := "\t" + res.RequestID + "\tERROR\tInvoke Error \t" + `{"errorType":"errorString","errorMessage":"no such note"}`
	if !strings.HasSuffix(line, want) {
		t.Fatalf("function log line %q, want suffix %q", line, want)
	}
	if !strings.Contains(string(res.LogTail), "Invoke Error") {
		t.Errorf("the tail lacks the error line: %s", res.LogTail)
	}
	if s := server.String(); !strings.Contains(s, `level=ERROR msg="Invoke Error" function=fail request_id=`+res.RequestID) || !strings.Contains(s, "no such note") {
		t.Errorf("server log:\n%s", s)
	}

	mustInvoke(t, r, "panic", `{}`)
	var panicLine string
	for _, l := range r.Logs("panic") {
		if strings.Contains(l.Message, "Invoke Error") {
			panicLine = l.Message
		}
	}
	var doc struct {
		ErrorType, ErrorMessage string
		Stack                   []any
	}
	if err := json.Unmarshal([]byte(panicLine[strings.Index(panicLine, "{"):]), &doc); err != nil || doc.ErrorMessage != "kaboom" || len(doc.Stack) == 0 {
		t.Errorf("panic line %q: %v %+v", panicLine, err, doc)
	}
	mustInvoke(t, r, "ok", `{}`)
	for _, l := range r.Logs("ok") {
		if strings.Contains(l.Message, "ERROR") {
			t.Errorf("a successful call logged %q", l.Message)
		}
	}
	if counts.calls != 3 || counts.failed != 2 || counts.cold != 0 {
		t.Errorf("metrics %+v, want 3 calls, 2 failed, no cold start for builtins", counts)
	}
}

// TestCheck reports missing directories, modules and executables by name.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "index.mjs"), []byte("export const handler = async () => 1;\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "run"), []byte("#!/bin/sh\n"), 0o755)
	os.WriteFile(filepath.Join(dir, "data"), []byte("x"), 0o644)
	for _, tc := range []struct {
		cfg  FunctionConfig
		want string // "" for no error
	}{
		{FunctionConfig{Name: "a", Runtime: "nodejs20.x", Handler: "index.handler", Dir: dir}, ""},
		{FunctionConfig{Name: "b", Runtime: "nodejs20.x", Handler: "app.handler", Dir: dir}, "no module app.js, app.cjs or app.mjs"},
		{FunctionConfig{Name: "c", Runtime: "nodejs20.x", Handler: "index.handler", Dir: filepath.Join(dir, "gone")}, "does not exist"},
		{FunctionConfig{Name: "d", Runtime: "provided", Command: []string{"./run"}, Dir: dir}, ""},
		{FunctionConfig{Name: "e", Runtime: "provided", Command: []string{"./data"}, Dir: dir}, "is not executable"},
		{FunctionConfig{Name: "f", Runtime: "provided", Dir: dir}, "bootstrap does not exist"},
		{FunctionConfig{Name: "g", Runtime: "provided", Command: []string{"sh", "-c", "true"}, Dir: dir}, ""},
		{FunctionConfig{Name: "h", Runtime: "builtin"}, ""},
	} {
		if _, err := exec.LookPath("node"); err != nil && tc.cfg.Runtime == "nodejs20.x" {
			t.Logf("%s: skipped, node is not installed", tc.cfg.Name)
			continue
		}
		err := Check(tc.cfg, "")
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.cfg.Name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrFunctionCode)):
			t.Errorf("%s: %v, want %q", tc.cfg.Name, err, tc.want)
		}
	}
}

// TestRemoveAndCodeVersion: Remove unregisters; a changed CodeVersion makes
// Compare and Apply see a change.
func TestRemoveAndCodeVersion(t *testing.T) {
	r := newTestRunner(t, Options{})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("#!/bin/sh\n"), 0o755)
	v1, err := CodeFingerprint(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := FunctionConfig{Name: "p", Runtime: "provided", Dir: dir, CodeVersion: v1}
	if _, err := r.Apply(cfg, nil); err != nil {
		t.Fatal(err)
	}
	if exists, changed, _ := r.Compare(cfg, false); !exists || changed {
		t.Fatalf("same config: exists %v changed %v", exists, changed)
	}
	os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("#!/bin/sh\necho v2\n"), 0o755)
	v2, _ := CodeFingerprint(dir)
	if v2 == v1 {
		t.Fatal("the fingerprint did not change with the code")
	}
	cfg.CodeVersion = v2
	if _, changed, _ := r.Compare(cfg, false); !changed {
		t.Fatal("changed code not seen")
	}
	if changed, _ := r.Apply(cfg, nil); !changed {
		t.Fatal("Apply kept the old code")
	}
	if !r.Remove("p") || r.Remove("p") {
		t.Fatal("Remove: want true, then false")
	}
	if _, err := r.Invoke(context.Background(), "p", nil); !errors.Is(err, ErrFunctionNotFound) {
		t.Fatalf("invoke after Remove: %v", err)
	}
}
