package e2e

import (
	"errors"
	"testing"
	"time"
)

func asErr[T error](err error, target *T) bool { return errors.As(err, target) }

// pollInterval is how often eventually asks again.
const pollInterval = 50 * time.Millisecond

// eventually calls check until it reports done, failing the test after
// within with what was awaited and check's last description of the state.
// It is the one polling loop of the end-to-end tests.
func eventually(t *testing.T, within time.Duration, awaited string, check func() (done bool, state string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		done, state := check()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v still %s (want %s)", within, state, awaited)
		}
		time.Sleep(pollInterval)
	}
}
