package scalebench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/app"
)

// instance is a Cognate serving one fixture.
type instance struct {
	f *fixture
	a *app.App
	c *client
	// extra is what the extra operations' setups prepared (see more_ops_test.go).
	extra extraState
}

// startInstances serves each fixture from its own Cognate in this process;
// they are shut down when the test ends.
func startInstances(tb testing.TB, fixtures []*fixture) []*instance {
	tb.Helper()
	var out []*instance
	for _, f := range fixtures {
		a, err := startApp(context.Background(), f.dir)
		if err != nil {
			tb.Fatalf("start Cognate on the %d-user fixture: %v", f.N, err)
		}
		c := newClient(a.URL)
		tb.Cleanup(func() {
			c.close()
			if err := a.Shutdown(context.Background()); err != nil {
				tb.Errorf("shut down: %v", err)
			}
		})
		out = append(out, &instance{f: f, a: a, c: c})
	}
	return out
}

// sample is one round's measurements.
type sample struct {
	login, client, authz, authzCached time.Duration
}

// round signs a random real user in with SRP, then calls the Cognito-
// authorizer route twice with the fresh id token: the first call verifies
// the token, the second is answered from the authorizer cache. It checks
// that the gateway saw the right user.
func (in *instance) round(rng *rand.Rand) (sample, error) {
	var s sample
	user := in.f.Users[rng.IntN(len(in.f.Users))]
	lt, err := in.c.srpLogin(in.f.PoolID, in.f.ClientID, user, password)
	if err != nil {
		return s, fmt.Errorf("N=%d: login %s: %w", in.f.N, user, err)
	}
	s.login, s.client = lt.server, lt.client
	for i, d := range []*time.Duration{&s.authz, &s.authzCached} {
		spent, title, err := in.c.authorizedGet(lt.idToken)
		if err != nil {
			return s, fmt.Errorf("N=%d: authorized GET %d for %s: %w", in.f.N, i+1, user, err)
		}
		if want := "Notes for " + user; title != want {
			return s, fmt.Errorf("N=%d: GET %d answered %q, want %q", in.f.N, i+1, title, want)
		}
		*d = spent
	}
	return s, nil
}

// extraOp is an operation whose cost may grow with the pool, measured
// after the main rounds with few repetitions.
type extraOp struct {
	name string
	// reps is how many times to run it per pool; a slow one stops early.
	reps int
	run  func(in *instance, rng *rand.Rand) (time.Duration, error)
	// walk, when set instead of run, measures several calls in one rep
	// (each page of a paginated walk), each call one sample.
	walk func(in *instance) (series, error)
	// setup, when set, runs once per instance before the first rep.
	setup func(in *instance) error
}

// extraOps are the email login and user-administration calls.
var extraOps = []extraOp{
	{name: "login-by-email", reps: 30, run: loginByEmail},
	adminCall("AdminGetUser", 30, func(f *fixture, user string) (string, map[string]any) {
		return "AdminGetUser", map[string]any{"UserPoolId": f.PoolID, "Username": user}
	}),
	adminCall("ListUsers(first page)", 30, func(f *fixture, _ string) (string, map[string]any) {
		return "ListUsers", map[string]any{"UserPoolId": f.PoolID, "Limit": 60}
	}),
	adminCall("ListUsers(email=)", 30, func(f *fixture, user string) (string, map[string]any) {
		return "ListUsers", map[string]any{"UserPoolId": f.PoolID, "Filter": fmt.Sprintf("email = %q", user+"@example.com")}
	}),
	adminCall("DescribeUserPool", 10, func(f *fixture, _ string) (string, map[string]any) {
		return "DescribeUserPool", map[string]any{"UserPoolId": f.PoolID}
	}),
	{name: "ListUsers(unindexed) per page", reps: 1, walk: walkUnindexed},
	adminCall("ListUsers(username=)", 3, func(f *fixture, user string) (string, map[string]any) {
		return "ListUsers", map[string]any{"UserPoolId": f.PoolID, "Filter": fmt.Sprintf("username = %q", user)}
	}),
	adminCall("AdminListGroupsForUser", 30, func(f *fixture, user string) (string, map[string]any) {
		return "AdminListGroupsForUser", map[string]any{"UserPoolId": f.PoolID, "Username": user}
	}),
	adminCall("AdminUpdateUserAttributes", 30, func(f *fixture, user string) (string, map[string]any) {
		return "AdminUpdateUserAttributes", map[string]any{"UserPoolId": f.PoolID, "Username": user,
			"UserAttributes": []map[string]string{{"Name": "given_name", "Value": "Scale"}}}
	}),
	{name: "AdminDisableUser+AdminEnableUser", reps: 20, run: adminPair("AdminDisableUser", "AdminEnableUser")},
	{name: "AdminCreateUser+AdminDeleteUser", reps: 20, run: createDelete},
	{name: "ListUsers(sub=)", reps: 30, setup: setupSubs, run: listBySub},
	adminCall("ListUsers(status filter) page", 10, func(f *fixture, _ string) (string, map[string]any) {
		return "ListUsers", map[string]any{"UserPoolId": f.PoolID, "Limit": 60, "Filter": `cognito:user_status = "CONFIRMED"`}
	}),
	adminCall("ListUsers(given_name prefix) page", 10, func(f *fixture, _ string) (string, map[string]any) {
		return "ListUsers", map[string]any{"UserPoolId": f.PoolID, "Limit": 60, "Filter": `given_name ^= "Sc"`}
	}),
	{name: "ListUsersInGroup", reps: 30, setup: setupGroup, run: listUsersInGroup},
	{name: "AdminListGroupsForUser(member)", reps: 30, setup: setupGroup, run: listGroupsForMember},
	{name: "REFRESH_TOKEN_AUTH", reps: 30, setup: setupRefresh, run: refresh},
	{name: "GetUser(access token)", reps: 30, setup: setupRefresh, run: getUserByToken},
}

// adminPair calls two operations on the same random real user (one that
// changes it and one that undoes the change) and returns their summed time.
func adminPair(first, second string) func(*instance, *rand.Rand) (time.Duration, error) {
	return func(inst *instance, rng *rand.Rand) (time.Duration, error) {
		user := inst.f.Users[rng.IntN(len(inst.f.Users))]
		var total time.Duration
		for _, op := range []string{first, second} {
			d, err := inst.c.timedCall(op, map[string]any{"UserPoolId": inst.f.PoolID, "Username": user}, &struct{}{})
			total += d
			if err != nil {
				return total, fmt.Errorf("%s %s: %w", op, user, err)
			}
		}
		return total, nil
	}
}

// createDelete creates a new user (no message sent) and deletes it again,
// so the pool's size is unchanged; it returns the summed time.
func createDelete(inst *instance, rng *rand.Rand) (time.Duration, error) {
	name := fmt.Sprintf("scale-new-%016x", rng.Uint64())
	d1, err := inst.c.timedCall("AdminCreateUser", map[string]any{"UserPoolId": inst.f.PoolID, "Username": name,
		"MessageAction": "SUPPRESS", "TemporaryPassword": password,
		"UserAttributes": []map[string]string{{"Name": "email", "Value": name + "@example.com"}}}, &struct{}{})
	if err != nil {
		return d1, fmt.Errorf("AdminCreateUser %s: %w", name, err)
	}
	d2, err := inst.c.timedCall("AdminDeleteUser", map[string]any{"UserPoolId": inst.f.PoolID, "Username": name}, &struct{}{})
	if err != nil {
		return d1 + d2, fmt.Errorf("AdminDeleteUser %s: %w", name, err)
	}
	return d1 + d2, nil
}

// processCPU is this process's user+system CPU time so far (client and
// server share the process; the client's part is the same at every size).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loginByEmail signs a random user of the email pool in with SRP by email
// address and returns the server time.
func loginByEmail(in *instance, rng *rand.Rand) (time.Duration, error) {
	email := in.f.EmailUsers[rng.IntN(len(in.f.EmailUsers))]
	lt, err := in.c.srpLogin(in.f.EmailPoolID, in.f.EmailClientID, email, password)
	if err != nil {
		return 0, fmt.Errorf("login %s: %w", email, err)
	}
	return lt.server, nil
}

// adminCall is an extraOp calling one user pool operation on the demo pool
// for a random real user; it checks the answers where they are known.
func adminCall(name string, reps int, in func(f *fixture, user string) (op string, body map[string]any)) extraOp {
	return extraOp{name: name, reps: reps, run: func(inst *instance, rng *rand.Rand) (time.Duration, error) {
		user := inst.f.Users[rng.IntN(len(inst.f.Users))]
		op, body := in(inst.f, user)
		var res struct {
			Users    []struct{ Username string }
			UserPool *struct{ EstimatedNumberOfUsers int }
		}
		d, err := inst.c.timedCall(op, body, &res)
		if err != nil {
			return d, err
		}
		if strings.Contains(name, "=)") && (len(res.Users) != 1 || res.Users[0].Username != user) {
			return d, fmt.Errorf("%s for %s found %v", name, user, res.Users)
		}
		if res.UserPool != nil && res.UserPool.EstimatedNumberOfUsers != inst.f.N {
			return d, fmt.Errorf("DescribeUserPool counts %d users", res.UserPool.EstimatedNumberOfUsers)
		}
		return d, nil
	}}
}

// extraBudget bounds the time one extra operation may take per pool size.
const extraBudget = 20 * time.Second

// runExtra measures op on every instance, interleaved, and returns the
// samples per instance: server time, and the process's CPU time per call
// (cpu).
func runExtra(insts []*instance, op extraOp, rng *rand.Rand) (out, cpu []series, err error) {
	out = make([]series, len(insts))
	cpu = make([]series, len(insts))
	spent := make([]time.Duration, len(insts))
	if op.setup != nil {
		for _, in := range insts {
			if err := op.setup(in); err != nil {
				return out, cpu, fmt.Errorf("N=%d: %s: setup: %w", in.f.N, op.name, err)
			}
		}
	}
	for rep := range op.reps {
		for k := range insts {
			j := (k + rep) % len(insts)
			if spent[j] > extraBudget {
				continue
			}
			if op.walk != nil {
				c0 := processCPU()
				pages, err := op.walk(insts[j])
				c1 := processCPU()
				if err != nil {
					return out, cpu, fmt.Errorf("N=%d: %s: %w", insts[j].f.N, op.name, err)
				}
				out[j] = append(out[j], pages...)
				for range pages { // the walk's mean CPU per call, once per call
					cpu[j] = append(cpu[j], (c1-c0)/time.Duration(len(pages)))
				}
				continue
			}
			c0 := processCPU()
			d, err := op.run(insts[j], rng)
			c1 := processCPU()
			if err != nil {
				return out, cpu, fmt.Errorf("N=%d: %s: %w", insts[j].f.N, op.name, err)
			}
			out[j] = append(out[j], d)
			cpu[j] = append(cpu[j], c1-c0)
			spent[j] += d
		}
	}
	return out, cpu, nil
}

// unindexedPrefix is an unindexed filter (a prefix: no index serves it)
// matching users user0000100 to user0000199 of every fixture.
const unindexedPrefix = "user00001"

// walkUnindexed pages through ListUsers with an unindexed filter from the
// first call to the last: each call reads a bounded slice of the pool and
// answers the matches so far (often none) with a PaginationToken. It
// checks that every match comes exactly once and returns each call's time.
func walkUnindexed(in *instance) (series, error) {
	var pages series
	seen := map[string]int{}
	token := ""
	for {
		body := map[string]any{"UserPoolId": in.f.PoolID, "Limit": 60, "Filter": fmt.Sprintf("email ^= %q", unindexedPrefix)}
		if token != "" {
			body["PaginationToken"] = token
		}
		var res struct {
			Users           []struct{ Username string }
			PaginationToken string
		}
		d, err := in.c.timedCall("ListUsers", body, &res)
		if err != nil {
			return pages, err
		}
		pages = append(pages, d)
		for _, u := range res.Users {
			seen[u.Username]++
		}
		if res.PaginationToken == "" {
			break
		}
		token = res.PaginationToken
		if len(pages) > in.f.N {
			return pages, fmt.Errorf("pagination did not end after %d calls", len(pages))
		}
	}
	want := min(100, max(0, in.f.N-100))
	if len(seen) != want {
		return pages, fmt.Errorf("walk found %d users, want %d", len(seen), want)
	}
	for name, n := range seen {
		if n != 1 || !strings.HasPrefix(name, unindexedPrefix) {
			return pages, fmt.Errorf("%s returned %d times", name, n)
		}
	}
	return pages, nil
}
