package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/functions"
)

// runnerInvoker runs triggers on a real function runner (as internal/app does).
type runnerInvoker struct{ r *functions.Runner }

func (ri runnerInvoker) InvokeTrigger(ctx context.Context, name string, event []byte) (TriggerResult, error) {
	res, err := ri.r.Invoke(ctx, name, event)
	if errors.Is(err, functions.ErrFunctionNotFound) {
		err = errors.Join(ErrFunctionNotFound, err)
	}
	return TriggerResult{Payload: res.Payload, FunctionError: res.FunctionError, RequestID: res.RequestID}, err
}

// BenchmarkSRPLoginPreTokenTrigger compares, in the same run, a full
// USER_SRP_AUTH login on a pool without triggers and one on a pool whose
// PreTokenGeneration (V2_0) trigger is a warm aws-lambda-go process (the
// e2e tests' trigger function, over the Runtime API). Iterations alternate
// the two so both see the same load; it reports both rates, their ratio
// and the time the trigger adds per login.
//
//	go test -run '^$' -bench BenchmarkSRPLoginPreTokenTrigger -benchtime=300x ./internal/userpool/
func BenchmarkSRPLoginPreTokenTrigger(b *testing.B) {
	_, file, _, _ := runtime.Caller(0)
	src := filepath.Join(filepath.Dir(file), "..", "..", "e2e", "testdata", "triggers", "go")
	// Functions may run as nobody: the task root must be readable by others.
	dir, err := os.MkdirTemp("", "cognate-bench-trigger-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(dir, "bootstrap")
	if out, err := exec.Command("go", "build", "-C", src, "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build trigger: %v\n%s", err, out)
	}
	r := functions.NewRunner(functions.Options{})
	b.Cleanup(func() { r.Close(context.Background()) })
	if _, err := r.Apply(functions.FunctionConfig{Name: "goTriggers", Runtime: "provided.al2023", Command: []string{bin},
		Dir: filepath.Dir(bin), Timeout: 5 * time.Second}, nil); err != nil {
		b.Fatal(err)
	}
	// The same trigger as an in-process builtin: what the pool's side costs.
	if _, err := r.Apply(functions.FunctionConfig{Name: "builtinTrigger", Timeout: 5 * time.Second}, func(_ context.Context, ev json.RawMessage) (json.RawMessage, error) {
		var v map[string]any
		if err := json.Unmarshal(ev, &v); err != nil {
			return nil, err
		}
		v["response"] = map[string]any{"claimsAndScopeOverrideDetails": map[string]any{
			"idTokenGeneration":     map[string]any{"claimsToAddOrOverride": map[string]any{"tenant": "acme"}},
			"accessTokenGeneration": map[string]any{"claimsToAddOrOverride": map[string]any{"tenant": "acme"}, "scopesToAdd": []string{"notes/read"}}}}
		return json.Marshal(v)
	}); err != nil {
		b.Fatal(err)
	}
	e := newEnv(b)
	e.svc.triggers = runnerInvoker{r}
	plainPool, plainClient := e.setup(b)
	triggerPool := func(fn string) (string, string) {
		id := e.pool(b)
		if err := e.svc.EnsureTriggers(context.Background(), id, TriggerSpec{
			ARNs:                      map[string]string{trigPreTokenGeneration: "arn:aws:lambda:us-east-1:000000000000:function:" + fn},
			PreTokenGenerationVersion: "V2_0"}); err != nil {
			b.Fatal(err)
		}
		e.user(b, id, "alice", "email", "alice@example.com", "email_verified", "true")
		return id, e.client(b, id)
	}
	procPool, procClient := triggerPool("goTriggers")
	inPool, inClient := triggerPool("builtinTrigger")
	name := func(id string) string { return id[strings.IndexByte(id, '_')+1:] }
	e.srpLoginTimed(b, name(procPool), procClient) // starts the trigger's instance: measure it warm
	var plain, proc, in time.Duration
	for b.Loop() {
		plain += e.srpLoginTimed(b, name(plainPool), plainClient)
		proc += e.srpLoginTimed(b, name(procPool), procClient)
		in += e.srpLoginTimed(b, name(inPool), inClient)
	}
	n := float64(b.N)
	b.ReportMetric(n/plain.Seconds(), "logins/s")
	b.ReportMetric(n/proc.Seconds(), "process-trigger-logins/s")
	b.ReportMetric(plain.Seconds()/proc.Seconds(), "process-ratio")
	b.ReportMetric(float64((proc-plain).Microseconds())/n, "µs-added-process")
	b.ReportMetric(float64((in-plain).Microseconds())/n, "µs-added-builtin")
	b.ReportMetric(0, "ns/op")
}
