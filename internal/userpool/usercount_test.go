package userpool

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognate-dev/cognate/internal/store"
)

// TestEstimatedUsersExact checks that DescribeUserPool's
// EstimatedNumberOfUsers follows every create and delete at once, including
// users another node wrote to the shared store (the count is the store's
// maintained counter, not a cached recount).
func TestEstimatedUsersExact(t *testing.T) {
	e := newEnv(t)
	poolID, _ := e.setup(t) // one user
	describe := func() int {
		t.Helper()
		out, err := e.api.DescribeUserPool(e.ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(poolID)})
		if err != nil {
			t.Fatal(err)
		}
		return int(out.UserPool.EstimatedNumberOfUsers)
	}
	if n := describe(); n != 1 {
		t.Fatalf("EstimatedNumberOfUsers = %d, want 1", n)
	}
	e.user(t, poolID, "bob")
	if n := describe(); n != 2 {
		t.Fatalf("after creating bob: %d users, want 2", n)
	}
	// Another node's sign-up, straight into the shared store.
	now := time.Now()
	if err := e.store.CreateUser(e.ctx, store.User{PoolID: poolID, Username: "carol", Status: "CONFIRMED", Enabled: true,
		Attributes: map[string]string{"sub": "carol-sub"}, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if n := describe(); n != 3 {
		t.Fatalf("after another node created carol: %d users, want 3", n)
	}
	must(e.api.AdminDeleteUser(e.ctx, &cip.AdminDeleteUserInput{UserPoolId: aws.String(poolID), Username: aws.String("bob")}))
	if n := describe(); n != 2 {
		t.Fatalf("after deleting bob: %d users, want 2", n)
	}
}
