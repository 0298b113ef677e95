// Package runtimeapi serves the AWS Lambda Runtime API (version 2018-06-01)
// to one function instance: the runtime long-polls /runtime/invocation/next,
// answers with /response or /error, and reports start-up failures to
// /runtime/init/error. One Server (and one loopback listener) belongs to
// exactly one instance, so every /next call is attributed to that instance.
package runtimeapi

import (
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

	pending   chan *Invocation
	quit      chan struct{}
	ready     chan struct{}
	readyOnce sync.Once
	initErr   chan struct{}
	initOnce  sync.Once

	mu        sync.Mutex
	current   *Invocation
	initBody  []byte
	conns     map[net.Conn]struct{}
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
		pending: make(chan *Invocation, 1),
		quit:    make(chan struct{}),
		ready:   make(chan struct{}),
		initErr: make(chan struct{}),
		conns:   make(map[net.Conn]struct{}),
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
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		go s.serveConn(c)
	}
}

func (s *Server) forget(c net.Conn) {
	c.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// route runs the endpoint of a request.
func (s *Server) route(req *request) reply {
	const prefix = "/2018-06-01/runtime/"
	rest, ok := strings.CutPrefix(req.path, prefix)
	if !ok {
		return notFound(req)
	}
	switch {
	case rest == "invocation/next":
		if req.method != "GET" {
			return methodNotAllowed(req)
		}
		return s.next(req)
	case rest == "init/error":
		if req.method != "POST" {
			return methodNotAllowed(req)
		}
		return s.initError(req)
	case strings.HasPrefix(rest, "invocation/"):
		id, action, _ := strings.Cut(strings.TrimPrefix(rest, "invocation/"), "/")
		switch action {
		case "response":
			if req.method != "POST" {
				return methodNotAllowed(req)
			}
			return s.response(id, req)
		case "error":
			if req.method != "POST" {
				return methodNotAllowed(req)
			}
			return s.invocationError(id, req)
		}
	}
	return notFound(req)
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

// Deliver queues inv for the runtime's next /next call. The caller waits on
// inv.Done together with the instance's exit and its own deadline.
func (s *Server) Deliver(inv *Invocation) error {
	select {
	case s.pending <- inv:
		return nil
	default:
		return ErrBusy
	}
}

// Close stops serving: the listener and every connection close, and blocked
// /next calls return.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.quit)
		err = s.ln.Close()
		s.mu.Lock()
		s.closed = true
		for c := range s.conns {
			c.Close()
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

// take makes inv the current invocation.
func (s *Server) take(inv *Invocation) {
	s.mu.Lock()
	s.current = inv
	s.mu.Unlock()
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
