package functions

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// requireMechanism skips (printing why) when the machine lacks an isolation
// mechanism; under CI=true that is a failure unless the lack is genuine
// (kernel, mount, privileges), not a failure of Cognate to use it.
func requireMechanism(t *testing.T, name string, ok, genuine bool, why string) {
	t.Helper()
	if ok {
		t.Logf("isolation mechanism %s: ran", name)
		return
	}
	if os.Getenv("CI") == "true" && !genuine {
		t.Fatalf("isolation mechanism %s is unusable on CI: %s", name, why)
	}
	t.Skipf("isolation mechanism %s unavailable, not tested: %s", name, why)
}

func needLandlock(t *testing.T) {
	t.Helper()
	c := probeIsolation().Capabilities()
	requireMechanism(t, "landlock", c.LandlockABI > 0, c.LandlockGenuine, errString(c.LandlockErr))
}

func needCgroup(t *testing.T, controller string) {
	t.Helper()
	c := probeIsolation().Capabilities()
	ok := c.Cgroups != nil
	why := errString(c.CgroupErr)
	if ok && controller != "" {
		ok = false
		for _, have := range c.Cgroups.Controllers() {
			ok = ok || have == controller
		}
		why = "cgroup has no " + controller + " controller"
	}
	requireMechanism(t, strings.TrimSpace("cgroup "+controller), ok, c.CgroupGenuine || c.Cgroups != nil, why)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// isolationFunction is the Go or the Node probe handler with dir as task
// root.
func isolationFunction(t *testing.T, runtime, name, dir string) FunctionConfig {
	t.Helper()
	if runtime == "node" {
		needNode(t)
		src, err := os.ReadFile(filepath.Join("testdata", "node", "isolation", "index.js"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "index.js"), src, 0o644); err != nil {
			t.Fatal(err)
		}
		return FunctionConfig{Name: name, Runtime: "nodejs20.x", Handler: "index.handler", Dir: dir, Timeout: 5 * time.Second}
	}
	return FunctionConfig{Name: name, Runtime: "provided.al2023", Command: []string{goHandlerBin}, Dir: dir, Timeout: 5 * time.Second}
}

// event is the probe's request: the Go handler reads "action", the Node
// one has one export per action.
func probeCall(t *testing.T, r *Runner, cfg FunctionConfig, action string, fields map[string]any) Result {
	t.Helper()
	name := cfg.Name
	if cfg.Runtime == "nodejs20.x" {
		// One function per export: the handler is part of the configuration.
		name = cfg.Name + "-" + action
		if r.lookup(name) == nil {
			c := cfg
			c.Name, c.Handler = name, "index."+action
			if err := register(r, c); err != nil {
				t.Fatal(err)
			}
		}
	} else if r.lookup(name) == nil {
		if err := register(r, cfg); err != nil {
			t.Fatal(err)
		}
	}
	ev := map[string]any{"action": action}
	for k, v := range fields {
		ev[k] = v
	}
	payload, _ := json.Marshal(ev)
	return mustInvoke(t, r, name, string(payload))
}

var runtimes = []string{"go", "node"}

func TestIsolationRefusesDataDirAndKey(t *testing.T) {
	needLandlock(t)
	for _, rt := range runtimes {
		t.Run(rt, func(t *testing.T) {
			// The data directory inside the task root (as `dir: .` next to
			// .cognate would be), its files world-readable: only Landlock
			// stands between the handler and them, not file modes.
			root := taskRootDir(t)
			data := filepath.Join(root, ".cognate")
			if err := os.Mkdir(data, 0o755); err != nil {
				t.Fatal(err)
			}
			db := filepath.Join(data, "cognate.db")
			key := filepath.Join(data, "server.key")
			sibling := filepath.Join(root, "notes.txt")
			for _, f := range []string{db, key, sibling} {
				if err := os.WriteFile(f, []byte("secret material"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// And a key kept outside, as new installs do.
			keyDir := taskRootDir(t)
			outsideKey := filepath.Join(keyDir, "server.key")
			if err := os.WriteFile(outsideKey, []byte("secret material"), 0o644); err != nil {
				t.Fatal(err)
			}
			r := newTestRunner(t, Options{Protect: []string{data, outsideKey}})
			cfg := isolationFunction(t, rt, "fs"+rt, root)

			res := probeCall(t, r, cfg, "read", map[string]any{"paths": []string{db, key, outsideKey, sibling}})
			var got map[string]string
			if err := json.Unmarshal(res.Payload, &got); err != nil || res.FunctionError != "" {
				t.Fatalf("read: %s %s %v", res.FunctionError, res.Payload, err)
			}
			for _, p := range []string{db, key, outsideKey} {
				if got[p] != "EACCES" {
					t.Errorf("%s: %q, want EACCES", p, got[p])
				}
			}
			if got[sibling] != "read" {
				t.Errorf("task root file %s: %q, want it readable", sibling, got[sibling])
			}
			res = probeCall(t, r, cfg, "read", map[string]any{"dir": true, "paths": []string{data}})
			if err := json.Unmarshal(res.Payload, &got); err != nil || got[data] != "EACCES" {
				t.Errorf("listing %s: %s, want EACCES", data, res.Payload)
			}
		})
	}
}

func TestIsolationEnvironmentHasNoServerSecrets(t *testing.T) {
	secrets := map[string]string{
		"COGNATE_SERVER_KEY":             "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
		"COGNATE_ROOT_ACCESS_KEY_ID":     "AKIAROOTROOTROOTROOT",
		"COGNATE_ROOT_SECRET_ACCESS_KEY": "root-secret-access-key-value",
		"AWS_SECRET_ACCESS_KEY":          "server-aws-secret",
	}
	for k, v := range secrets {
		t.Setenv(k, v)
	}
	// Lambda's documented variables, and what Cognate adds (TMPDIR, the
	// function's private writable directory).
	allowed := map[string]bool{
		"PATH": true, "LANG": true, "TZ": true, "TMPDIR": true, "_HANDLER": true, "LAMBDA_TASK_ROOT": true,
		"AWS_LAMBDA_RUNTIME_API": true, "AWS_LAMBDA_FUNCTION_NAME": true, "AWS_LAMBDA_FUNCTION_VERSION": true,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": true, "AWS_LAMBDA_INITIALIZATION_TYPE": true, "AWS_REGION": true,
		"AWS_DEFAULT_REGION": true, "AWS_LAMBDA_LOG_GROUP_NAME": true, "AWS_LAMBDA_LOG_STREAM_NAME": true,
		"GREETING": true, "_X_AMZN_TRACE_ID": true,
	}
	iso := probeIsolation()
	for _, rt := range runtimes {
		t.Run(rt, func(t *testing.T) {
			r := newTestRunner(t, Options{})
			cfg := isolationFunction(t, rt, "env"+rt, taskRootDir(t))
			cfg.Environment = map[string]string{"GREETING": "hi"}
			res := probeCall(t, r, cfg, "env", nil)
			var got struct {
				Env      map[string]string `json:"env"`
				UID, GID int
			}
			if err := json.Unmarshal(res.Payload, &got); err != nil || res.FunctionError != "" {
				t.Fatalf("env: %s %s %v", res.FunctionError, res.Payload, err)
			}
			for k, v := range got.Env {
				if !allowed[k] {
					t.Errorf("unexpected variable %s=%q in the function's environment", k, v)
				}
				for name, secret := range secrets {
					if strings.Contains(v, secret) {
						t.Errorf("%s carries the server's %s", k, name)
					}
				}
			}
			if got.Env["GREETING"] != "hi" || got.Env["AWS_LAMBDA_FUNCTION_NAME"] == "" {
				t.Errorf("function variables missing: %v", got.Env)
			}
			if iso.UID >= 0 {
				t.Logf("isolation mechanism uid: ran (functions run as %d)", iso.UID)
				if got.UID != iso.UID || got.GID != iso.GID {
					t.Errorf("function runs as %d:%d, want %d:%d", got.UID, got.GID, iso.UID, iso.GID)
				}
			} else {
				t.Logf("isolation mechanism uid: not applied (the tests do not run as root; functions run as uid %d)", os.Getuid())
				if got.UID != os.Getuid() {
					t.Errorf("function runs as %d, want Cognate's %d", got.UID, os.Getuid())
				}
			}
		})
	}
}

var detachedPid = regexp.MustCompile(`detached child (\d+)`)

// processGone polls (bounded) until pid no longer runs (gone, or a zombie
// waiting for init to reap it).
func processGone(pid int) bool {
	for range 300 {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return true
		}
		if st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
			if i := strings.LastIndexByte(string(st), ')'); i > 0 && strings.HasPrefix(string(st[i+1:]), " Z") {
				return true
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

func TestIsolationDetachedChildDiesWithInstance(t *testing.T) {
	needCgroup(t, "") // any: v2 cgroup.kill, v1 freezer, or killing what a group lists
	for _, rt := range runtimes {
		t.Run(rt+"/timeout", func(t *testing.T) {
			r := newTestRunner(t, Options{})
			cfg := isolationFunction(t, rt, "hang"+rt, taskRootDir(t))
			cfg.Timeout = time.Second
			res := probeCall(t, r, cfg, "detach", map[string]any{"hang": true})
			if doc := decodeError(t, res); doc.ErrorType != "Sandbox.Timedout" {
				t.Fatalf("got %s %q, want Sandbox.Timedout", doc.ErrorType, doc.ErrorMessage)
			}
			m := detachedPid.FindStringSubmatch(string(res.LogTail))
			if m == nil {
				t.Fatalf("no child pid in the log:\n%s", res.LogTail)
			}
			pid, _ := strconv.Atoi(m[1])
			if !processGone(pid) {
				syscall.Kill(pid, syscall.SIGKILL)
				t.Fatalf("detached child %d outlived the timed-out invocation", pid)
			}
		})
		t.Run(rt+"/crash", func(t *testing.T) {
			r := newTestRunner(t, Options{})
			cfg := isolationFunction(t, rt, "crash"+rt, taskRootDir(t))
			res := probeCall(t, r, cfg, "detach", map[string]any{"code": 3})
			if doc := decodeError(t, res); doc.ErrorType != "Runtime.ExitError" || !strings.Contains(doc.ErrorMessage, "exit status 3") {
				t.Fatalf("got %s %q, want Runtime.ExitError with exit status 3", doc.ErrorType, doc.ErrorMessage)
			}
			m := detachedPid.FindStringSubmatch(string(res.LogTail))
			if m == nil {
				t.Fatalf("no child pid in the log:\n%s", res.LogTail)
			}
			pid, _ := strconv.Atoi(m[1])
			if !processGone(pid) {
				syscall.Kill(pid, syscall.SIGKILL)
				t.Fatalf("detached child %d outlived the crashed instance", pid)
			}
		})
		t.Run(rt+"/stop", func(t *testing.T) {
			r := newTestRunner(t, Options{})
			cfg := isolationFunction(t, rt, "bg"+rt, taskRootDir(t))
			res := probeCall(t, r, cfg, "detach", nil)
			var got struct{ PID int }
			if err := json.Unmarshal(res.Payload, &got); err != nil || got.PID == 0 {
				t.Fatalf("detach: %s %s", res.FunctionError, res.Payload)
			}
			// Like Lambda, a finished invocation leaves the warm instance
			// (and what it started) running...
			if err := syscall.Kill(got.PID, 0); err != nil {
				t.Fatalf("detached child %d is not running after a successful invocation: %v", got.PID, err)
			}
			// ...until the instance stops.
			if err := r.Close(t.Context()); err != nil {
				t.Fatal(err)
			}
			if !processGone(got.PID) {
				syscall.Kill(got.PID, syscall.SIGKILL)
				t.Fatalf("detached child %d outlived its stopped instance", got.PID)
			}
		})
	}
}

var reportLine = regexp.MustCompile(`REPORT RequestId: \S+\t.*`)

func TestIsolationMemoryLimit(t *testing.T) {
	needCgroup(t, "memory")
	for _, rt := range runtimes {
		t.Run(rt, func(t *testing.T) {
			r := newTestRunner(t, Options{})
			cfg := isolationFunction(t, rt, "mem"+rt, taskRootDir(t))
			cfg.MemorySize = 128
			cfg.Timeout = 20 * time.Second
			res := probeCall(t, r, cfg, "alloc", map[string]any{"mb": 4 * cfg.MemorySize})
			doc := decodeError(t, res)
			want := "RequestId: " + res.RequestID + " Error: Runtime exited with error: signal: killed"
			if doc.ErrorType != "Runtime.OutOfMemory" || doc.ErrorMessage != want {
				t.Fatalf("got %s %q, want Runtime.OutOfMemory %q", doc.ErrorType, doc.ErrorMessage, want)
			}
			report := reportLine.FindString(string(res.LogTail))
			for _, part := range []string{"Memory Size: 128 MB", "Max Memory Used: 128 MB", "Status: error\tError Type: Runtime.OutOfMemory"} {
				if !strings.Contains(report, part) {
					t.Errorf("REPORT line %q lacks %q", report, part)
				}
			}
			// A new instance serves the next invocation.
			res = probeCall(t, r, cfg, "alloc", map[string]any{"mb": 16})
			if res.FunctionError != "" {
				t.Fatalf("after the OOM kill: %s %s", res.FunctionError, res.Payload)
			}
		})
	}
}
