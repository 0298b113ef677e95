package storetest

import (
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

func testSessions(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	in := store.Session{ID: "s1", PoolID: "p1", Kind: "srp", Data: []byte{1, 2, 3}, ExpiresAt: t0.Add(3 * time.Minute)}
	must(t, s.PutSession(ctx, in), "put session")
	wantErr(t, s.PutSession(ctx, in), store.ErrAlreadyExists, "duplicate session")

	got, err := s.TakeSession(ctx, "s1", t0)
	must(t, err, "take session")
	want := in
	want.ExpiresAt = ms(in.ExpiresAt)
	wantEqual(t, got, want, "session round trip")
	_, err = s.TakeSession(ctx, "s1", t0)
	wantErr(t, err, store.ErrNotFound, "second take")
	_, err = s.TakeSession(ctx, "never", t0)
	wantErr(t, err, store.ErrNotFound, "missing session")

	// Expiry is relative to the now passed in; an expired take also consumes it.
	must(t, s.PutSession(ctx, store.Session{ID: "s2", PoolID: "p1", Kind: "challenge", ExpiresAt: t0}), "put s2")
	_, err = s.TakeSession(ctx, "s2", t0)
	wantErr(t, err, store.ErrNotFound, "take at expiry")
	_, err = s.TakeSession(ctx, "s2", t0.Add(-time.Hour))
	wantErr(t, err, store.ErrNotFound, "expired take consumed it")
	must(t, s.PutSession(ctx, store.Session{ID: "s3", ExpiresAt: t0.Add(time.Millisecond)}), "put s3")
	got, err = s.TakeSession(ctx, "s3", t0)
	must(t, err, "take just before expiry")
	if got.Data != nil {
		t.Fatalf("empty data came back as %v", got.Data)
	}

	for i, exp := range []time.Duration{-2 * time.Hour, -time.Minute, time.Minute, time.Hour} {
		must(t, s.PutSession(ctx, store.Session{ID: string(rune('a' + i)), ExpiresAt: t0.Add(exp)}), "put")
	}
	n, err := s.DeleteExpiredSessions(ctx, t0)
	must(t, err, "delete expired sessions")
	wantEqual(t, n, 2, "expired sessions deleted")
	n, err = s.DeleteExpiredSessions(ctx, t0)
	must(t, err, "delete expired again")
	wantEqual(t, n, 0, "nothing left to delete")
	_, err = s.TakeSession(ctx, "c", t0)
	must(t, err, "live session survives the sweep")
}

func testRevocations(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	rows, err := s.RevocationsSince(ctx, 0, 0)
	must(t, err, "empty feed")
	wantEqual(t, len(rows), 0, "empty feed")

	in := []store.Revocation{
		{PoolID: "p1", Kind: store.RevokeOrigin, Value: "jti-a", At: t0, ExpiresAt: t0.Add(time.Hour)},
		{PoolID: "p1", Kind: store.RevokeSubject, Value: "sub-b", At: t0, ExpiresAt: t0.Add(-time.Minute)},
		{PoolID: "p2", Kind: store.RevokeOrigin, Value: "jti-c", At: t0, ExpiresAt: t0.Add(2 * time.Hour)},
	}
	var last int64
	for i := range in {
		seq, err := s.AddRevocation(ctx, in[i])
		must(t, err, "add revocation")
		if seq <= last {
			t.Fatalf("seq %d after %d: not strictly increasing", seq, last)
		}
		last = seq
		in[i].Seq = seq
		in[i].At, in[i].ExpiresAt = ms(in[i].At), ms(in[i].ExpiresAt)
	}
	rows, err = s.RevocationsSince(ctx, 0, 0)
	must(t, err, "feed since 0")
	wantEqual(t, rows, in, "whole feed in order")
	rows, err = s.RevocationsSince(ctx, in[0].Seq, 1)
	must(t, err, "feed since first, limit 1")
	wantEqual(t, rows, in[1:2], "limit")
	rows, err = s.RevocationsSince(ctx, in[2].Seq, 10)
	must(t, err, "feed since last")
	wantEqual(t, len(rows), 0, "nothing after the last entry")

	n, err := s.DeleteExpiredRevocations(ctx, t0)
	must(t, err, "prune")
	wantEqual(t, n, 1, "expired revocations pruned")
	rows, err = s.RevocationsSince(ctx, 0, 0)
	must(t, err, "feed after prune")
	wantEqual(t, rows, []store.Revocation{in[0], in[2]}, "feed after prune")

	// Pruning the newest entry does not let its number be reused.
	n, err = s.DeleteExpiredRevocations(ctx, t0.Add(3*time.Hour))
	must(t, err, "prune all")
	wantEqual(t, n, 2, "all pruned")
	seq, err := s.AddRevocation(ctx, store.Revocation{PoolID: "p1", Kind: store.RevokeOrigin, Value: "d", ExpiresAt: t0})
	must(t, err, "add after prune")
	if seq <= last {
		t.Fatalf("seq %d reused after pruning (last %d)", seq, last)
	}
}
