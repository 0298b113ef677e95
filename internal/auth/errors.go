package auth

import "fmt"

// Error is an authentication or authorization failure with AWS's code and message.
type Error struct {
	Code    string
	Message string
}

// Error implements error.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// AWS's error codes for signing and permission failures.
const (
	CodeMissingToken     = "MissingAuthenticationTokenException"
	CodeIncomplete       = "IncompleteSignatureException"
	CodeInvalidSignature = "InvalidSignatureException"
	CodeUnrecognized     = "UnrecognizedClientException"
	CodeAccessDenied     = "AccessDeniedException"
)

func missingToken() *Error { return &Error{CodeMissingToken, "Missing Authentication Token"} }

func incomplete(format string, args ...any) *Error {
	return &Error{CodeIncomplete, fmt.Sprintf(format, args...)}
}

func invalidSignature(format string, args ...any) *Error {
	return &Error{CodeInvalidSignature, fmt.Sprintf(format, args...)}
}

func unrecognized() *Error {
	return &Error{CodeUnrecognized, "The security token included in the request is invalid."}
}

// signatureMismatch is AWS's answer to a wrong signature, with the canonical
// request and string to sign the server computed, so the caller can see how
// its signer differs.
func signatureMismatch(canonical, stringToSign string) *Error {
	return &Error{CodeInvalidSignature, "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\n" +
		"The Canonical String for this request should have been\n'" + canonical + "'\n\n" +
		"The String-to-Sign should have been\n'" + stringToSign + "'\n"}
}
