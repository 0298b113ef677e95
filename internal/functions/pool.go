package functions

import (
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/internal/functions/runtimeapi"
)

// runProcess runs inv on a warm instance, or on a new one.
func (f *function) runProcess(inv *invocation) outcome {
	for attempt := 0; ; attempt++ {
		in, err := f.getInstance()
		if err != nil {
			f.r.log.Error("function instance failed to start", "function", f.cfg.Name, "err", err)
			f.platformf(inv, "START RequestId: %s Version: $LATEST", inv.id)
			return outcome{payload: errorDoc("Runtime.InvalidEntrypoint", "RequestId: "+inv.id+" Error: "+err.Error()), failed: true}
		}
		if !in.ready {
			if o, ok := f.waitReady(in, inv); !ok {
				f.discard(in, 0)
				return o
			}
		}
		o, retry := f.invokeOn(in, inv)
		if retry && attempt == 0 {
			continue
		}
		return o
	}
}

// waitReady waits for a new instance's first /next call, its init error,
// its exit or the init timeout.
func (f *function) waitReady(in *instance, inv *invocation) (outcome, bool) {
	in.cur.Store(inv) // init output goes to the invocation that caused it
	t := time.NewTimer(f.r.opts.InitTimeout)
	defer t.Stop()
	fail := func(doc []byte) (outcome, bool) {
		in.proc.Flush()
		f.platformf(inv, "START RequestId: %s Version: $LATEST", inv.id)
		return outcome{payload: doc, failed: true, duration: time.Since(in.started)}, false
	}
	select {
	case <-in.api.Ready():
		in.ready = true
		inv.coldStart = time.Since(in.started)
		return outcome{}, true
	case <-in.api.InitFailed():
		return fail(in.api.InitError())
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

// invokeOn delivers inv to a ready instance and waits for its answer, its
// exit or the timeout. retry is true when the instance died before taking
// the invocation (it never started, so it may run elsewhere).
func (f *function) invokeOn(in *instance, inv *invocation) (o outcome, retry bool) {
	timeout := f.cfg.Timeout
	start := time.Now()
	ri := runtimeapi.NewInvocation(inv.id, inv.payload, start.Add(timeout))
	ri.FunctionARN = f.arn
	ri.TraceID = newTraceID(f.r.now())
	ri.ClientContext = inv.clientContext
	in.cur.Store(inv)
	f.platformf(inv, "START RequestId: %s Version: $LATEST", inv.id)
	if err := in.api.Deliver(ri); err != nil {
		f.discard(in, 0)
		return outcome{payload: exitDoc(inv.id, err), failed: true}, false
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	finish := func(out runtimeapi.Outcome) outcome {
		// The Runtime API already enforced the size limit and JSON.
		rss, _ := in.proc.MaxRSS()
		in.proc.Flush()
		return outcome{payload: out.Payload, failed: out.Failed, duration: time.Since(start), maxRSS: rss}
	}
	select {
	case out := <-ri.Done():
		o = finish(out)
		in.cur.Store(nil)
		f.putIdle(in)
		return o, false
	case <-in.proc.Done():
		select {
		case out := <-ri.Done():
			o = finish(out)
			f.discard(in, 0)
			return o, false
		default:
		}
		doc, oom := crashDoc(in, inv.id)
		rss, _ := in.proc.MaxRSS()
		f.discard(in, 0)
		if !ri.Taken() && !oom {
			f.platformf(inv, "instance exited before taking the invocation; retrying")
			return outcome{}, true
		}
		o = outcome{payload: doc, failed: true, duration: time.Since(start), maxRSS: rss}
		if oom {
			// The group reached its limit: Lambda reports the limit as used.
			o.errorType, o.maxRSS = oomErrorType, int64(f.cfg.MemorySize)<<20
		}
		return o, false
	case <-t.C:
		select {
		case out := <-ri.Done():
			o = finish(out)
			in.cur.Store(nil)
			f.putIdle(in)
			return o, false
		default:
		}
		rss, _ := in.proc.MaxRSS()
		f.discard(in, 0)
		f.platformf(inv, "%s %s %s", f.r.now().UTC().Format("2006-01-02T15:04:05.000Z"), inv.id, timeoutText(timeout))
		return outcome{payload: timeoutDoc(inv.id, timeout), failed: true, duration: time.Since(start), maxRSS: rss}, false
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

// getInstance pops the most recently used live idle instance or starts one.
func (f *function) getInstance() (*instance, error) {
	f.mu.Lock()
	var dead []*instance
	var in *instance
	for len(f.idle) > 0 && in == nil {
		c := f.idle[len(f.idle)-1]
		f.idle = f.idle[:len(f.idle)-1]
		if c.alive() {
			in = c
		} else {
			delete(f.all, c)
			dead = append(dead, c)
		}
	}
	closed := f.closed
	f.mu.Unlock()
	for _, d := range dead {
		d.stop(0)
	}
	if in != nil {
		return in, nil
	}
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

// putIdle returns a healthy instance to the pool.
func (f *function) putIdle(in *instance) {
	f.mu.Lock()
	if f.closed || !in.alive() {
		f.mu.Unlock()
		f.discard(in, 0)
		return
	}
	in.lastUsed = f.r.now()
	f.idle = append(f.idle, in)
	f.mu.Unlock()
}

// discard removes an instance from the pool and stops it.
func (f *function) discard(in *instance, grace time.Duration) {
	f.mu.Lock()
	delete(f.all, in)
	f.mu.Unlock()
	in.stop(grace)
	in.cur.Store(nil)
}

// takeIdleBefore removes and returns the idle instances last used before
// cutoff.
func (f *function) takeIdleBefore(cutoff time.Time) []*instance {
	f.mu.Lock()
	defer f.mu.Unlock()
	var old []*instance
	kept := f.idle[:0]
	for _, in := range f.idle {
		if in.lastUsed.Before(cutoff) {
			old = append(old, in)
			delete(f.all, in)
		} else {
			kept = append(kept, in)
		}
	}
	clear(f.idle[len(kept):])
	f.idle = kept
	return old
}

// closeInstances marks the function closed and returns all its instances,
// busy ones included, for stopping.
func (f *function) closeInstances() []*instance {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	out := make([]*instance, 0, len(f.all))
	for in := range f.all {
		out = append(out, in)
	}
	clear(f.all)
	f.idle = nil
	return out
}
