package storetest

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

// workers is how many goroutines race in each concurrency test.
const workers = 16

// RunConcurrency runs the races the contract promises to win: atomic lockout
// counters, single-use sessions and refresh tokens, no lost update in key
// rotation and UpdateUser, gap-free revocation feed, distinct stage versions,
// exact user counts.
// Run it with -race.
func RunConcurrency(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"LockoutCounter", testConcurrentLockout},
		{"LockoutReservation", testConcurrentReservation},
		{"TakeSessionOnce", testConcurrentTakeSession},
		{"KeyRotation", testConcurrentKeys},
		{"UpdateUser", testConcurrentUpdateUser},
		{"RevocationFeed", testConcurrentRevocations},
		{"StageVersions", testConcurrentStages},
		{"UsageCounter", testConcurrentUsage},
		{"TokenBucket", testConcurrentTokens},
		{"UserCount", testConcurrentUserCount},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

// race runs fn(i) for i in [0, n) on n goroutines released at once and
// returns their errors.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// noErrors fails on the first error of errs.
func noErrors(t *testing.T, errs []error, what string) {
	t.Helper()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantOneToN fails unless vals is a permutation of 1..n: each concurrent
// update saw the previous one's result.
func wantOneToN(t *testing.T, vals []int, what string) {
	t.Helper()
	got := slices.Sorted(slices.Values(vals))
	for i, v := range got {
		if v != i+1 {
			t.Fatalf("%s: results %v, want a permutation of 1..%d", what, got, len(vals))
		}
	}
}

func testConcurrentLockout(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	pool(t, s, "p1")
	seen := make([]int, workers)
	errs := race(workers, func(i int) error {
		l, err := s.UpdateLockout(ctx, "p1", "victim", func(l store.Lockout) (store.Lockout, error) {
			l.Failures++
			l.LastFailure = t0
			return l, nil
		})
		seen[i] = l.Failures
		return err
	})
	noErrors(t, errs, "concurrent lockout updates")
	l, err := s.GetLockout(ctx, "p1", "victim")
	must(t, err, "get lockout")
	wantEqual(t, l.Failures, workers, "failures after concurrent updates")
	wantOneToN(t, seen, "lockout results")
}

// testConcurrentReservation: a limit enforced inside fn (refuse once
// Failures reached it, else count one more) lets exactly that many of many
// concurrent callers through, as a login does before checking a password.
func testConcurrentReservation(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	pool(t, s, "p1")
	const limit = 5
	for round := range 3 {
		key := "reserve-" + strconv.Itoa(round)
		errs := race(workers*2, func(int) error {
			_, err := s.UpdateLockout(ctx, "p1", key, func(l store.Lockout) (store.Lockout, error) {
				if l.Failures >= limit {
					return l, errFn
				}
				l.Failures++
				l.LastFailure = t0
				return l, nil
			})
			return err
		})
		granted := 0
		for _, err := range errs {
			switch {
			case err == nil:
				granted++
			case !errors.Is(err, errFn):
				t.Fatalf("concurrent reservation: unexpected error %v", err)
			}
		}
		wantEqual(t, granted, limit, "reservations granted")
		l, err := s.GetLockout(ctx, "p1", key)
		must(t, err, "get reserved counter")
		wantEqual(t, l.Failures, limit, "failures after concurrent reservations")
	}
}

func testConcurrentTakeSession(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	for round := range 3 {
		id := "sess-" + strconv.Itoa(round)
		must(t, s.PutSession(ctx, store.Session{ID: id, PoolID: "p1", Kind: "srp", Data: []byte("x"), ExpiresAt: t0.Add(time.Minute)}), "put")
		errs := race(workers, func(int) error {
			_, err := s.TakeSession(ctx, id, t0)
			return err
		})
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, store.ErrNotFound):
				t.Fatalf("concurrent take: unexpected error %v", err)
			}
		}
		wantEqual(t, wins, 1, "takes that succeeded")
	}
}

func testConcurrentKeys(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	pool(t, s, "p1")
	sizes := make([]int, workers)
	errs := race(workers, func(i int) error {
		keys, err := s.UpdateKeys(ctx, "p1", func(old []store.SigningKey) ([]store.SigningKey, error) {
			return append(old, store.SigningKey{Kid: fmt.Sprintf("kid-%02d", i), Use: store.KeyUseID, CreatedAt: t0}), nil
		})
		sizes[i] = len(keys)
		return err
	})
	noErrors(t, errs, "concurrent rotations")
	keys, err := s.GetKeys(ctx, "p1")
	must(t, err, "get keys")
	kids := slices.Sorted(slices.Values(names(keys, func(k store.SigningKey) string { return k.Kid })))
	want := make([]string, workers)
	for i := range want {
		want[i] = fmt.Sprintf("kid-%02d", i)
	}
	wantEqual(t, kids, want, "every rotation kept (no lost update)")
	wantOneToN(t, sizes, "each rotation saw the previous set")
}

func testConcurrentUpdateUser(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	pool(t, s, "p1")
	user(t, s, "p1", "bob", map[string]string{"custom:n": "0"})
	errs := race(workers, func(int) error {
		_, err := s.UpdateUser(ctx, "p1", "bob", func(u store.User) (store.User, error) {
			n, err := strconv.Atoi(u.Attributes["custom:n"])
			if err != nil {
				return u, err
			}
			u.Attributes["custom:n"] = strconv.Itoa(n + 1)
			return u, nil
		})
		return err
	})
	noErrors(t, errs, "concurrent user updates")
	u, err := s.GetUser(ctx, "p1", "bob")
	must(t, err, "get user")
	wantEqual(t, u.Attributes["custom:n"], strconv.Itoa(workers), "counter after concurrent updates")
}

// testConcurrentRevocations checks that a follower polling "since the last
// seq I saw" while writers append never skips an entry.
func testConcurrentRevocations(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	const perWriter = 8
	done := make(chan struct{})
	var seen []int64
	var readErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		var cursor int64
		poll := func() bool {
			rows, err := s.RevocationsSince(ctx, cursor, 0)
			if err != nil {
				readErr = err
				return false
			}
			for _, r := range rows {
				seen = append(seen, r.Seq)
				cursor = r.Seq
			}
			return true
		}
		for {
			select {
			case <-done:
				poll()
				return
			default:
				if !poll() {
					return
				}
				runtime.Gosched()
			}
		}
	})
	errs := race(workers/2, func(i int) error {
		for j := range perWriter {
			_, err := s.AddRevocation(ctx, store.Revocation{PoolID: "p1", Kind: store.RevokeOrigin,
				Value: fmt.Sprintf("jti-%d-%d", i, j), At: t0, ExpiresAt: t0.Add(time.Hour)})
			if err != nil {
				return err
			}
		}
		return nil
	})
	close(done)
	wg.Wait()
	noErrors(t, errs, "concurrent revocations")
	must(t, readErr, "follow feed")
	if !slices.IsSorted(seen) {
		t.Fatalf("feed went backwards: %v", seen)
	}
	wantEqual(t, len(slices.Compact(seen)), workers/2*perWriter, "entries the follower saw (none skipped)")
}

func testConcurrentStages(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	versions := make([]int64, workers)
	errs := race(workers, func(i int) error {
		st, err := s.PutStage(ctx, store.Stage{APIID: "api1", Name: "prod", DeploymentID: "d" + strconv.Itoa(i)})
		versions[i] = st.Version
		return err
	})
	noErrors(t, errs, "concurrent stage writes")
	sorted := slices.Sorted(slices.Values(versions))
	if len(slices.Compact(slices.Clone(sorted))) != workers {
		t.Fatalf("stage versions not distinct: %v", sorted)
	}
	st, err := s.GetStage(ctx, "api1", "prod")
	must(t, err, "get stage")
	wantEqual(t, st.Version, sorted[len(sorted)-1], "stored stage carries the last version")
}
