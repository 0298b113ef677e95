package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/cognate-dev/cognate/internal/store"
)

// wantCount fails unless CountUsers of poolID is want and agrees with a full
// listing of the pool.
func wantCount(t *testing.T, s store.Store, poolID string, want int, what string) {
	t.Helper()
	n, err := s.CountUsers(ctxOf(t), poolID)
	must(t, err, what+": count users")
	listed := 0
	after := ""
	for {
		rows, err := s.ListUsers(ctxOf(t), poolID, store.Page{After: after, Limit: 500})
		must(t, err, what+": list users")
		if len(rows) == 0 {
			break
		}
		listed += len(rows)
		after = rows[len(rows)-1].Username
	}
	if n != want || listed != want {
		t.Fatalf("%s: CountUsers = %d, listing has %d users, want %d", what, n, listed, want)
	}
}

// testUserCount checks that CountUsers, a maintained counter, follows every
// insert and delete of users and nothing else.
func testUserCount(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	pool(t, s, "p1")
	pool(t, s, "p2")
	wantCount(t, s, "p1", 0, "empty pool")

	for i := range 40 { // enough names to touch every counter shard
		user(t, s, "p1", fmt.Sprintf("user-%02d", i), map[string]string{"email": fmt.Sprintf("u%d@example.com", i)})
	}
	user(t, s, "p2", "user-00", nil)
	wantCount(t, s, "p1", 40, "after 40 creates")
	wantCount(t, s, "p2", 1, "other pool")

	wantErr(t, s.CreateUser(ctx, store.User{PoolID: "p1", Username: "user-07"}), store.ErrAlreadyExists, "duplicate user")
	wantErr(t, s.CreateUser(ctx, store.User{PoolID: "nope", Username: "x"}), store.ErrNotFound, "user in missing pool")
	wantCount(t, s, "p1", 40, "after a refused duplicate")

	// Updates do not count.
	_, err := s.UpdateUser(ctx, "p1", "user-03", func(u store.User) (store.User, error) {
		u.Status = "RESET_REQUIRED"
		return u, nil
	})
	must(t, err, "update user")
	_, err = s.UpdateUser(ctx, "p1", "user-04", func(u store.User) (store.User, error) { return u, errFn })
	wantErr(t, err, errFn, "refused update")
	wantCount(t, s, "p1", 40, "after updates")

	// CreateUsers counts only the users it stored.
	created, err := s.CreateUsers(ctx, "p1", []store.User{
		{PoolID: "p1", Username: "bulk-a", Status: "RESET_REQUIRED"},
		{PoolID: "p1", Username: "user-05", Status: "RESET_REQUIRED"},
		{PoolID: "p1", Username: "bulk-b", Status: "RESET_REQUIRED"},
		{PoolID: "p1", Username: "bulk-a", Status: "RESET_REQUIRED"},
	})
	must(t, err, "create users")
	wantEqual(t, created, []bool{true, false, true, false}, "created flags")
	wantCount(t, s, "p1", 42, "after a bulk create")
	// A batch that fails stores and counts nothing.
	_, err = s.CreateUsers(ctx, "p1", []store.User{
		{PoolID: "p1", Username: "bulk-c", Status: "RESET_REQUIRED"},
		{PoolID: "p2", Username: "bulk-d", Status: "RESET_REQUIRED"},
	})
	if err == nil {
		t.Fatal("CreateUsers accepted a user of another pool")
	}
	wantCount(t, s, "p1", 42, "after a failed bulk create")
	wantCount(t, s, "p2", 1, "other pool after a failed bulk create")

	for i := range 10 {
		must(t, s.DeleteUser(ctx, "p1", fmt.Sprintf("user-%02d", i)), "delete user")
	}
	wantErr(t, s.DeleteUser(ctx, "p1", "user-00"), store.ErrNotFound, "delete deleted user")
	wantErr(t, s.DeleteUser(ctx, "p1", "ghost"), store.ErrNotFound, "delete missing user")
	wantCount(t, s, "p1", 32, "after 10 deletes")
	must(t, s.DeleteUser(ctx, "p1", "bulk-a"), "delete bulk user")
	wantCount(t, s, "p1", 31, "after deleting a bulk user")
	// A deleted user's name can be taken again, and counts again.
	user(t, s, "p1", "user-00", nil)
	wantCount(t, s, "p1", 32, "after re-creating a user")
	wantCount(t, s, "p2", 1, "other pool after deletes")

	// Deleting the pool drops its count: a re-created pool starts at 0.
	must(t, s.DeletePool(ctx, "p1"), "delete pool")
	_, err = s.CountUsers(ctx, "p1")
	wantErr(t, err, store.ErrNotFound, "count users of a deleted pool")
	pool(t, s, "p1")
	wantCount(t, s, "p1", 0, "re-created pool")
	user(t, s, "p1", "user-01", nil)
	wantCount(t, s, "p1", 1, "re-created pool with a user")
	wantCount(t, s, "p2", 1, "other pool after the pool's deletion")

	// Removing every user leaves a count of 0, not a missing pool.
	must(t, s.DeleteUser(ctx, "p2", "user-00"), "delete p2's user")
	wantCount(t, s, "p2", 0, "emptied pool")
}

// testConcurrentUserCount races creates, bulk creates and deletes of users
// in one pool, several of them on the same usernames: the count stays exact.
func testConcurrentUserCount(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	pool(t, s, "p1")
	const perWorker = 12
	for i := range workers { // users to delete, some of them twice
		user(t, s, "p1", fmt.Sprintf("old-%02d", i), nil)
	}
	errs := race(workers, func(i int) error {
		for k := range perWorker {
			u := store.User{PoolID: "p1", Username: fmt.Sprintf("w%02d-%02d", i, k), Status: "CONFIRMED", Enabled: true,
				Attributes: map[string]string{"email": fmt.Sprintf("w%d-%d@example.com", i, k)}}
			if err := s.CreateUser(ctx, u); err != nil {
				return fmt.Errorf("create %s: %w", u.Username, err)
			}
			if k%3 == 0 {
				if err := s.DeleteUser(ctx, "p1", u.Username); err != nil {
					return fmt.Errorf("delete %s: %w", u.Username, err)
				}
			}
		}
		// Every worker tries to create "shared": one succeeds.
		err := s.CreateUser(ctx, store.User{PoolID: "p1", Username: "shared", Status: "CONFIRMED"})
		if err != nil && !errors.Is(err, store.ErrAlreadyExists) {
			return fmt.Errorf("create shared: %w", err)
		}
		// Two workers delete each old user: one succeeds.
		err = s.DeleteUser(ctx, "p1", fmt.Sprintf("old-%02d", i/2))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("delete old: %w", err)
		}
		// Overlapping bulk creates: bulk-00 .. bulk-09, each stored once.
		batch := make([]store.User, 0, 5)
		for j := range 5 {
			batch = append(batch, store.User{PoolID: "p1", Username: fmt.Sprintf("bulk-%02d", (i+j)%10), Status: "RESET_REQUIRED"})
		}
		if _, err := s.CreateUsers(ctx, "p1", batch); err != nil {
			return fmt.Errorf("create users: %w", err)
		}
		return nil
	})
	noErrors(t, errs, "concurrent creates and deletes")
	// Kept: 2/3 of each worker's users, "shared", the undeleted half of the
	// old users, the ten bulk users.
	want := workers*(perWorker-perWorker/3) + 1 + workers/2 + 10
	wantCount(t, s, "p1", want, "after the race")
}

// RunUserCountBackfill checks that the migration creating the user counters
// counts the users already stored. open returns a store on one database,
// the same on every call; exec runs a statement on that database directly.
func RunUserCountBackfill(t *testing.T, open NewStore, exec func(t *testing.T, query string)) {
	ctx := ctxOf(t)
	s := open(t)
	pool(t, s, "p1")
	pool(t, s, "p2")
	pool(t, s, "p3")
	for i := range 25 {
		user(t, s, "p1", fmt.Sprintf("user-%02d", i), nil)
	}
	for i := range 3 {
		user(t, s, "p2", fmt.Sprintf("user-%02d", i), nil)
	}
	must(t, s.Close(), "close")
	// Back to the schema before the counters (migration 0015).
	exec(t, "DROP TABLE user_counts")
	exec(t, "DELETE FROM schema_migrations WHERE version = 15")

	s = open(t)
	wantCount(t, s, "p1", 25, "backfilled pool")
	wantCount(t, s, "p2", 3, "second backfilled pool")
	wantCount(t, s, "p3", 0, "backfilled empty pool")
	user(t, s, "p1", "new", nil)
	wantCount(t, s, "p1", 26, "backfilled pool after a create")
	for i := range 3 {
		must(t, s.DeleteUser(ctx, "p2", fmt.Sprintf("user-%02d", i)), "delete backfilled user")
	}
	wantCount(t, s, "p2", 0, "backfilled pool emptied")
}
