package sqlite_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
	"github.com/cognate-dev/cognate/internal/store/sqlite"
)

// crashChildEnv switches the test binary into the writer child of
// TestKillDuringWrites; its value is "path|round".
const crashChildEnv = "COGNATE_SQLITE_CRASH_CHILD"

// TestMain lets the test binary double as the crash test's writer child.
func TestMain(m *testing.M) {
	if v := os.Getenv(crashChildEnv); v != "" {
		os.Exit(crashChild(v))
	}
	os.Exit(m.Run())
}

// crashChild writes rows until it is killed, printing "ack <round> <i>" after
// each write the store acknowledged.
func crashChild(arg string) int {
	path, round, _ := strings.Cut(arg, "|")
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		return 2
	}
	for i := range 100000 { // bounded, in case the parent dies first
		name := fmt.Sprintf("u-%s-%06d", round, i)
		err := s.CreateUser(ctx, store.User{PoolID: "p1", Username: name, Status: "CONFIRMED",
			Attributes: map[string]string{"email": name + "@example.com"}, Credentials: []byte("verifier-" + name)})
		if err == nil {
			_, err = s.UpdateLockout(ctx, "p1", "counter", func(l store.Lockout) (store.Lockout, error) {
				l.Failures++
				return l, nil
			})
		}
		if err == nil {
			_, err = s.AddRevocation(ctx, store.Revocation{PoolID: "p1", Kind: store.RevokeOrigin, Value: name,
				ExpiresAt: time.Now().Add(time.Hour)})
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "child write:", err)
			return 2
		}
		fmt.Fprintf(os.Stdout, "ack %s %d\n", round, i)
	}
	return 0
}

// TestKillDuringWrites kills a writing child with SIGKILL, mid-stream, then
// checks that every write it acknowledged is in the reopened database and
// that the file is intact. Three rounds hit the same file.
func TestKillDuringWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "cognate.db")
	s, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if err := s.CreatePool(ctx, store.Pool{ID: "p1", Name: "crash"}); err != nil {
		t.Fatalf("create pool: %v", err)
	}
	s.Close()

	acked := 0
	for round := range 3 {
		n := runAndKill(t, path, strconv.Itoa(round), 40+rand.IntN(80))
		acked += n
		t.Logf("round %d: child killed after %d acknowledged writes", round, n)
		s, err := sqlite.Open(ctx, path, nil)
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		for i := range n {
			name := fmt.Sprintf("u-%d-%06d", round, i)
			u, err := s.GetUser(ctx, "p1", name)
			if err != nil || string(u.Credentials) != "verifier-"+name {
				t.Fatalf("round %d: acknowledged user %s lost: %+v, %v", round, name, u, err)
			}
		}
		l, err := s.GetLockout(ctx, "p1", "counter")
		if err != nil || l.Failures < acked {
			t.Fatalf("round %d: lockout counter %d (%v), want >= %d acknowledged", round, l.Failures, err, acked)
		}
		revs, err := s.RevocationsSince(ctx, 0, 1_000_000)
		if err != nil || len(revs) < acked {
			t.Fatalf("round %d: %d revocations (%v), want >= %d acknowledged", round, len(revs), err, acked)
		}
		s.Close()
		var check string
		if err := rawDB(t, path).QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
			t.Fatalf("round %d: integrity_check = %q, %v", round, check, err)
		}
	}
}

// runAndKill starts the writer child on path, SIGKILLs it once it has
// acknowledged at least after writes, and returns how many it acknowledged.
func runAndKill(t *testing.T, path, round string, after int) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path+"|"+round)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("pipe: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child: %v", err)
	}
	acks, killed := 0, false
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var r string
		var i int
		if _, err := fmt.Sscanf(sc.Text(), "ack %s %d", &r, &i); err != nil || r != round {
			continue
		}
		if i != acks {
			t.Fatalf("child acknowledged %d out of order (expected %d)", i, acks)
		}
		acks++
		if acks >= after && !killed {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatalf("kill child: %v", err)
			}
			killed = true // keep reading: acks already written still count
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("child exited before it was killed: %v", err)
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die of SIGKILL: %v", err)
	}
	return acks
}
