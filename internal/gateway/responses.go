package gateway

import (
	"net/http"
	"strconv"
	"strings"
)

// ResponseType is an API Gateway gateway response type.
type ResponseType string

// Gateway response types (see AWS "Gateway response types for API Gateway").
const (
	AccessDenied                 ResponseType = "ACCESS_DENIED"
	APIConfigurationError        ResponseType = "API_CONFIGURATION_ERROR"
	AuthorizerConfigurationError ResponseType = "AUTHORIZER_CONFIGURATION_ERROR"
	AuthorizerFailure            ResponseType = "AUTHORIZER_FAILURE"
	BadRequestBody               ResponseType = "BAD_REQUEST_BODY"
	BadRequestParameters         ResponseType = "BAD_REQUEST_PARAMETERS"
	Default4XX                   ResponseType = "DEFAULT_4XX"
	Default5XX                   ResponseType = "DEFAULT_5XX"
	ExpiredToken                 ResponseType = "EXPIRED_TOKEN"
	IntegrationFailure           ResponseType = "INTEGRATION_FAILURE"
	IntegrationTimeout           ResponseType = "INTEGRATION_TIMEOUT"
	InvalidAPIKey                ResponseType = "INVALID_API_KEY"
	InvalidSignature             ResponseType = "INVALID_SIGNATURE"
	MissingAuthenticationToken   ResponseType = "MISSING_AUTHENTICATION_TOKEN"
	QuotaExceeded                ResponseType = "QUOTA_EXCEEDED"
	RequestTooLarge              ResponseType = "REQUEST_TOO_LARGE"
	ResourceNotFound             ResponseType = "RESOURCE_NOT_FOUND"
	Throttled                    ResponseType = "THROTTLED"
	Unauthorized                 ResponseType = "UNAUTHORIZED"
	UnsupportedMediaType         ResponseType = "UNSUPPORTED_MEDIA_TYPE"
	WAFFiltered                  ResponseType = "WAF_FILTERED"

	// uriTooLong and headersTooLarge are the front door's answers; they are
	// not customisable gateway responses.
	uriTooLong      ResponseType = "URI_TOO_LONG"
	headersTooLarge ResponseType = "HEADERS_TOO_LARGE"
)

// responseDefault is AWS's default for a gateway response type.
type responseDefault struct {
	status    int
	errorType string
	// message is $context.error.message; "" renders as JSON null, as AWS
	// does for authorizer configuration errors.
	message string
}

var responseDefaults = map[ResponseType]responseDefault{
	AccessDenied:                 {403, "AccessDeniedException", "User is not authorized to access this resource"},
	APIConfigurationError:        {500, "InternalServerErrorException", "Internal server error"},
	AuthorizerConfigurationError: {500, "AuthorizerConfigurationException", ""},
	AuthorizerFailure:            {500, "AuthorizerFailureException", ""},
	BadRequestBody:               {400, "BadRequestException", "Invalid request body"},
	BadRequestParameters:         {400, "BadRequestException", "Invalid request parameters"},
	Default4XX:                   {400, "BadRequestException", "Bad request"},
	Default5XX:                   {500, "InternalServerErrorException", "Internal server error"},
	ExpiredToken:                 {403, "ExpiredTokenException", "The security token included in the request is expired"},
	IntegrationFailure:           {504, "InternalServerErrorException", "Internal server error"},
	IntegrationTimeout:           {504, "InternalServerErrorException", "Endpoint request timed out"},
	InvalidAPIKey:                {403, "ForbiddenException", "Forbidden"},
	InvalidSignature:             {403, "InvalidSignatureException", "Invalid signature"},
	MissingAuthenticationToken:   {403, "MissingAuthenticationTokenException", "Missing Authentication Token"},
	QuotaExceeded:                {429, "LimitExceededException", "Limit Exceeded"},
	RequestTooLarge:              {413, "RequestTooLargeException", "Request Too Long"},
	ResourceNotFound:             {404, "NotFoundException", "Not Found"},
	Throttled:                    {429, "TooManyRequestsException", "Too Many Requests"},
	Unauthorized:                 {401, "UnauthorizedException", "Unauthorized"},
	UnsupportedMediaType:         {415, "UnsupportedMediaTypeException", "Unsupported Media Type"},
	WAFFiltered:                  {403, "WAFFilteredException", "Forbidden"},
	uriTooLong:                   {414, "RequestURITooLongException", "Request-URI Too Long"},
	headersTooLarge:              {431, "RequestHeaderFieldsTooLargeException", "Request Header Fields Too Large"},
}

// Known reports whether t is a gateway response type API Gateway defines.
func (t ResponseType) Known() bool {
	_, ok := responseDefaults[t]
	return ok && t != uriTooLong && t != headersTooLarge
}

// gatewayError is a failure of method execution rendered as a gateway response.
type gatewayError struct {
	typ ResponseType
	// status overrides the type's default status (e.g. 502 for a malformed
	// Lambda proxy response, which AWS answers from DEFAULT_5XX).
	status int
	// message overrides the type's default message when set.
	message string
	// spaced renders the AWS body variant with a space after the colon,
	// as AWS does for integration failures ({"message": "Internal server error"}).
	spaced bool
	// err is logged, never shown.
	err error
	// validation is $context.error.validationErrorString (request validation).
	validation string
}

// Error describes the failure for logs.
func (e *gatewayError) Error() string {
	if e.err != nil {
		return string(e.typ) + ": " + e.err.Error()
	}
	return string(e.typ)
}

// Unwrap returns the logged cause.
func (e *gatewayError) Unwrap() error { return e.err }

func gwErr(t ResponseType, err error) *gatewayError { return &gatewayError{typ: t, err: err} }

// proxyFailure is AWS's 502 for a failed or malformed Lambda or HTTP proxy answer.
func proxyFailure(err error) *gatewayError {
	return &gatewayError{typ: Default5XX, status: http.StatusBadGateway, spaced: true, err: err}
}

// responseFor resolves a type to its effective status, message and
// customisation: the type's own entry, then DEFAULT_4XX/5XX, then AWS's defaults.
func (d *deployment) responseFor(e *gatewayError) (status int, errorType, message string, custom *GatewayResponse, customType ResponseType) {
	def, ok := responseDefaults[e.typ]
	if !ok {
		def = responseDefaults[Default5XX]
	}
	status, errorType, message = def.status, def.errorType, def.message
	if e.status != 0 {
		status = e.status
	}
	if e.message != "" {
		message = e.message
	}
	if d != nil && e.typ.Known() {
		fallback := Default4XX
		if status >= 500 {
			fallback = Default5XX
		}
		// A status set on DEFAULT_4XX/5XX changes every response of that
		// class that sets none itself (AWS, "Gateway response types").
		if fb := d.api.GatewayResponses[fallback]; fb != nil && fb.StatusCode != 0 {
			status = fb.StatusCode
		}
		customType = e.typ
		custom = d.api.GatewayResponses[customType]
		if custom == nil {
			customType = fallback
			custom = d.api.GatewayResponses[customType]
		}
	}
	if custom != nil && custom.StatusCode != 0 {
		status = custom.StatusCode
	}
	return status, errorType, message, custom, customType
}

// defaultBody renders AWS's default gateway response template
// {"message":$context.error.messageString}.
func defaultBody(message string, spaced bool) []byte {
	msg := "null"
	if message != "" {
		msg = strconv.Quote(message)
	}
	var b strings.Builder
	b.Grow(len(msg) + 14)
	if spaced {
		b.WriteString(`{"message": `)
	} else {
		b.WriteString(`{"message":`)
	}
	b.WriteString(msg)
	b.WriteByte('}')
	return []byte(b.String())
}
