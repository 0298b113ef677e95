package gateway

import (
	"context"
	"sync/atomic"
	"time"
)

// Concurrency limits (Limits.MaxConcurrent, MaxQueued, QueueTimeout). AWS
// documents no such limit for a REST API (only the account's request rate
// and burst, Limits.Rate/Burst); Cognate has one so that a saturated
// gateway keeps a bounded amount of work runnable and the rest of the
// process (health, readiness, the Cognito API) answers quickly. A request
// beyond it is answered like a throttled one: the THROTTLED gateway response
// (429 TooManyRequestsException "Too Many Requests" unless the API
// overrides it), the closest thing AWS sends for "too much at once".
const (
	DefaultMaxConcurrent = 1024
	DefaultMaxQueued     = 4096
	DefaultQueueTimeout  = 5 * time.Second
)

// workLimit lets at most cap(slots) requests run at once and at most
// maxQueued wait (each up to timeout, in arrival order).
type workLimit struct {
	slots     chan struct{}
	queued    atomic.Int64
	maxQueued int64
	timeout   time.Duration
}

// newWorkLimit returns nil (no limit) when maxConcurrent is negative.
func newWorkLimit(l Limits) *workLimit {
	if l.MaxConcurrent < 0 {
		return nil
	}
	return &workLimit{slots: make(chan struct{}, l.MaxConcurrent), maxQueued: int64(l.MaxQueued), timeout: l.QueueTimeout}
}

// acquire takes a slot, waiting in the queue when all are taken; false
// when the queue is full, the wait timed out or ctx ended.
func (w *workLimit) acquire(ctx context.Context) bool {
	if w == nil {
		return true
	}
	select {
	case w.slots <- struct{}{}:
		return true
	default:
	}
	if w.queued.Add(1) > w.maxQueued {
		w.queued.Add(-1)
		return false
	}
	defer w.queued.Add(-1)
	t := time.NewTimer(w.timeout)
	defer t.Stop()
	select {
	case w.slots <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

func (w *workLimit) release() {
	if w != nil {
		<-w.slots
	}
}

// running and waiting are the gauges of the limit.
func (w *workLimit) running() int { return len(w.slots) }
func (w *workLimit) waiting() int { return int(w.queued.Load()) }
