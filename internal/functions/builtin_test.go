package functions

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

type typedError struct{}

func (typedError) Error() string     { return "typed failure" }
func (typedError) ErrorType() string { return "NotesError" }

func TestBuiltinOutcomes(t *testing.T) {
	r := newTestRunner(t, Options{})
	bigReply := json.RawMessage(`"` + strings.Repeat("x", 7<<20) + `"`)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	handlers := map[string]BuiltinHandler{
		"echo": func(_ context.Context, ev json.RawMessage) (json.RawMessage, error) { return ev, nil },
		"fail": func(context.Context, json.RawMessage) (json.RawMessage, error) {
			return nil, errors.New("Unauthorized")
		},
		"typed": func(context.Context, json.RawMessage) (json.RawMessage, error) {
			return nil, typedError{}
		},
		"panic": func(context.Context, json.RawMessage) (json.RawMessage, error) { panic("builtin boom") },
		"slow": func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
			<-release
			return json.RawMessage(`"late"`), nil
		},
		"notjson": func(context.Context, json.RawMessage) (json.RawMessage, error) { return json.RawMessage("{oops"), nil },
		"nil":     func(context.Context, json.RawMessage) (json.RawMessage, error) { return nil, nil },
		"big": func(context.Context, json.RawMessage) (json.RawMessage, error) {
			return bigReply, nil
		},
		"ctx": func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
			lc, _ := lambdacontext.FromContext(ctx)
			_, hasDeadline := ctx.Deadline()
			return json.Marshal(map[string]any{"id": lc.AwsRequestID, "arn": lc.InvokedFunctionArn, "deadline": hasDeadline})
		},
	}
	for name, h := range handlers {
		if err := registerBuiltin(r, name, h, FunctionConfig{Timeout: 100 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		function, want, errType, errMessage string
	}{
		{function: "echo", want: `{"a":[1,2]}`},
		{function: "nil", want: `null`},
		{function: "fail", errType: "errorString", errMessage: "Unauthorized"},
		{function: "typed", errType: "NotesError", errMessage: "typed failure"},
		{function: "panic", errType: "string", errMessage: "builtin boom"},
		{function: "slow", errType: "Sandbox.Timedout", errMessage: "Task timed out after 0.10 seconds"},
		{function: "notjson", errType: "Runtime.InvalidResponsePayload", errMessage: "not valid JSON"},
		{function: "big", errType: "Function.ResponseSizeTooLarge", errMessage: "6291556"},
	}
	for _, tc := range tests {
		t.Run(tc.function, func(t *testing.T) {
			res := mustInvoke(t, r, tc.function, `{"a":[1,2]}`)
			if tc.errType == "" {
				if res.FunctionError != "" || string(res.Payload) != tc.want {
					t.Fatalf("got %q %s, want %s", res.FunctionError, res.Payload, tc.want)
				}
				return
			}
			doc := decodeError(t, res)
			if doc.ErrorType != tc.errType || doc.ErrorMessage != tc.errMessage && !strings.Contains(doc.ErrorMessage, tc.errMessage) {
				t.Fatalf("got %s/%q, want %s/%q", doc.ErrorType, doc.ErrorMessage, tc.errType, tc.errMessage)
			}
		})
	}
	t.Run("context", func(t *testing.T) {
		res := mustInvoke(t, r, "ctx", `{}`)
		want := `{"arn":"arn:aws:lambda:us-east-1:000000000000:function:ctx","deadline":true,"id":"` + res.RequestID + `"}`
		if string(res.Payload) != want {
			t.Fatalf("got %s, want %s", res.Payload, want)
		}
	})
}

func TestBuiltinConcurrencyLimit(t *testing.T) {
	r := newTestRunner(t, Options{QueueSize: 1, QueueTimeout: time.Minute})
	gate := make(chan struct{})
	started := make(chan struct{}, 4)
	h := func(context.Context, json.RawMessage) (json.RawMessage, error) {
		started <- struct{}{}
		<-gate
		return json.RawMessage(`"ok"`), nil
	}
	if err := registerBuiltin(r, "gate", h, FunctionConfig{ReservedConcurrency: 2, Timeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	f := r.lookup("gate")
	results := make(chan error, 3)
	for range 2 {
		go func() {
			_, err := r.Invoke(context.Background(), "gate", []byte(`{}`))
			results <- err
		}()
	}
	<-started
	<-started
	go func() {
		_, err := r.Invoke(context.Background(), "gate", []byte(`{}`))
		results <- err
	}()
	waitFor(t, "the third invocation to queue", func() bool { return f.waiting.Load() == 1 })
	if _, err := r.Invoke(context.Background(), "gate", []byte(`{}`)); !errors.Is(err, ErrTooManyRequests) {
		t.Fatalf("fourth invocation: %v, want ErrTooManyRequests", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Invoke(ctx, "gate", []byte(`{}`)); !errors.Is(err, ErrTooManyRequests) && !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled invocation: %v", err)
	}
	close(gate)
	for range 3 {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
}

func TestInvokeInfrastructureErrors(t *testing.T) {
	r := newTestRunner(t, Options{})
	echo := func(_ context.Context, ev json.RawMessage) (json.RawMessage, error) { return ev, nil }
	if err := registerBuiltin(r, "echo", echo, FunctionConfig{}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Apply(FunctionConfig{Name: "nohandler", Runtime: RuntimeBuiltin}, nil); err == nil {
		t.Fatal("a builtin without a handler was accepted")
	}
	if _, err := r.Invoke(context.Background(), "nope", nil); !errors.Is(err, ErrFunctionNotFound) {
		t.Fatalf("unknown function: %v", err)
	}
	big := make([]byte, MaxRequestSize+1)
	if _, err := r.Invoke(context.Background(), "echo", big); !errors.Is(err, ErrRequestTooLarge) {
		t.Fatalf("large payload: %v", err)
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Invoke(context.Background(), "echo", nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
}
