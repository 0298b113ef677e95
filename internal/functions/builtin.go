package functions

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// runBuiltin calls a Go handler in-process with the function's timeout; a
// panic becomes Lambda's error document. A handler past its timeout is left
// to finish on its own (its context is cancelled) and the caller gets the
// timeout error at once.
func (f *function) runBuiltin(inv *invocation) outcome {
	f.start(inv)
	start := time.Now()
	deadline := start.Add(f.cfg.Timeout)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       inv.id,
		InvokedFunctionArn: f.arn,
	})
	done := make(chan outcome, 1)
	go func() {
		defer cancel()
		defer func() {
			if v := recover(); v != nil {
				done <- outcome{payload: panicDoc(v), failed: true}
			}
		}()
		out, err := f.builtin(ctx, json.RawMessage(inv.payload))
		if err != nil {
			done <- outcome{payload: errorDoc(goErrorType(err), err.Error()), failed: true}
			return
		}
		if out == nil {
			out = json.RawMessage("null")
		}
		payload, ok := checkResponse(inv.id, out)
		done <- outcome{payload: payload, failed: !ok}
	}()
	t := time.NewTimer(f.cfg.Timeout)
	defer t.Stop()
	var o outcome
	select {
	case o = <-done:
	case <-t.C:
		f.platformf(inv, "%s %s %s", f.r.now().UTC().Format("2006-01-02T15:04:05.000Z"), inv.id, timeoutText(f.cfg.Timeout))
		o = outcome{payload: timeoutDoc(inv.id, f.cfg.Timeout), failed: true}
	}
	o.duration = time.Since(start)
	return o
}

// panicDoc renders a recovered panic like aws-lambda-go: the value's type
// and text, and the goroutine's stack.
func panicDoc(v any) []byte {
	var trace []string
	for _, line := range strings.Split(strings.TrimSpace(string(debug.Stack())), "\n") {
		trace = append(trace, strings.TrimSpace(line))
	}
	b, _ := json.Marshal(struct {
		ErrorMessage string   `json:"errorMessage"`
		ErrorType    string   `json:"errorType"`
		StackTrace   []string `json:"stackTrace"`
	}{fmt.Sprint(v), goErrorType(v), trace})
	return b
}
