package storetest

import (
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

func testKeys(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	pool(t, s, "p1")
	pool(t, s, "p2")
	keys, err := s.GetKeys(ctx, "p1")
	must(t, err, "get keys of a pool without keys")
	wantEqual(t, len(keys), 0, "no keys yet")

	first := []store.SigningKey{
		{Kid: "kid-id-1", Use: store.KeyUseID, Private: []byte("sealed-1"), Public: []byte("pub-1"), CreatedAt: t0},
		{Kid: "kid-ac-1", Use: store.KeyUseAccess, Private: []byte("sealed-2"), Public: []byte("pub-2"), CreatedAt: t0},
	}
	want := []store.SigningKey{first[0], first[1]}
	want[0].CreatedAt, want[1].CreatedAt = ms(t0), ms(t0)
	got, err := s.UpdateKeys(ctx, "p1", func(old []store.SigningKey) ([]store.SigningKey, error) {
		wantEqual(t, len(old), 0, "fn sees no keys")
		return first, nil
	})
	must(t, err, "create keys")
	wantEqual(t, got, want, "update result")
	keys, err = s.GetKeys(ctx, "p1")
	must(t, err, "get keys")
	wantEqual(t, keys, want, "stored keys")
	keys, err = s.GetKeys(ctx, "p2")
	must(t, err, "get p2 keys")
	wantEqual(t, len(keys), 0, "keys are per pool")

	// Rotation: fn sees the current set and replaces it whole.
	rotated, err := s.UpdateKeys(ctx, "p1", func(old []store.SigningKey) ([]store.SigningKey, error) {
		wantEqual(t, old, want, "fn sees the stored set")
		for i := range old {
			old[i].RetiredAt = t0.Add(time.Hour)
			old[i].ExpiresAt = t0.Add(2 * time.Hour)
		}
		return append([]store.SigningKey{{Kid: "kid-id-2", Use: store.KeyUseID, CreatedAt: t0.Add(time.Hour)}}, old...), nil
	})
	must(t, err, "rotate")
	wantEqual(t, len(rotated), 3, "rotated set size")
	keys, err = s.GetKeys(ctx, "p1")
	must(t, err, "get rotated")
	wantEqual(t, keys, rotated, "stored rotated set")
	wantEqual(t, keys[0].Kid, "kid-id-2", "order kept")
	wantEqual(t, keys[1].RetiredAt, ms(t0.Add(time.Hour)), "retired at")
	if !keys[0].RetiredAt.IsZero() || !keys[0].ExpiresAt.IsZero() {
		t.Fatalf("zero times came back as %v / %v", keys[0].RetiredAt, keys[0].ExpiresAt)
	}

	_, err = s.UpdateKeys(ctx, "p1", func(old []store.SigningKey) ([]store.SigningKey, error) {
		return nil, errFn
	})
	wantErr(t, err, errFn, "fn error")
	keys, err = s.GetKeys(ctx, "p1")
	must(t, err, "get after fn error")
	wantEqual(t, keys, rotated, "fn error writes nothing")

	_, err = s.UpdateKeys(ctx, "nope", func([]store.SigningKey) ([]store.SigningKey, error) {
		return first, nil
	})
	wantErr(t, err, store.ErrNotFound, "keys of a missing pool")
}

func testLockouts(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	pool(t, s, "p1")
	l, err := s.GetLockout(ctx, "p1", "nobody")
	wantErr(t, err, store.ErrNotFound, "no failures yet")
	wantEqual(t, l, store.Lockout{}, "zero lockout with ErrNotFound")

	fail := func(now time.Time) func(store.Lockout) (store.Lockout, error) {
		return func(l store.Lockout) (store.Lockout, error) {
			l.Failures++
			l.LastFailure = now
			if l.Failures > 5 {
				l.LockedUntil = now.Add(time.Second)
			}
			return l, nil
		}
	}
	for i := range 6 {
		got, err := s.UpdateLockout(ctx, "p1", "Bob", fail(t0.Add(time.Duration(i)*time.Second)))
		must(t, err, "add failure")
		wantEqual(t, got.Failures, i+1, "failures after update")
	}
	want := store.Lockout{Failures: 6, LastFailure: ms(t0.Add(5 * time.Second)), LockedUntil: ms(t0.Add(6 * time.Second))}
	l, err = s.GetLockout(ctx, "p1", "Bob")
	must(t, err, "get lockout")
	wantEqual(t, l, want, "stored lockout")
	_, err = s.GetLockout(ctx, "p1", "bob")
	wantErr(t, err, store.ErrNotFound, "keys are exact")

	_, err = s.UpdateLockout(ctx, "p1", "Bob", func(l store.Lockout) (store.Lockout, error) {
		l.Failures = 0
		return l, errFn
	})
	wantErr(t, err, errFn, "fn error")
	l, err = s.GetLockout(ctx, "p1", "Bob")
	must(t, err, "get after fn error")
	wantEqual(t, l, want, "fn error writes nothing")

	got, err := s.UpdateLockout(ctx, "p1", "Bob", func(store.Lockout) (store.Lockout, error) {
		return store.Lockout{}, nil
	})
	must(t, err, "reset")
	wantEqual(t, got, store.Lockout{}, "reset result")
	_, err = s.GetLockout(ctx, "p1", "Bob")
	wantErr(t, err, store.ErrNotFound, "zero lockout deletes the row")
	_, err = s.UpdateLockout(ctx, "p1", "never", func(l store.Lockout) (store.Lockout, error) { return l, nil })
	must(t, err, "zero update of a missing row")
	_, err = s.GetLockout(ctx, "p1", "never")
	wantErr(t, err, store.ErrNotFound, "zero update writes no row")
	_, err = s.UpdateLockout(ctx, "nope", "Bob", fail(t0))
	wantErr(t, err, store.ErrNotFound, "lockout in a missing pool")

	_, err = s.UpdateLockout(ctx, "p1", "Carl", fail(t0))
	must(t, err, "add failure")
	must(t, s.DeleteLockout(ctx, "p1", "Carl"), "delete lockout")
	_, err = s.GetLockout(ctx, "p1", "Carl")
	wantErr(t, err, store.ErrNotFound, "deleted lockout")
	must(t, s.DeleteLockout(ctx, "p1", "Carl"), "deleting a missing lockout is not an error")

	// The sweep removes only counters with nothing at or after its cut-off.
	put := func(key string, l store.Lockout) {
		t.Helper()
		_, err := s.UpdateLockout(ctx, "p1", key, func(store.Lockout) (store.Lockout, error) { return l, nil })
		must(t, err, "put "+key)
	}
	put("old", store.Lockout{Failures: 3, LastFailure: t0.Add(-time.Hour)})
	put("old-but-locked", store.Lockout{Failures: 9, LastFailure: t0.Add(-time.Hour), LockedUntil: t0.Add(time.Minute)})
	put("recent", store.Lockout{Failures: 1, LastFailure: t0.Add(time.Second)})
	put("at-cutoff", store.Lockout{Failures: 1, LastFailure: t0})
	n, err := s.DeleteStaleLockouts(ctx, t0)
	must(t, err, "delete stale lockouts")
	wantEqual(t, n, 1, "stale lockouts deleted")
	_, err = s.GetLockout(ctx, "p1", "old")
	wantErr(t, err, store.ErrNotFound, "the stale counter is gone")
	for _, key := range []string{"old-but-locked", "recent", "at-cutoff"} {
		_, err := s.GetLockout(ctx, "p1", key)
		must(t, err, key+" is kept")
	}
	n, err = s.DeleteStaleLockouts(ctx, t0)
	must(t, err, "second sweep")
	wantEqual(t, n, 0, "second sweep deletes nothing")
}
