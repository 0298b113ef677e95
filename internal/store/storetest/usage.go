package storetest

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

func testUsage(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	rows, err := s.ListUsage(ctx, "plan1", "", "D0000", "D9999")
	must(t, err, "list no usage")
	wantEqual(t, len(rows), 0, "no usage")

	n, ok, err := s.AddUsage(ctx, "plan1", "key1", "D2026-03-04", 1, 3)
	must(t, err, "first add")
	wantEqual(t, [2]any{n, ok}, [2]any{int64(1), true}, "first add")
	n, ok, err = s.AddUsage(ctx, "plan1", "key1", "D2026-03-04", 2, 3)
	must(t, err, "add up to the limit")
	wantEqual(t, [2]any{n, ok}, [2]any{int64(3), true}, "add up to the limit")
	n, ok, err = s.AddUsage(ctx, "plan1", "key1", "D2026-03-04", 1, 3)
	must(t, err, "add past the limit")
	wantEqual(t, [2]any{n, ok}, [2]any{int64(3), false}, "past the limit nothing is added")
	n, ok, err = s.AddUsage(ctx, "plan1", "key1", "D2026-03-05", 5, 3)
	must(t, err, "first add past the limit")
	wantEqual(t, [2]any{n, ok}, [2]any{int64(0), false}, "a first add past the limit adds nothing")
	n, ok, err = s.AddUsage(ctx, "plan1", "key1", "D2026-03-06", 7, -1)
	must(t, err, "add without limit")
	wantEqual(t, [2]any{n, ok}, [2]any{int64(7), true}, "no limit")
	_, _, err = s.AddUsage(ctx, "plan1", "key2", "D2026-03-04", 4, -1)
	must(t, err, "other key")
	_, _, err = s.AddUsage(ctx, "plan2", "key1", "D2026-03-04", 9, -1)
	must(t, err, "other plan")

	rows, err = s.ListUsage(ctx, "plan1", "", "D2026-03-04", "D2026-03-05")
	must(t, err, "list plan")
	wantEqual(t, rows, []store.UsageCount{
		{PlanID: "plan1", KeyID: "key1", Period: "D2026-03-04", Count: 3},
		{PlanID: "plan1", KeyID: "key2", Period: "D2026-03-04", Count: 4},
	}, "plan usage in range, by key and period")
	rows, err = s.ListUsage(ctx, "plan1", "key1", "D2026-03-01", "D2026-03-31")
	must(t, err, "list key")
	wantEqual(t, rows, []store.UsageCount{
		{PlanID: "plan1", KeyID: "key1", Period: "D2026-03-04", Count: 3},
		{PlanID: "plan1", KeyID: "key1", Period: "D2026-03-06", Count: 7},
	}, "one key's usage")
}

// testConcurrentUsage: 40 parallel adds under a limit of 25 add exactly 25.
func testConcurrentUsage(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	var added atomic.Int64
	errs := race(40, func(int) error {
		_, ok, err := s.AddUsage(ctx, "plan", "key", "D2026-03-04", 1, 25)
		if ok {
			added.Add(1)
		}
		return err
	})
	for _, err := range errs {
		must(t, err, "concurrent add")
	}
	rows, err := s.ListUsage(ctx, "plan", "key", "D2026-03-04", "D2026-03-04")
	must(t, err, "list")
	if added.Load() != 25 || len(rows) != 1 || rows[0].Count != 25 {
		t.Fatalf("added %d, stored %+v; want exactly 25", added.Load(), rows)
	}
}

// testTokenBucket: a new bucket starts full, refills at its rate up to its
// burst, and a clock going back refills nothing.
func testTokenBucket(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	t0 := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	take := func(at time.Time) bool {
		t.Helper()
		ok, err := s.TakeToken(ctx, "plan/key/api/stage", 2, 3, at)
		must(t, err, "take token")
		return ok
	}
	for i := range 3 {
		wantEqual(t, take(t0), true, fmt.Sprintf("token %d of a full bucket", i))
	}
	wantEqual(t, take(t0), false, "empty bucket")
	wantEqual(t, take(t0.Add(-time.Second)), false, "a clock going back refills nothing")
	wantEqual(t, take(t0.Add(500*time.Millisecond)), true, "one token after 0.5 s at 2/s")
	wantEqual(t, take(t0.Add(500*time.Millisecond)), false, "only one")
	for i := range 3 {
		wantEqual(t, take(t0.Add(time.Hour)), true, fmt.Sprintf("refilled to the burst, token %d", i))
	}
	wantEqual(t, take(t0.Add(time.Hour)), false, "never past the burst")
	ok, err := s.TakeToken(ctx, "other", 2, 3, t0)
	must(t, err, "other bucket")
	wantEqual(t, ok, true, "buckets are separate")
}

// testConcurrentTokens: 40 parallel takes from a full bucket of 25 succeed 25 times.
func testConcurrentTokens(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	now := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	var taken atomic.Int64
	errs := race(40, func(int) error {
		ok, err := s.TakeToken(ctx, "bucket", 0, 25, now)
		if ok {
			taken.Add(1)
		}
		return err
	})
	for _, err := range errs {
		must(t, err, "concurrent take")
	}
	if taken.Load() != 25 {
		t.Fatalf("took %d tokens from a bucket of 25", taken.Load())
	}
}
