package userpool

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognate-dev/cognate/internal/store"
	"github.com/cognate-dev/cognate/internal/store/sqlite"
)

// countingStore counts CountUsers calls; while hold is set, the first call
// signals started and waits until release is closed (later ones do not
// wait, so a second recount shows up in the count instead of hanging).
type countingStore struct {
	store.Store
	calls   atomic.Int32
	hold    atomic.Bool
	started chan struct{}
	release chan struct{}
}

func (s *countingStore) CountUsers(ctx context.Context, poolID string) (int, error) {
	s.calls.Add(1)
	if s.hold.CompareAndSwap(true, false) {
		s.started <- struct{}{}
		<-s.release
	}
	return s.Store.CountUsers(ctx, poolID)
}

// TestEstimatedUsersOneRecountAtATime checks that once the cached user count
// is stale, concurrent DescribeUserPool calls start a single recount (which
// reads the whole pool) and the others answer the previous estimate; the
// recount's result then serves everyone.
func TestEstimatedUsersOneRecountAtATime(t *testing.T) {
	var cs *countingStore
	e := newEnvOn(t, func(logger *slog.Logger) store.Store {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"), logger)
		if err != nil {
			t.Fatal(err)
		}
		cs = &countingStore{Store: st}
		return cs
	})
	poolID, _ := e.setup(t) // one user
	describe := func() int {
		out, err := e.api.DescribeUserPool(e.ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(poolID)})
		if err != nil {
			t.Error(err)
			return -1
		}
		return int(out.UserPool.EstimatedNumberOfUsers)
	}
	if n := describe(); n != 1 {
		t.Fatalf("EstimatedNumberOfUsers = %d, want 1", n)
	}
	e.user(t, poolID, "bob")
	e.clock.Advance(userCountTTL + time.Second)

	before := cs.calls.Load()
	cs.started, cs.release = make(chan struct{}, 1), make(chan struct{})
	cs.hold.Store(true)
	var wg sync.WaitGroup
	var first int
	wg.Go(func() { first = describe() })
	<-cs.started // the recount is running
	for range 4 {
		if n := describe(); n != 2 && n != 1 {
			t.Errorf("during the recount: %d users, want the estimate (1 or 2)", n)
		}
	}
	close(cs.release)
	wg.Wait()
	if got := cs.calls.Load() - before; got != 1 {
		t.Errorf("%d recounts for 5 concurrent calls on a stale count, want 1", got)
	}
	if first != 2 {
		t.Errorf("the recounting call answered %d, want 2", first)
	}
	if n := describe(); n != 2 {
		t.Errorf("after the recount: %d users, want 2", n)
	}
}
