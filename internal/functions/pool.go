package functions

import (
	"errors"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/internal/functions/runtimeapi"
)

// An instance's state belongs to one goroutine, its loop: it waits for the
// runtime to be ready, serves the invocations handed to it one at a time,
// waits while idle, and stops the process and its Runtime API when it
// leaves (crash, timeout, idle reaping, replacement or Close). The pool
// (function.idle, function.all, under function.mu) only hands invocations to
// idle loops and asks loops to stop.

// job is one invocation handed to an instance's loop.
type job struct {
	inv  *invocation
	done chan jobResult // buffered: the loop never waits for the caller
}

// jobResult is what the loop answers a job with; retry is true when the
// instance died before the runtime took the invocation (it never started,
// so it may run on another instance).
type jobResult struct {
	o     outcome
	retry bool
}

// runProcess runs inv on a warm instance, or on a new one.
func (f *function) runProcess(inv *invocation) outcome {
	res, err := f.dispatch(inv)
	if err == nil && res.retry {
		return f.retryProcess(inv)
	}
	return f.processOutcome(inv, res, err, false)
}

// retryProcess runs inv again after the instance given the first attempt
// exited before taking it.
func (f *function) retryProcess(inv *invocation) outcome {
	f.platformf(inv, "instance exited before taking the invocation; retrying")
	res, err := f.dispatch(inv)
	return f.processOutcome(inv, res, err, true)
}

// processOutcome is the outcome of one attempt; retried tells whether a
// retry is still allowed.
func (f *function) processOutcome(inv *invocation, res jobResult, err error, retried bool) outcome {
	switch {
	case err != nil:
		f.r.log.Error("function instance failed to start", "function", f.cfg.Name, "err", err)
		f.start(inv)
		return outcome{payload: errorDoc("Runtime.InvalidEntrypoint", "RequestId: "+inv.id+" Error: "+err.Error()), failed: true}
	case res.retry && retried:
		return outcome{payload: exitDoc(inv.id, errors.New("the instance exited before taking the invocation")), failed: true}
	}
	return res.o
}

// sendIdle hands inv to the most recently used idle instance; false when
// there is none. The answer comes on the job's done channel.
func (f *function) sendIdle(inv *invocation) (job, bool) {
	in := f.popIdle()
	if in == nil {
		return job{}, false
	}
	j := job{inv: inv, done: make(chan jobResult, 1)}
	select {
	case in.jobs <- j:
	case <-in.gone:
		j.done <- jobResult{retry: true}
	}
	return j, true
}

// dispatch hands inv to the most recently used idle instance, or to a new
// one, and waits for its answer.
func (f *function) dispatch(inv *invocation) (jobResult, error) {
	if j, ok := f.sendIdle(inv); ok {
		return <-j.done, nil
	}
	j := job{inv: inv, done: make(chan jobResult, 1)}
	in, err := f.newInstance()
	if err != nil {
		return jobResult{}, err
	}
	go in.loop(j)
	return <-j.done, nil
}

// newInstance starts an instance and adds it to the pool (not idle: its
// loop starts with the job that needed it).
func (f *function) newInstance() (*instance, error) {
	f.mu.Lock()
	closed := f.closed
	f.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	in, err := f.startInstance()
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		in.stop(0)
		return nil, ErrClosed
	}
	f.all[in] = struct{}{}
	f.mu.Unlock()
	return in, nil
}

// loop is the instance's goroutine (see the top of this file). An answer
// that ends the instance is sent after the instance stopped, so that its
// last output lines precede the invocation's END line.
func (in *instance) loop(j job) {
	f := in.f
	var grace time.Duration
	var last *jobResult
	defer func() {
		f.mu.Lock()
		delete(f.all, in)
		f.mu.Unlock()
		in.stop(grace)
		in.cur.Store(nil)
		if last != nil {
			j.done <- *last
		}
		close(in.gone)
	}()
	if o, ok := in.waitReady(j.inv); !ok {
		last = &jobResult{o: o}
		return
	}
	for {
		res, keep := in.serve(j.inv)
		if !keep {
			last = &res
			return
		}
		// Idle before the answer goes out: a caller that invokes again as
		// soon as it has the answer must find this instance warm.
		idle := f.putIdle(in)
		j.done <- res
		if !idle {
			return
		}
		select {
		case j = <-in.jobs:
		case grace = <-in.stopc:
			return
		case <-in.proc.Done():
			if f.unidle(in) {
				return
			}
			// Taken from the idle list meanwhile: a job or a stop follows.
			select {
			case j = <-in.jobs:
			case grace = <-in.stopc:
				return
			}
		}
	}
}

// halt stops the process at a stop request during init or an invocation;
// the loop then sees it exit.
func (in *instance) halt(grace time.Duration) { in.proc.Stop(grace) }

// waitReady waits for a new instance's first /next call, its init error,
// its exit or the init timeout.
func (in *instance) waitReady(inv *invocation) (outcome, bool) {
	f := in.f
	in.cur.Store(inv) // init output goes to the invocation that caused it
	t := time.NewTimer(f.r.opts.InitTimeout)
	defer t.Stop()
	fail := func(doc []byte) (outcome, bool) {
		in.proc.Flush()
		f.start(inv)
		return outcome{payload: doc, failed: true, duration: time.Since(in.started)}, false
	}
	for {
		select {
		case <-in.api.Ready():
			inv.coldStart = time.Since(in.started)
			return outcome{}, true
		case <-in.api.InitFailed():
			return fail(in.api.InitError())
		case g := <-in.stopc:
			in.halt(g)
		case <-in.proc.Done():
			select {
			case <-in.api.InitFailed():
				return fail(in.api.InitError())
			default:
			}
			in.proc.Drain(time.Second)
			doc, oom := crashDoc(in, inv.id)
			o, ok := fail(doc)
			if oom {
				o.errorType, o.maxRSS = oomErrorType, int64(f.cfg.MemorySize)<<20
			}
			return o, ok
		case <-t.C:
			f.platformf(inv, "INIT timed out after %.2f seconds", f.r.opts.InitTimeout.Seconds())
			return fail(errorDoc("Sandbox.Timedout", "RequestId: "+inv.id+" Error: init "+timeoutText(f.r.opts.InitTimeout)))
		}
	}
}

// serve delivers inv to the ready instance and waits for its answer, its
// exit or the timeout. keep is false when the instance must go.
func (in *instance) serve(inv *invocation) (res jobResult, keep bool) {
	f := in.f
	timeout := f.cfg.Timeout
	start := time.Now()
	ri := runtimeapi.NewInvocation(inv.id, inv.payload, start.Add(timeout))
	ri.FunctionARN = f.arn
	ri.TraceID = newTraceID(f.r.now())
	ri.ClientContext = inv.clientContext
	in.cur.Store(inv)
	f.start(inv)
	if err := in.api.Deliver(ri); err != nil {
		return jobResult{o: outcome{payload: exitDoc(inv.id, err), failed: true}}, false
	}
	if in.timer == nil {
		in.timer = time.NewTimer(timeout)
	} else {
		in.timer.Reset(timeout)
	}
	t := in.timer
	defer t.Stop()
	finish := func(out runtimeapi.Outcome) outcome {
		// The Runtime API already enforced the size limit and JSON.
		rss, _ := in.proc.MaxRSS()
		in.proc.Flush()
		return outcome{payload: out.Payload, failed: out.Failed, duration: time.Since(start), maxRSS: rss}
	}
	for {
		select {
		case out := <-ri.Done():
			o := finish(out)
			in.cur.Store(nil)
			return jobResult{o: o}, true
		case g := <-in.stopc:
			in.halt(g)
		case <-in.proc.Done():
			select {
			case out := <-ri.Done():
				return jobResult{o: finish(out)}, false
			default:
			}
			doc, oom := crashDoc(in, inv.id)
			rss, _ := in.proc.MaxRSS()
			if !ri.Taken() && !oom {
				return jobResult{retry: true}, false
			}
			o := outcome{payload: doc, failed: true, duration: time.Since(start), maxRSS: rss}
			if oom {
				// The group reached its limit: Lambda reports the limit as used.
				o.errorType, o.maxRSS = oomErrorType, int64(f.cfg.MemorySize)<<20
			}
			return jobResult{o: o}, false
		case <-t.C:
			select {
			case out := <-ri.Done():
				o := finish(out)
				in.cur.Store(nil)
				return jobResult{o: o}, true
			default:
			}
			rss, _ := in.proc.MaxRSS()
			in.halt(0)
			f.platformf(inv, "%s %s %s", f.r.now().UTC().Format("2006-01-02T15:04:05.000Z"), inv.id, timeoutText(timeout))
			return jobResult{o: outcome{payload: timeoutDoc(inv.id, timeout), failed: true, duration: time.Since(start), maxRSS: rss}}, false
		}
	}
}

// oomErrorType is Lambda's error type for a function that ran out of memory.
const oomErrorType = "Runtime.OutOfMemory"

// crashDoc is the error document of an instance whose process exited while
// it owed an answer: Runtime.OutOfMemory when the kernel's OOM killer ended
// it at the memory limit, else Runtime.ExitError. oom tells which.
func crashDoc(in *instance, requestID string) (doc []byte, oom bool) {
	err := in.proc.ExitError()
	if in.proc.OOMKilled() {
		return errorDoc(oomErrorType, fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %v", requestID, err)), true
	}
	return exitDoc(requestID, err), false
}

// idleInstance is an entry of the idle list.
type idleInstance struct {
	in    *instance
	since time.Time // on the runner's clock
}

// popIdle takes the most recently used live idle instance off the list;
// dead ones met on the way are told to stop.
func (f *function) popIdle() *instance {
	f.mu.Lock()
	defer f.mu.Unlock()
	for len(f.idle) > 0 {
		e := f.idle[len(f.idle)-1]
		f.idle[len(f.idle)-1] = idleInstance{}
		f.idle = f.idle[:len(f.idle)-1]
		if e.in.alive() {
			return e.in
		}
		e.in.stopc <- 0
	}
	return nil
}

// putIdle puts an instance that served a job on the idle list; false when
// the function is closed (the instance must stop).
func (f *function) putIdle(in *instance) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.idle = append(f.idle, idleInstance{in: in, since: f.r.now()})
	return true
}

// unidle removes an instance from the idle list; false when it was no
// longer there (someone took it and will send a job or a stop).
func (f *function) unidle(in *instance) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, e := range f.idle {
		if e.in == in {
			f.idle = append(f.idle[:i], f.idle[i+1:]...)
			f.idle = f.idle[:len(f.idle):len(f.idle)]
			return true
		}
	}
	return false
}

// stopIdleBefore stops the idle instances last used before cutoff and
// waits until they are gone.
func (f *function) stopIdleBefore(cutoff time.Time, grace time.Duration) {
	f.mu.Lock()
	var old []*instance
	kept := f.idle[:0]
	for _, e := range f.idle {
		if e.since.Before(cutoff) {
			old = append(old, e.in)
		} else {
			kept = append(kept, e)
		}
	}
	clear(f.idle[len(kept):])
	f.idle = kept
	f.mu.Unlock()
	for _, in := range old {
		f.r.log.Debug("stopping idle instance", "function", f.cfg.Name, "pid", in.proc.Pid())
		in.stopc <- grace
		<-in.gone
	}
}

// close marks the function closed, stops all its instances (busy ones
// included: their invocations end as crashes) and waits until they are
// gone.
func (f *function) close(grace time.Duration) {
	f.mu.Lock()
	f.closed = true
	all := make([]*instance, 0, len(f.all))
	for in := range f.all {
		all = append(all, in)
	}
	f.idle = nil
	f.mu.Unlock()
	for _, in := range all {
		select {
		case in.stopc <- grace:
		default: // a stop is already pending
		}
	}
	for _, in := range all {
		<-in.gone
	}
}
