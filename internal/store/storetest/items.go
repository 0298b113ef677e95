package storetest

import (
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

func testItems(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	pool(t, s, "p1")
	pool(t, s, "p2")
	in := store.Item{Kind: "domain", Key: "auth.example.com", PoolID: "p1", Data: []byte(`{"a":1}`), CreatedAt: t0, UpdatedAt: t0}
	must(t, s.CreateItem(ctx, in), "create item")
	dup := in
	dup.PoolID = "p2"
	wantErr(t, s.CreateItem(ctx, dup), store.ErrAlreadyExists, "same key in another pool")
	wantErr(t, s.CreateItem(ctx, store.Item{Kind: "domain", Key: "x", PoolID: "nope", CreatedAt: t0}), store.ErrNotFound, "missing pool")

	got, err := s.GetItem(ctx, "domain", "auth.example.com", t0)
	must(t, err, "get item")
	want := in
	want.CreatedAt, want.UpdatedAt = ms(t0), ms(t0)
	wantEqual(t, got, want, "item round trip")
	_, err = s.GetItem(ctx, "resource-server", "auth.example.com", t0)
	wantErr(t, err, store.ErrNotFound, "kind is part of the key")

	upd, err := s.UpdateItem(ctx, "domain", "auth.example.com", func(it store.Item) (store.Item, error) {
		it.Data, it.UpdatedAt, it.PoolID, it.Key = []byte(`{"a":2}`), t0.Add(time.Second), "p2", "other"
		return it, nil
	})
	must(t, err, "update item")
	wantEqual(t, string(upd.Data), `{"a":2}`, "updated data")
	wantEqual(t, upd.PoolID, "p1", "pool kept")
	_, err = s.UpdateItem(ctx, "domain", "auth.example.com", func(it store.Item) (store.Item, error) { return it, errFn })
	wantErr(t, err, errFn, "fn error")
	got, _ = s.GetItem(ctx, "domain", "auth.example.com", t0)
	wantEqual(t, string(got.Data), `{"a":2}`, "refused update wrote nothing")
	_, err = s.UpdateItem(ctx, "domain", "never", func(it store.Item) (store.Item, error) { return it, nil })
	wantErr(t, err, store.ErrNotFound, "update missing")

	for _, k := range []string{"c", "a", "b"} {
		must(t, s.CreateItem(ctx, store.Item{Kind: "rs", Key: "p1/" + k, PoolID: "p1", CreatedAt: t0}), "create rs")
	}
	must(t, s.CreateItem(ctx, store.Item{Kind: "rs", Key: "p2/a", PoolID: "p2", CreatedAt: t0}), "create rs p2")
	list, err := s.ListItems(ctx, "rs", "p1", store.Page{Limit: 2})
	must(t, err, "list items")
	if len(list) != 2 || list[0].Key != "p1/a" || list[1].Key != "p1/b" {
		t.Fatalf("first page: %+v", list)
	}
	list, err = s.ListItems(ctx, "rs", "p1", store.Page{After: "p1/b"})
	must(t, err, "list page 2")
	if len(list) != 1 || list[0].Key != "p1/c" {
		t.Fatalf("second page: %+v", list)
	}
	_, err = s.ListItems(ctx, "rs", "nope", store.Page{})
	wantErr(t, err, store.ErrNotFound, "list in missing pool")

	// Expiry: invisible at and after ExpiresAt, replaceable, swept.
	sess := store.Item{Kind: "login", Key: "s1", PoolID: "p1", ExpiresAt: t0.Add(time.Hour), CreatedAt: t0}
	must(t, s.CreateItem(ctx, sess), "create expiring")
	_, err = s.GetItem(ctx, "login", "s1", t0.Add(time.Hour-time.Millisecond))
	must(t, err, "live just before expiry")
	_, err = s.GetItem(ctx, "login", "s1", t0.Add(time.Hour))
	wantErr(t, err, store.ErrNotFound, "expired item")
	wantErr(t, s.CreateItem(ctx, sess), store.ErrAlreadyExists, "live item not replaced")
	again := sess
	again.CreatedAt, again.ExpiresAt = t0.Add(2*time.Hour), t0.Add(3*time.Hour)
	must(t, s.CreateItem(ctx, again), "expired item replaced")
	must(t, s.CreateItem(ctx, store.Item{Kind: "login", Key: "old", PoolID: "p1", ExpiresAt: t0, CreatedAt: t0}), "create old")
	n, err := s.DeleteExpiredItems(ctx, t0.Add(time.Minute))
	must(t, err, "sweep")
	wantEqual(t, n, 1, "expired items swept")

	must(t, s.DeleteItem(ctx, "rs", "p1/a"), "delete item")
	wantErr(t, s.DeleteItem(ctx, "rs", "p1/a"), store.ErrNotFound, "delete twice")

	// Items go with their pool.
	must(t, s.DeletePool(ctx, "p1"), "delete pool")
	_, err = s.GetItem(ctx, "domain", "auth.example.com", t0)
	wantErr(t, err, store.ErrNotFound, "item of a deleted pool")
	_, err = s.GetItem(ctx, "rs", "p2/a", t0)
	must(t, err, "other pool's item kept")
}
