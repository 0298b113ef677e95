package process

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

type lines struct {
	mu  sync.Mutex
	got []string
}

func (l *lines) add(s Stream, line []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, s.String()+":"+string(line))
}

func (l *lines) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.got...)
}

func shell(t *testing.T, script string, l *lines) *Process {
	t.Helper()
	p, err := Start(Spec{Path: "sh", Args: []string{"-c", script}, Env: []string{"PATH=" + os.Getenv("PATH"), "X=1"}}, l.add)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(0) })
	return p
}

func TestCaptureLines(t *testing.T) {
	tests := []struct {
		name, script string
		want         []string
	}{
		{"lines and streams", `echo one; echo two >&2; printf 'three\r\n'`, []string{"stdout:one", "stderr:two", "stdout:three"}},
		{"partial last line", `printf 'a\nb'`, []string{"stdout:a", "stdout:b"}},
		{"environment is only what was given", `echo "$X${HOME:-nohome}"`, []string{"stdout:1nohome"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var l lines
			p := shell(t, tc.script, &l)
			if err := p.ExitError(); err != nil {
				t.Fatal(err)
			}
			p.Drain(5 * time.Second)
			// Order holds within a stream, not across the two pipes.
			got := l.all()
			sort.SliceStable(got, func(i, j int) bool { return got[i][:6] < got[j][:6] })
			want := append([]string(nil), tc.want...)
			sort.SliceStable(want, func(i, j int) bool { return want[i][:6] < want[j][:6] })
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFlushDeliversWrittenLines(t *testing.T) {
	var l lines
	dir := t.TempDir()
	// The script writes a line, then signals through a file that it did.
	p := shell(t, fmt.Sprintf(`echo ready; touch %s/written; sleep 30`, dir), &l)
	for range 1000 {
		if _, err := os.Stat(dir + "/written"); err == nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.Flush()
	if got := l.all(); len(got) != 1 || got[0] != "stdout:ready" {
		t.Fatalf("after Flush: %q", got)
	}
}

func TestStopKillsTheGroup(t *testing.T) {
	var l lines
	p := shell(t, `trap '' TERM; echo started; sleep 30; echo never`, &l)
	p.Stop(50 * time.Millisecond)
	// The orphaned sleep is killed at once but reaped by init, which may take
	// a moment: poll (bounded) for the group to disappear.
	var err error
	for range 500 {
		if err = syscall.Kill(-p.Pid(), 0); errors.Is(err, syscall.ESRCH) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("process group %d still exists: %v", p.Pid(), err)
	}
	var exit interface{ ExitCode() int }
	if err := p.ExitError(); !errors.As(err, &exit) || exit.ExitCode() != -1 {
		t.Fatalf("exit error %v, want killed", err)
	}
}

func TestExitStatus(t *testing.T) {
	var l lines
	p := shell(t, `exit 4`, &l)
	if err := p.ExitError(); err == nil || err.Error() != "exit status 4" {
		t.Fatalf("exit error %v", err)
	}
	if _, err := Start(Spec{Path: "/nonexistent/x"}, l.add); err == nil {
		t.Fatal("started a missing executable")
	}
}

func TestParseVmHWM(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"Name:\tx\nVmHWM:\t    2048 kB\nVmRSS:\t 1 kB\n", 2048 * 1024, true},
		{"Name:\tx\n", 0, false},
		{"VmHWM:\tlots kB\n", 0, false},
	}
	for _, tc := range tests {
		got, ok := parseVmHWM([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("%q: %d %v", tc.in, got, ok)
		}
	}
}
