package storetest

import (
	"errors"
	"testing"

	"github.com/cognate-dev/cognate/internal/store"
)

func testObjects(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	_, err := s.GetObject(ctx, "restapi", "a1")
	wantErr(t, err, store.ErrNotFound, "missing object")
	a, err := s.CreateObject(ctx, store.Object{Kind: "restapi", Key: "a1", Data: []byte(`{"name":"a"}`), UpdatedAt: t0})
	must(t, err, "create object")
	if a.Version <= 0 || !a.UpdatedAt.Equal(ms(t0)) {
		t.Fatalf("created object = %+v, want a positive version and millisecond time", a)
	}
	_, err = s.CreateObject(ctx, store.Object{Kind: "restapi", Key: "a1", Data: []byte(`{}`)})
	wantErr(t, err, store.ErrAlreadyExists, "create over an existing key")
	other, err := s.CreateObject(ctx, store.Object{Kind: "function", Key: "a1", Data: []byte{0, 1, 2}})
	must(t, err, "same key, other kind")
	if other.Version <= a.Version {
		t.Fatalf("versions %d then %d, want increasing", a.Version, other.Version)
	}
	got, err := s.GetObject(ctx, "restapi", "a1")
	must(t, err, "get object")
	wantEqual(t, got, a, "object round trip")

	up, err := s.UpdateObject(ctx, "restapi", "a1", func(o store.Object) (store.Object, error) {
		o.Key = "ignored"
		o.Data = []byte(`{"name":"b"}`)
		return o, nil
	})
	must(t, err, "update object")
	if up.Key != "a1" || string(up.Data) != `{"name":"b"}` || up.Version <= other.Version {
		t.Fatalf("updated = %+v", up)
	}
	_, err = s.UpdateObject(ctx, "restapi", "nope", func(o store.Object) (store.Object, error) { return o, nil })
	wantErr(t, err, store.ErrNotFound, "update missing object")
	_, err = s.UpdateObject(ctx, "restapi", "a1", func(o store.Object) (store.Object, error) { return o, errFn })
	if !errors.Is(err, errFn) {
		t.Fatalf("update fn error = %v, want errFn", err)
	}

	put, err := s.PutObject(ctx, store.Object{Kind: "restapi", Key: "a2", Data: []byte(`2`)})
	must(t, err, "put new object")
	put2, err := s.PutObject(ctx, store.Object{Kind: "restapi", Key: "a2", Data: []byte(`3`)})
	must(t, err, "put replaces")
	if put2.Version <= put.Version {
		t.Fatalf("put versions %d then %d", put.Version, put2.Version)
	}
	list, err := s.ListObjects(ctx, "restapi", store.Page{})
	must(t, err, "list objects")
	if len(list) != 2 || list[0].Key != "a1" || list[1].Key != "a2" || string(list[1].Data) != "3" {
		t.Fatalf("list = %+v", list)
	}
	list, err = s.ListObjects(ctx, "restapi", store.Page{After: "a1", Limit: 1})
	must(t, err, "list page")
	if len(list) != 1 || list[0].Key != "a2" {
		t.Fatalf("page after a1 = %+v", list)
	}
	must(t, s.DeleteObject(ctx, "restapi", "a1"), "delete object")
	wantErr(t, s.DeleteObject(ctx, "restapi", "a1"), store.ErrNotFound, "delete missing object")
	if _, err := s.GetObject(ctx, "function", "a1"); err != nil {
		t.Fatalf("deleting one kind's key touched another kind: %v", err)
	}
}
