package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
)

// limitsHandler allocates, or starts a detached grandchild and hangs.
const limitsHandler = `const { spawn } = require('child_process');
const kept = [];
exports.alloc = async (event) => {
  for (let i = 0; i < event.mb; i += 16) kept.push(Buffer.alloc(16 << 20, 1));
  return { allocated: kept.length * 16 };
};
exports.detach = async () => {
  const sh = spawn('/bin/sh', ['-c', 'sleep 300 >/dev/null 2>&1 & echo $!'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  sh.stdout.on('data', (d) => { out += d; });
  await new Promise((resolve) => sh.on('close', resolve));
  console.log('detached child ' + parseInt(out, 10));
  await new Promise(() => setInterval(() => {}, 1000));
};
`

// isolationHandler tries to read each path of the event and reports the
// outcome, and lists its environment.
const isolationHandler = `const fs = require('fs');
exports.handler = async (event) => {
  const read = {};
  for (const p of event.paths) {
    try { fs.readFileSync(p); read[p] = 'read'; } catch (e) { read[p] = e.code || String(e); }
  }
  return { read, env: process.env, uid: process.getuid() };
};
`

// TestFunctionCannotReadServerKeyOrDatabase runs `cognate up` with an older
// install's layout at its most exposed: the data directory inside the
// function's task root, the key file DATA/server.key world-readable. A Node
// handler invoked through aws-sdk-go-v2 must still be refused the SQLite
// file and the key and see none of the server's secrets. Then the key is
// moved out with `cognate server-key move`, and the handler is refused the
// key at its new place.
func TestFunctionCannotReadServerKeyOrDatabase(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is required on CI")
		}
		t.Skip("node not installed")
	}
	if abi, err := ll.LandlockGetABIVersion(); err != nil || abi < 1 {
		// Without Landlock only file modes protect the files; the layout
		// below is readable by modes on purpose.
		t.Skipf("the kernel has no Landlock (%v): not tested", err)
	}
	base := t.TempDir()
	root := filepath.Join(base, "fn")
	data := filepath.Join(root, ".cognate")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Dir(base), base, root, data} {
		os.Chmod(d, 0o755) // reachable by the unprivileged function user
	}
	if err := os.WriteFile(filepath.Join(root, "index.js"), []byte(isolationHandler), 0o644); err != nil {
		t.Fatal(err)
	}
	oldKey := filepath.Join(data, "server.key")
	if err := os.WriteFile(oldKey, []byte(strings.Repeat("5a", 32)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(base, "cognate.yaml")
	if err := os.WriteFile(cfg, []byte("functions:\n  - name: probe\n    runtime: nodejs20.x\n    handler: index.handler\n    dir: "+root+"\n    timeout: 10\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	xdg := filepath.Join(base, "config")
	const rootID, rootSecret = "AKIACOGNATEROOT00001", "root-secret-key-for-the-isolation-test"
	env := []string{"XDG_CONFIG_HOME=" + xdg, "COGNATE_ROOT_ACCESS_KEY_ID=" + rootID, "COGNATE_ROOT_SECRET_ACCESS_KEY=" + rootSecret}
	db := filepath.Join(data, "cognate.db")

	invoke := func(srv *server, paths ...string) (map[string]string, map[string]string) {
		t.Helper()
		lc := lambda.New(lambda.Options{
			Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
			Credentials: credentials.NewStaticCredentialsProvider(rootID, rootSecret, ""),
		})
		payload, _ := json.Marshal(map[string]any{"paths": paths})
		out, err := lc.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("probe"), Payload: payload})
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Read map[string]string `json:"read"`
			Env  map[string]string `json:"env"`
		}
		if err := json.Unmarshal(out.Payload, &got); err != nil || out.FunctionError != nil {
			t.Fatalf("invoke: %s %v %v", out.Payload, aws.ToString(out.FunctionError), err)
		}
		return got.Read, got.Env
	}

	srv := startServerEnv(t, data, env, "--config", cfg)
	if !strings.Contains(srv.output(), "Function isolation: landlock on") {
		t.Fatalf("banner does not report Landlock:\n%s", srv.output())
	}
	if !strings.Contains(srv.output(), "cognate server-key move --data "+data) {
		t.Errorf("no warning about the key inside the data directory:\n%s", srv.output())
	}
	read, fnEnv := invoke(srv, db, oldKey, cfg)
	for _, p := range []string{db, oldKey, cfg} {
		if read[p] != "EACCES" {
			t.Errorf("handler read %s: %q, want EACCES", p, read[p])
		}
	}
	for k, v := range fnEnv {
		if strings.HasPrefix(k, "COGNATE_") || strings.Contains(v, rootSecret) || k == "XDG_CONFIG_HOME" || k == "HOME" {
			t.Errorf("function environment has the server's %s", k)
		}
	}
	srv.stop(t)

	// Move the key out of the data directory, as the warning says.
	cmd := exec.Command(binary, "server-key", "move", "--data", data)
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+xdg)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("server-key move: %v: %s", err, out)
	}
	newKey := strings.TrimSpace(string(out)[strings.LastIndex(string(out), " ")+1:])
	if !strings.HasPrefix(newKey, xdg+"/cognate/keys/") {
		t.Fatalf("server-key move: %s", out)
	}
	if _, err := os.Stat(oldKey); !os.IsNotExist(err) {
		t.Fatalf("%s still exists after the move", oldKey)
	}
	srv = startServerEnv(t, data, env, "--config", cfg)
	if strings.Contains(srv.output(), "server-key move") {
		t.Errorf("still warns after the move:\n%s", srv.output())
	}
	if read, _ := invoke(srv, newKey, db); read[newKey] != "EACCES" || read[db] != "EACCES" {
		t.Errorf("after the move: %v, want EACCES for the key and the database", read)
	}
}

// TestFunctionLimitsThroughCognate invokes, through `cognate up` and
// aws-sdk-go-v2, a handler allocating 4 × its memorySize (stopped with
// Runtime.OutOfMemory, as Lambda reports it) and one leaving a detached
// grandchild behind before timing out (the grandchild dies with it).
func TestFunctionLimitsThroughCognate(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is required on CI")
		}
		t.Skip("node not installed")
	}
	base := t.TempDir()
	root := filepath.Join(base, "fn")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Dir(base), base, root} {
		os.Chmod(d, 0o755)
	}
	if err := os.WriteFile(filepath.Join(root, "index.js"), []byte(limitsHandler), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(base, "cognate.yaml")
	fn := func(name, handler, extra string) string {
		return "  - name: " + name + "\n    runtime: nodejs20.x\n    handler: index." + handler + "\n    dir: " + root + "\n" + extra
	}
	yaml := "functions:\n" + fn("alloc", "alloc", "    memorySize: 128\n    timeout: 20\n") + fn("detach", "detach", "    timeout: 1\n")
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, "", "--config", cfg)
	line := regexp.MustCompile(`Function isolation: (.*)`).FindStringSubmatch(srv.output())
	if line == nil {
		t.Fatalf("no isolation line in the banner:\n%s", srv.output())
	}
	t.Logf("function isolation of this machine: %s", line[1])
	if !strings.Contains(line[1], "cgroup v") {
		if os.Getenv("CI") == "true" && os.Geteuid() == 0 {
			t.Fatalf("no cgroup as root on CI: %s", line[1])
		}
		t.Skipf("no cgroup on this machine (%s): memory and process-tree limits not tested", line[1])
	}
	lc := lambda.New(lambda.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDCOGNATE", "secret", ""),
	})
	call := func(name, payload string) (*lambda.InvokeOutput, map[string]string, string) {
		t.Helper()
		out, err := lc.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(payload), LogType: lambdatypes.LogTypeTail})
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]string
		json.Unmarshal(out.Payload, &doc)
		tail, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
		return out, doc, string(tail)
	}

	out, doc, tail := call("alloc", `{"mb":512}`)
	if aws.ToString(out.FunctionError) != "Unhandled" || doc["errorType"] != "Runtime.OutOfMemory" ||
		!strings.HasSuffix(doc["errorMessage"], " Error: Runtime exited with error: signal: killed") {
		t.Errorf("4 x memorySize: FunctionError %q payload %s, want Runtime.OutOfMemory", aws.ToString(out.FunctionError), out.Payload)
	}
	if !strings.Contains(tail, "Max Memory Used: 128 MB") || !strings.Contains(tail, "Error Type: Runtime.OutOfMemory") {
		t.Errorf("log tail lacks the OOM REPORT:\n%s", tail)
	}

	out, doc, tail = call("detach", `{}`)
	if doc["errorType"] != "Sandbox.Timedout" {
		t.Fatalf("detach: %s, want Sandbox.Timedout", out.Payload)
	}
	m := regexp.MustCompile(`detached child (\d+)`).FindStringSubmatch(tail)
	if m == nil {
		t.Fatalf("no child pid in the log tail:\n%s", tail)
	}
	pid, _ := strconv.Atoi(m[1])
	for range 300 {
		err := syscall.Kill(pid, 0)
		st, _ := os.ReadFile("/proc/" + m[1] + "/stat")
		if errors.Is(err, syscall.ESRCH) || strings.Contains(string(st), ") Z") {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	t.Fatalf("detached child %d outlived its timed-out invocation", pid)
}
