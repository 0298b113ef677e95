package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

func testOutbox(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	pool(t, s, "p1")
	pool(t, s, "p2")
	_, err := s.AddMessage(ctx, store.Message{PoolID: "nope", CreatedAt: t0, Data: []byte("x")}, 3)
	wantErr(t, err, store.ErrNotFound, "message of a missing pool")

	var last int64
	for i := range 5 {
		seq, err := s.AddMessage(ctx, store.Message{PoolID: "p1", CreatedAt: t0.Add(time.Duration(i) * time.Second),
			Data: fmt.Appendf(nil, "m%d", i)}, 3)
		must(t, err, "add message")
		if seq <= last {
			t.Fatalf("seq %d after %d: not increasing", seq, last)
		}
		last = seq
	}
	_, err = s.AddMessage(ctx, store.Message{PoolID: "p2", CreatedAt: t0, Data: []byte("other")}, 3)
	must(t, err, "add to p2")

	got, err := s.ListMessages(ctx, "p1", 0)
	must(t, err, "list messages")
	var texts []string
	for _, m := range got {
		texts = append(texts, string(m.Data))
		if m.PoolID != "p1" {
			t.Fatalf("message of pool %q listed for p1", m.PoolID)
		}
	}
	wantEqual(t, texts, []string{"m4", "m3", "m2"}, "newest three kept, newest first")
	wantEqual(t, got[0].CreatedAt, ms(t0.Add(4*time.Second)), "created at")
	wantEqual(t, got[0].Seq, last, "seq listed")

	got, err = s.ListMessages(ctx, "p1", 1)
	must(t, err, "list one")
	wantEqual(t, len(got), 1, "limit")
	got, err = s.ListMessages(ctx, "p2", 10)
	must(t, err, "list p2")
	wantEqual(t, len(got), 1, "other pool untouched by p1's trimming")

	must(t, s.DeletePool(ctx, "p1"), "delete pool")
	got, err = s.ListMessages(ctx, "p1", 10)
	must(t, err, "list deleted pool")
	wantEqual(t, len(got), 0, "messages deleted with the pool")
}
