package runtimeapi

import (
	"sync"
	"sync/atomic"
	"time"
)

// Invocation is one event handed to the runtime, and its outcome.
type Invocation struct {
	ID            string    // request id (Lambda-Runtime-Aws-Request-Id)
	Payload       []byte    // the event
	Deadline      time.Time // Lambda-Runtime-Deadline-Ms
	FunctionARN   string    // Lambda-Runtime-Invoked-Function-Arn
	TraceID       string    // Lambda-Runtime-Trace-Id
	ClientContext string    // Lambda-Runtime-Client-Context (optional)

	taken atomic.Bool
	once  sync.Once
	done  chan Outcome
}

// Outcome is how an invocation ended at the Runtime API.
type Outcome struct {
	// Payload is the response, or the error document in Lambda's error
	// shape when Failed is true.
	Payload []byte
	// Failed is true for /error posts and for responses the API refused
	// (too large, not JSON).
	Failed bool
	// ErrorType is the errorType of a failure, when known.
	ErrorType string
}

// NewInvocation prepares an invocation for Server.Deliver.
func NewInvocation(id string, payload []byte, deadline time.Time) *Invocation {
	return &Invocation{ID: id, Payload: payload, Deadline: deadline, done: make(chan Outcome, 1)}
}

// Done yields the outcome once the runtime answered.
func (inv *Invocation) Done() <-chan Outcome { return inv.done }

// Taken reports whether the runtime received the invocation through /next.
func (inv *Invocation) Taken() bool { return inv.taken.Load() }

// complete records the first outcome; later ones are ignored. It reports
// whether this call decided the outcome.
func (inv *Invocation) complete(o Outcome) bool {
	won := false
	inv.once.Do(func() {
		won = true
		inv.done <- o
	})
	return won
}
