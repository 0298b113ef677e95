package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestNotesExampleThroughRunner runs examples/notes/cognate.yaml: the
// tutorial's Node.js handlers (notes + jsonwebtoken/jwk-to-pem authorizer) and
// the aws-lambda-go notes handler run as processes over the Runtime API. After
// SIGTERM no function process may be left.
func TestNotesExampleThroughRunner(t *testing.T) {
	requireNode(t)
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("go is needed to build the aws-lambda-go handler: %v", err)
	}
	d := startDemoIn(t, "", "--config", filepath.Join(repoRoot(), "examples", "notes", "cognate.yaml"))
	d.createUser(t, "grace", "grace@example.com", "Gr4ce-Passw0rd!")
	tok := d.loginSRP(t, "grace", "Gr4ce-Passw0rd!")
	for _, path := range []string{"/dev/notes", "/dev/cognito/notes"} {
		for i := 0; i < 3; i++ { // warm instances are reused
			status, body, _ := get(t, d.srv.URL+path, aws.ToString(tok.IdToken))
			if status != 200 || !strings.Contains(body, `"title":"Notes for grace"`) {
				t.Fatalf("%s: %d %s", path, status, body)
			}
		}
		if status, body, _ := get(t, d.srv.URL+path, forge(t, aws.ToString(tok.IdToken), nil)); status != 401 {
			t.Fatalf("%s forged: %d %s", path, status, body)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	logs, err := runCLI(t, ctx, "", "logs", "-endpoint", d.srv.URL, "notesAuthorizer")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"START RequestId:", "END RequestId:", "REPORT RequestId:", "Billed Duration"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}

	children := childPIDs(t, d.srv.cmd.Process.Pid)
	if len(children) < 3 {
		t.Fatalf("expected at least 3 function processes (2 node, 1 go), found %v", children)
	}
	d.srv.stop(t)
	for _, pid := range children {
		if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
			t.Errorf("function process %d survived shutdown (kill 0: %v)", pid, err)
		}
	}
}

// childPIDs lists the direct children of pid from /proc.
func childPIDs(t *testing.T, pid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so parse after the last ')'.
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			out = append(out, child)
		}
	}
	return out
}
