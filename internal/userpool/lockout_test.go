package userpool

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/cognate-dev/cognate/internal/store"
)

func TestLockDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{1, 0}, {4, 0}, {5, time.Second}, {6, 2 * time.Second}, {7, 4 * time.Second},
		{10, 32 * time.Second}, {14, 512 * time.Second}, {15, maxLockout}, {40, maxLockout},
	}
	for _, tc := range tests {
		if got := lockDuration(tc.failures); got != tc.want {
			t.Errorf("lockDuration(%d) = %v, want %v", tc.failures, got, tc.want)
		}
	}
}

func TestLockoutSchedule(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	poolID, clientID := e.setup(t)
	attempt := func(user, pw string) error { _, err := e.passwordAuth(clientID, user, pw); return err }
	wrong := func(user string) {
		t.Helper()
		wantErr(t, attempt(user, "Wrong-Passw0rd"), "NotAuthorizedException", "Incorrect username or password.")
	}
	locked := func(user, pw string) {
		t.Helper()
		wantErr(t, attempt(user, pw), "NotAuthorizedException", "Password attempts exceeded")
	}
	for range 5 {
		wrong("alice")
	}
	// Locked for 1 s: even the right password is refused unchecked.
	locked("alice", goodPassword)
	e.clock.Advance(time.Second)
	wrong("alice") // 6th failure: 2 s
	e.clock.Advance(time.Second)
	locked("alice", "Wrong-Passw0rd")
	e.clock.Advance(time.Second)
	wrong("alice") // 7th: 4 s
	e.clock.Advance(3 * time.Second)
	locked("alice", goodPassword)
	e.clock.Advance(time.Second)
	// A success after the lockout resets the counter.
	if err := attempt("alice", goodPassword); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		wrong("alice")
	}
	if err := attempt("alice", goodPassword); err != nil {
		t.Fatalf("4 failures must not lock: %v", err)
	}

	// The cap is about 15 minutes, and 15 quiet minutes reset everything.
	st := e.store
	for range 5 {
		wrong("alice")
	}
	var lo store.Lockout
	for range 10 { // failures 6..15, each right when the previous lockout ends
		lo = must(st.GetLockout(e.ctx, poolID, "user|alice"))
		e.clock.Advance(lo.LockedUntil.Sub(e.clock.Now()))
		wrong("alice")
	}
	lo = must(st.GetLockout(e.ctx, poolID, "user|alice"))
	if lo.Failures != 15 {
		t.Fatalf("failures %d, want 15", lo.Failures)
	}
	if d := lo.LockedUntil.Sub(e.clock.Now()); d != maxLockout {
		t.Errorf("lockout after %d failures is %v, want %v", lo.Failures, d, maxLockout)
	}
	e.clock.Advance(quietReset)
	wrong("alice")
	if err := attempt("alice", goodPassword); err != nil {
		t.Fatalf("after 15 quiet minutes one failure must not lock: %v", err)
	}

	// Unknown users are counted the same way, over SRP too.
	for range 5 {
		wrong("ghost")
	}
	locked("ghost", "Wrong-Passw0rd")
	for range 5 {
		wrong("alice")
	}
	c, out, err := e.srpStart(t, clientID, "alice")
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.respondSRP(clientID, srpAnswer(t, poolID, c, out.ChallengeParameters, goodPassword, e.clock.Now()))
	wantErr(t, err, "NotAuthorizedException", "Password attempts exceeded")
}

// TestLockoutConcurrent: parallel wrong passwords get exactly the free
// failures' worth of password checks, never more (each attempt reserves its
// check in the store before the password is looked at), over both password
// flows; the rest are refused unchecked.
func TestLockoutConcurrent(t *testing.T) { testLockoutConcurrent(t, newEnv(t)) }

// TestLockoutConcurrentPostgres is TestLockoutConcurrent with the counters
// in PostgreSQL, where the attempts race on separate connections.
func TestLockoutConcurrentPostgres(t *testing.T) { testLockoutConcurrent(t, newPostgresEnv(t)) }

func testLockoutConcurrent(t *testing.T, e *env) {
	poolID, clientID := e.setup(t)
	const n = 200 // as in issue 9, where 200 parallel attempts got 7 checks
	count := func(user string, n int, attempt func() error) (incorrect, blocked int) {
		t.Helper()
		var (
			wg sync.WaitGroup
			mu sync.Mutex
		)
		for range n {
			wg.Go(func() {
				err := attempt()
				var ae smithy.APIError
				if !errors.As(err, &ae) {
					t.Errorf("unexpected result %v", err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				switch ae.ErrorMessage() {
				case msgIncorrect:
					incorrect++
				case msgAttemptsExceeded:
					blocked++
				default:
					t.Errorf("unexpected error %v", err)
				}
			})
		}
		wg.Wait()
		lo, err := e.store.GetLockout(e.ctx, poolID, "user|"+user)
		if err != nil {
			t.Fatal(err)
		}
		if incorrect != freeFailures || blocked != n-freeFailures || lo.Failures != freeFailures {
			t.Fatalf("%s: %d password checks (want exactly %d), %d refused, stored failures %d",
				user, incorrect, freeFailures, blocked, lo.Failures)
		}
		return incorrect, blocked
	}
	count("alice", n, func() error { _, err := e.passwordAuth(clientID, "alice", "Wrong-Passw0rd"); return err })
	count("ghost", n, func() error { _, err := e.passwordAuth(clientID, "ghost", "Wrong-Passw0rd"); return err })

	// SRP: the challenges are started first, then all answered at once.
	e.user(t, poolID, "bob")
	const srpN = 40 // each challenge is started one by one first
	var answers []map[string]string
	for range srpN {
		c, out, err := e.srpStart(t, clientID, "bob")
		if err != nil {
			t.Fatal(err)
		}
		answers = append(answers, srpAnswer(t, poolID, c, out.ChallengeParameters, "Wrong-Passw0rd", e.clock.Now()))
	}
	var next atomic.Int32
	count("bob", srpN, func() error {
		_, err := e.respondSRP(clientID, answers[next.Add(1)-1])
		return err
	})

	// Once the lock ends, the right password works and clears the counter.
	e.clock.Advance(time.Second)
	if _, err := e.passwordAuth(clientID, "alice", goodPassword); err != nil {
		t.Fatalf("right password after the lockout: %v", err)
	}
	if _, err := e.store.GetLockout(e.ctx, poolID, "user|alice"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a success must clear the counter: %v", err)
	}
}
