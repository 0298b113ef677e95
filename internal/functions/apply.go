package functions

import (
	"fmt"
	"reflect"
	"time"
)

// Apply is the one way to register a function: it makes the runner's
// function cfg.Name match cfg (h is the handler of a
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

// drain stops a replaced or removed function's instances once no
// invocation holds or waits for one of its slots (at the latest after its
// timeout plus a grace period, or at Close).
func (r *Runner) drain(f *function) {
	defer r.draining.Done()
	quiet := f.retire()
	t := time.NewTimer(f.cfg.Timeout + r.opts.QueueTimeout + time.Second)
	defer t.Stop()
	select {
	case <-quiet:
	case <-t.C:
	case <-r.closing: // Close waits for this stop
	}
	f.close(r.opts.StopGrace)
}
