package userpool

import (
	"context"
	"errors"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

// Lockout schedule, as Cognito documents it: after n ≥ 5 cumulative failures
// the login key is locked for 2^(n-5) seconds, capped near 15 minutes;
// attempts while locked fail with "Password attempts exceeded" and do not
// count; 15 minutes without a failure, or a success, resets the counter.
const (
	freeFailures = 5
	maxLockout   = 15 * time.Minute
	quietReset   = 15 * time.Minute
)

// lockout tracks failed password attempts per pool and login key. Keys are
// counted whether or not a user exists, so counters reveal nothing.
type lockout struct {
	store store.Lockouts
	now   func() time.Time
}

// lockDuration returns the lockout that follows the n-th failure.
func lockDuration(n int) time.Duration {
	if n < freeFailures {
		return 0
	}
	shift := n - freeFailures
	if shift >= 10 { // 2^10 s > 15 min
		return maxLockout
	}
	return min(time.Duration(1<<shift)*time.Second, maxLockout)
}

// check reports whether key may not attempt a password now, and whether it
// has failures on record (which a success must clear).
func (l *lockout) check(ctx context.Context, poolID, key string) (locked, dirty bool, err error) {
	st, err := l.store.GetLockout(ctx, poolID, key)
	if errors.Is(err, store.ErrNotFound) {
		return false, false, nil
	}
	if err != nil {
		return false, false, wrap("get lockout", err)
	}
	return l.now().Before(st.LockedUntil), st.Failures > 0, nil
}

// fail records one failed attempt atomically.
func (l *lockout) fail(ctx context.Context, poolID, key string) error {
	now := l.now()
	_, err := l.store.UpdateLockout(ctx, poolID, key, func(st store.Lockout) (store.Lockout, error) {
		if !st.LastFailure.IsZero() && now.Sub(st.LastFailure) >= quietReset {
			st = store.Lockout{}
		}
		st.Failures++
		st.LastFailure = now
		if d := lockDuration(st.Failures); d > 0 {
			st.LockedUntil = now.Add(d)
		}
		return st, nil
	})
	if err != nil {
		return wrap("record failed login", err)
	}
	return nil
}

// succeed clears the key's failures; dirty (from check) says there are
// some, so a clean login costs no write.
func (l *lockout) succeed(ctx context.Context, poolID, key string, dirty bool) error {
	if !dirty {
		return nil
	}
	if _, err := l.store.UpdateLockout(ctx, poolID, key, func(store.Lockout) (store.Lockout, error) {
		return store.Lockout{}, nil
	}); err != nil {
		return wrap("reset lockout", err)
	}
	return nil
}
