package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

func testClients(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	pool(t, s, "p1")
	pool(t, s, "p2")
	wantErr(t, s.CreateClient(ctx, store.Client{PoolID: "nope", ID: "c0", Name: "x"}), store.ErrNotFound,
		"create client in missing pool")

	in := store.Client{
		PoolID: "p1", ID: "3n4b5urk1ft4fl3mg5e62d9ado", Name: "web", Secret: []byte{0, 1, 2, 255},
		Config: json.RawMessage(`{"flows":["USER_SRP_AUTH"]}`), CreatedAt: t0, UpdatedAt: t0,
	}
	must(t, s.CreateClient(ctx, in), "create client")
	want := in
	want.CreatedAt, want.UpdatedAt = ms(t0), ms(t0)
	got, err := s.GetClient(ctx, "p1", in.ID)
	must(t, err, "get client")
	wantEqual(t, got, want, "client round trip")
	got, err = s.GetClientByID(ctx, in.ID)
	must(t, err, "get client by id")
	wantEqual(t, got, want, "client by id")
	_, err = s.GetClient(ctx, "p2", in.ID)
	wantErr(t, err, store.ErrNotFound, "client of another pool")
	_, err = s.GetClientByID(ctx, "missing")
	wantErr(t, err, store.ErrNotFound, "missing client by id")

	dup := store.Client{PoolID: "p2", ID: in.ID, Name: "same id, other pool"}
	wantErr(t, s.CreateClient(ctx, dup), store.ErrAlreadyExists, "client ids are unique across pools")

	for _, id := range []string{"b", "a", "c"} {
		must(t, s.CreateClient(ctx, store.Client{PoolID: "p2", ID: id, Name: id}), "create "+id)
	}
	id := func(c store.Client) string { return c.ID }
	wantEqual(t, pageAll(t, 2, id, func(p store.Page) ([]store.Client, error) { return s.ListClients(ctx, "p2", p) }),
		[][]string{{"a", "b"}, {"c"}}, "client pages")
	rows, err := s.ListClients(ctx, "p1", store.Page{})
	must(t, err, "list p1")
	wantEqual(t, names(rows, id), []string{in.ID}, "p1 clients")
	_, err = s.ListClients(ctx, "nope", store.Page{})
	wantErr(t, err, store.ErrNotFound, "list clients of missing pool")
	pool(t, s, "empty")
	rows, err = s.ListClients(ctx, "empty", store.Page{})
	must(t, err, "list clients of empty pool")
	wantEqual(t, len(rows), 0, "clients of empty pool")

	upd, err := s.UpdateClient(ctx, "p1", in.ID, func(c store.Client) (store.Client, error) {
		wantEqual(t, c, want, "fn sees stored client")
		c.PoolID, c.ID = "p2", "renamed"
		c.Name, c.Secret, c.UpdatedAt = "web2", nil, t0.Add(time.Hour)
		return c, nil
	})
	must(t, err, "update client")
	want.Name, want.Secret, want.UpdatedAt = "web2", nil, ms(t0.Add(time.Hour))
	wantEqual(t, upd, want, "update result")
	got, err = s.GetClient(ctx, "p1", in.ID)
	must(t, err, "get updated client")
	wantEqual(t, got, want, "stored client")

	_, err = s.UpdateClient(ctx, "p1", in.ID, func(c store.Client) (store.Client, error) {
		c.Name = "nope"
		return c, errFn
	})
	wantErr(t, err, errFn, "fn error")
	got, err = s.GetClient(ctx, "p1", in.ID)
	must(t, err, "get after fn error")
	wantEqual(t, got, want, "fn error writes nothing")
	_, err = s.UpdateClient(ctx, "p2", in.ID, func(c store.Client) (store.Client, error) { return c, nil })
	wantErr(t, err, store.ErrNotFound, "update client via the wrong pool")

	wantErr(t, s.DeleteClient(ctx, "p2", in.ID), store.ErrNotFound, "delete via the wrong pool")
	must(t, s.DeleteClient(ctx, "p1", in.ID), "delete client")
	_, err = s.GetClientByID(ctx, in.ID)
	wantErr(t, err, store.ErrNotFound, "deleted client")
	wantErr(t, s.DeleteClient(ctx, "p1", in.ID), store.ErrNotFound, "delete twice")
}
