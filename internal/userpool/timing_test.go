package userpool

import (
	"context"
	"testing"
	"time"
)

func TestTimingPadMedian(t *testing.T) {
	t.Parallel()
	var p timingPad
	p.wait(context.Background(), time.Now()) // nothing observed yet: no wait
	if p.median() != 0 {
		t.Fatal("median before any observation")
	}
	now := time.Now()
	// One slow outlier among fast requests does not move the median.
	for _, d := range []time.Duration{900 * time.Millisecond, time.Millisecond, time.Millisecond, 2 * time.Millisecond, time.Millisecond} {
		p.observe(now.Add(-d))
	}
	if m := p.median(); m < time.Millisecond || m > 100*time.Millisecond {
		t.Fatalf("median %v, want about 1 ms", m)
	}
	// The window keeps only the latest padWindow observations.
	for range padWindow {
		p.observe(now.Add(-50 * time.Millisecond))
	}
	if m := p.median(); m < 50*time.Millisecond || m > 800*time.Millisecond {
		t.Fatalf("median %v after the window moved, want about 50 ms", m)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p.wait(ctx, time.Now()) // a cancelled request is not held back
}
