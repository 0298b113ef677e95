package userpool

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

// Limits bounds how hard the public operations can be pushed. Zero fields
// take the defaults.
type Limits struct {
	// SourceRate and SourceBurst are the token bucket each source IP address
	// gets on the public (unsigned) operations, per node: 50 requests/s,
	// burst 100 by default; a negative SourceRate turns it off. IPv6
	// addresses share a bucket per /64.
	SourceRate  float64
	SourceBurst int
	// TrustedProxies are the proxies in front of the service: a request from
	// one of them counts against the client that X-Forwarded-For names (the
	// last address in it that is not a trusted proxy). Without them the
	// header is ignored and the TCP peer is the source.
	TrustedProxies []netip.Prefix
	// CodeIssues is how many codes of one kind one user can be sent in
	// CodeIssueWindow (5 per hour by default): a burst of CodeIssues, then
	// one more each CodeIssueWindow/CodeIssues.
	CodeIssues      int
	CodeIssueWindow time.Duration
	// CodeGuesses is how many wrong codes of one kind one user may enter
	// (5 by default), whatever codes are issued meanwhile; then every entry
	// is refused until CodeGuessPause (15 minutes) passes without one.
	CodeGuesses    int
	CodeGuessPause time.Duration
}

// Default limits.
const (
	defaultSourceRate     = 50
	defaultSourceBurst    = 100
	defaultCodeIssues     = 5
	defaultCodeIssueWin   = time.Hour
	defaultCodeGuesses    = 5
	defaultCodeGuessPause = 15 * time.Minute
)

// withDefaults fills the zero fields of l.
func (l Limits) withDefaults() Limits {
	if l.SourceRate == 0 {
		l.SourceRate = defaultSourceRate
	}
	if l.SourceBurst <= 0 {
		l.SourceBurst = max(defaultSourceBurst, int(l.SourceRate))
	}
	if l.CodeIssues <= 0 {
		l.CodeIssues = defaultCodeIssues
	}
	if l.CodeIssueWindow <= 0 {
		l.CodeIssueWindow = defaultCodeIssueWin
	}
	if l.CodeGuesses <= 0 {
		l.CodeGuesses = defaultCodeGuesses
	}
	if l.CodeGuessPause <= 0 {
		l.CodeGuessPause = defaultCodeGuessPause
	}
	return l
}

// Counter keys (in the store's lockouts table, beside the login keys
// "user|NAME"): codes sent and wrong codes entered, per code kind and user.
// name is the stored username, or for an unknown user the normalized name
// given, so that unknown users are limited exactly like real ones.
func issueKey(kind CodeKind, attr, name string) string {
	return "send|" + codeKey(kind, attr) + "|" + name
}

func guessKey(kind CodeKind, attr, name string) string {
	return "guess|" + codeKey(kind, attr) + "|" + name
}

// counterName is the name a counter key uses for a lookup of name.
func counterName(p *pool, u store.User, found bool, name string) string {
	if found {
		return u.Username
	}
	return p.normalize(name)
}

// errLimited is what a refused counter update returns, so that it writes nothing.
var errLimited = errors.New("userpool: limit reached")

func limitExceeded() error { return apiErr(excLimitExceeded, msgCodeLimit) }

// reserveIssue counts one code sent under key, or answers
// LimitExceededException (counting nothing) when the user had their share.
// The counter is a leaky bucket: Failures is its level at LastFailure, and
// one unit drains every CodeIssueWindow/CodeIssues; LockedUntil is when it
// is empty again (so the sweep keeps it until then).
func (s *Service) reserveIssue(ctx context.Context, poolID, key string) error {
	now := s.clock()
	drain := s.limits.CodeIssueWindow / time.Duration(s.limits.CodeIssues)
	_, err := s.store.UpdateLockout(ctx, poolID, key, func(st store.Lockout) (store.Lockout, error) {
		if st.Failures > 0 {
			if gone := int(now.Sub(st.LastFailure) / drain); gone >= st.Failures {
				st = store.Lockout{}
			} else if gone > 0 {
				st.Failures -= gone
				st.LastFailure = st.LastFailure.Add(time.Duration(gone) * drain)
			}
		}
		if st.Failures >= s.limits.CodeIssues {
			return st, errLimited
		}
		if st.Failures == 0 {
			st.LastFailure = now
		}
		st.Failures++
		st.LockedUntil = st.LastFailure.Add(time.Duration(st.Failures) * drain)
		return st, nil
	})
	if errors.Is(err, errLimited) {
		return limitExceeded()
	}
	if err != nil {
		return wrap("count code issue", err)
	}
	return nil
}

// reserveGuess claims one code check under key before the code is looked
// at, counting it as wrong up front (as lockout.reserve does for passwords),
// or answers LimitExceededException once CodeGuesses were spent within
// CodeGuessPause of each other. Issuing a new code does not touch it; a
// right code clears it (clearCounter). LockedUntil is when it lapses.
func (s *Service) reserveGuess(ctx context.Context, poolID, key string) error {
	now := s.clock()
	pause := s.limits.CodeGuessPause
	_, err := s.store.UpdateLockout(ctx, poolID, key, func(st store.Lockout) (store.Lockout, error) {
		if !st.LastFailure.IsZero() && now.Sub(st.LastFailure) >= pause {
			st = store.Lockout{}
		}
		if st.Failures >= s.limits.CodeGuesses {
			return st, errLimited
		}
		st.Failures++
		st.LastFailure = now
		st.LockedUntil = now.Add(pause)
		return st, nil
	})
	if errors.Is(err, errLimited) {
		return limitExceeded()
	}
	if err != nil {
		return wrap("count code attempt", err)
	}
	return nil
}

// clearCounter deletes a counter (a right code was entered).
func (s *Service) clearCounter(ctx context.Context, poolID, key string) error {
	if err := s.store.DeleteLockout(ctx, poolID, key); err != nil {
		return wrap("clear counter", err)
	}
	return nil
}

// staleCounterAge is how long after its last event (and its LockedUntil) a
// counter can no longer matter: login failures reset after quietReset, and
// code counters stay until their LockedUntil.
const staleCounterAge = quietReset

// SweepCounters deletes the login, code-issue and code-guess counters that
// no longer matter, and returns how many. Call it now and then (the server
// does once a minute): counters of unknown names are otherwise kept forever.
func (s *Service) SweepCounters(ctx context.Context) (int, error) {
	n, err := s.store.DeleteStaleLockouts(ctx, s.clock().Add(-staleCounterAge))
	if err != nil {
		return 0, wrap("sweep counters", err)
	}
	return n, nil
}
