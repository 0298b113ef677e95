package process

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	cgroupRoot        = "/sys/fs/cgroup"
	cgroup2SuperMagic = 0x63677270
)

// Cgroups makes one control group per instance below a base group of this
// process, on the unified hierarchy (v2) or on the v1 hierarchies.
type Cgroups struct {
	version int
	v2      string            // v2: base directory
	v1      map[string]string // v1: controller -> base directory
	seq     atomic.Int64
}

// Version is 2 for the unified hierarchy, 1 for the v1 hierarchies.
func (c *Cgroups) Version() int { return c.version }

// Controllers lists what the instance groups enforce: memory, pids and the
// kill mechanism (kill on v2, freezer on v1).
func (c *Cgroups) Controllers() []string {
	if c.version == 2 {
		return []string{"memory", "pids", "kill"}
	}
	var out []string
	for _, name := range []string{"memory", "pids", "freezer"} {
		if _, ok := c.v1[name]; ok {
			out = append(out, name)
		}
	}
	return out
}

// has reports whether the instance groups apply controller.
func (c *Cgroups) has(controller string) bool {
	if c.version == 2 {
		return controller == "memory" || controller == "pids"
	}
	_, ok := c.v1[controller]
	return ok
}

// probeCgroups finds a place to make instance groups: the unified hierarchy
// when /sys/fs/cgroup is cgroup2 with the memory and pids controllers, else
// the v1 memory, pids and freezer hierarchies (at least memory or pids). It
// removes the groups left behind by earlier Cognate processes that died.
// genuine is true when the error is only that the machine has no usable
// hierarchy (not mounted, not root), not a failure of Cognate.
func probeCgroups() (c *Cgroups, genuine bool, err error) {
	own, err := ownCgroups()
	if err != nil {
		return nil, true, err
	}
	base := "cognate-" + strconv.Itoa(os.Getpid())
	var st syscall.Statfs_t
	if err := syscall.Statfs(cgroupRoot, &st); err == nil && st.Type == cgroup2SuperMagic {
		dir, err := setupV2(filepath.Join(cgroupRoot, own[""]), base)
		if err != nil {
			return nil, errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EROFS), fmt.Errorf("cgroup v2: %w", err)
		}
		return &Cgroups{version: 2, v2: dir}, false, nil
	}
	c = &Cgroups{version: 1, v1: map[string]string{}}
	var errs []error
	mounted := false
	for _, name := range []string{"memory", "pids", "freezer"} {
		path, ok := own[name]
		mount := filepath.Join(cgroupRoot, name)
		if !ok || !isCgroupMount(mount) {
			continue
		}
		mounted = true
		parent := filepath.Join(mount, path)
		sweepStale(parent)
		dir := filepath.Join(parent, base)
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		c.v1[name] = dir
	}
	if _, ok := c.v1["memory"]; !ok {
		if _, ok := c.v1["pids"]; !ok {
			for _, dir := range c.v1 {
				os.Remove(dir)
			}
			if !mounted {
				return nil, true, errors.New("no cgroup v2 with memory and pids, and no v1 memory or pids hierarchy mounted")
			}
			err := errors.Join(errs...)
			return nil, errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EROFS), fmt.Errorf("cgroup v1: %w", err)
		}
	}
	return c, false, nil
}

// ownCgroups reads /proc/self/cgroup: controller -> path ("" for v2).
func ownCgroups() (map[string]string, error) {
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, fmt.Errorf("read own cgroups: %w", err)
	}
	out := map[string]string{}
	for line := range strings.SplitSeq(strings.TrimSpace(string(data)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			out[""] = parts[2]
			continue
		}
		for name := range strings.SplitSeq(parts[1], ",") {
			out[name] = parts[2]
		}
	}
	return out, nil
}

func isCgroupMount(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "cgroup.procs"))
	return err == nil
}

// setupV2 makes parent/base with the memory and pids controllers enabled
// for its children. A v2 group with processes cannot hand controllers to
// children, so when the own group holds processes this process moves into a
// leaf of its own first.
func setupV2(parent, base string) (string, error) {
	ctrl, err := os.ReadFile(filepath.Join(parent, "cgroup.controllers"))
	if err != nil {
		return "", err
	}
	have := strings.Fields(string(ctrl))
	for _, need := range []string{"memory", "pids"} {
		if !contains(have, need) {
			return "", fmt.Errorf("controller %s is not available in %s (delegate it to Cognate's cgroup)", need, parent)
		}
	}
	sweepStale(parent)
	enable := func(dir string) error {
		return os.WriteFile(filepath.Join(dir, "cgroup.subtree_control"), []byte("+memory +pids"), 0)
	}
	if err := enable(parent); err != nil {
		if !errors.Is(err, syscall.EBUSY) {
			return "", err
		}
		leaf := filepath.Join(parent, base+"-server")
		if err := os.Mkdir(leaf, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(leaf, "cgroup.procs"), []byte(strconv.Itoa(os.Getpid())), 0); err != nil {
			return "", fmt.Errorf("move Cognate into %s: %w", leaf, err)
		}
		if err := enable(parent); err != nil {
			return "", fmt.Errorf("enable memory and pids below %s: %w", parent, err)
		}
	}
	dir := filepath.Join(parent, base)
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return "", err
	}
	if err := enable(dir); err != nil {
		os.Remove(dir)
		return "", err
	}
	return dir, nil
}

// sweepStale removes cognate-PID groups below parent whose process is gone,
// killing what still runs in them.
func sweepStale(parent string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		rest, ok := strings.CutPrefix(name, "cognate-")
		if !ok || !e.IsDir() {
			continue
		}
		rest = strings.TrimSuffix(rest, "-server")
		pid, err := strconv.Atoi(rest)
		if err != nil || pid == os.Getpid() || syscall.Kill(pid, 0) == nil {
			continue
		}
		dir := filepath.Join(parent, name)
		children, _ := os.ReadDir(dir)
		for _, ch := range children {
			if ch.IsDir() {
				g := &cgroup{dirs: []string{filepath.Join(dir, ch.Name())}}
				if _, err := os.Stat(filepath.Join(g.dirs[0], "freezer.state")); err == nil {
					g.freezer = g.dirs[0] // it may have been left frozen
				}
				g.killAll()
				g.remove()
			}
		}
		os.Remove(dir)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// cgroup is one instance's group (one directory per v1 hierarchy).
type cgroup struct {
	version int
	dirs    []string
	memory  string // directory with the memory controller, or ""
	freezer string // v1 freezer directory, or ""
}

// newGroup makes an instance group limited to memBytes of memory (no swap)
// and maxProcs tasks; zero leaves a limit unset.
func (c *Cgroups) newGroup(hint string, memBytes int64, maxProcs int) (*cgroup, error) {
	name := fmt.Sprintf("%s-%d", sanitize(hint), c.seq.Add(1))
	g := &cgroup{version: c.version}
	mk := func(base string) (string, error) {
		dir := filepath.Join(base, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			return "", fmt.Errorf("make cgroup %s: %w", dir, err)
		}
		g.dirs = append(g.dirs, dir)
		return dir, nil
	}
	fail := func(err error) (*cgroup, error) {
		g.remove()
		return nil, err
	}
	if c.version == 2 {
		dir, err := mk(c.v2)
		if err != nil {
			return fail(err)
		}
		g.memory, g.freezer = dir, ""
		if memBytes > 0 {
			if err := writeFile(dir, "memory.max", strconv.FormatInt(memBytes, 10)); err != nil {
				return fail(err)
			}
			_ = writeFile(dir, "memory.swap.max", "0")  // absent without swap accounting
			_ = writeFile(dir, "memory.oom.group", "1") // an OOM kill takes the whole instance
		}
		if maxProcs > 0 {
			if err := writeFile(dir, "pids.max", strconv.Itoa(maxProcs)); err != nil {
				return fail(err)
			}
		}
		return g, nil
	}
	for _, ctrl := range []string{"memory", "pids", "freezer"} {
		base, ok := c.v1[ctrl]
		if !ok {
			continue
		}
		dir, err := mk(base)
		if err != nil {
			return fail(err)
		}
		switch ctrl {
		case "memory":
			g.memory = dir
			if memBytes > 0 {
				v := strconv.FormatInt(memBytes, 10)
				if err := writeFile(dir, "memory.limit_in_bytes", v); err != nil {
					return fail(err)
				}
				_ = writeFile(dir, "memory.memsw.limit_in_bytes", v) // absent without swap accounting
			}
		case "pids":
			if maxProcs > 0 {
				if err := writeFile(dir, "pids.max", strconv.Itoa(maxProcs)); err != nil {
					return fail(err)
				}
			}
		case "freezer":
			g.freezer = dir
		}
	}
	return g, nil
}

func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "instance"
	}
	return string(b)
}

func writeFile(dir, name, value string) error {
	if err := os.WriteFile(filepath.Join(dir, name), []byte(value), 0); err != nil {
		return fmt.Errorf("set %s: %w", name, err)
	}
	return nil
}

// procsFiles are the files a process writes its pid to in order to join.
func (g *cgroup) procsFiles() []string {
	out := make([]string, len(g.dirs))
	for i, d := range g.dirs {
		out[i] = filepath.Join(d, "cgroup.procs")
	}
	return out
}

// pids lists the processes in the group.
func (g *cgroup) pids() []int {
	seen := map[int]bool{}
	var out []int
	for _, d := range g.dirs {
		data, err := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		if err != nil {
			continue
		}
		for _, f := range bytes.Fields(data) {
			if pid, err := strconv.Atoi(string(f)); err == nil && !seen[pid] {
				seen[pid] = true
				out = append(out, pid)
			}
		}
	}
	return out
}

// killAll kills every process of the group, children that detached
// themselves (setsid, double fork) included: through cgroup.kill on v2,
// else with the group frozen (v1 freezer) so nothing forks meanwhile, else
// by killing what is listed until nothing is.
func (g *cgroup) killAll() {
	if g.version == 2 && len(g.dirs) == 1 {
		if err := writeFile(g.dirs[0], "cgroup.kill", "1"); err == nil {
			return
		}
	}
	frozen := false
	if g.freezer != "" && writeFile(g.freezer, "freezer.state", "FROZEN") == nil {
		frozen = true
		for range 200 {
			if s, err := os.ReadFile(filepath.Join(g.freezer, "freezer.state")); err == nil && strings.TrimSpace(string(s)) == "FROZEN" {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	for range 100 {
		pids := g.pids()
		if len(pids) == 0 {
			break
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		if frozen {
			break // nothing frozen can fork; the kills land on thaw
		}
		time.Sleep(time.Millisecond)
	}
	if frozen {
		_ = writeFile(g.freezer, "freezer.state", "THAWED")
	}
}

// waitEmpty waits (bounded) until no process is left in the group.
func (g *cgroup) waitEmpty(max time.Duration) bool {
	deadline := time.Now().Add(max)
	for {
		if len(g.pids()) == 0 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// remove deletes the group's directories (children first on retry).
func (g *cgroup) remove() {
	for _, d := range g.dirs {
		for range 50 {
			err := os.Remove(d)
			if err == nil || errors.Is(err, os.ErrNotExist) {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
}

// oomKills is how many processes the kernel's OOM killer ended in the group.
func (g *cgroup) oomKills() int {
	if g.memory == "" {
		return 0
	}
	name := "memory.oom_control"
	if g.version == 2 {
		name = "memory.events"
	}
	f, err := os.Open(filepath.Join(g.memory, name))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "oom_kill "); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

// peakMemory is the group's peak memory use in bytes.
func (g *cgroup) peakMemory() (int64, bool) {
	if g.memory == "" {
		return 0, false
	}
	name := "memory.max_usage_in_bytes"
	if g.version == 2 {
		name = "memory.peak"
	}
	data, err := os.ReadFile(filepath.Join(g.memory, name))
	if err != nil {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	return v, err == nil && v > 0
}
