package functions

import (
	"fmt"
	"reflect"
	"time"
)

// drainPoll is how often a replaced function is checked for running invocations.
const drainPoll = 50 * time.Millisecond

// Apply makes the runner's function cfg.Name match cfg (h is the handler of a
// builtin, nil otherwise): a new name is registered; an identical process
// function is kept with its warm instances; a changed one (or any builtin)
// is replaced at once. New invocations go to the replacement while those
// already running finish on the old instances, which are stopped once idle.
// It reports whether anything changed.
func (r *Runner) Apply(cfg FunctionConfig, h BuiltinHandler) (bool, error) {
	if r.isClosing() {
		return false, ErrClosed
	}
	if h != nil {
		cfg.Runtime = RuntimeBuiltin
	}
	cfg, err := cfg.normalise()
	if err != nil {
		return false, err
	}
	if (cfg.Runtime == RuntimeBuiltin) != (h != nil) {
		return false, fmt.Errorf("function %s: a builtin needs a handler, and only a builtin has one", cfg.Name)
	}
	r.mu.Lock()
	key := cfg.Key()
	old, exists := r.fns[key]
	if exists && h == nil && old.builtin == nil && reflect.DeepEqual(old.cfg, cfg) {
		r.mu.Unlock()
		return false, nil
	}
	r.fns[key] = newFunction(r, cfg, h)
	if !exists {
		r.order = append(r.order, key)
	}
	r.mu.Unlock()
	if exists {
		r.log.Info("function replaced", "function", key)
		r.draining.Add(1)
		go r.drain(old)
	}
	return true, nil
}

// drain stops a replaced function's instances once no invocation runs or
// waits on it (at the latest after its timeout plus a grace period).
func (r *Runner) drain(f *function) {
	defer r.draining.Done()
	deadline := r.now().Add(f.cfg.Timeout + r.opts.QueueTimeout + time.Second)
	t := time.NewTicker(drainPoll)
	defer t.Stop()
wait:
	for (len(f.slots) > 0 || f.waiting.Load() > 0) && !r.now().After(deadline) {
		select {
		case <-r.closing:
			break wait // Close waits for this stop
		case <-t.C:
		}
	}
	for _, in := range f.closeInstances() {
		in.stop(r.opts.StopGrace)
	}
}
