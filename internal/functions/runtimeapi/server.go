// Package runtimeapi serves the AWS Lambda Runtime API (version 2018-06-01)
// to one function instance: the runtime long-polls /runtime/invocation/next,
// answers with /response or /error, and reports start-up failures to
// /runtime/init/error. One Server (and one loopback listener) belongs to
// exactly one instance, so every /next call is attributed to that instance.
package runtimeapi

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
)

// MaxResponseSize is Lambda's limit for a synchronous response payload
// (6 MB plus a small allowance, as AWS enforces it).
const MaxResponseSize = 6*1024*1024 + 100

// maxErrorSize bounds an /error or /init/error body.
const maxErrorSize = 1 << 20

// ErrBusy is returned by Deliver when an invocation is already pending.
var ErrBusy = errors.New("runtimeapi: an invocation is already pending")

// Options configure a Server.
type Options struct {
	Logger *slog.Logger
	// MaxResponse overrides MaxResponseSize (tests).
	MaxResponse int
}

// Server is the Runtime API endpoint of one instance.
type Server struct {
	log     *slog.Logger
	maxResp int
	ln      net.Listener

	quit      chan struct{}
	ready     chan struct{}
	readyOnce sync.Once
	initErr   chan struct{}
	initOnce  sync.Once

	mu        sync.Mutex
	current   *Invocation
	pending   *Invocation // delivered, not yet taken by a /next
	waiters   []*conn     // connections whose /next waits, oldest first
	initBody  []byte
	conns     map[*conn]struct{}
	closed    bool
	closeOnce sync.Once
}

// Start listens on 127.0.0.1:0 and serves the Runtime API.
func Start(opts Options) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen runtime api: %w", err)
	}
	s := &Server{
		log:     opts.Logger,
		maxResp: opts.MaxResponse,
		ln:      ln,
		quit:    make(chan struct{}),
		ready:   make(chan struct{}),
		initErr: make(chan struct{}),
		conns:   make(map[*conn]struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxResp <= 0 {
		s.maxResp = MaxResponseSize
	}
	go s.accept()
	return s, nil
}

func (s *Server) accept() {
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		c := &conn{nc: nc, br: bufio.NewReaderSize(nc, 16<<10), bw: bufio.NewWriterSize(nc, 16<<10)}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		go s.serveConn(c)
	}
}

func (s *Server) forget(c *conn) {
	c.nc.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.dropWaiterLocked(c)
	s.mu.Unlock()
}

// dropWaiterLocked removes c from the waiting /next calls.
func (s *Server) dropWaiterLocked(c *conn) {
	for i, w := range s.waiters {
		if w == c {
			s.waiters = append(s.waiters[:i], s.waiters[i+1:]...)
			return
		}
	}
}

// route runs the endpoint of a request.
func (s *Server) route(c *conn, req *request) (reply, bool) {
	const prefix = "/2018-06-01/runtime/"
	rest, ok := strings.CutPrefix(req.path, prefix)
	if !ok {
		return notFound(req), true
	}
	switch {
	case rest == "invocation/next":
		if req.method != "GET" {
			return methodNotAllowed(req), true
		}
		return s.next(c)
	case rest == "init/error":
		if req.method != "POST" {
			return methodNotAllowed(req), true
		}
		return s.initError(req), true
	case strings.HasPrefix(rest, "invocation/"):
		id, action, _ := strings.Cut(strings.TrimPrefix(rest, "invocation/"), "/")
		switch action {
		case "response":
			if req.method != "POST" {
				return methodNotAllowed(req), true
			}
			return s.response(id, req), true
		case "error":
			if req.method != "POST" {
				return methodNotAllowed(req), true
			}
			return s.invocationError(id, req), true
		}
	}
	return notFound(req), true
}

func notFound(req *request) reply { return errorReply(404, "NotFound", "unknown path "+req.path) }

func methodNotAllowed(req *request) reply {
	return errorReply(405, "MethodNotAllowed", req.method+" is not allowed on "+req.path)
}

// Addr is the host:port to put in AWS_LAMBDA_RUNTIME_API.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Ready is closed when the runtime first asks for an invocation, i.e. when
// its initialisation is over.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// InitFailed is closed when the runtime posted /runtime/init/error.
func (s *Server) InitFailed() <-chan struct{} { return s.initErr }

// InitError is the error document the runtime posted to /init/error.
func (s *Server) InitError() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.initBody
}

// Deliver hands inv to the runtime: it answers a waiting /next at once
// (from the caller's goroutine), or keeps inv for the next /next. The caller
// waits on inv.Done together with the instance's exit and its own deadline.
func (s *Server) Deliver(inv *Invocation) error {
	s.mu.Lock()
	if s.pending != nil {
		s.mu.Unlock()
		return ErrBusy
	}
	if len(s.waiters) == 0 || s.closed {
		s.pending = inv
		s.mu.Unlock()
		return nil
	}
	c := s.waiters[0]
	s.waiters[0] = nil
	s.waiters = s.waiters[1:]
	s.takeLocked(inv)
	s.mu.Unlock()
	// A failed write shows on the connection's reads; the runtime is gone.
	_ = c.answer(reply{status: 200, body: inv.Payload, inv: inv}, false)
	return nil
}

// Close stops serving: the listener closes, waiting /next calls are
// answered with an error, and every connection closes.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.quit)
		err = s.ln.Close()
		s.mu.Lock()
		s.closed = true
		waiters := s.waiters
		s.waiters = nil
		s.mu.Unlock()
		for _, c := range waiters {
			_ = c.answer(errorReply(500, "InternalServerError", "the function instance is shutting down"), true)
		}
		s.mu.Lock()
		for c := range s.conns {
			c.nc.Close()
		}
		s.mu.Unlock()
	})
	if err != nil {
		return fmt.Errorf("close runtime api: %w", err)
	}
	return nil
}

// abandon fails the current invocation when the runtime asks for the next
// one without having answered it.
func (s *Server) abandon() {
	s.mu.Lock()
	prev := s.current
	s.current = nil
	s.mu.Unlock()
	if prev != nil {
		prev.complete(errorOutcome("Runtime.InvalidStateTransition",
			"RequestId: "+prev.ID+" Error: the runtime asked for the next invocation before answering this one"))
	}
}

// takeLocked makes inv the current invocation (s.mu held).
func (s *Server) takeLocked(inv *Invocation) {
	s.current = inv
	inv.taken.Store(true)
}

// finish looks up the current invocation by id and clears it. It returns nil
// for an unknown or already answered id.
func (s *Server) finish(id string) *Invocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current == nil || s.current.ID != id {
		return nil
	}
	inv := s.current
	s.current = nil
	return inv
}
