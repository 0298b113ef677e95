package functions

import (
	"fmt"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/cognate-dev/cognate/internal/functions/process"
)

// Lambda's per-environment quotas, applied to every instance.
const (
	maxProcesses = 1024 // processes and threads
	maxOpenFiles = 1024 // file descriptors
)

// systemReadOnly are the system paths a function may read: the runtimes'
// executables and libraries, configuration (resolv.conf, CA certificates),
// /sys, and of /proc only the machine-wide files runtimes read (CPUs,
// memory, uptime, kernel settings). Its own /proc/PID is granted by the
// launcher; no other process's (Cognate's environment among them).
var systemReadOnly = []string{
	"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt",
	"/nix/store", "/run/systemd/resolve", "/sys",
	"/proc/cpuinfo", "/proc/meminfo", "/proc/stat", "/proc/uptime", "/proc/loadavg", "/proc/version",
	"/proc/filesystems", "/proc/sys",
}

// deviceReadWrite are the device files a function may use.
var deviceReadWrite = []string{"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"}

// Isolation says how function processes are confined on this machine.
type Isolation struct {
	// LandlockABI is the Landlock ABI confining the filesystem; 0 when
	// Landlock is not applied.
	LandlockABI int
	// UID and GID are the user and group functions run as; -1 when they run
	// as Cognate's own user.
	UID, GID int
	// Cgroup is the cgroup version of the instances' groups; 0 for none.
	Cgroup int
	// Controllers are what the groups enforce (memory, pids, kill/freezer).
	Controllers []string
	// Missing says, per mechanism not applied, why.
	Missing []string

	caps process.Capabilities
}

// String is the one-line summary of the banner.
func (i Isolation) String() string {
	var parts []string
	if i.LandlockABI > 0 {
		parts = append(parts, fmt.Sprintf("landlock on (ABI %d)", i.LandlockABI))
	} else {
		parts = append(parts, "landlock OFF")
	}
	if i.UID >= 0 {
		parts = append(parts, fmt.Sprintf("uid %d", i.UID))
	} else {
		parts = append(parts, "same uid as Cognate (not root)")
	}
	if i.Cgroup > 0 {
		parts = append(parts, fmt.Sprintf("cgroup v%d %s", i.Cgroup, strings.Join(i.Controllers, "+")))
	} else {
		parts = append(parts, "no cgroup: rlimits only, detached children can escape")
	}
	return strings.Join(parts, ", ")
}

// probeIsolation finds the mechanisms this machine offers (once per
// process) and the user functions run as.
func probeIsolation() Isolation {
	caps := process.Probe()
	iso := Isolation{UID: -1, GID: -1, caps: caps}
	if caps.LandlockABI > 0 {
		iso.LandlockABI = caps.LandlockABI
	} else {
		iso.Missing = append(iso.Missing, fmt.Sprintf("landlock: %v (functions can read whatever Cognate's user can)", caps.LandlockErr))
	}
	if caps.Root {
		iso.UID, iso.GID = nobody()
	} else {
		iso.Missing = append(iso.Missing, "separate user: Cognate does not run as root, so functions run as its own user")
	}
	if caps.Cgroups != nil {
		iso.Cgroup = caps.Cgroups.Version()
		iso.Controllers = caps.Cgroups.Controllers()
		for _, c := range []struct{ name, fallback string }{
			{"memory", "memory limited by RLIMIT_DATA per process"},
			{"pids", "processes limited by RLIMIT_NPROC only with a separate user"},
		} {
			if !slices.Contains(iso.Controllers, c.name) {
				iso.Missing = append(iso.Missing, fmt.Sprintf("cgroup %s controller not usable (%s)", c.name, c.fallback))
			}
		}
	} else {
		iso.Missing = append(iso.Missing, fmt.Sprintf("cgroup: %v (memory limited by RLIMIT_DATA per process, processes by RLIMIT_NPROC only with a separate user; a child that calls setsid survives its instance)", caps.CgroupErr))
	}
	return iso
}

// Capabilities exposes the raw probe (for tests and diagnostics).
func (i Isolation) Capabilities() process.Capabilities { return i.caps }

// nobody is the unprivileged user functions run as when Cognate is root.
func nobody() (int, int) {
	if u, err := user.Lookup("nobody"); err == nil {
		uid, err1 := strconv.Atoi(u.Uid)
		gid, err2 := strconv.Atoi(u.Gid)
		if err1 == nil && err2 == nil && uid != 0 && gid != 0 {
			return uid, gid
		}
	}
	return 65534, 65534
}

// Isolation reports how this runner confines function processes.
func (r *Runner) Isolation() Isolation { return r.iso }

// sandbox is the confinement of one instance of f.
func (f *function) sandbox(spec process.Spec, extraRead []string) *process.Sandbox {
	iso := f.r.iso
	ro := append(append(append([]string(nil), systemReadOnly...), spec.Dir), extraRead...)
	return &process.Sandbox{
		UID: iso.UID, GID: iso.GID,
		Landlock:    iso.LandlockABI > 0,
		ReadOnly:    ro,
		ReadWrite:   deviceReadWrite,
		Protected:   f.r.opts.Protect,
		Cgroups:     iso.caps.Cgroups,
		Name:        f.cfg.Name,
		MemoryBytes: int64(f.cfg.MemorySize) << 20,
		MaxProcs:    maxProcesses,
		MaxFiles:    maxOpenFiles,
		PrivateTmp:  true,
		ProcSelf:    true,
	}
}

// runtimeDirs are the directories a runtime executable needs beyond the
// system ones: its installation prefix (node installed under a home).
func runtimeDirs(executable string) []string {
	real, err := filepath.EvalSymlinks(executable)
	if err != nil {
		return nil
	}
	return []string{filepath.Dir(filepath.Dir(real))}
}
