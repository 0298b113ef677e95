package functions

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/functions/runtimeapi"
)

// Infrastructure errors of Invoke (a function's own failures are not Go
// errors: they come back in Result with FunctionError set).
var (
	ErrFunctionNotFound = errors.New("function not found")
	ErrTooManyRequests  = errors.New("too many requests")
	ErrRequestTooLarge  = errors.New("request payload too large")
	ErrClosed           = errors.New("function runner closed")
)

// MaxRequestSize is Lambda's limit for a synchronous invocation payload.
const MaxRequestSize = 6 * 1024 * 1024

// Function error kinds of Result.FunctionError.
const (
	FunctionErrorUnhandled = "Unhandled"
	FunctionErrorHandled   = "Handled"
)

// errorDoc is Lambda's error shape.
func errorDoc(errorType, message string) []byte {
	return runtimeapi.ErrorDocument(errorType, message)
}

// timeoutDoc is what Lambda answers for an invocation past its timeout.
func timeoutDoc(requestID string, timeout time.Duration) []byte {
	return errorDoc("Sandbox.Timedout", fmt.Sprintf("RequestId: %s Error: %s", requestID, timeoutText(timeout)))
}

// timeoutText is Lambda's "Task timed out after 3.00 seconds".
func timeoutText(timeout time.Duration) string {
	return fmt.Sprintf("Task timed out after %.2f seconds", timeout.Seconds())
}

// exitDoc describes an instance that exited while it owed an answer.
func exitDoc(requestID string, exitErr error) []byte {
	reason := "Runtime exited without providing a reason"
	if exitErr != nil {
		reason = "Runtime exited with error: " + exitErr.Error()
	}
	return errorDoc("Runtime.ExitError", fmt.Sprintf("RequestId: %s Error: %s", requestID, reason))
}

// goErrorType names a Go error or panic value the way aws-lambda-go does
// (the type name without package or pointer), unless the value says
// otherwise through an ErrorType() string method.
func goErrorType(v any) string {
	if t, ok := v.(interface{ ErrorType() string }); ok {
		return t.ErrorType()
	}
	rt := reflect.TypeOf(v)
	if rt == nil {
		return "error"
	}
	for rt.Kind() == reflect.Pointer {
		rt = rt.Elem()
	}
	if rt.Name() != "" {
		return rt.Name()
	}
	return strings.TrimPrefix(rt.String(), "*")
}

// maxResponseSize is Lambda's synchronous response limit.
const maxResponseSize = runtimeapi.MaxResponseSize
