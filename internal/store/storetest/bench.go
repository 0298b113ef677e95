package storetest

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

// benchUsers is how many users the read benchmarks spread over.
const benchUsers = 1000

// Bench benchmarks the store's hot paths: a user read (every sign-in), a
// session put + take (every SRP exchange), a refresh-token write (every
// sign-in that issues tokens) and a lockout update (every failed password),
// serially and from parallel goroutines. s must be empty.
func Bench(b *testing.B, s store.Store) {
	ctx := context.Background()
	if err := s.CreatePool(ctx, store.Pool{ID: "bench", Name: "bench"}); err != nil {
		b.Fatalf("create pool: %v", err)
	}
	for i := range benchUsers {
		u := store.User{PoolID: "bench", Username: benchName(i), Status: "CONFIRMED", Enabled: true,
			Attributes:  map[string]string{"sub": strconv.Itoa(i), "email": benchName(i) + "@example.com"},
			Credentials: make([]byte, 300), CreatedAt: t0, UpdatedAt: t0}
		if err := s.CreateUser(ctx, u); err != nil {
			b.Fatalf("create user: %v", err)
		}
	}
	var ids atomic.Int64

	b.Run("GetUser", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := s.GetUser(ctx, "bench", benchName(i%benchUsers)); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("GetUserParallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := int(ids.Add(1))
			for pb.Next() {
				if _, err := s.GetUser(ctx, "bench", benchName(i%benchUsers)); err != nil {
					b.Fatal(err)
				}
				i += 7
			}
		})
	})
	putTake := func() error {
		id := "sess-" + strconv.FormatInt(ids.Add(1), 10)
		sess := store.Session{ID: id, PoolID: "bench", Kind: "srp", Data: make([]byte, 200), ExpiresAt: t0.Add(time.Hour)}
		if err := s.PutSession(ctx, sess); err != nil {
			return err
		}
		_, err := s.TakeSession(ctx, id, t0)
		return err
	}
	b.Run("PutTakeSession", func(b *testing.B) {
		for b.Loop() {
			if err := putTake(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("PutTakeSessionParallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := putTake(); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	fail := func(l store.Lockout) (store.Lockout, error) {
		l.Failures++
		l.LastFailure = t0
		return l, nil
	}
	b.Run("UpdateLockout", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := s.UpdateLockout(ctx, "bench", benchName(i%benchUsers), fail); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("UpdateLockoutParallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := int(ids.Add(1))
			for pb.Next() {
				if _, err := s.UpdateLockout(ctx, "bench", benchName(i%benchUsers), fail); err != nil {
					b.Fatal(err)
				}
				i += 7
			}
		})
	})
}

func benchName(i int) string { return fmt.Sprintf("user-%05d", i) }
