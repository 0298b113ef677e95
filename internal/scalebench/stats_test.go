package scalebench

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// series is a set of latency samples.
type series []time.Duration

// quantile returns the q-quantile (nearest rank) of s; 0 for no samples.
func (s series) quantile(q float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	c := slices.Clone(s)
	slices.Sort(c)
	i := int(q*float64(len(c)-1) + 0.5)
	return c[i]
}

// mean is the average of s; 0 for no samples.
func (s series) mean() time.Duration {
	if len(s) == 0 {
		return 0
	}
	var t time.Duration
	for _, d := range s {
		t += d
	}
	return t / time.Duration(len(s))
}

// median is the 0.5-quantile.
func (s series) median() time.Duration { return s.quantile(0.5) }

// ms renders d in milliseconds with three decimals.
func ms(d time.Duration) string { return fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond)) }

// sizeLabel names a pool size compactly: 1000 → "1k", 1000000 → "1M".
func sizeLabel(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

// ratio is a/b, or 0 when b is 0.
func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// table renders rows of cells as aligned text.
func table(rows [][]string) string {
	widths := map[int]int{}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len(c))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		for i, c := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			fmt.Fprintf(&b, "%*s", widths[i], c)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func TestStats(t *testing.T) {
	s := series{5 * time.Millisecond, 1 * time.Millisecond, 3 * time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond}
	tests := []struct {
		q    float64
		want time.Duration
	}{{0, time.Millisecond}, {0.5, 3 * time.Millisecond}, {0.9, 5 * time.Millisecond}, {1, 5 * time.Millisecond}}
	for _, tt := range tests {
		if got := s.quantile(tt.q); got != tt.want {
			t.Errorf("quantile(%v) = %v, want %v", tt.q, got, tt.want)
		}
	}
	if got := (series{}).median(); got != 0 {
		t.Errorf("median of nothing = %v", got)
	}
	if s[0] != 5*time.Millisecond {
		t.Error("quantile reordered its input")
	}
	for n, want := range map[int]string{1000: "1k", 20000: "20k", 1_000_000: "1M", 1500: "1500", 100_000: "100k"} {
		if got := sizeLabel(n); got != want {
			t.Errorf("sizeLabel(%d) = %q, want %q", n, got, want)
		}
	}
	if r := ratio(3*time.Millisecond, 2*time.Millisecond); r != 1.5 {
		t.Errorf("ratio = %v", r)
	}
}

func TestRealIndexes(t *testing.T) {
	tests := []struct {
		n, r int
		want []int
	}{
		{10, 5, []int{1, 3, 5, 7, 9}},
		{1000, 4, []int{125, 375, 625, 875}},
		{3, 5, []int{0, 1, 2}},
	}
	for _, tt := range tests {
		if got := realIndexes(tt.n, tt.r); !slices.Equal(got, tt.want) {
			t.Errorf("realIndexes(%d, %d) = %v, want %v", tt.n, tt.r, got, tt.want)
		}
	}
}
