package userpool

import (
	"fmt"

	"github.com/cognate-dev/cognate/internal/awsjson"
)

// Cognito exception types returned on the wire.
const (
	excAliasExists           = "AliasExistsException"
	excCodeMismatch          = "CodeMismatchException"
	excCodeDeliveryFailure   = "CodeDeliveryFailureException"
	excExpiredCode           = "ExpiredCodeException"
	excGroupExists           = "GroupExistsException"
	excInvalidParameter      = "InvalidParameterException"
	excInvalidPassword       = "InvalidPasswordException"
	excLimitExceeded         = "LimitExceededException"
	excNotAuthorized         = "NotAuthorizedException"
	excPasswordResetRequired = "PasswordResetRequiredException"
	excResourceNotFound      = "ResourceNotFoundException"
	excTooManyRequests       = "TooManyRequestsException"
	excUnauthorized          = "UnauthorizedException"
	excUnsupportedOperation  = "UnsupportedOperationException"
	excUnsupportedTokenType  = "UnsupportedTokenTypeException"
	excUserNotConfirmed      = "UserNotConfirmedException"
	excUserNotFound          = "UserNotFoundException"
	excUsernameExists        = "UsernameExistsException"
)

// Fixed messages Cognito uses.
const (
	msgIncorrect           = "Incorrect username or password."
	msgAttemptsExceeded    = "Password attempts exceeded"
	msgUserDisabled        = "User is disabled."
	msgUserNotFound        = "User does not exist."
	msgUserNotConfirmed    = "User is not confirmed."
	msgResetRequired       = "Password reset required for the user"
	msgCodeMismatch        = "Invalid verification code provided, please try again."
	msgCodeExpired         = "Invalid code provided, please request a code again."
	msgCodeLimit           = "Attempt limit exceeded, please try after some time."
	msgInvalidSession      = "Invalid session for the user, session is expired."
	msgInvalidAccessToken  = "Invalid Access Token"
	msgRevokedAccessToken  = "Access Token has been revoked"
	msgExpiredAccessToken  = "Access Token has expired"
	msgInvalidRefresh      = "Invalid Refresh Token"
	msgRevokedRefresh      = "Refresh Token has been revoked"
	msgTempPasswordExpired = "Temporary password has expired and must be reset by an administrator."
)

func apiErr(typ, format string, args ...any) *awsjson.Error {
	return &awsjson.Error{Type: typ, Message: fmt.Sprintf(format, args...)}
}

func notAuthorized(msg string) *awsjson.Error { return apiErr(excNotAuthorized, "%s", msg) }

func invalidParameter(format string, args ...any) *awsjson.Error {
	return apiErr(excInvalidParameter, format, args...)
}

func userNotFound() *awsjson.Error { return apiErr(excUserNotFound, msgUserNotFound) }

func poolNotFound(id string) *awsjson.Error {
	return apiErr(excResourceNotFound, "User pool %s does not exist.", id)
}

func clientNotFound(id string) *awsjson.Error {
	return apiErr(excResourceNotFound, "User pool client %s does not exist.", id)
}

func missing(name string) *awsjson.Error {
	return invalidParameter("Missing required parameter %s", name)
}
