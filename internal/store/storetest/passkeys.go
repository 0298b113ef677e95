package storetest

import (
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

func testPasskeys(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	pool(t, s, "p1")
	pool(t, s, "p2")
	user(t, s, "p1", "alice", nil)
	user(t, s, "p1", "bob", nil)
	user(t, s, "p2", "alice", nil)
	k := func(poolID, id, name string, at time.Duration) store.Passkey {
		return store.Passkey{PoolID: poolID, ID: id, Username: name, Data: []byte("cred-" + id), CreatedAt: t0.Add(at), UpdatedAt: t0.Add(at)}
	}
	wantErr(t, s.CreatePasskey(ctx, k("p1", "x", "nobody", 0)), store.ErrNotFound, "passkey of a missing user")
	must(t, s.CreatePasskey(ctx, k("p1", "k2", "alice", 2*time.Second)), "create k2")
	must(t, s.CreatePasskey(ctx, k("p1", "k1", "alice", time.Second)), "create k1")
	wantErr(t, s.CreatePasskey(ctx, k("p1", "k1", "bob", 3*time.Second)), store.ErrAlreadyExists, "a credential id taken in the pool")
	must(t, s.CreatePasskey(ctx, k("p2", "k1", "alice", 0)), "the same id in another pool")

	got, err := s.ListPasskeys(ctx, "p1", "alice")
	must(t, err, "list")
	var ids []string
	for _, p := range got {
		ids = append(ids, p.ID)
	}
	wantEqual(t, ids, []string{"k1", "k2"}, "oldest first")
	wantEqual(t, string(got[0].Data), "cred-k1", "data")
	none, err := s.ListPasskeys(ctx, "p1", "bob")
	must(t, err, "list none")
	wantEqual(t, len(none), 0, "bob has none")

	up, err := s.UpdatePasskey(ctx, "p1", "k1", func(p store.Passkey) (store.Passkey, error) {
		p.Data, p.UpdatedAt, p.Username = []byte("count-2"), t0.Add(time.Minute), "bob"
		return p, nil
	})
	must(t, err, "update")
	wantEqual(t, up.Username, "alice", "owner kept")
	got, _ = s.ListPasskeys(ctx, "p1", "alice")
	wantEqual(t, string(got[0].Data), "count-2", "updated data")
	_, err = s.UpdatePasskey(ctx, "p1", "missing", func(p store.Passkey) (store.Passkey, error) { return p, nil })
	wantErr(t, err, store.ErrNotFound, "update a missing passkey")

	wantErr(t, s.DeletePasskey(ctx, "p1", "bob", "k1"), store.ErrNotFound, "another user's passkey")
	must(t, s.DeletePasskey(ctx, "p1", "alice", "k1"), "delete")
	wantErr(t, s.DeletePasskey(ctx, "p1", "alice", "k1"), store.ErrNotFound, "delete twice")

	must(t, s.DeleteUser(ctx, "p1", "alice"), "delete user")
	got, err = s.ListPasskeys(ctx, "p1", "alice")
	must(t, err, "list after user delete")
	wantEqual(t, len(got), 0, "passkeys go with their user")
	must(t, s.DeletePool(ctx, "p2"), "delete pool")
	got, _ = s.ListPasskeys(ctx, "p2", "alice")
	wantEqual(t, len(got), 0, "passkeys go with their pool")
}
