package process

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestBuildRulesCarvesProtectedPaths(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"a/b/data/inner", "a/b/code", "a/c", "other"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"a/file", "a/b/data/db", "a/b/keep"} {
		if err := os.WriteFile(filepath.Join(root, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A link to the protected directory must not grant it either.
	if err := os.Symlink(filepath.Join(root, "a/b/data"), filepath.Join(root, "a/link")); err != nil {
		t.Fatal(err)
	}
	root, _ = filepath.EvalSymlinks(root)
	rules := buildRules([]string{filepath.Join(root, "a"), filepath.Join(root, "a/b/data/inner")}, []string{filepath.Join(root, "other")},
		[]string{filepath.Join(root, "a/b/data")})
	var got []string
	for _, r := range rules {
		kind := "ro"
		if r.Write {
			kind = "rw"
		}
		if r.Dir {
			kind += "-dir"
		}
		got = append(got, strings.TrimPrefix(r.Path, root+"/")+":"+kind)
	}
	slices.Sort(got)
	want := []string{"a/b/code:ro-dir", "a/b/data/inner:ro-dir", "a/b/keep:ro", "a/c:ro-dir", "a/file:ro", "other:rw-dir"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("rules %q, want %q", got, want)
	}
}

// sandboxFor confines sh to the system directories plus dirs.
func sandboxFor(t *testing.T, caps Capabilities, ro []string, protected []string) *Sandbox {
	t.Helper()
	sb := &Sandbox{UID: -1, GID: -1, Landlock: caps.LandlockABI > 0,
		ReadOnly:  append([]string{"/usr", "/bin", "/lib", "/lib64", "/etc", "/proc"}, ro...),
		ReadWrite: []string{"/dev/null"}, Protected: protected,
		Cgroups: caps.Cgroups, Name: "test", MemoryBytes: 64 << 20, MaxProcs: 64, MaxFiles: 256, PrivateTmp: true}
	return sb
}

func TestSandboxedShell(t *testing.T) {
	caps := Probe()
	t.Logf("landlock ABI %d (%v), root %v, cgroups %v (%v)", caps.LandlockABI, caps.LandlockErr, caps.Root, caps.Cgroups != nil, caps.CgroupErr)
	if caps.LandlockABI == 0 || caps.Cgroups == nil {
		if os.Getenv("CI") == "true" && !(caps.LandlockGenuine && caps.CgroupGenuine) {
			t.Fatal("landlock or cgroups unusable on CI")
		}
		t.Skip("needs landlock and a cgroup: not tested here")
	}
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	allowed := filepath.Join(dir, "allowed")
	os.WriteFile(secret, []byte("s"), 0o644)
	os.WriteFile(allowed, []byte("a"), 0o644)
	var l lines
	script := `cat ` + secret + ` 2>/dev/null && echo secret-read; cat ` + allowed + `; echo "tmp=$TMPDIR"; touch "$TMPDIR/x" && echo tmp-writable;` +
		` setsid sh -c 'sleep 300 & echo child=$!' ; sleep 300`
	p, err := Start(Spec{Path: "sh", Args: []string{"-c", script}, Env: []string{"PATH=/usr/bin:/bin"},
		Sandbox: sandboxFor(t, caps, []string{dir}, []string{secret})}, l.add)
	if err != nil {
		t.Fatal(err)
	}
	var child int
	waitLines(t, &l, func(got []string) bool {
		for _, s := range got {
			if v, ok := strings.CutPrefix(s, "stdout:child="); ok {
				child, _ = strconv.Atoi(v)
				return true
			}
		}
		return false
	})
	got := strings.Join(l.all(), "|")
	if strings.Contains(got, "secret-read") || !strings.Contains(got, "stdout:a") || !strings.Contains(got, "tmp-writable") {
		t.Fatalf("output %q: want the protected file refused, the allowed one read, TMPDIR writable", got)
	}
	p.Stop(0)
	if !gone(child) {
		syscall.Kill(child, syscall.SIGKILL)
		t.Fatalf("detached child %d survived Stop", child)
	}
}

func waitLines(t *testing.T, l *lines, cond func([]string) bool) {
	t.Helper()
	for range 1000 {
		if cond(l.all()) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("timed out; output %q", l.all())
}

// gone polls (bounded) until pid is gone or a zombie.
func gone(pid int) bool {
	for range 300 {
		if err := syscall.Kill(pid, 0); err != nil {
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

func TestSandboxReportsLaunchErrors(t *testing.T) {
	caps := Probe()
	var l lines
	sb := sandboxFor(t, caps, nil, nil)
	_, err := Start(Spec{Path: "sh", Dir: "/nonexistent-task-root", Sandbox: sb}, l.add)
	if err == nil || !strings.Contains(err.Error(), "task root /nonexistent-task-root") {
		t.Fatalf("error %v, want the task root named", err)
	}
}

func TestSweepStaleKillsLeftoverGroups(t *testing.T) {
	caps := Probe()
	if caps.Cgroups == nil || caps.Cgroups.Version() != 1 || caps.Cgroups.v1["memory"] == "" {
		if os.Getenv("CI") == "true" && !caps.CgroupGenuine {
			t.Fatalf("cgroups unusable on CI: %v", caps.CgroupErr)
		}
		t.Skipf("needs a v1 memory cgroup: %v", caps.CgroupErr)
	}
	// A Cognate that died: its pid is gone, its group still holds a process.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	parent := filepath.Dir(caps.Cgroups.v1["memory"])
	stale := filepath.Join(parent, "cognate-"+strconv.Itoa(dead.Process.Pid))
	group := filepath.Join(stale, "fn-1")
	if err := os.MkdirAll(group, 0o755); err != nil {
		t.Fatal(err)
	}
	sleeper := exec.Command("sleep", "300")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	defer sleeper.Process.Kill()
	if err := os.WriteFile(filepath.Join(group, "cgroup.procs"), []byte(strconv.Itoa(sleeper.Process.Pid)), 0); err != nil {
		t.Fatal(err)
	}
	sweepStale(parent)
	if err := sleeper.Wait(); err == nil {
		t.Fatal("the leftover process exited cleanly, want killed")
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("stale group %s still there: %v", stale, err)
	}
}

func TestSandboxProcIsOnlyItsOwn(t *testing.T) {
	caps := Probe()
	if caps.LandlockABI == 0 {
		if os.Getenv("CI") == "true" && !caps.LandlockGenuine {
			t.Fatalf("landlock unusable on CI: %v", caps.LandlockErr)
		}
		t.Skipf("needs landlock: %v", caps.LandlockErr)
	}
	// Same user as this process, as when Cognate does not run as root: only
	// Landlock keeps the handler out of its parent's /proc (environment).
	var l lines
	script := `read first < /proc/$$/status && echo own-proc-read; cat /proc/$PPID/environ >/dev/null 2>&1 && echo parent-environ-read; cat /proc/meminfo >/dev/null && echo meminfo-read`
	sb := &Sandbox{UID: -1, GID: -1, Landlock: true, ProcSelf: true,
		ReadOnly: []string{"/usr", "/bin", "/lib", "/lib64", "/proc/meminfo"}, ReadWrite: []string{"/dev/null"}}
	p, err := Start(Spec{Path: "/bin/sh", Args: []string{"-c", script}, Env: []string{"PATH=/usr/bin:/bin"}, Sandbox: sb}, l.add)
	if err != nil {
		t.Fatal(err)
	}
	p.ExitError()
	p.Drain(2 * time.Second)
	got := strings.Join(l.all(), "|")
	if strings.Contains(got, "parent-environ-read") || !strings.Contains(got, "own-proc-read") || !strings.Contains(got, "meminfo-read") {
		t.Fatalf("output %q: want its own /proc and /proc/meminfo readable, the parent's environment not", got)
	}
}

// TestCgroupV2KillsTheTree exercises the v2 group (cgroup.kill) on the
// unified hierarchy of a hybrid mount, where no controller is delegated:
// limits are not set, only the kill of a detached child is checked.
func TestCgroupV2KillsTheTree(t *testing.T) {
	const unified = "/sys/fs/cgroup/unified"
	var st syscall.Statfs_t
	own, err := ownCgroups()
	if err != nil || syscall.Statfs(unified, &st) != nil || st.Type != cgroup2SuperMagic || os.Geteuid() != 0 {
		// A genuine lack (these machines mount cgroup v1; the v2 hierarchy is optional).
		t.Skip("needs root and a hybrid cgroup v2 mount at " + unified)
	}
	base := filepath.Join(unified, own[""], "cognate-v2test-"+strconv.Itoa(os.Getpid()))
	if err := os.Mkdir(base, 0o755); err != nil {
		// The mount is there and we are root: not being able to use it is a
		// failure on CI, not a missing prerequisite.
		if os.Getenv("CI") == "true" {
			t.Fatalf("cannot make a v2 group under %s: %v", unified, err)
		}
		t.Skipf("cannot make a v2 group: %v", err)
	}
	defer os.Remove(base)
	if _, err := os.Stat(filepath.Join(base, "cgroup.kill")); err != nil {
		t.Skipf("kernel without cgroup.kill: %v", err)
	}
	cg := &Cgroups{version: 2, v2: base}
	var l lines
	p, err := Start(Spec{Path: "/bin/sh", Args: []string{"-c", "setsid sh -c 'sleep 300 & echo child=$!'; sleep 300"}, Env: []string{"PATH=/usr/bin:/bin"},
		Sandbox: &Sandbox{UID: -1, GID: -1, Cgroups: cg, Name: "v2"}}, l.add)
	if err != nil {
		t.Fatal(err)
	}
	var child int
	waitLines(t, &l, func(got []string) bool {
		for _, s := range got {
			if v, ok := strings.CutPrefix(s, "stdout:child="); ok {
				child, _ = strconv.Atoi(v)
				return true
			}
		}
		return false
	})
	dir := p.sb.cg.dirs[0]
	p.Stop(0)
	if !gone(child) {
		syscall.Kill(child, syscall.SIGKILL)
		t.Fatalf("detached child %d survived cgroup.kill", child)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("instance group %s not removed: %v", dir, err)
	}
}
