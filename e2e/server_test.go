package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the cognate binary built once for the whole test run.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cognate-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "cognate")
	build := exec.Command("go", "build", "-o", binary, "./cmd/cognate")
	build.Dir = repoRoot()
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build cognate:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// repoRoot is the module root (this file's parent directory).
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// server is a running `cognate up` process.
type server struct {
	URL     string
	DataDir string
	cmd     *exec.Cmd
	mu      sync.Mutex
	out     strings.Builder
	exited  chan struct{}
}

var listening = regexp.MustCompile(`listening on (https?://127\.0\.0\.1:\d+)`)

// startServer runs `cognate up --addr 127.0.0.1:0 --data DIR args...` and waits
// until it prints its URL. The process is stopped (SIGTERM) when the test ends.
func startServer(t *testing.T, dataDir string, args ...string) *server {
	t.Helper()
	return startServerEnv(t, dataDir, nil, args...)
}

// startServerEnv is startServer with extra environment variables.
func startServerEnv(t *testing.T, dataDir string, env []string, args ...string) *server {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	s := &server{DataDir: dataDir, exited: make(chan struct{})}
	argv := append([]string{"up", "--addr", "127.0.0.1:0", "--data", dataDir}, args...)
	s.cmd = exec.Command(binary, argv...)
	s.cmd.Dir = repoRoot()
	// The server key of a new install goes to $XDG_CONFIG_HOME: keep it next
	// to the data directory (stable across restarts), out of the real home.
	s.cmd.Env = append(append(os.Environ(), "COGNATE_LOG_LEVEL=debug", "XDG_CONFIG_HOME="+dataDir+".config"), env...)
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stderr = writerFunc(func(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.out.Write(p) })
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		var url string
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.out.WriteString(line + "\n")
			s.mu.Unlock()
			if m := listening.FindStringSubmatch(line); m != nil {
				url = m[1]
			}
			if strings.HasPrefix(line, "Press Ctrl-C to stop") { // the banner's last line
				select {
				case urls <- url:
				default:
				}
			}
		}
	}()
	go func() { s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() {
		s.stop(t)
		if t.Failed() {
			t.Logf("cognate output:\n%s", s.output())
		}
	})
	select {
	case s.URL = <-urls:
		return s
	case <-s.exited:
		t.Fatalf("cognate exited before serving:\n%s", s.output())
	case <-time.After(90 * time.Second):
		t.Fatalf("cognate did not start in time:\n%s", s.output())
	}
	return nil
}

func (s *server) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// stop sends SIGTERM and waits for a clean exit (SIGKILL after 40 s).
func (s *server) stop(t *testing.T) {
	select {
	case <-s.exited:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(40 * time.Second):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exited
		t.Errorf("cognate did not stop within 40 s of SIGTERM")
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// runCLI runs the cognate binary with args and stdin, returning stdout.
func runCLI(t *testing.T, ctx context.Context, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String(), fmt.Errorf("%v: %s", err, stderr.String())
	}
	return stdout.String(), nil
}

var _ io.Writer = writerFunc(nil)
