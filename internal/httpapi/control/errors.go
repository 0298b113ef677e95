package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// apiError is an apigatewayv2 error: status, x-amzn-ErrorType and a body
// {"message": ...} (NotFoundException adds resourceType), as AWS answers.
type apiError struct {
	status       int
	code         string
	msg          string
	resourceType string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func badRequest(format string, args ...any) error {
	return &apiError{status: http.StatusBadRequest, code: "BadRequestException", msg: fmt.Sprintf(format, args...)}
}

func notFound(resourceType, format string, args ...any) error {
	return &apiError{status: http.StatusNotFound, code: "NotFoundException", msg: fmt.Sprintf(format, args...), resourceType: resourceType}
}

func conflict(format string, args ...any) error {
	return &apiError{status: http.StatusConflict, code: "ConflictException", msg: fmt.Sprintf(format, args...)}
}

var errTooManyRequests = &apiError{status: http.StatusTooManyRequests, code: "TooManyRequestsException", msg: "Too Many Requests"}

// writeError renders the error; it reports whether it was an internal one.
func writeError(w http.ResponseWriter, err error) (internal bool) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae, internal = &apiError{status: http.StatusInternalServerError, code: "InternalServerErrorException", msg: "Internal server error"}, true
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", ae.code)
	if ae.status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(ae.status)
	body := map[string]string{"message": ae.msg}
	if ae.resourceType != "" {
		body["resourceType"] = ae.resourceType
	}
	b, _ := json.Marshal(body)
	w.Write(append(b, '\n'))
	return internal
}
