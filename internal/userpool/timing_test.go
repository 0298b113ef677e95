package userpool

import (
	"context"
	"testing"
	"time"
)

func TestTimingPadAverage(t *testing.T) {
	var p timingPad
	start := time.Now()
	p.wait(context.Background(), start) // nothing observed yet: no wait, no panic
	p.avg.Store(int64(800 * time.Microsecond))
	// A fresh observation moves the average an eighth of the way towards it.
	p.observe(time.Now().Add(-1600 * time.Microsecond))
	got := time.Duration(p.avg.Load())
	if got < 900*time.Microsecond || got > 1200*time.Microsecond {
		t.Fatalf("average %v, want about 900µs (800µs + (1600µs-800µs)/8)", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p.avg.Store(int64(time.Hour))
	p.wait(ctx, time.Now()) // a cancelled request is not held back
}
