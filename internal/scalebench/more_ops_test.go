package scalebench

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// scaleGroup is the group the group operations read; its members are the
// first half of the real users (fillers belong to no group).
const scaleGroup = "scale-group"

// extraState is what the extra operations' setups prepare on an instance.
type extraState struct {
	subs    map[string]string // real user → sub
	members []string          // real users in scaleGroup
	access  string            // an access token of Users[0]
	refresh string            // a refresh token of Users[0]
}

// setupSubs reads the subs of (up to 30) real users.
func setupSubs(in *instance) error {
	if in.extra.subs != nil {
		return nil
	}
	in.extra.subs = map[string]string{}
	for _, u := range in.f.Users[:min(30, len(in.f.Users))] {
		var out struct {
			UserAttributes []struct{ Name, Value string }
		}
		if err := in.c.call("AdminGetUser", map[string]any{"UserPoolId": in.f.PoolID, "Username": u}, &out); err != nil {
			return err
		}
		for _, a := range out.UserAttributes {
			if a.Name == "sub" {
				in.extra.subs[u] = a.Value
			}
		}
	}
	return nil
}

// listBySub finds a random real user by the indexed sub filter.
func listBySub(in *instance, rng *rand.Rand) (time.Duration, error) {
	users := make([]string, 0, len(in.extra.subs))
	for u := range in.extra.subs {
		users = append(users, u)
	}
	user := users[rng.IntN(len(users))]
	var res struct{ Users []struct{ Username string } }
	d, err := in.c.timedCall("ListUsers", map[string]any{"UserPoolId": in.f.PoolID,
		"Filter": fmt.Sprintf("sub = %q", in.extra.subs[user])}, &res)
	if err == nil && (len(res.Users) != 1 || res.Users[0].Username != user) {
		err = fmt.Errorf("sub of %s found %v", user, res.Users)
	}
	return d, err
}

// setupGroup creates scaleGroup (once) and adds its members.
func setupGroup(in *instance) error {
	if in.extra.members != nil {
		return nil
	}
	err := in.c.call("CreateGroup", map[string]any{"UserPoolId": in.f.PoolID, "GroupName": scaleGroup}, nil)
	if err != nil && !strings.Contains(err.Error(), "GroupExistsException") {
		return err
	}
	members := in.f.Users[:max(1, min(30, len(in.f.Users)/2))]
	for _, u := range members {
		if err := in.c.call("AdminAddUserToGroup", map[string]any{"UserPoolId": in.f.PoolID,
			"GroupName": scaleGroup, "Username": u}, nil); err != nil {
			return err
		}
	}
	in.extra.members = members
	return nil
}

// listUsersInGroup lists scaleGroup's members (one page).
func listUsersInGroup(in *instance, _ *rand.Rand) (time.Duration, error) {
	var res struct{ Users []struct{ Username string } }
	d, err := in.c.timedCall("ListUsersInGroup", map[string]any{"UserPoolId": in.f.PoolID, "GroupName": scaleGroup, "Limit": 60}, &res)
	if err == nil && len(res.Users) != len(in.extra.members) {
		err = fmt.Errorf("%d members listed, want %d", len(res.Users), len(in.extra.members))
	}
	return d, err
}

// listGroupsForMember lists the groups of a random member of scaleGroup.
func listGroupsForMember(in *instance, rng *rand.Rand) (time.Duration, error) {
	user := in.extra.members[rng.IntN(len(in.extra.members))]
	var res struct{ Groups []struct{ GroupName string } }
	d, err := in.c.timedCall("AdminListGroupsForUser", map[string]any{"UserPoolId": in.f.PoolID, "Username": user}, &res)
	if err == nil && (len(res.Groups) != 1 || res.Groups[0].GroupName != scaleGroup) {
		err = fmt.Errorf("groups of %s: %v", user, res.Groups)
	}
	return d, err
}

// setupRefresh signs Users[0] in once for its access and refresh tokens.
func setupRefresh(in *instance) error {
	if in.extra.refresh != "" {
		return nil
	}
	lt, err := in.c.srpLogin(in.f.PoolID, in.f.ClientID, in.f.Users[0], password)
	if err != nil {
		return err
	}
	in.extra.access, in.extra.refresh = lt.accessToken, lt.refresh
	return nil
}

// refresh gets new tokens with the refresh token of Users[0].
func refresh(in *instance, _ *rand.Rand) (time.Duration, error) {
	var res authResult
	d, err := in.c.timedCall("InitiateAuth", map[string]any{"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": in.f.ClientID,
		"AuthParameters": map[string]string{"REFRESH_TOKEN": in.extra.refresh}}, &res)
	if err == nil && (res.AuthenticationResult == nil || res.AuthenticationResult.IdToken == "") {
		err = fmt.Errorf("refresh: no tokens")
	}
	return d, err
}

// getUserByToken reads Users[0] with its access token (GetUser).
func getUserByToken(in *instance, _ *rand.Rand) (time.Duration, error) {
	var res struct{ Username string }
	d, err := in.c.timedCall("GetUser", map[string]any{"AccessToken": in.extra.access}, &res)
	if err == nil && res.Username != in.f.Users[0] {
		err = fmt.Errorf("GetUser answered %q", res.Username)
	}
	return d, err
}
