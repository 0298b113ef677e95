package functions

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"
)

// Metrics records invocations (metrics.Metrics satisfies it).
type Metrics interface {
	FunctionInvoked(function string, d time.Duration, failed, coldStart bool)
}

// invokeErrorDoc is the JSON of Lambda's "ERROR Invoke Error" log line.
type invokeErrorDoc struct {
	ErrorType    string          `json:"errorType"`
	ErrorMessage string          `json:"errorMessage"`
	Stack        json.RawMessage `json:"stack,omitempty"`
}

// logInvokeError writes the line Lambda's runtimes write when a handler
// fails: "TIME\tREQUEST_ID\tERROR\tInvoke Error \t{errorType, errorMessage,
// stack}", into the function's log (cognate logs, LogType Tail) and, at
// error level, into the server log. Timeouts have their own line already.
func (f *function) logInvokeError(inv *invocation, payload []byte) {
	var doc struct {
		ErrorType    string          `json:"errorType"`
		ErrorMessage string          `json:"errorMessage"`
		StackTrace   json.RawMessage `json:"stackTrace"`
		Trace        json.RawMessage `json:"trace"`
		Stack        json.RawMessage `json:"stack"`
	}
	if json.Unmarshal(payload, &doc) != nil {
		doc.ErrorType, doc.ErrorMessage = "Error", string(payload)
	}
	if doc.ErrorType == "Sandbox.Timedout" {
		return
	}
	out := invokeErrorDoc{ErrorType: doc.ErrorType, ErrorMessage: doc.ErrorMessage}
	for _, st := range []json.RawMessage{doc.Stack, doc.Trace, doc.StackTrace} {
		if len(st) > 0 && string(st) != "null" {
			out.Stack = st
			break
		}
	}
	js, _ := json.Marshal(out)
	now := f.r.now()
	line := now.UTC().Format("2006-01-02T15:04:05.000Z") + "\t" + inv.id + "\tERROR\tInvoke Error \t" + string(js)
	inv.appendTail(line)
	f.ring.add(LogLine{Time: now, Function: f.cfg.Name, RequestID: inv.id, Stream: StreamStderr, Message: line})
	f.r.log.LogAttrs(context.Background(), slog.LevelError, "Invoke Error",
		slog.String("function", f.cfg.Name), slog.String("request_id", inv.id),
		slog.String("error_type", out.ErrorType), slog.String("error", string(js)))
}

// record counts a finished invocation in the metrics.
func (f *function) record(inv *invocation, o outcome) {
	if m := f.r.opts.Metrics; m != nil {
		m.FunctionInvoked(f.cfg.Name, o.duration, o.failed, inv.coldStart > 0)
	}
}
