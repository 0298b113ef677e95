package storetest

import (
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

func groupName(g store.Group) string { return g.Name }

func testGroups(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	pool(t, s, "p1")
	pool(t, s, "p2")
	wantErr(t, s.CreateGroup(ctx, store.Group{PoolID: "nope", Name: "g"}), store.ErrNotFound, "group in missing pool")
	_, err := s.GetGroup(ctx, "p1", "missing")
	wantErr(t, err, store.ErrNotFound, "get missing group")

	prec := int32(7)
	in := store.Group{PoolID: "p1", Name: "admins", Description: "Admins", RoleArn: "arn:aws:iam::123456789012:role/a",
		Precedence: &prec, CreatedAt: t0, UpdatedAt: t0}
	must(t, s.CreateGroup(ctx, in), "create group")
	want := in
	want.CreatedAt, want.UpdatedAt = ms(t0), ms(t0)
	got, err := s.GetGroup(ctx, "p1", "admins")
	must(t, err, "get group")
	wantEqual(t, got, want, "group round trip")
	wantErr(t, s.CreateGroup(ctx, store.Group{PoolID: "p1", Name: "admins"}), store.ErrAlreadyExists, "duplicate group")
	must(t, s.CreateGroup(ctx, store.Group{PoolID: "p2", Name: "admins"}), "same name in another pool")
	got, err = s.GetGroup(ctx, "p2", "admins")
	must(t, err, "get p2 group")
	if got.Precedence != nil {
		t.Fatalf("nil precedence came back as %d", *got.Precedence)
	}

	for _, n := range []string{"c", "b", "d"} {
		group(t, s, "p1", n)
	}
	wantEqual(t, pageAll(t, 3, groupName, func(p store.Page) ([]store.Group, error) { return s.ListGroups(ctx, "p1", p) }),
		[][]string{{"admins", "b", "c"}, {"d"}}, "group pages")
	_, err = s.ListGroups(ctx, "nope", store.Page{})
	wantErr(t, err, store.ErrNotFound, "list groups of missing pool")

	upd, err := s.UpdateGroup(ctx, "p1", "admins", func(g store.Group) (store.Group, error) {
		wantEqual(t, g, want, "fn sees stored group")
		g.Name, g.PoolID = "renamed", "p2"
		g.Description, g.Precedence, g.UpdatedAt = "All admins", nil, t0.Add(time.Minute)
		return g, nil
	})
	must(t, err, "update group")
	want.Description, want.Precedence, want.UpdatedAt = "All admins", nil, ms(t0.Add(time.Minute))
	wantEqual(t, upd, want, "update result")
	got, err = s.GetGroup(ctx, "p1", "admins")
	must(t, err, "get updated")
	wantEqual(t, got, want, "stored group")
	_, err = s.UpdateGroup(ctx, "p1", "admins", func(g store.Group) (store.Group, error) {
		g.Description = "x"
		return g, errFn
	})
	wantErr(t, err, errFn, "fn error")
	got, err = s.GetGroup(ctx, "p1", "admins")
	must(t, err, "get after fn error")
	wantEqual(t, got, want, "fn error writes nothing")
	_, err = s.UpdateGroup(ctx, "p1", "nope", func(g store.Group) (store.Group, error) { return g, nil })
	wantErr(t, err, store.ErrNotFound, "update missing group")

	must(t, s.DeleteGroup(ctx, "p1", "admins"), "delete group")
	_, err = s.GetGroup(ctx, "p1", "admins")
	wantErr(t, err, store.ErrNotFound, "deleted group")
	wantErr(t, s.DeleteGroup(ctx, "p1", "admins"), store.ErrNotFound, "delete twice")
	_, err = s.GetGroup(ctx, "p2", "admins")
	must(t, err, "other pool's group survives")
}

func testMemberships(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	pool(t, s, "p1")
	for _, g := range []string{"g-b", "g-a", "g-c"} {
		group(t, s, "p1", g)
	}
	for _, u := range []string{"u3", "u1", "u2"} {
		user(t, s, "p1", u, nil)
	}
	cases := []struct {
		name, group, user string
	}{
		{"missing group", "nope", "u1"},
		{"missing user", "g-a", "nope"},
	}
	for _, tc := range cases {
		wantErr(t, s.AddUserToGroup(ctx, "p1", tc.group, tc.user), store.ErrNotFound, "add: "+tc.name)
		wantErr(t, s.RemoveUserFromGroup(ctx, "p1", tc.group, tc.user), store.ErrNotFound, "remove: "+tc.name)
	}
	for _, g := range []string{"g-c", "g-a", "g-b"} {
		must(t, s.AddUserToGroup(ctx, "p1", g, "u1"), "add u1 to "+g)
	}
	must(t, s.AddUserToGroup(ctx, "p1", "g-a", "u1"), "adding a member again is fine")
	must(t, s.AddUserToGroup(ctx, "p1", "g-a", "u3"), "add u3")
	must(t, s.AddUserToGroup(ctx, "p1", "g-a", "u2"), "add u2")

	wantEqual(t, pageAll(t, 2, groupName, func(p store.Page) ([]store.Group, error) {
		return s.ListGroupsForUser(ctx, "p1", "u1", p)
	}), [][]string{{"g-a", "g-b"}, {"g-c"}}, "groups for u1")
	wantEqual(t, pageAll(t, 2, username, func(p store.Page) ([]store.User, error) {
		return s.ListUsersInGroup(ctx, "p1", "g-a", p)
	}), [][]string{{"u1", "u2"}, {"u3"}}, "users in g-a")
	gs, err := s.ListGroupsForUser(ctx, "p1", "u1", store.Page{Limit: 1})
	must(t, err, "groups for u1")
	wantEqual(t, gs[0].Description, "d-g-a", "groups come back whole")
	us, err := s.ListUsersInGroup(ctx, "p1", "g-a", store.Page{Limit: 1})
	must(t, err, "users in g-a")
	wantEqual(t, string(us[0].Credentials), "sealed-u1", "users come back whole")

	must(t, s.RemoveUserFromGroup(ctx, "p1", "g-b", "u1"), "remove u1 from g-b")
	must(t, s.RemoveUserFromGroup(ctx, "p1", "g-b", "u1"), "removing a non-member is fine")
	gs, err = s.ListGroupsForUser(ctx, "p1", "u1", store.Page{})
	must(t, err, "groups after remove")
	wantEqual(t, names(gs, groupName), []string{"g-a", "g-c"}, "groups after remove")

	gs, err = s.ListGroupsForUser(ctx, "p1", "u2", store.Page{After: "g-a"})
	must(t, err, "empty page of an existing user")
	wantEqual(t, len(gs), 0, "no groups after g-a")
	_, err = s.ListGroupsForUser(ctx, "p1", "ghost", store.Page{})
	wantErr(t, err, store.ErrNotFound, "groups of missing user")
	us, err = s.ListUsersInGroup(ctx, "p1", "g-b", store.Page{})
	must(t, err, "users of an empty group")
	wantEqual(t, len(us), 0, "users of an empty group")
	_, err = s.ListUsersInGroup(ctx, "p1", "ghost", store.Page{})
	wantErr(t, err, store.ErrNotFound, "users of missing group")

	must(t, s.DeleteGroup(ctx, "p1", "g-a"), "delete g-a")
	gs, err = s.ListGroupsForUser(ctx, "p1", "u1", store.Page{})
	must(t, err, "groups after group delete")
	wantEqual(t, names(gs, groupName), []string{"g-c"}, "deleting a group ends its memberships")
	group(t, s, "p1", "g-a")
	us, err = s.ListUsersInGroup(ctx, "p1", "g-a", store.Page{})
	must(t, err, "members of re-created group")
	wantEqual(t, len(us), 0, "re-created group starts empty")
}
