package functions

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cognate-dev/cognate/internal/functions/process"
)

// Options configure a Runner. Zero values take the defaults given.
type Options struct {
	Logger    *slog.Logger
	Region    string           // default us-east-1
	AccountID string           // account in function ARNs; default 000000000000
	Now       func() time.Time // clock for idle reaping and log times
	// IdleTimeout stops an instance unused for that long; default 10 min.
	IdleTimeout time.Duration
	// InitTimeout bounds an instance's start-up (until its first /next);
	// default 10 s.
	InitTimeout time.Duration
	// QueueSize is how many invocations of one function may wait for a
	// concurrency slot; more fail with ErrTooManyRequests. Default 100.
	QueueSize int
	// QueueTimeout bounds the wait for a slot; default the function's
	// timeout.
	QueueTimeout time.Duration
	// LogLines is the size of each function's log buffer; default 1000.
	LogLines int
	// NodePath is the node executable; default "node" from PATH.
	NodePath string
	// StopGrace is the time between SIGTERM and SIGKILL when an instance is
	// stopped (idle or Close); default 500 ms.
	StopGrace time.Duration
	// Metrics counts invocations, errors and cold starts (optional).
	Metrics Metrics
	// Protect lists paths function processes must never read (the data
	// directory, the server key, the configuration file), enforced with
	// Landlock even when an allowed directory such as a task root holds them.
	Protect []string
}

// BuiltinHandler is a Go function run in-process with the same JSON in and
// out as a Lambda handler.
type BuiltinHandler func(ctx context.Context, event json.RawMessage) (json.RawMessage, error)

// Result is the outcome of an invocation.
type Result struct {
	// Payload is the function's response, or Lambda's error document
	// ({errorMessage, errorType, stackTrace}) when FunctionError is set.
	Payload []byte
	// FunctionError is "" on success, else "Unhandled" (or "Handled").
	FunctionError string
	RequestID     string
	// LogTail is the end (up to 4 KB) of the invocation's log.
	LogTail []byte
}

// Runner runs the registered functions.
type Runner struct {
	opts Options
	log  *slog.Logger
	now  func() time.Time

	mu    sync.RWMutex
	fns   map[string]*function
	order []string

	closing   chan struct{}
	closeOnce sync.Once
	workMu    sync.Mutex     // orders work.Add against Close
	work      sync.WaitGroup // in-flight and Event invocations
	reaper    sync.WaitGroup
	draining  sync.WaitGroup // replaced functions being drained (Apply)

	bootMu   sync.Mutex
	bootDir  string
	bootPath string

	iso           Isolation
	loggedSandbox atomic.Bool
}

// NewRunner returns a Runner; call Close to stop every instance.
func NewRunner(opts Options) *Runner {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "000000000000"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 10 * time.Minute
	}
	if opts.InitTimeout <= 0 {
		opts.InitTimeout = 10 * time.Second
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 100
	}
	if opts.LogLines <= 0 {
		opts.LogLines = 1000
	}
	if opts.NodePath == "" {
		opts.NodePath = "node"
	}
	if opts.StopGrace <= 0 {
		opts.StopGrace = 500 * time.Millisecond
	}
	r := &Runner{
		opts:    opts,
		log:     opts.Logger,
		now:     opts.Now,
		fns:     make(map[string]*function),
		closing: make(chan struct{}),
		iso:     probeIsolation(),
	}
	if err := process.HardenSelf(); err != nil {
		r.log.Warn("function isolation: cannot make Cognate non-dumpable; functions of its user may read its /proc files", "err", err)
	}
	r.log.Info("function isolation", "summary", r.iso.String())
	for _, m := range r.iso.Missing {
		r.log.Warn("function isolation: mechanism unavailable", "detail", m)
	}
	r.reaper.Add(1)
	go r.reapLoop()
	return r
}

// Functions lists the registered functions (with defaults applied), sorted
// by name: their $LATEST, not the published versions.
func (r *Runner) Functions() []FunctionConfig {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]FunctionConfig, 0, len(r.fns))
	for _, f := range r.fns {
		if f.cfg.Version == "" {
			out = append(out, f.cfg)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (r *Runner) lookup(name string) *function {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.fns[name]
}

func (r *Runner) functionARN(name string) string {
	return "arn:aws:lambda:" + r.opts.Region + ":" + r.opts.AccountID + ":function:" + name
}

// begin registers a unit of work (an invocation) unless the runner is
// closing; the caller calls r.work.Done when it ends.
func (r *Runner) begin() bool {
	r.workMu.Lock()
	defer r.workMu.Unlock()
	if r.isClosing() {
		return false
	}
	r.work.Add(1)
	return true
}

func (r *Runner) isClosing() bool {
	select {
	case <-r.closing:
		return true
	default:
		return false
	}
}

// Close stops every instance (SIGTERM, then SIGKILL of the whole process
// group) and waits for in-flight invocations to end, or for ctx.
func (r *Runner) Close(ctx context.Context) error {
	r.closeOnce.Do(func() {
		r.workMu.Lock()
		close(r.closing)
		r.workMu.Unlock()
	})
	r.reaper.Wait()
	r.draining.Wait() // replaced functions stop their instances on closing
	r.mu.RLock()
	fns := make([]*function, 0, len(r.fns))
	for _, f := range r.fns {
		fns = append(fns, f)
	}
	r.mu.RUnlock()
	var stopping sync.WaitGroup
	for _, f := range fns {
		stopping.Go(func() { f.close(r.opts.StopGrace) })
	}
	stopping.Wait()
	done := make(chan struct{})
	go func() {
		r.work.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("close function runner: %w", ctx.Err())
	}
	r.bootMu.Lock()
	if r.bootDir != "" {
		_ = os.RemoveAll(r.bootDir)
		r.bootDir, r.bootPath = "", ""
	}
	r.bootMu.Unlock()
	return err
}

func (r *Runner) reapLoop() {
	defer r.reaper.Done()
	interval := min(max(r.opts.IdleTimeout/4, time.Second), time.Minute)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-r.closing:
			return
		case <-t.C:
			r.reapIdle()
		}
	}
}

// reapIdle stops the instances idle for longer than IdleTimeout.
func (r *Runner) reapIdle() {
	r.mu.RLock()
	fns := make([]*function, 0, len(r.fns))
	for _, f := range r.fns {
		fns = append(fns, f)
	}
	r.mu.RUnlock()
	cutoff := r.now().Add(-r.opts.IdleTimeout)
	for _, f := range fns {
		f.stopIdleBefore(cutoff, r.opts.StopGrace)
	}
}
