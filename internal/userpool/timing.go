package userpool

import (
	"context"
	"slices"
	"sync"
	"time"
)

// padWindow is how many recent real durations timingPad keeps.
const padWindow = 32

// timingPad remembers how long an operation's real path took recently, so
// that the answer for an unknown user can be held back to the same duration:
// with existence errors hidden, neither the answer nor its timing may tell
// whether a user exists. It pads to the median of the recent durations, which
// slow outliers (a cold start, a stalled disk) do not drag up.
type timingPad struct {
	mu     sync.Mutex
	recent [padWindow]time.Duration
	n      int // filled slots
	next   int // slot to overwrite
	// late is how much a wait typically overshoots (timer and wake-up
	// latency), learnt from past waits and asked for less in advance.
	late time.Duration
}

// observe records the duration of one real request that started at start.
func (t *timingPad) observe(start time.Time) {
	d := time.Since(start)
	t.mu.Lock()
	t.recent[t.next] = d
	t.next = (t.next + 1) % padWindow
	t.n = min(t.n+1, padWindow)
	t.mu.Unlock()
}

// median returns the median recent duration (0 before any observation).
func (t *timingPad) median() time.Duration {
	t.mu.Lock()
	s := append([]time.Duration(nil), t.recent[:t.n]...)
	t.mu.Unlock()
	if len(s) == 0 {
		return 0
	}
	slices.Sort(s)
	return s[len(s)/2]
}

// wait blocks until the median real duration has passed since start (or ctx ends).
func (t *timingPad) wait(ctx context.Context, start time.Time) {
	target := t.median()
	t.mu.Lock()
	late := t.late
	t.mu.Unlock()
	rest := target - time.Since(start) - late
	if rest <= 0 {
		return
	}
	asked := time.Now()
	timer := time.NewTimer(rest)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
		return
	}
	over := time.Since(asked) - rest
	t.mu.Lock()
	t.late += (over - t.late) / 4 // a moving average of the overshoot
	t.late = max(t.late, 0)
	t.mu.Unlock()
}
