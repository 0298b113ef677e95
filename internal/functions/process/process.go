// Package process supervises one function instance: it starts the command in
// its own process group, captures stdout and stderr line by line, reports the
// exit, and terminates or kills the whole group.
package process

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Spec describes the command of an instance.
type Spec struct {
	Path string   // executable, resolved through PATH when it has no slash
	Args []string // arguments after the executable
	Dir  string   // working directory
	Env  []string // complete environment (nothing is inherited)
	// Sandbox confines the instance; nil runs it as Cognate's user with
	// only its own session.
	Sandbox *Sandbox
}

// timeoutSecond bounds the waits for a killed tree to disappear.
const timeoutSecond = time.Second

// LineFunc receives each complete line written by the process, without its
// trailing newline. It is called from the capture goroutines, one stream at a
// time; the slice is only valid during the call.
type LineFunc func(stream Stream, line []byte)

// Process is a running instance.
type Process struct {
	cmd     *exec.Cmd
	pgid    int
	done    chan struct{}
	exitErr error
	streams [2]*capture
	readers sync.WaitGroup
	mem     memory
	sb      *sandboxed // nil when not sandboxed
}

// Start runs spec in a new session (and process group) and captures its
// output through onLine. With spec.Sandbox, the process is started through
// the launcher, which confines it before it execs spec.Path.
func Start(spec Spec, onLine LineFunc) (*Process, error) {
	path := spec.Path
	if strings.ContainsRune(path, '/') && !filepath.IsAbs(path) {
		path = filepath.Join(spec.Dir, path)
	}
	path, err := exec.LookPath(path)
	if err != nil && !strings.ContainsRune(spec.Path, '/') && spec.Dir != "" {
		// A bare name not on PATH: try the working directory.
		path, err = exec.LookPath(filepath.Join(spec.Dir, spec.Path))
	}
	if err != nil {
		return nil, fmt.Errorf("find %s: %w", spec.Path, err)
	}
	p := &Process{done: make(chan struct{})}
	var writers [2]*os.File
	closeAll := func() {
		for i := range p.streams {
			if p.streams[i] != nil {
				p.streams[i].f.Close()
			}
			if writers[i] != nil {
				writers[i].Close()
			}
		}
	}
	for i := range p.streams {
		r, w, err := os.Pipe()
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("create pipe: %w", err)
		}
		p.streams[i], writers[i] = newCapture(Stream(i), r, onLine), w
	}
	if spec.Sandbox != nil {
		if err := p.startSandboxed(spec, path, writers); err != nil {
			closeAll()
			return nil, fmt.Errorf("start %s: %w", spec.Path, err)
		}
	} else {
		cmd := exec.Command(path, spec.Args...)
		cmd.Dir = spec.Dir
		cmd.Env = spec.Env
		if cmd.Env == nil {
			cmd.Env = []string{}
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		cmd.Stdout, cmd.Stderr = writers[Stdout], writers[Stderr]
		if err := cmd.Start(); err != nil {
			closeAll()
			return nil, fmt.Errorf("start %s: %w", spec.Path, err)
		}
		p.cmd = cmd
	}
	cmd := p.cmd
	p.pgid = cmd.Process.Pid
	for _, w := range writers {
		w.Close()
	}
	for _, c := range p.streams {
		p.readers.Add(1)
		go func() {
			defer p.readers.Done()
			c.run()
		}()
	}
	go func() {
		p.exitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Pid is the process id of the instance; it is also its process group and
// session id.
func (p *Process) Pid() int { return p.pgid }

// Done is closed once the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// ExitError is the process's exit status as an error (nil for a clean exit);
// valid after Done is closed.
func (p *Process) ExitError() error {
	<-p.done
	return p.exitErr
}

// Signal sends sig to the whole process group; a group that is already gone
// is not an error.
func (p *Process) Signal(sig syscall.Signal) error {
	if err := syscall.Kill(-p.pgid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal process group %d: %w", p.pgid, err)
	}
	return nil
}

// Stop terminates the group (SIGTERM), waits up to grace for the process to
// exit, then kills the group (SIGKILL) and waits for the exit and for the
// output to be drained (bounded by a short delay when a stray child keeps a
// pipe open). A zero grace kills at once.
func (p *Process) Stop(grace time.Duration) {
	if grace > 0 {
		_ = p.Signal(syscall.SIGTERM)
		t := time.NewTimer(grace)
		select {
		case <-p.done:
		case <-t.C:
		}
		t.Stop()
	}
	// Kill the tree even after the leader exited: children may remain.
	p.killTree()
	<-p.done
	p.finishSandbox()
	p.closeMemory()
	p.Drain(time.Second)
}

// Drain waits up to max for both output streams to reach end of file, so
// that every line the process wrote has been delivered.
func (p *Process) Drain(max time.Duration) {
	ch := make(chan struct{})
	go func() {
		p.readers.Wait()
		close(ch)
	}()
	t := time.NewTimer(max)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
		for _, c := range p.streams {
			c.f.Close()
		}
	}
}

// Flush delivers every complete line the process has written so far: when it
// returns, output written before the call has gone through the LineFunc.
func (p *Process) Flush() {
	ready := p.pollStreams()
	for i, c := range p.streams {
		if ready[i] {
			c.flush()
		} else {
			c.settle()
		}
	}
}

// pollStreams asks the kernel, in one call, which pipes hold data (or have
// been closed); a stream that cannot be polled counts as ready.
func (p *Process) pollStreams() [2]bool {
	ready := [2]bool{true, true}
	rc0, err0 := p.streams[0].f.SyscallConn()
	rc1, err1 := p.streams[1].f.SyscallConn()
	if err0 != nil || err1 != nil {
		return ready
	}
	_ = rc0.Control(func(fd0 uintptr) {
		_ = rc1.Control(func(fd1 uintptr) {
			fds := [2]unix.PollFd{{Fd: int32(fd0), Events: unix.POLLIN}, {Fd: int32(fd1), Events: unix.POLLIN}}
			for {
				_, err := unix.Poll(fds[:], 0)
				if err == unix.EINTR {
					continue
				}
				if err == nil {
					ready[0], ready[1] = fds[0].Revents != 0, fds[1].Revents != 0
				}
				return
			}
		})
	})
	return ready
}
