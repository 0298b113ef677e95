package control

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/cognate-dev/cognate/internal/auth"
)

// apiError is a Lambda error: HTTP status, x-amzn-ErrorType and message.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func notFound(arn string) error {
	return &apiError{http.StatusNotFound, "ResourceNotFoundException", "Function not found: " + arn}
}

func invalid(format string, args ...any) error {
	return &apiError{http.StatusBadRequest, "InvalidParameterValueException", fmt.Sprintf(format, args...)}
}

// validation is the model-level ValidationException ("1 validation error detected: ...").
func validation(value, field, constraint string) error {
	return &apiError{http.StatusBadRequest, "ValidationException",
		fmt.Sprintf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint)}
}

func conflict(format string, args ...any) error {
	return &apiError{http.StatusConflict, "ResourceConflictException", fmt.Sprintf(format, args...)}
}

var errRevision = &apiError{http.StatusPreconditionFailed, "PreconditionFailedException",
	"The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id"}

var errRequestTooLarge = &apiError{http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException",
	fmt.Sprintf("Request must be smaller than %d bytes for the CreateFunction operation", MaxRequestBody)}

// writeError renders err in Lambda's REST-JSON shape.
func (s *Service) writeError(w http.ResponseWriter, op string, err error) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
	case errors.Is(err, errUnzip), errors.Is(err, errTooBig):
		ae = &apiError{http.StatusBadRequest, "InvalidParameterValueException", err.Error()}
	default:
		s.log.Error("lambda control", "operation", op, "err", err)
		ae = &apiError{http.StatusInternalServerError, "ServiceException", "An internal error occurred."}
	}
	auth.WriteRESTError(w, ae.status, ae.code, ae.msg)
}
