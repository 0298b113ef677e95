package functions

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
)

func greeting(t *testing.T, r *Runner, name string) string {
	t.Helper()
	var out struct{ Env map[string]string }
	if err := json.Unmarshal(mustInvoke(t, r, name, `{"action":"context"}`).Payload, &out); err != nil {
		t.Fatal(err)
	}
	return out.Env["GREETING"]
}

// TestApplyKeepsReplacesAndDrains: an identical config keeps the warm
// instance; a changed one takes new invocations at once while a running one
// finishes on the old instance, which is stopped afterwards.
func TestApplyKeepsReplacesAndDrains(t *testing.T) {
	r := newTestRunner(t, Options{})
	if changed, err := r.Apply(goFunction("fn", map[string]string{"GREETING": "v1"}), nil); err != nil || !changed {
		t.Fatalf("first apply: %v %v", changed, err)
	}
	if got := greeting(t, r, "fn"); got != "v1" {
		t.Fatalf("greeting %q", got)
	}
	before := r.allPids()

	if changed, err := r.Apply(goFunction("fn", map[string]string{"GREETING": "v1"}), nil); err != nil || changed {
		t.Fatalf("identical apply: %v %v", changed, err)
	}
	greeting(t, r, "fn")
	if after := r.allPids(); !slices.Equal(before, after) {
		t.Fatalf("identical apply replaced the warm instance: %v -> %v", before, after)
	}

	// An invocation in flight on the old instance...
	slow := make(chan Result, 1)
	go func() {
		res, _ := r.Invoke(context.Background(), "fn", []byte(`{"action":"sleep","millis":300}`))
		slow <- res
	}()
	waitFor(t, "the slow call to start", func() bool { return len(r.lookup("fn").slots) == 1 })
	old := r.lookup("fn")

	if changed, err := r.Apply(goFunction("fn", map[string]string{"GREETING": "v2"}), nil); err != nil || !changed {
		t.Fatalf("changed apply: %v %v", changed, err)
	}
	if got := greeting(t, r, "fn"); got != "v2" {
		t.Fatalf("after replacement: greeting %q", got)
	}
	// ...finishes there, and the old instance is stopped afterwards.
	if res := <-slow; res.FunctionError != "" || string(res.Payload) != `"slept"` {
		t.Fatalf("in-flight call: %s %s", res.FunctionError, res.Payload)
	}
	waitFor(t, "the old instance to stop", func() bool { return len(old.pids()) == 0 })
	for _, pid := range before {
		if !groupGone(pid) {
			t.Errorf("old instance %d still running", pid)
		}
	}
}

func TestApplyBuiltinsAndErrors(t *testing.T) {
	r := newTestRunner(t, Options{})
	answer := func(s string) BuiltinHandler {
		return func(context.Context, json.RawMessage) (json.RawMessage, error) {
			return json.RawMessage(`"` + s + `"`), nil
		}
	}
	for _, want := range []string{"one", "two"} {
		if _, err := r.Apply(FunctionConfig{Name: "b"}, answer(want)); err != nil {
			t.Fatal(err)
		}
		if got := string(mustInvoke(t, r, "b", `{}`).Payload); got != `"`+want+`"` {
			t.Fatalf("builtin answered %s, want %q", got, want)
		}
	}
	if _, err := r.Apply(FunctionConfig{Name: "x", Runtime: RuntimeBuiltin}, nil); err == nil {
		t.Fatal("a builtin without a handler was accepted")
	}
	if names := len(r.Functions()); names != 1 {
		t.Fatalf("%d functions registered, want 1", names)
	}
}
