package process

import (
	"bytes"
	"os"
	"strconv"
	"sync"
	"time"
)

// rssRefresh is how often MaxRSS reads /proc again; in between it answers
// the last value (VmHWM only grows, so a cached value is a lower bound).
const rssRefresh = 100 * time.Millisecond

// memory caches the peak RSS of the process, read through a descriptor of
// /proc/<pid>/status kept open (re-read from offset 0).
type memory struct {
	mu     sync.Mutex
	f      *os.File
	buf    []byte
	readAt time.Time
	peak   int64
	known  bool
}

// MaxRSS returns the peak memory use of the instance in bytes: its
// cgroup's peak (the whole tree) when it has a memory cgroup, else the peak
// resident set size of its process (VmHWM from /proc, refreshed at most
// every 100 ms). It is false when it was never readable (no /proc, or the
// process already exited).
func (p *Process) MaxRSS() (int64, bool) {
	m := &p.mem
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.known && time.Since(m.readAt) < rssRefresh {
		return m.peak, true
	}
	if p.sb != nil && p.sb.cg != nil {
		if v, ok := p.sb.cg.peakMemory(); ok {
			m.peak, m.known, m.readAt = max(m.peak, v), true, time.Now()
			return m.peak, true
		}
	}
	if m.f == nil {
		f, err := os.Open("/proc/" + strconv.Itoa(p.pgid) + "/status")
		if err != nil {
			return m.peak, m.known
		}
		m.f, m.buf = f, make([]byte, 4096)
	}
	n, err := m.f.ReadAt(m.buf, 0)
	if n == 0 && err != nil {
		return m.peak, m.known
	}
	if v, ok := parseVmHWM(m.buf[:n]); ok && v >= m.peak {
		m.peak, m.known = v, true
	}
	m.readAt = time.Now()
	return m.peak, m.known
}

// closeMemory releases the /proc descriptor.
func (p *Process) closeMemory() {
	p.mem.mu.Lock()
	defer p.mem.mu.Unlock()
	if p.mem.f != nil {
		p.mem.f.Close()
		p.mem.f = nil
	}
}

// parseVmHWM finds "VmHWM:   1234 kB" in a /proc/<pid>/status document.
func parseVmHWM(status []byte) (int64, bool) {
	const key = "VmHWM:"
	i := bytes.Index(status, []byte(key))
	if i < 0 {
		return 0, false
	}
	rest := status[i+len(key):]
	if j := bytes.IndexByte(rest, '\n'); j >= 0 {
		rest = rest[:j]
	}
	fields := bytes.Fields(rest)
	if len(fields) == 0 {
		return 0, false
	}
	kb, err := strconv.ParseInt(string(fields[0]), 10, 64)
	if err != nil {
		return 0, false
	}
	return kb * 1024, true
}
