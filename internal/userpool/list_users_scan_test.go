package userpool

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// TestListUsersScanBudget: an unindexed filter reads a bounded number of
// users per call, answering partial (even empty) pages with a
// PaginationToken, and paging through returns every match exactly once.
func TestListUsersScanBudget(t *testing.T) {
	e := newEnv(t)
	e.svc.scan = scanLimits{page: 3, budget: 6}
	poolID := e.pool(t)
	want := map[string]bool{}
	for i := range 40 {
		name := fmt.Sprintf("u%02d", i)
		given := "other"
		if i%13 == 0 || i >= 37 {
			given = "match"
			want[name] = true
		}
		e.user(t, poolID, name, "email", name+"@example.com", "given_name", given)
	}
	seen := map[string]int{}
	var tok *string
	calls, empty := 0, 0
	for {
		out := must(e.api.ListUsers(e.ctx, &cip.ListUsersInput{UserPoolId: aws.String(poolID), Limit: aws.Int32(2),
			Filter: aws.String(`given_name = "match"`), PaginationToken: tok}))
		calls++
		if len(out.Users) > 2 {
			t.Fatalf("page of %d users, limit 2", len(out.Users))
		}
		if len(out.Users) == 0 && out.PaginationToken != nil {
			empty++
		}
		for _, u := range out.Users {
			seen[*u.Username]++
		}
		if out.PaginationToken == nil {
			break
		}
		tok = out.PaginationToken
		if calls > 100 {
			t.Fatal("pagination does not end")
		}
	}
	for name := range want {
		if seen[name] != 1 {
			t.Errorf("%s returned %d times, want once", name, seen[name])
		}
	}
	if len(seen) != len(want) {
		t.Errorf("returned %v, want %v", seen, want)
	}
	// 40 users at 6 per call need at least 7 calls; some pages are empty.
	if calls < 7 || empty == 0 {
		t.Errorf("%d calls, %d empty partial pages: the scan budget was not applied", calls, empty)
	}
}
