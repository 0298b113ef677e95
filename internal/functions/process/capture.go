package process

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
)

// Stream names an output stream of the process.
type Stream int

// The captured streams.
const (
	Stdout Stream = iota
	Stderr
)

// String returns "stdout" or "stderr".
func (s Stream) String() string {
	if s == Stderr {
		return "stderr"
	}
	return "stdout"
}

// maxLine bounds a line kept in memory; longer lines are cut into pieces.
const maxLine = 256 << 10

// capture reads one pipe. Reads go through the raw descriptor under mu, so
// that flush (which drains the pipe itself, without blocking) can never miss
// bytes a concurrent read took out of the kernel but has not delivered yet.
type capture struct {
	stream  Stream
	f       *os.File
	onLine  LineFunc
	mu      sync.Mutex
	buf     []byte
	pending []byte
	eof     bool
}

func newCapture(stream Stream, f *os.File, onLine LineFunc) *capture {
	return &capture{stream: stream, f: f, onLine: onLine, buf: make([]byte, 32<<10)}
}

// run reads until end of file (every writer closed the pipe) or until the
// file is closed.
func (c *capture) run() {
	defer c.f.Close()
	rc, err := c.f.SyscallConn()
	if err != nil {
		return
	}
	for {
		var readErr error
		err := rc.Read(func(fd uintptr) bool {
			c.mu.Lock()
			defer c.mu.Unlock()
			again, err := c.readLocked(int(fd))
			readErr = err
			return !again
		})
		if err != nil || readErr != nil || c.isEOF() {
			c.mu.Lock()
			c.finishLocked()
			c.mu.Unlock()
			return
		}
	}
}

// readLocked does one non-blocking read and delivers the complete lines. It
// reports again=true when the pipe is empty for now.
func (c *capture) readLocked(fd int) (again bool, err error) {
	if c.eof {
		return false, nil
	}
	n, err := syscall.Read(fd, c.buf)
	switch {
	case errors.Is(err, syscall.EAGAIN):
		return true, nil
	case errors.Is(err, syscall.EINTR):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("read %s: %w", c.stream, err)
	case n == 0:
		c.eof = true
		return false, nil
	}
	c.deliverLocked(c.buf[:n])
	return false, nil
}

func (c *capture) deliverLocked(data []byte) {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			c.pending = append(c.pending, data...)
			if len(c.pending) >= maxLine {
				c.emit(c.pending)
				c.pending = c.pending[:0]
			}
			return
		}
		line := data[:i]
		if len(c.pending) > 0 {
			c.pending = append(c.pending, line...)
			line = c.pending
		}
		c.emit(line)
		c.pending = c.pending[:0]
		data = data[i+1:]
	}
}

func (c *capture) emit(line []byte) {
	line = bytes.TrimSuffix(line, []byte{'\r'})
	c.onLine(c.stream, line)
}

func (c *capture) finishLocked() {
	if len(c.pending) > 0 {
		c.emit(c.pending)
		c.pending = nil
	}
	c.eof = true
}

func (c *capture) isEOF() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.eof
}

// settle waits for a delivery in progress: bytes the reader already took
// out of the pipe (under mu) are delivered when it returns.
func (c *capture) settle() {
	c.mu.Lock()
	defer c.mu.Unlock()
}

// flush drains whatever the kernel holds for this pipe right now.
func (c *capture) flush() {
	rc, err := c.f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		c.mu.Lock()
		defer c.mu.Unlock()
		for {
			again, err := c.readLocked(int(fd))
			if again || err != nil || c.eof {
				return
			}
		}
	})
}
