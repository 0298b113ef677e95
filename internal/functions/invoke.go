package functions

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// function is a registered function and its warm pool.
type function struct {
	r       *Runner
	cfg     FunctionConfig
	builtin BuiltinHandler
	arn     string
	ring    *logRing

	slots   chan struct{} // one token per running invocation
	waiting atomic.Int32  // invocations queued for a slot

	mu     sync.Mutex
	idle   []idleInstance // waiting for a job, most recently used last
	all    map[*instance]struct{}
	closed bool
	active int           // invocations holding or waiting for a slot
	quiet  chan struct{} // set by retire; closed when active drops to 0
}

func newFunction(r *Runner, cfg FunctionConfig, h BuiltinHandler) *function {
	return &function{
		r: r, cfg: cfg, builtin: h, arn: r.functionARN(cfg.Key()),
		ring:  newLogRing(r.opts.LogLines),
		slots: make(chan struct{}, cfg.ReservedConcurrency),
		all:   make(map[*instance]struct{}),
	}
}

// invocation is the runner's record of one invocation.
type invocation struct {
	id            string
	payload       []byte
	clientContext string
	coldStart     time.Duration // init duration when the invocation started an instance

	mu   sync.Mutex
	tail []byte
}

func (inv *invocation) appendTail(msg string) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.tail = append(inv.tail, msg...)
	inv.tail = append(inv.tail, '\n')
	if len(inv.tail) > 2*tailSize {
		inv.tail = append(inv.tail[:0], inv.tail[len(inv.tail)-tailSize:]...)
	}
}

func (inv *invocation) logTail() []byte {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	t := inv.tail
	if len(t) > tailSize {
		t = t[len(t)-tailSize:]
	}
	return append([]byte(nil), t...)
}

// outcome is what a builtin or an instance produced.
type outcome struct {
	payload  []byte
	failed   bool
	duration time.Duration
	maxRSS   int64 // bytes; 0 when unknown
	// errorType, when set, makes REPORT end with Lambda's
	// "Status: error  Error Type: ..." (an out-of-memory end).
	errorType string
}

// Invoke runs the function synchronously (RequestResponse). The error is
// only for infrastructure failures: ErrFunctionNotFound, ErrRequestTooLarge,
// ErrTooManyRequests, ErrClosed or ctx's error; the function's own failures
// come back in Result.FunctionError with Lambda's error document as Payload.
func (r *Runner) Invoke(ctx context.Context, name string, payload []byte) (Result, error) {
	return r.invoke(ctx, name, payload, "")
}

func (r *Runner) invoke(ctx context.Context, name string, payload []byte, clientContext string) (Result, error) {
	f := r.lookup(name)
	if f == nil {
		return Result{}, fmt.Errorf("invoke %s: %w", name, ErrFunctionNotFound)
	}
	if len(payload) > MaxRequestSize {
		return Result{}, fmt.Errorf("invoke %s: %w", name, ErrRequestTooLarge)
	}
	if !r.begin() {
		return Result{}, fmt.Errorf("invoke %s: %w", name, ErrClosed)
	}
	if err := f.acquire(ctx); err != nil {
		r.work.Done()
		return Result{}, fmt.Errorf("invoke %s: %w", name, err)
	}
	inv := &invocation{id: newRequestID(), payload: payload, clientContext: clientContext}
	if ctx.Done() == nil {
		// Nothing can cancel the caller: run in its goroutine.
		defer r.work.Done()
		defer f.release()
		return f.run(inv), nil
	}
	if f.builtin == nil {
		// A warm instance takes the job at once: wait for its answer here,
		// and hand the rest to a goroutine only if the caller gives up.
		if j, ok := f.sendIdle(inv); ok {
			select {
			case res := <-j.done:
				if !res.retry {
					defer r.work.Done()
					defer f.release()
					return f.finish(inv, res.o), nil
				}
				return f.await(ctx, name, inv, func() outcome { return f.retryProcess(inv) })
			case <-ctx.Done():
				go func() {
					defer r.work.Done()
					defer f.release()
					res := <-j.done
					o := res.o
					if res.retry {
						o = f.retryProcess(inv)
					}
					f.finish(inv, o)
				}()
				// Like Lambda, the invocation runs on; only the caller stops waiting.
				return Result{RequestID: inv.id}, fmt.Errorf("invoke %s: %w", name, ctx.Err())
			}
		}
	}
	return f.await(ctx, name, inv, func() outcome { return f.outcome(inv) })
}

// await runs the rest of inv (produce, then finish) in a goroutine and
// waits for it or for ctx; the slot and the work are released when inv is
// done.
func (f *function) await(ctx context.Context, name string, inv *invocation, produce func() outcome) (Result, error) {
	done := make(chan Result, 1)
	go func() {
		defer f.r.work.Done()
		defer f.release()
		done <- f.finish(inv, produce())
	}()
	select {
	case res := <-done:
		return res, nil
	case <-ctx.Done():
		// Like Lambda, the invocation runs on; only the caller stops waiting.
		return Result{RequestID: inv.id}, fmt.Errorf("invoke %s: %w", name, ctx.Err())
	}
}

// acquire takes a concurrency slot, queueing (bounded in size and time)
// when all are taken.
func (f *function) acquire(ctx context.Context) error {
	f.enter()
	select {
	case f.slots <- struct{}{}:
		return nil
	default:
	}
	err := f.queue(ctx)
	if err != nil {
		f.leave()
	}
	return err
}

// queue waits for a slot.
func (f *function) queue(ctx context.Context) error {
	if f.waiting.Add(1) > int32(f.r.opts.QueueSize) {
		f.waiting.Add(-1)
		return ErrTooManyRequests
	}
	defer f.waiting.Add(-1)
	wait := f.r.opts.QueueTimeout
	if wait <= 0 {
		wait = f.cfg.Timeout
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case f.slots <- struct{}{}:
		return nil
	case <-t.C:
		return ErrTooManyRequests
	case <-ctx.Done():
		return ctx.Err()
	case <-f.r.closing:
		return ErrClosed
	}
}

func (f *function) release() {
	<-f.slots
	f.leave()
}

// enter and leave count the invocations holding or waiting for a slot, so
// that a retired function knows when it is quiet.
func (f *function) enter() {
	f.mu.Lock()
	f.active++
	f.mu.Unlock()
}

func (f *function) leave() {
	f.mu.Lock()
	f.active--
	if f.active == 0 && f.quiet != nil {
		close(f.quiet)
		f.quiet = nil
	}
	f.mu.Unlock()
}

// retire returns a channel closed once no invocation holds or waits for a
// slot (new ones reach the function only through a lookup that raced with
// its replacement).
func (f *function) retire() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := make(chan struct{})
	if f.active == 0 {
		close(q)
	} else {
		f.quiet = q
	}
	return q
}

// run executes inv and writes its END and REPORT lines.
func (f *function) run(inv *invocation) Result { return f.finish(inv, f.outcome(inv)) }

// outcome executes inv.
func (f *function) outcome(inv *invocation) outcome {
	if f.builtin != nil {
		return f.runBuiltin(inv)
	}
	return f.runProcess(inv)
}

// finish writes inv's END and REPORT lines and builds its result.
func (f *function) finish(inv *invocation, o outcome) Result {
	if o.failed {
		f.logInvokeError(inv, o.payload)
	}
	f.record(inv, o)
	f.addLine(inv, StreamPlatform, "END RequestId: "+inv.id)
	f.addLine(inv, StreamPlatform, f.report(inv, o))
	res := Result{Payload: o.payload, RequestID: inv.id, LogTail: inv.logTail()}
	if o.failed {
		res.FunctionError = FunctionErrorUnhandled
	}
	return res
}

// report formats Lambda's REPORT line.
func (f *function) report(inv *invocation, o outcome) string {
	ms := float64(o.duration) / float64(time.Millisecond)
	b := make([]byte, 0, 192)
	b = append(b, "REPORT RequestId: "...)
	b = append(b, inv.id...)
	b = append(b, "\tDuration: "...)
	b = strconv.AppendFloat(b, ms, 'f', 2, 64)
	b = append(b, " ms\tBilled Duration: "...)
	b = strconv.AppendInt(b, int64(math.Ceil(ms)), 10)
	b = append(b, " ms\tMemory Size: "...)
	b = strconv.AppendInt(b, int64(f.cfg.MemorySize), 10)
	b = append(b, " MB"...)
	if o.maxRSS > 0 {
		b = append(b, "\tMax Memory Used: "...)
		b = strconv.AppendInt(b, (o.maxRSS+(1<<20)-1)>>20, 10)
		b = append(b, " MB"...)
	}
	if inv.coldStart > 0 {
		b = append(b, "\tInit Duration: "...)
		b = strconv.AppendFloat(b, float64(inv.coldStart)/float64(time.Millisecond), 'f', 2, 64)
		b = append(b, " ms"...)
	}
	if o.errorType != "" {
		b = append(b, "\tStatus: error\tError Type: "...)
		b = append(b, o.errorType...)
	}
	return string(b)
}

// checkResponse applies the response rules shared by every kind: valid
// JSON, at most the response size limit.
func checkResponse(id string, payload []byte) ([]byte, bool) {
	if len(payload) > maxResponseSize {
		return errorDoc("Function.ResponseSizeTooLarge",
			fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", maxResponseSize)), false
	}
	if len(payload) > 0 && !json.Valid(payload) {
		return errorDoc("Runtime.InvalidResponsePayload", "RequestId: "+id+" Error: the function's response is not valid JSON"), false
	}
	return payload, true
}

// version is the function's AWS_LAMBDA_FUNCTION_VERSION and
// X-Amz-Executed-Version: its published number, or $LATEST.
func (f *function) version() string {
	if f.cfg.Version == "" {
		return "$LATEST"
	}
	return f.cfg.Version
}
