package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

func testPools(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	_, err := s.GetPool(ctx, "us-east-1_missing")
	wantErr(t, err, store.ErrNotFound, "get missing pool")

	in := store.Pool{
		ID: "us-east-1_AbC123xyZ", Name: "main", Config: json.RawMessage(`{"a":[1,2]}`),
		CreatedAt: t0, UpdatedAt: t0.Add(time.Second),
	}
	must(t, s.CreatePool(ctx, in), "create pool")
	got, err := s.GetPool(ctx, in.ID)
	must(t, err, "get pool")
	want := in
	want.CreatedAt, want.UpdatedAt = ms(t0), ms(t0.Add(time.Second))
	wantEqual(t, got, want, "pool round trip (times in UTC milliseconds)")

	dup := in
	dup.Name = "other"
	wantErr(t, s.CreatePool(ctx, dup), store.ErrAlreadyExists, "create duplicate pool")
	got, err = s.GetPool(ctx, in.ID)
	must(t, err, "get pool after duplicate")
	wantEqual(t, got.Name, "main", "duplicate create leaves the pool alone")

	// A non-UTC time comes back as the same instant in UTC.
	zone := time.FixedZone("x", 3600*5)
	must(t, s.CreatePool(ctx, store.Pool{ID: "zoned", Name: "z", CreatedAt: t0.In(zone)}), "create zoned")
	got, err = s.GetPool(ctx, "zoned")
	must(t, err, "get zoned")
	wantEqual(t, got.CreatedAt, ms(t0), "zoned time")
	wantEqual(t, got.Config, json.RawMessage(nil), "nil config")
	if !got.UpdatedAt.IsZero() {
		t.Fatalf("zero UpdatedAt came back as %v", got.UpdatedAt)
	}
}

func testPoolPaging(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	rows, err := s.ListPools(ctx, store.Page{})
	must(t, err, "list empty")
	if len(rows) != 0 {
		t.Fatalf("empty store lists %d pools", len(rows))
	}
	// Key order is byte order: upper case sorts before lower case.
	for _, id := range []string{"p-c", "p-a", "P-z", "p-b", "p-e", "p-d"} {
		pool(t, s, id)
	}
	id := func(p store.Pool) string { return p.ID }
	wantEqual(t, pageAll(t, 4, id, func(p store.Page) ([]store.Pool, error) { return s.ListPools(ctx, p) }),
		[][]string{{"P-z", "p-a", "p-b", "p-c"}, {"p-d", "p-e"}}, "pages of 4")
	wantEqual(t, pageAll(t, 2, id, func(p store.Page) ([]store.Pool, error) { return s.ListPools(ctx, p) }),
		[][]string{{"P-z", "p-a"}, {"p-b", "p-c"}, {"p-d", "p-e"}}, "pages of 2")
	rows, err = s.ListPools(ctx, store.Page{After: "p-b"})
	must(t, err, "list after p-b")
	wantEqual(t, names(rows, id), []string{"p-c", "p-d", "p-e"}, "default limit after p-b")

	for i := range 70 {
		pool(t, s, "q-"+string(rune('A'+i/26))+string(rune('a'+i%26)))
	}
	rows, err = s.ListPools(ctx, store.Page{After: "p-e"})
	must(t, err, "list default limit")
	if len(rows) != 60 {
		t.Fatalf("default page has %d rows, want 60", len(rows))
	}
}

func testUpdatePool(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	_, err := s.UpdatePool(ctx, "nope", func(p store.Pool) (store.Pool, error) { return p, nil })
	wantErr(t, err, store.ErrNotFound, "update missing pool")

	orig := pool(t, s, "p1")
	got, err := s.UpdatePool(ctx, "p1", func(p store.Pool) (store.Pool, error) {
		wantEqual(t, p, orig, "fn sees the stored pool")
		p.ID = "changed" // keys are not writable
		p.CreatedAt = t0.Add(time.Hour)
		p.Name = "renamed"
		p.Config = json.RawMessage(`{"v":2}`)
		p.UpdatedAt = t0.Add(time.Minute)
		return p, nil
	})
	must(t, err, "update pool")
	want := orig
	want.Name, want.Config, want.UpdatedAt = "renamed", json.RawMessage(`{"v":2}`), ms(t0.Add(time.Minute))
	wantEqual(t, got, want, "update result")
	stored, err := s.GetPool(ctx, "p1")
	must(t, err, "get updated")
	wantEqual(t, stored, want, "stored after update")
	_, err = s.GetPool(ctx, "changed")
	wantErr(t, err, store.ErrNotFound, "fn cannot rename the key")

	_, err = s.UpdatePool(ctx, "p1", func(p store.Pool) (store.Pool, error) {
		p.Name = "should not persist"
		return p, errFn
	})
	wantErr(t, err, errFn, "fn error is returned")
	stored, err = s.GetPool(ctx, "p1")
	must(t, err, "get after failed update")
	wantEqual(t, stored, want, "fn error writes nothing")
}

func testDeletePoolCascades(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	wantErr(t, s.DeletePool(ctx, "nope"), store.ErrNotFound, "delete missing pool")
	for _, id := range []string{"gone", "kept"} {
		pool(t, s, id)
		must(t, s.CreateClient(ctx, store.Client{PoolID: id, ID: "client-" + id, Name: "c"}), "create client")
		user(t, s, id, "alice", map[string]string{"email": "a@x.io"})
		group(t, s, id, "admins")
		must(t, s.AddUserToGroup(ctx, id, "admins", "alice"), "add member")
		_, err := s.UpdateKeys(ctx, id, func([]store.SigningKey) ([]store.SigningKey, error) {
			return []store.SigningKey{{Kid: "k-" + id, Use: store.KeyUseID}}, nil
		})
		must(t, err, "update keys")
		_, err = s.UpdateLockout(ctx, id, "alice", func(l store.Lockout) (store.Lockout, error) {
			l.Failures = 3
			return l, nil
		})
		must(t, err, "update lockout")
	}
	must(t, s.DeletePool(ctx, "gone"), "delete pool")

	_, err := s.GetPool(ctx, "gone")
	wantErr(t, err, store.ErrNotFound, "pool")
	_, err = s.GetClientByID(ctx, "client-gone")
	wantErr(t, err, store.ErrNotFound, "client")
	_, err = s.GetUser(ctx, "gone", "alice")
	wantErr(t, err, store.ErrNotFound, "user")
	found, err := s.FindUsers(ctx, "gone", store.AttrEmail, "a@x.io")
	must(t, err, "find users")
	if len(found) != 0 {
		t.Fatalf("alias index still finds %d users", len(found))
	}
	_, err = s.GetGroup(ctx, "gone", "admins")
	wantErr(t, err, store.ErrNotFound, "group")
	keys, err := s.GetKeys(ctx, "gone")
	must(t, err, "get keys")
	if len(keys) != 0 {
		t.Fatalf("keys survive the pool: %v", keys)
	}
	_, err = s.GetLockout(ctx, "gone", "alice")
	wantErr(t, err, store.ErrNotFound, "lockout")

	// Re-creating the pool starts empty: nothing was left behind.
	pool(t, s, "gone")
	n, err := s.CountUsers(ctx, "gone")
	must(t, err, "count users")
	wantEqual(t, n, 0, "users in re-created pool")
	user(t, s, "gone", "alice", nil)
	g, err := s.ListGroupsForUser(ctx, "gone", "alice", store.Page{})
	must(t, err, "groups of re-created user")
	wantEqual(t, len(g), 0, "memberships of re-created user")

	// The other pool is untouched.
	_, err = s.GetClientByID(ctx, "client-kept")
	must(t, err, "other pool's client")
	members, err := s.ListUsersInGroup(ctx, "kept", "admins", store.Page{})
	must(t, err, "other pool's members")
	wantEqual(t, len(members), 1, "other pool's members")
	keys, err = s.GetKeys(ctx, "kept")
	must(t, err, "other pool's keys")
	wantEqual(t, len(keys), 1, "other pool's keys")
	l, err := s.GetLockout(ctx, "kept", "alice")
	must(t, err, "other pool's lockout")
	wantEqual(t, l.Failures, 3, "other pool's lockout")
}
