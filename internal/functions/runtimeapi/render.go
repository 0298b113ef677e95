package runtimeapi

import (
	"encoding/json"
)

// errorBody is Lambda's error document, used both for the API's own error
// answers and for failed invocations.
type errorBody struct {
	ErrorMessage string   `json:"errorMessage"`
	ErrorType    string   `json:"errorType"`
	StackTrace   []string `json:"stackTrace,omitempty"`
}

// ErrorDocument renders Lambda's error shape {errorMessage, errorType}.
func ErrorDocument(errorType, message string) []byte {
	b, _ := json.Marshal(errorBody{ErrorMessage: message, ErrorType: errorType})
	return b
}

func errorOutcome(errorType, message string) Outcome {
	return Outcome{Payload: ErrorDocument(errorType, message), Failed: true, ErrorType: errorType}
}

var acceptedBody = []byte(`{"status":"OK"}`)

// handedOff marks a reply sent after an outcome was handed to the waiting
// caller.
func handedOff(r reply) reply {
	r.handedOff = true
	return r
}

func accepted() reply { return reply{status: 202, body: acceptedBody} }

func errorReply(status int, errorType, message string) reply {
	return reply{status: status, body: ErrorDocument(errorType, message)}
}

func invalidRequestID() reply { return errorReply(400, "InvalidRequestID", "Invalid request ID") }

// normaliseError keeps a runtime's error document when it is a JSON object
// and otherwise wraps the body into Lambda's error shape. It also returns the
// error type, from the header or from the document.
func normaliseError(body []byte, headerType string) ([]byte, string) {
	var doc struct {
		ErrorType string `json:"errorType"`
	}
	if len(body) > 0 && body[0] == '{' && json.Unmarshal(body, &doc) == nil {
		if headerType == "" {
			headerType = doc.ErrorType
		}
		return body, headerType
	}
	if headerType == "" {
		headerType = "Runtime.Unknown"
	}
	return ErrorDocument(headerType, string(body)), headerType
}
