// Package storetest is the conformance suite every store.Store backend runs
// from its own tests:
//
//	func TestConformance(t *testing.T) { storetest.Run(t, newStore) }
//	func TestConcurrency(t *testing.T) { storetest.RunConcurrency(t, newStore) }
//
// newStore must return an empty store and arrange (with t.Cleanup) to close
// it. Each subtest gets its own store. Benchmarks of the hot paths are in
// Bench.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

// NewStore returns an empty store for one test and closes it at cleanup.
type NewStore func(t *testing.T) store.Store

// Run runs the conformance suite: every method of store.Store and its contract.
func Run(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Pools", testPools},
		{"PoolPaging", testPoolPaging},
		{"UpdatePool", testUpdatePool},
		{"DeletePoolCascades", testDeletePoolCascades},
		{"Clients", testClients},
		{"Users", testUsers},
		{"UserPaging", testUserPaging},
		{"FindUsers", testFindUsers},
		{"UpdateUser", testUpdateUser},
		{"DeleteUser", testDeleteUser},
		{"UserCount", testUserCount},
		{"Groups", testGroups},
		{"Memberships", testMemberships},
		{"Sessions", testSessions},
		{"Revocations", testRevocations},
		{"Keys", testKeys},
		{"Lockouts", testLockouts},
		{"Deployments", testDeployments},
		{"Stages", testStages},
		{"Items", testItems},
		{"Usage", testUsage},
		{"TokenBucket", testTokenBucket},
		{"Outbox", testOutbox},
		{"Objects", testObjects},
		{"Passkeys", testPasskeys},
		{"Name", testName},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

// t0 is the suite's clock: times carry sub-millisecond digits on purpose,
// which the store must drop.
var t0 = time.Date(2026, 3, 4, 5, 6, 7, 891_234_567, time.UTC)

// ms is what the store returns for t: UTC, whole milliseconds.
func ms(t time.Time) time.Time { return t.Truncate(time.Millisecond).UTC() }

// errFn is an error a test's update function returns.
var errFn = errors.New("storetest: fn refused")

func ctxOf(t *testing.T) context.Context { return t.Context() }

// must fails the test on err.
func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantErr fails unless errors.Is(err, target).
func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error = %v, want %v", what, err, target)
	}
}

// wantEqual fails unless got and want are deeply equal.
func wantEqual(t *testing.T, got, want any, what string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

// pool creates a pool named id.
func pool(t *testing.T, s store.Store, id string) store.Pool {
	t.Helper()
	p := store.Pool{ID: id, Name: "name-" + id, Config: []byte(`{"mfa":"OFF"}`), CreatedAt: ms(t0), UpdatedAt: ms(t0)}
	must(t, s.CreatePool(ctxOf(t), p), "create pool "+id)
	return p
}

// user creates a user with the given attributes.
func user(t *testing.T, s store.Store, poolID, name string, attrs map[string]string) store.User {
	t.Helper()
	if attrs == nil {
		attrs = map[string]string{}
	}
	u := store.User{
		PoolID: poolID, Username: name, Status: "CONFIRMED", Enabled: true, Attributes: attrs,
		Credentials: []byte("sealed-" + name), Private: []byte(`{"epoch":1}`),
		CreatedAt: ms(t0), UpdatedAt: ms(t0),
	}
	must(t, s.CreateUser(ctxOf(t), u), "create user "+name)
	return u
}

// group creates a group.
func group(t *testing.T, s store.Store, poolID, name string) store.Group {
	t.Helper()
	g := store.Group{PoolID: poolID, Name: name, Description: "d-" + name, CreatedAt: ms(t0), UpdatedAt: ms(t0)}
	must(t, s.CreateGroup(ctxOf(t), g), "create group "+name)
	return g
}

// names returns a key of each row, for comparing pages.
func names[T any](rows []T, key func(T) string) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, key(r))
	}
	return out
}

// pageAll walks every page of list with the given limit and returns the keys
// page by page.
func pageAll[T any](t *testing.T, limit int, key func(T) string, list func(store.Page) ([]T, error)) [][]string {
	t.Helper()
	var pages [][]string
	after := ""
	for i := 0; ; i++ {
		if i > 100 {
			t.Fatal("paging does not end")
		}
		rows, err := list(store.Page{After: after, Limit: limit})
		must(t, err, fmt.Sprintf("page %d", i))
		if len(rows) == 0 {
			return pages
		}
		if len(rows) > limit {
			t.Fatalf("page %d has %d rows, limit %d", i, len(rows), limit)
		}
		pages = append(pages, names(rows, key))
		after = key(rows[len(rows)-1])
	}
}

func testName(t *testing.T, s store.Store) {
	if s.Name() == "" {
		t.Fatal("Name() is empty")
	}
}
