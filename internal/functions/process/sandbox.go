package process

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"

	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"
)

// Sandbox confines an instance and its whole process tree.
type Sandbox struct {
	// UID and GID run the instance as that user and group (Cognate must be
	// root); -1 keeps Cognate's.
	UID, GID int
	// Landlock confines the filesystem to ReadOnly and ReadWrite.
	Landlock bool
	// ReadOnly lists directories and files the instance may read and
	// execute; ReadWrite those it may also write.
	ReadOnly, ReadWrite []string
	// Protected paths are never granted, even beneath an allowed directory.
	Protected []string
	// Cgroups makes the instance a control group; nil for none.
	Cgroups *Cgroups
	// Name names the control group.
	Name string
	// MemoryBytes limits the memory of the tree (cgroup; without a memory
	// cgroup, RLIMIT_DATA of each process). 0 for no limit.
	MemoryBytes int64
	// MaxProcs limits processes and threads (cgroup pids; without one,
	// RLIMIT_NPROC when the instance has its own UID). 0 for no limit.
	MaxProcs int
	// MaxFiles is RLIMIT_NOFILE; 0 keeps Cognate's.
	MaxFiles int
	// PrivateTmp makes a private writable directory for the instance,
	// passed as TMPDIR and removed when it stops.
	PrivateTmp bool
	// ProcSelf grants the instance's leader its own /proc/PID (Landlock):
	// ReadOnly cannot name it, the pid is only known in the child.
	ProcSelf bool
}

// sandboxed is the per-process state of a confined instance.
type sandboxed struct {
	cg       *cgroup
	tmp      string
	doneOnce sync.Once
}

// startSandboxed starts spec through the launcher (Cognate's own
// executable) which confines itself and execs path.
func (p *Process) startSandboxed(spec Spec, path string, writers [2]*os.File) error {
	sb := spec.Sandbox
	st := &sandboxed{}
	p.sb = st
	env := append([]string{}, spec.Env...) // never nil: nil would inherit Cognate's
	rw := append([]string(nil), sb.ReadWrite...)
	if sb.PrivateTmp {
		dir, err := os.MkdirTemp("", "cognate-fn-")
		if err != nil {
			return fmt.Errorf("private tmp: %w", err)
		}
		st.tmp = dir
		if sb.UID >= 0 {
			if err := os.Chown(dir, sb.UID, sb.GID); err != nil {
				p.cleanupSandbox()
				return fmt.Errorf("private tmp: %w", err)
			}
		}
		rw = append(rw, dir)
		env = append(env, "TMPDIR="+dir)
	}
	ls := launchSpec{Path: path, Argv: append([]string{spec.Path}, spec.Args...), Dir: spec.Dir, UID: sb.UID, GID: sb.GID, Landlock: sb.Landlock, ProcSelf: sb.ProcSelf}
	if sb.Landlock {
		ro := append(append([]string(nil), sb.ReadOnly...), path)
		ls.Rules = buildRules(ro, rw, sb.Protected)
	}
	if sb.Cgroups != nil {
		cg, err := sb.Cgroups.newGroup(sb.Name, sb.MemoryBytes, sb.MaxProcs)
		if err != nil {
			p.cleanupSandbox()
			return err
		}
		st.cg = cg
		ls.Cgroups = cg.procsFiles()
	}
	ls.Rlimits = append(ls.Rlimits, rlimit{Resource: syscall.RLIMIT_CORE, Value: 0})
	if sb.MaxFiles > 0 {
		ls.Rlimits = append(ls.Rlimits, rlimit{Resource: syscall.RLIMIT_NOFILE, Value: uint64(sb.MaxFiles)})
	}
	if sb.MemoryBytes > 0 && (st.cg == nil || st.cg.memory == "") {
		ls.Rlimits = append(ls.Rlimits, rlimit{Resource: syscall.RLIMIT_DATA, Value: uint64(sb.MemoryBytes)})
	}
	if sb.MaxProcs > 0 && sb.UID >= 0 && (sb.Cgroups == nil || !sb.Cgroups.has("pids")) {
		ls.Rlimits = append(ls.Rlimits, rlimit{Resource: rlimitNPROC, Value: uint64(sb.MaxProcs)})
	}
	raw, err := json.Marshal(ls)
	if err != nil {
		p.cleanupSandbox()
		return fmt.Errorf("launch spec: %w", err)
	}
	reportR, reportW, err := os.Pipe()
	if err != nil {
		p.cleanupSandbox()
		return fmt.Errorf("create pipe: %w", err)
	}
	defer reportR.Close()
	cmd := &exec.Cmd{
		Path:        "/proc/self/exe",
		Args:        []string{launcherArg0, "--", string(raw)},
		Env:         env,
		Stdout:      writers[Stdout],
		Stderr:      writers[Stderr],
		ExtraFiles:  []*os.File{reportW},
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	p.cmd = cmd
	if err := cmd.Start(); err != nil {
		reportW.Close()
		p.cleanupSandbox()
		return fmt.Errorf("start launcher: %w", err)
	}
	reportW.Close()
	msg, _ := io.ReadAll(io.LimitReader(reportR, 64<<10))
	if len(msg) > 0 {
		_ = cmd.Wait()
		if st.cg != nil {
			st.cg.killAll()
			st.cg.waitEmpty(timeoutSecond)
		}
		p.cleanupSandbox()
		return errors.New(string(msg))
	}
	return nil
}

// rlimitNPROC is RLIMIT_NPROC (not in package syscall).
const rlimitNPROC = 6

// killTree kills every process of the instance: the cgroup when there is
// one (detached children included), else the process group and every
// process still in the instance's session. Without a cgroup a child that
// started its own session (setsid) escapes.
func (p *Process) killTree() {
	_ = p.Signal(syscall.SIGKILL)
	if p.sb != nil && p.sb.cg != nil {
		p.sb.cg.killAll()
		return
	}
	killSession(p.pgid)
}

// killSession kills the processes whose session id is sid.
func killSession(sid int) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if s, ok := sessionOf(pid); ok && s == sid {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// sessionOf reads the session id from /proc/PID/stat.
func sessionOf(pid int) (int, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(data[i+1:]))
	// state ppid pgrp session ...
	if len(f) < 4 {
		return 0, false
	}
	s, err := strconv.Atoi(f[3])
	return s, err == nil
}

// finishSandbox waits for the tree to be gone and releases the cgroup and
// the private directory; called once the leader exited and was killed.
func (p *Process) finishSandbox() {
	if p.sb == nil {
		return
	}
	p.sb.doneOnce.Do(func() {
		if p.sb.cg != nil {
			if !p.sb.cg.waitEmpty(timeoutSecond) {
				p.sb.cg.killAll()
				p.sb.cg.waitEmpty(timeoutSecond)
			}
		}
		p.cleanupSandbox()
	})
}

func (p *Process) cleanupSandbox() {
	if p.sb.cg != nil {
		p.sb.cg.remove()
	}
	if p.sb.tmp != "" {
		_ = os.RemoveAll(p.sb.tmp)
	}
}

// OOMKilled reports whether the kernel's OOM killer ended a process of the
// instance because the tree reached its memory limit (cgroup only).
func (p *Process) OOMKilled() bool {
	return p.sb != nil && p.sb.cg != nil && p.sb.cg.oomKills() > 0
}

// HardenSelf makes this process non-dumpable, so that processes of the same
// user (functions when Cognate is not root) can neither read its /proc
// files (environment, memory, descriptors) nor ptrace it, and it leaves no
// core dump holding keys.
func HardenSelf() error {
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_DUMPABLE): %w", err)
	}
	return nil
}

// Capabilities is what the machine offers to confine instances.
type Capabilities struct {
	// LandlockABI is the kernel's Landlock ABI version, 0 without Landlock
	// (LandlockErr says why).
	LandlockABI int
	LandlockErr error
	// Root is true when Cognate runs as root and can give instances their
	// own user.
	Root bool
	// Cgroups is where instance groups are made; nil when none can be
	// (CgroupErr says why).
	Cgroups   *Cgroups
	CgroupErr error
	// Genuine is true for each missing mechanism the machine lacks
	// (kernel, mount, privileges), as opposed to a failure to use it.
	LandlockGenuine, CgroupGenuine bool
}

var (
	probeOnce sync.Once
	probed    Capabilities
)

// Probe finds, once per process, the confinement mechanisms available:
// Landlock (verified by confining a launcher and checking it is refused a
// path), root, and a cgroup hierarchy.
func Probe() Capabilities {
	probeOnce.Do(func() {
		probed.Root = os.Geteuid() == 0
		abi, err := ll.LandlockGetABIVersion()
		switch {
		case err != nil:
			probed.LandlockErr = fmt.Errorf("landlock not supported by this kernel: %w", err)
			probed.LandlockGenuine = errors.Is(err, syscall.ENOSYS) || errors.Is(err, syscall.EOPNOTSUPP)
		case abi < 1:
			probed.LandlockErr = errors.New("landlock not enabled")
			probed.LandlockGenuine = true
		default:
			if err := checkLandlock(); err != nil {
				probed.LandlockErr = err
			} else {
				probed.LandlockABI = abi
			}
		}
		probed.Cgroups, probed.CgroupGenuine, probed.CgroupErr = probeCgroups()
	})
	return probed
}

// checkLandlock runs the launcher with Landlock and no rule, and expects it
// to be refused its own executable.
func checkLandlock() error {
	raw, _ := json.Marshal(launchSpec{UID: -1, GID: -1, Landlock: true, Check: "/proc/self/exe"})
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	cmd := &exec.Cmd{Path: "/proc/self/exe", Args: []string{launcherArg0, "--", string(raw)}, ExtraFiles: []*os.File{w}}
	if err := cmd.Start(); err != nil {
		w.Close()
		return fmt.Errorf("landlock check: %w", err)
	}
	w.Close()
	msg, _ := io.ReadAll(r)
	if err := cmd.Wait(); err != nil || len(msg) > 0 {
		return fmt.Errorf("landlock check failed: %s %v", msg, err)
	}
	return nil
}
