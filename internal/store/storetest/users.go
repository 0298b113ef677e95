package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

func username(u store.User) string { return u.Username }

func testUsers(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	pool(t, s, "p1")
	pool(t, s, "p2")
	wantErr(t, s.CreateUser(ctx, store.User{PoolID: "nope", Username: "x"}), store.ErrNotFound, "user in missing pool")

	in := store.User{
		PoolID: "p1", Username: "Alice", Status: "FORCE_CHANGE_PASSWORD", Enabled: true,
		Attributes:  map[string]string{"sub": "0b6c2f1e", "email": "Alice@Example.com", "custom:tier": "gold"},
		Credentials: []byte{9, 8, 7}, Private: json.RawMessage(`{"code":"123456"}`),
		CreatedAt: t0, UpdatedAt: t0,
	}
	must(t, s.CreateUser(ctx, in), "create user")
	want := in
	want.CreatedAt, want.UpdatedAt = ms(t0), ms(t0)
	got, err := s.GetUser(ctx, "p1", "Alice")
	must(t, err, "get user")
	wantEqual(t, got, want, "user round trip")

	_, err = s.GetUser(ctx, "p1", "alice")
	wantErr(t, err, store.ErrNotFound, "usernames are exact keys")
	_, err = s.GetUser(ctx, "p2", "Alice")
	wantErr(t, err, store.ErrNotFound, "user of another pool")
	wantErr(t, s.CreateUser(ctx, store.User{PoolID: "p1", Username: "Alice"}), store.ErrAlreadyExists, "duplicate user")
	must(t, s.CreateUser(ctx, store.User{PoolID: "p2", Username: "Alice"}), "same username in another pool")

	// CreateUsers: one transaction, existing usernames skipped.
	created, err := s.CreateUsers(ctx, "p2", []store.User{
		{PoolID: "p2", Username: "bulk1", Status: "RESET_REQUIRED", Enabled: true, Attributes: map[string]string{"sub": "s-bulk1", "email": "b1@example.com"}, CreatedAt: t0, UpdatedAt: t0},
		{PoolID: "p2", Username: "Alice", Status: "CONFIRMED"},
		{PoolID: "p2", Username: "bulk2", Status: "RESET_REQUIRED", Enabled: true, CreatedAt: t0, UpdatedAt: t0},
	})
	must(t, err, "create users")
	wantEqual(t, created, []bool{true, false, true}, "created flags")
	b1, err := s.GetUser(ctx, "p2", "bulk1")
	must(t, err, "get bulk user")
	wantEqual(t, b1.Status, "RESET_REQUIRED", "bulk user status")
	byEmail, err := s.FindUsers(ctx, "p2", store.AttrEmail, "B1@example.com")
	must(t, err, "find bulk user")
	wantEqual(t, len(byEmail), 1, "bulk user indexed by email")
	if a, err := s.GetUser(ctx, "p2", "Alice"); err != nil || a.Status != "" {
		t.Fatalf("CreateUsers overwrote an existing user: %+v %v", a, err)
	}
	_, err = s.CreateUsers(ctx, "nope", []store.User{{PoolID: "nope", Username: "x"}})
	wantErr(t, err, store.ErrNotFound, "bulk users in missing pool")
	for _, n := range []string{"bulk1", "bulk2"} {
		must(t, s.DeleteUser(ctx, "p2", n), "delete bulk user")
	}

	// Empty maps and slices come back as an empty map and nil.
	must(t, s.CreateUser(ctx, store.User{PoolID: "p1", Username: "bare", Status: "UNCONFIRMED"}), "create bare user")
	got, err = s.GetUser(ctx, "p1", "bare")
	must(t, err, "get bare user")
	wantEqual(t, got, store.User{PoolID: "p1", Username: "bare", Status: "UNCONFIRMED", Attributes: map[string]string{}},
		"bare user")
	got.Attributes["email"] = "writable@example.com" // must not panic: the map is non-nil

	n, err := s.CountUsers(ctx, "p1")
	must(t, err, "count users")
	wantEqual(t, n, 2, "count users")
	_, err = s.CountUsers(ctx, "nope")
	wantErr(t, err, store.ErrNotFound, "count users of missing pool")
}

func testUserPaging(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	pool(t, s, "p1")
	pool(t, s, "p2")
	rows, err := s.ListUsers(ctx, "p1", store.Page{})
	must(t, err, "list empty pool")
	wantEqual(t, len(rows), 0, "users of empty pool")
	_, err = s.ListUsers(ctx, "nope", store.Page{})
	wantErr(t, err, store.ErrNotFound, "list users of missing pool")

	for _, n := range []string{"erin", "bob", "Zed", "dave", "carol", "alice"} {
		user(t, s, "p1", n, nil)
	}
	user(t, s, "p2", "other", nil)
	wantEqual(t, pageAll(t, 2, username, func(p store.Page) ([]store.User, error) { return s.ListUsers(ctx, "p1", p) }),
		[][]string{{"Zed", "alice"}, {"bob", "carol"}, {"dave", "erin"}}, "user pages")
	rows, err = s.ListUsers(ctx, "p1", store.Page{After: "carol", Limit: 10})
	must(t, err, "list after carol")
	wantEqual(t, names(rows, username), []string{"dave", "erin"}, "after carol")
	n, err := s.CountUsers(ctx, "p1")
	must(t, err, "count")
	wantEqual(t, n, 6, "count")
}

func testFindUsers(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	pool(t, s, "p1")
	pool(t, s, "p2")
	user(t, s, "p1", "zoe", map[string]string{"email": "Shared@Example.COM", "phone_number": "+15550100"})
	user(t, s, "p1", "amy", map[string]string{"email": "shared@example.com", "sub": "AbC-123"})
	user(t, s, "p1", "max", map[string]string{"preferred_username": "MaxPower", "email": "max@example.com"})
	user(t, s, "p2", "eve", map[string]string{"email": "shared@example.com"})

	cases := []struct {
		name, attr, value string
		want              []string
	}{
		{"email any case, username order", store.AttrEmail, "SHARED@example.com", []string{"amy", "zoe"}},
		{"sub", store.AttrSub, "abc-123", []string{"amy"}},
		{"phone", store.AttrPhoneNumber, "+15550100", []string{"zoe"}},
		{"preferred username", store.AttrPreferredUsername, "maxpower", []string{"max"}},
		{"no match", store.AttrEmail, "nobody@example.com", []string{}},
		{"other pool's value", store.AttrSub, "missing", []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := s.FindUsers(ctx, "p1", tc.attr, tc.value)
			must(t, err, "find users")
			wantEqual(t, names(rows, username), tc.want, "found")
			for _, u := range rows {
				if u.PoolID != "p1" {
					t.Fatalf("found a user of pool %s", u.PoolID)
				}
			}
		})
	}
	if _, err := s.FindUsers(ctx, "p1", "custom:tier", "x"); err == nil {
		t.Fatal("FindUsers on an unindexed attribute succeeded")
	}

	// Updating the attribute re-indexes it.
	_, err := s.UpdateUser(ctx, "p1", "zoe", func(u store.User) (store.User, error) {
		u.Attributes["email"] = "zoe@example.com"
		delete(u.Attributes, "phone_number")
		return u, nil
	})
	must(t, err, "update zoe")
	rows, err := s.FindUsers(ctx, "p1", store.AttrEmail, "shared@example.com")
	must(t, err, "find old email")
	wantEqual(t, names(rows, username), []string{"amy"}, "old email no longer finds zoe")
	rows, err = s.FindUsers(ctx, "p1", store.AttrEmail, "ZOE@example.com")
	must(t, err, "find new email")
	wantEqual(t, names(rows, username), []string{"zoe"}, "new email finds zoe")
	rows, err = s.FindUsers(ctx, "p1", store.AttrPhoneNumber, "+15550100")
	must(t, err, "find removed phone")
	wantEqual(t, len(rows), 0, "removed phone")

	// Updates that keep the aliases (other attributes, a change of case)
	// keep the user findable by each of them.
	_, err = s.UpdateUser(ctx, "p1", "zoe", func(u store.User) (store.User, error) {
		u.Attributes["given_name"] = "Zoe"
		u.Attributes["email"] = "Zoe@Example.com"
		u.Status = "RESET_REQUIRED"
		return u, nil
	})
	must(t, err, "update zoe's other attributes")
	rows, err = s.FindUsers(ctx, "p1", store.AttrEmail, "zoe@example.com")
	must(t, err, "find kept email")
	wantEqual(t, names(rows, username), []string{"zoe"}, "kept email finds zoe")
	wantEqual(t, rows[0].Attributes["email"], "Zoe@Example.com", "email as written")
	wantEqual(t, rows[0].Status, "RESET_REQUIRED", "status updated with the aliases kept")
}

func testUpdateUser(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	pool(t, s, "p1")
	_, err := s.UpdateUser(ctx, "p1", "ghost", func(u store.User) (store.User, error) { return u, nil })
	wantErr(t, err, store.ErrNotFound, "update missing user")

	orig := user(t, s, "p1", "bob", map[string]string{"email": "bob@example.com"})
	calls := 0
	got, err := s.UpdateUser(ctx, "p1", "bob", func(u store.User) (store.User, error) {
		calls++
		wantEqual(t, u, orig, "fn sees the stored user")
		u.Username, u.PoolID, u.CreatedAt = "robert", "p9", t0.Add(time.Hour)
		u.Status, u.Enabled = "RESET_REQUIRED", false
		u.Attributes["email_verified"] = "true"
		u.Credentials, u.Private = []byte("new"), nil
		u.UpdatedAt = t0.Add(2 * time.Second)
		return u, nil
	})
	must(t, err, "update user")
	if calls < 1 {
		t.Fatal("fn not called")
	}
	want := orig
	want.Status, want.Enabled = "RESET_REQUIRED", false
	want.Attributes = map[string]string{"email": "bob@example.com", "email_verified": "true"}
	want.Credentials, want.Private, want.UpdatedAt = []byte("new"), nil, ms(t0.Add(2*time.Second))
	wantEqual(t, got, want, "update result")
	stored, err := s.GetUser(ctx, "p1", "bob")
	must(t, err, "get updated")
	wantEqual(t, stored, want, "stored user")

	_, err = s.UpdateUser(ctx, "p1", "bob", func(u store.User) (store.User, error) {
		u.Attributes["email"] = "evil@example.com"
		u.Status = "CONFIRMED"
		return u, errFn
	})
	wantErr(t, err, errFn, "fn error")
	stored, err = s.GetUser(ctx, "p1", "bob")
	must(t, err, "get after fn error")
	wantEqual(t, stored, want, "fn error writes nothing")
	rows, err := s.FindUsers(ctx, "p1", store.AttrEmail, "evil@example.com")
	must(t, err, "find after fn error")
	wantEqual(t, len(rows), 0, "fn error does not index")
}

func testDeleteUser(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	pool(t, s, "p1")
	wantErr(t, s.DeleteUser(ctx, "p1", "ghost"), store.ErrNotFound, "delete missing user")
	user(t, s, "p1", "bob", map[string]string{"email": "bob@example.com"})
	user(t, s, "p1", "ann", nil)
	group(t, s, "p1", "g1")
	must(t, s.AddUserToGroup(ctx, "p1", "g1", "bob"), "add bob")
	must(t, s.AddUserToGroup(ctx, "p1", "g1", "ann"), "add ann")

	must(t, s.DeleteUser(ctx, "p1", "bob"), "delete bob")
	_, err := s.GetUser(ctx, "p1", "bob")
	wantErr(t, err, store.ErrNotFound, "deleted user")
	members, err := s.ListUsersInGroup(ctx, "p1", "g1", store.Page{})
	must(t, err, "members")
	wantEqual(t, names(members, username), []string{"ann"}, "membership removed")
	rows, err := s.FindUsers(ctx, "p1", store.AttrEmail, "bob@example.com")
	must(t, err, "find deleted")
	wantEqual(t, len(rows), 0, "alias gone")

	// A new user with the same name starts without the old memberships.
	user(t, s, "p1", "bob", nil)
	groups, err := s.ListGroupsForUser(ctx, "p1", "bob", store.Page{})
	must(t, err, "groups of new bob")
	wantEqual(t, len(groups), 0, "new bob's groups")
}
