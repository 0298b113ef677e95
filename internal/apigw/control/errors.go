package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// apiError is an API Gateway error: status, x-amzn-ErrorType and message.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func badRequest(format string, args ...any) error {
	return &apiError{http.StatusBadRequest, "BadRequestException", fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &apiError{http.StatusNotFound, "NotFoundException", fmt.Sprintf(format, args...)}
}

func conflict(format string, args ...any) error {
	return &apiError{http.StatusConflict, "ConflictException", fmt.Sprintf(format, args...)}
}

var errTooManyRequests = &apiError{http.StatusTooManyRequests, "TooManyRequestsException", "Too Many Requests"}

// writeError renders API Gateway's REST-JSON error.
func writeError(w http.ResponseWriter, err error) (internal bool) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae, internal = &apiError{http.StatusInternalServerError, "InternalFailureException", "Internal server error"}, true
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", ae.code)
	if ae.status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(ae.status)
	b, _ := json.Marshal(map[string]string{"message": ae.msg})
	w.Write(append(b, '\n'))
	return internal
}
