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

// errLocked is what a refused reservation's update returns, so that it writes nothing.
var errLocked = errors.New("userpool: locked")

// reserve claims one password check for key before the password is looked
// at: it counts the attempt as a failure up front, in one atomic update that
// refuses (ok false, nothing counted) while the key is locked. So N parallel
// attempts get no more checks than N serial ones would; a success then
// clears the counter (succeed) and a failure has nothing left to write.
func (l *lockout) reserve(ctx context.Context, poolID, key string) (ok bool, err error) {
	now := l.now()
	_, err = l.store.UpdateLockout(ctx, poolID, key, func(st store.Lockout) (store.Lockout, error) {
		if now.Before(st.LockedUntil) {
			return st, errLocked
		}
		return countFailure(st, now), nil
	})
	if errors.Is(err, errLocked) {
		return false, nil
	}
	if err != nil {
		return false, wrap("reserve login attempt", err)
	}
	return true, nil
}

// succeed clears the key's failures, the reserved one included.
func (l *lockout) succeed(ctx context.Context, poolID, key string) error {
	if err := l.store.DeleteLockout(ctx, poolID, key); err != nil {
		return wrap("reset lockout", err)
	}
	return nil
}

// check reports whether key is locked now, without counting anything. The
// custom challenge flow uses it with fail: its failures are decided by the
// define auth challenge trigger after the fact, so they are counted then,
// not reserved (the exact bound under parallel attempts is the password
// and SRP flows', which reserve).
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

// fail records one failed attempt atomically (for flows that do not reserve).
func (l *lockout) fail(ctx context.Context, poolID, key string) error {
	now := l.now()
	_, err := l.store.UpdateLockout(ctx, poolID, key, func(st store.Lockout) (store.Lockout, error) {
		return countFailure(st, now), nil
	})
	if err != nil {
		return wrap("record failed login", err)
	}
	return nil
}

// countFailure adds one failure at now to st, after the quiet reset.
func countFailure(st store.Lockout, now time.Time) store.Lockout {
	if !st.LastFailure.IsZero() && now.Sub(st.LastFailure) >= quietReset {
		st = store.Lockout{}
	}
	st.Failures++
	st.LastFailure = now
	if d := lockDuration(st.Failures); d > 0 {
		st.LockedUntil = now.Add(d)
	}
	return st
}
