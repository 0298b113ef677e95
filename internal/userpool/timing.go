package userpool

import (
	"context"
	"sync/atomic"
	"time"
)

// timingPad keeps an exponentially weighted moving average of how long an
// operation's real path takes, so that the answer for an unknown user can be
// held back to the same duration: with existence errors hidden, neither the
// answer nor its timing may tell whether a user exists.
type timingPad struct {
	avg atomic.Int64 // nanoseconds; 0 until the first observation
}

// observe records the duration of one real request that started at start.
func (t *timingPad) observe(start time.Time) {
	d := int64(time.Since(start))
	for {
		old := t.avg.Load()
		next := d
		if old != 0 {
			next = old + (d-old)/8
		}
		if t.avg.CompareAndSwap(old, next) {
			return
		}
	}
}

// wait blocks until the average real duration has passed since start (or ctx ends).
func (t *timingPad) wait(ctx context.Context, start time.Time) {
	rest := time.Duration(t.avg.Load()) - time.Since(start)
	if rest <= 0 {
		return
	}
	timer := time.NewTimer(rest)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
}
