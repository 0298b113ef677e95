package process

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"

	"github.com/landlock-lsm/go-landlock/landlock"
	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"
)

// launcherArg0 is argv[0] of the launcher: Cognate's own executable
// (/proc/self/exe) started again to confine itself and exec the handler.
// Landlock, credentials and resource limits apply to the calling process,
// so they are set up in the child, between fork and the handler's exec.
const launcherArg0 = "cognate-function-launcher"

// reportFD is the descriptor the launcher writes its setup error to; it is
// close-on-exec, so the parent reads end of file once the handler runs.
const reportFD = 3

// exitLaunchFailed is the launcher's exit status when its setup failed.
const exitLaunchFailed = 126

// Every binary that can start sandboxed instances links this package, so
// the launcher takes over here, before main or TestMain: the cognate
// binary, test binaries and the e2e binary alike.
func init() {
	if len(os.Args) == 3 && os.Args[0] == launcherArg0 && os.Args[1] == "--" {
		os.Exit(launch(os.Args[2]))
	}
}

// launchSpec is what the parent tells the launcher (argv[2], JSON).
type launchSpec struct {
	Path    string     `json:"path"`
	Argv    []string   `json:"argv"`
	Dir     string     `json:"dir"`
	Cgroups []string   `json:"cgroups,omitempty"` // cgroup.procs files to join
	UID     int        `json:"uid"`               // -1 keeps the user
	GID     int        `json:"gid"`
	Rlimits []rlimit   `json:"rlimits,omitempty"`
	Rules   []pathRule `json:"rules,omitempty"`
	// Landlock turns the filesystem rules on (no rule then denies all).
	Landlock bool `json:"landlock"`
	// ProcSelf adds a read rule for /proc/PID of the launcher (the
	// handler's pid once it execs).
	ProcSelf bool `json:"procSelf,omitempty"`
	// Check makes the launcher verify its confinement instead of exec'ing:
	// exit 0 when a path outside the rules cannot be read.
	Check string `json:"check,omitempty"`
}

type rlimit struct {
	Resource int    `json:"resource"`
	Value    uint64 `json:"value"`
}

// pathRule grants access beneath one path.
type pathRule struct {
	Path  string `json:"path"`
	Write bool   `json:"write"`
	Dir   bool   `json:"dir"`
}

// launch confines this process and execs the handler; it returns an exit
// status only when that failed.
func launch(raw string) int {
	// Credentials and the Landlock domain are set on this thread only; the
	// exec from the same thread carries them into the handler.
	runtime.LockOSThread()
	report := os.NewFile(reportFD, "launch-report")
	syscall.CloseOnExec(reportFD)
	fail := func(format string, args ...any) int {
		msg := fmt.Sprintf(format, args...)
		if _, err := report.WriteString(msg); err != nil {
			fmt.Fprintln(os.Stderr, msg)
		}
		return exitLaunchFailed
	}
	var s launchSpec
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return fail("launcher: bad spec: %v", err)
	}
	// The ruleset opens its paths now, while the user may still read them.
	rulesetFD, flags := -1, uint32(0)
	if s.Landlock {
		rules := s.Rules
		if s.ProcSelf {
			rules = append(rules, pathRule{Path: "/proc/" + strconv.Itoa(os.Getpid()), Dir: true})
		}
		fd, fl, err := landlockConfig().NewRulesetFD(landlockRules(rules)...)
		if err != nil {
			return fail("landlock ruleset: %v", err)
		}
		rulesetFD, flags = fd, fl
	}
	pid := []byte(strconv.Itoa(os.Getpid()))
	for _, f := range s.Cgroups {
		if err := os.WriteFile(f, pid, 0); err != nil {
			return fail("join cgroup: %v", err)
		}
	}
	for _, r := range s.Rlimits {
		lim := syscall.Rlimit{Cur: r.Value, Max: r.Value}
		if err := syscall.Setrlimit(r.Resource, &lim); err != nil {
			return fail("set resource limit %d: %v", r.Resource, err)
		}
	}
	if s.GID >= 0 {
		if _, _, e := syscall.RawSyscall(unix.SYS_SETGROUPS, 0, 0, 0); e != 0 {
			return fail("drop supplementary groups: %v", e)
		}
		if _, _, e := syscall.RawSyscall(unix.SYS_SETRESGID, uintptr(s.GID), uintptr(s.GID), uintptr(s.GID)); e != 0 {
			return fail("set group %d: %v", s.GID, e)
		}
	}
	if s.UID >= 0 {
		if _, _, e := syscall.RawSyscall(unix.SYS_SETRESUID, uintptr(s.UID), uintptr(s.UID), uintptr(s.UID)); e != 0 {
			return fail("set user %d: %v", s.UID, e)
		}
	}
	if s.Dir != "" {
		if err := syscall.Chdir(s.Dir); err != nil {
			who := "Cognate's user"
			if s.UID >= 0 {
				who = "uid " + strconv.Itoa(s.UID)
			}
			return fail("task root %s is not accessible to %s (functions run as an unprivileged user when Cognate runs as root: make the directory and its parents readable and searchable, e.g. chmod o+rx): %v", s.Dir, who, err)
		}
	}
	if rulesetFD >= 0 {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fail("prctl(PR_SET_NO_NEW_PRIVS): %v", err)
		}
		if err := ll.LandlockRestrictSelf(rulesetFD, flags); err != nil {
			return fail("landlock_restrict_self: %v", err)
		}
		syscall.Close(rulesetFD)
	}
	if s.Check != "" {
		f, err := os.Open(s.Check)
		if err == nil {
			f.Close()
			return fail("confinement check: %s is still readable", s.Check)
		}
		if !errors.Is(err, os.ErrPermission) {
			return fail("confinement check: open %s: %v", s.Check, err)
		}
		return 0
	}
	err := syscall.Exec(s.Path, s.Argv, os.Environ())
	return fail("exec %s: %v", s.Path, err)
}

// landlockConfig restricts every filesystem right the kernel knows and the
// IPC scopes (signals and abstract sockets to processes outside the
// sandbox), but not the network: handlers call out.
func landlockConfig() landlock.Config {
	c := landlock.V7.BestEffort()
	c.HandledAccessNet = 0
	return c
}

func landlockRules(rules []pathRule) []landlock.Rule {
	out := make([]landlock.Rule, 0, len(rules))
	for _, r := range rules {
		var fr landlock.FSRule
		switch {
		case r.Dir && r.Write:
			fr = landlock.RWDirs(r.Path).WithRefer()
		case r.Dir:
			fr = landlock.RODirs(r.Path)
		case r.Write:
			fr = landlock.RWFiles(r.Path)
		default:
			fr = landlock.ROFiles(r.Path)
		}
		out = append(out, fr.IgnoreIfMissing())
	}
	return out
}
