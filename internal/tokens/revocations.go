package tokens

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

// RevocationSource is the store's revocation feed; store.Store satisfies it.
type RevocationSource interface {
	AddRevocation(ctx context.Context, r store.Revocation) (int64, error)
	RevocationsSince(ctx context.Context, seq int64, limit int) ([]store.Revocation, error)
	DeleteExpiredRevocations(ctx context.Context, now time.Time) (int, error)
}

// RevocationsOptions configures Revocations. Zero values get the defaults.
type RevocationsOptions struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives poll failures (default: discard).
	Logger *slog.Logger
	// PollInterval is how often Run reads the feed (default 250 ms).
	PollInterval time.Duration
	// PruneInterval is how often Run drops expired entries, locally and in
	// the store (default 1 minute).
	PruneInterval time.Duration
}

// pollBatch is how many feed entries one store read returns at most.
const pollBatch = 1000

// Revocations is an in-memory view of the revocation feed, kept current by
// Run. It is safe for concurrent use.
//
// A subject revocation at time At revokes the subject's tokens whose iat
// (whole seconds) is at or before At, so a token issued in the same second
// as a GlobalSignOut is revoked too.
type Revocations struct {
	src       RevocationSource
	now       func() time.Time
	log       *slog.Logger
	poll      time.Duration
	pruneTick time.Duration

	mu        sync.RWMutex
	seq       int64
	origins   map[revKey]time.Time // origin_jti -> expiry of the entry
	subjects  map[revKey]revSubject
	lastPrune time.Time
}

type revKey struct{ pool, value string }

type revSubject struct {
	at, expires time.Time
}

// NewRevocations returns a Revocations following src.
func NewRevocations(src RevocationSource, opts RevocationsOptions) *Revocations {
	r := &Revocations{
		src: src, now: opts.Now, log: opts.Logger, poll: opts.PollInterval, pruneTick: opts.PruneInterval,
		origins:  make(map[revKey]time.Time),
		subjects: make(map[revKey]revSubject),
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.poll <= 0 {
		r.poll = 250 * time.Millisecond
	}
	if r.pruneTick <= 0 {
		r.pruneTick = time.Minute
	}
	return r
}

// Run follows the feed until ctx is done, then returns nil.
func (r *Revocations) Run(ctx context.Context) error {
	t := time.NewTicker(r.poll)
	defer t.Stop()
	for {
		if err := r.Sync(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("revocation feed poll failed", "err", err)
		}
		if r.now().Sub(r.lastPruneTime()) >= r.pruneTick {
			if err := r.Prune(ctx); err != nil && ctx.Err() == nil {
				r.log.Warn("revocation prune failed", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Sync applies every feed entry not seen yet. Call it once at start-up
// before serving so that no revoked token is accepted.
func (r *Revocations) Sync(ctx context.Context) error {
	for {
		r.mu.RLock()
		seq := r.seq
		r.mu.RUnlock()
		batch, err := r.src.RevocationsSince(ctx, seq, pollBatch)
		if err != nil {
			return fmt.Errorf("tokens: read revocations: %w", err)
		}
		if len(batch) == 0 {
			return nil
		}
		r.mu.Lock()
		for _, rev := range batch {
			r.apply(rev)
			r.seq = max(r.seq, rev.Seq)
		}
		r.mu.Unlock()
		if len(batch) < pollBatch {
			return nil
		}
	}
}

// Add writes rev to the feed and applies it locally at once.
func (r *Revocations) Add(ctx context.Context, rev store.Revocation) error {
	if rev.Kind != store.RevokeOrigin && rev.Kind != store.RevokeSubject {
		return fmt.Errorf("tokens: unknown revocation kind %q", rev.Kind)
	}
	if rev.PoolID == "" || rev.Value == "" || rev.ExpiresAt.IsZero() {
		return errors.New("tokens: revocation needs a pool, a value and an expiry")
	}
	seq, err := r.src.AddRevocation(ctx, rev)
	if err != nil {
		return fmt.Errorf("tokens: add revocation: %w", err)
	}
	rev.Seq = seq
	r.mu.Lock()
	r.apply(rev) // the feed will deliver it again; applying is idempotent
	r.mu.Unlock()
	return nil
}

// apply records one entry; r.mu must be held for writing.
func (r *Revocations) apply(rev store.Revocation) {
	k := revKey{rev.PoolID, rev.Value}
	switch rev.Kind {
	case store.RevokeOrigin:
		if old, ok := r.origins[k]; !ok || rev.ExpiresAt.After(old) {
			r.origins[k] = rev.ExpiresAt
		}
	case store.RevokeSubject:
		old := r.subjects[k]
		if rev.At.After(old.at) {
			old.at = rev.At
		}
		if rev.ExpiresAt.After(old.expires) {
			old.expires = rev.ExpiresAt
		}
		r.subjects[k] = old
	}
}

// IsRevoked reports whether verified claims c of the pool are revoked: by
// their origin_jti, or by a subject revocation at or after their iat.
func (r *Revocations) IsRevoked(poolID string, c Claims) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if o := c.String("origin_jti"); o != "" {
		if _, ok := r.origins[revKey{poolID, o}]; ok {
			return true
		}
	}
	if sub := c.String("sub"); sub != "" {
		if s, ok := r.subjects[revKey{poolID, sub}]; ok {
			iat, ok := c.Time("iat")
			return !ok || iat.Unix() <= s.at.Unix()
		}
	}
	return false
}

// Prune drops entries that expired (their tokens cannot be valid any more)
// from memory and from the store.
func (r *Revocations) Prune(ctx context.Context) error {
	now := r.now()
	r.mu.Lock()
	r.lastPrune = now
	for k, exp := range r.origins {
		if exp.Before(now) {
			delete(r.origins, k)
		}
	}
	for k, s := range r.subjects {
		if s.expires.Before(now) {
			delete(r.subjects, k)
		}
	}
	r.mu.Unlock()
	if _, err := r.src.DeleteExpiredRevocations(ctx, now); err != nil {
		return fmt.Errorf("tokens: prune revocations: %w", err)
	}
	return nil
}

func (r *Revocations) lastPruneTime() time.Time {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.lastPrune
}
