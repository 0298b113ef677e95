// Package gateway is Cognate's REST API gateway: APIs are deployed as
// immutable snapshots onto stages, each stage serving a compiled route table
// swapped atomically. A request runs through limits → throttling → routing →
// authorizer (NONE, COGNITO_USER_POOLS, TOKEN, REQUEST, with a result cache) →
// request mapping → integration (MOCK, HTTP, HTTP_PROXY, AWS, AWS_PROXY) →
// integration response → method response; failures become API Gateway's
// gateway responses with AWS's default statuses, bodies and x-amzn-ErrorType.
package gateway

// API is a REST API definition, as imported from OpenAPI or declared inline.
type API struct {
	// ID is the API id used in URLs and method ARNs; derived from Name if empty.
	ID      string `json:"id,omitempty" yaml:"id,omitempty"`
	Name    string `json:"name" yaml:"name"`
	Default bool   `json:"default,omitempty" yaml:"default,omitempty"`
	// Paths maps a resource path ("/notes/{id}", "/{proxy+}") to its methods
	// by HTTP verb (GET, POST … or ANY).
	Paths map[string]map[string]*Method `json:"paths" yaml:"paths"`
	// Authorizers by name, referenced from Method.Authorizer.
	Authorizers map[string]*Authorizer `json:"authorizers,omitempty" yaml:"authorizers,omitempty"`
	// GatewayResponses customises gateway responses by type (UNAUTHORIZED …).
	GatewayResponses map[ResponseType]*GatewayResponse `json:"gatewayResponses,omitempty" yaml:"gatewayResponses,omitempty"`
	// BinaryMediaTypes are the media types treated as binary ("image/png",
	// "image/*", "*/*"): request bodies of these Content-Types, and responses
	// whose first Accept type matches, as AWS's content type conversions.
	BinaryMediaTypes []string `json:"binaryMediaTypes,omitempty" yaml:"binaryMediaTypes,omitempty"`
	// Models are the API's data models by name (JSON schema draft 4).
	Models map[string]*Model `json:"models,omitempty" yaml:"models,omitempty"`
	// RequestValidators by name; RequestValidator names the default for
	// methods that name none.
	RequestValidators map[string]*RequestValidator `json:"requestValidators,omitempty" yaml:"requestValidators,omitempty"`
	RequestValidator  string                       `json:"requestValidator,omitempty" yaml:"requestValidator,omitempty"`
	// APIKeySource is where apiKeyRequired methods find the key: HEADER
	// (x-api-key, the default) or AUTHORIZER (the Lambda authorizer's
	// usageIdentifierKey).
	APIKeySource string `json:"apiKeySource,omitempty" yaml:"apiKeySource,omitempty"`
}

// Model is a data model: a JSON schema (draft 4, AWS's dialect) that may
// refer to other models as "#/definitions/NAME" or "#/components/schemas/NAME".
type Model struct {
	ContentType string `json:"contentType,omitempty" yaml:"contentType,omitempty"`
	Schema      any    `json:"schema" yaml:"schema"`
}

// RequestValidator says what request validation checks.
type RequestValidator struct {
	ValidateRequestBody       bool `json:"validateRequestBody" yaml:"validateRequestBody"`
	ValidateRequestParameters bool `json:"validateRequestParameters" yaml:"validateRequestParameters"`
}

// Authorization types of a method.
const (
	AuthNone    = "NONE"
	AuthCognito = "COGNITO_USER_POOLS"
	AuthCustom  = "CUSTOM"
)

// Method is one HTTP method of a resource.
type Method struct {
	// AuthorizationType is NONE, COGNITO_USER_POOLS or CUSTOM; empty means
	// NONE, or the authorizer's kind when Authorizer is set.
	AuthorizationType string `json:"authorizationType,omitempty" yaml:"authorizationType,omitempty"`
	// Authorizer names an entry of API.Authorizers.
	Authorizer string `json:"authorizer,omitempty" yaml:"authorizer,omitempty"`
	// AuthorizationScopes make a Cognito authorizer require an access token
	// carrying one of them.
	AuthorizationScopes []string    `json:"authorizationScopes,omitempty" yaml:"authorizationScopes,omitempty"`
	Integration         Integration `json:"integration" yaml:"integration"`
	// RequestValidator names an entry of API.RequestValidators ("" uses the
	// API's default; "NONE" none).
	RequestValidator string `json:"requestValidator,omitempty" yaml:"requestValidator,omitempty"`
	// RequestParameters declares method.request.{path|querystring|header}.X,
	// true when required.
	RequestParameters map[string]bool `json:"requestParameters,omitempty" yaml:"requestParameters,omitempty"`
	// APIKeyRequired makes the method require an API key of a usage plan
	// that covers the stage.
	APIKeyRequired bool `json:"apiKeyRequired,omitempty" yaml:"apiKeyRequired,omitempty"`
	// RequestModels maps a content type (or "$default") to a model name.
	RequestModels map[string]string `json:"requestModels,omitempty" yaml:"requestModels,omitempty"`
}

// Integration types.
const (
	IntegrationMock      = "MOCK"
	IntegrationHTTP      = "HTTP"
	IntegrationHTTPProxy = "HTTP_PROXY"
	IntegrationAWS       = "AWS"
	IntegrationAWSProxy  = "AWS_PROXY"
)

// Passthrough behaviours of non-proxy integrations.
const (
	PassthroughWhenNoMatch     = "WHEN_NO_MATCH"
	PassthroughWhenNoTemplates = "WHEN_NO_TEMPLATES"
	PassthroughNever           = "NEVER"
)

// Integration is a method's backend.
type Integration struct {
	Type string `json:"type" yaml:"type"`
	// HTTPMethod is the backend verb for HTTP integrations (empty or ANY: the
	// request's own).
	HTTPMethod string `json:"httpMethod,omitempty" yaml:"httpMethod,omitempty"`
	// URI is the backend URL (HTTP, HTTP_PROXY; `{name}` placeholders come
	// from RequestParameters or same-named path parameters) or, for AWS and
	// AWS_PROXY, a Lambda invocation ARN or function ARN or plain function name.
	URI string `json:"uri,omitempty" yaml:"uri,omitempty"`
	// RequestParameters maps integration.request.{path|querystring|header}.X
	// to method.request.{path|querystring|header}.Y, stageVariables.Z,
	// context.W or a 'literal'.
	RequestParameters map[string]string `json:"requestParameters,omitempty" yaml:"requestParameters,omitempty"`
	// CacheKeyParameters are the method request parameters
	// (method.request.querystring.q …) whose values key the stage's response
	// cache besides the method and resource path.
	CacheKeyParameters  []string          `json:"cacheKeyParameters,omitempty" yaml:"cacheKeyParameters,omitempty"`
	RequestTemplates    map[string]string `json:"requestTemplates,omitempty" yaml:"requestTemplates,omitempty"`
	PassthroughBehavior string            `json:"passthroughBehavior,omitempty" yaml:"passthroughBehavior,omitempty"`
	// ContentHandling converts the request payload: CONVERT_TO_BINARY
	// (base64-decodes text), CONVERT_TO_TEXT (base64-encodes binary) or ""
	// (pass through) — non-proxy integrations only, as AWS.
	ContentHandling string `json:"contentHandling,omitempty" yaml:"contentHandling,omitempty"`
	// TimeoutMillis bounds the integration (default 29000, max 29000 like AWS
	// unless Limits says otherwise).
	TimeoutMillis int `json:"timeoutInMillis,omitempty" yaml:"timeoutInMillis,omitempty"`
	// Responses are tried in order by SelectionPattern; the one with an empty
	// pattern (or "default") is the default response.
	Responses []IntegrationResponse `json:"responses,omitempty" yaml:"responses,omitempty"`
}

// IntegrationResponse maps an integration result to the method response.
type IntegrationResponse struct {
	// SelectionPattern is a regular expression matched in full against the
	// function's errorMessage (AWS) or the backend status code (HTTP, MOCK).
	SelectionPattern string `json:"selectionPattern,omitempty" yaml:"selectionPattern,omitempty"`
	StatusCode       int    `json:"statusCode" yaml:"statusCode"`
	// ResponseParameters maps method.response.header.X to
	// integration.response.header.Y, integration.response.body.Z or 'literal'.
	ResponseParameters map[string]string `json:"responseParameters,omitempty" yaml:"responseParameters,omitempty"`
	ResponseTemplates  map[string]string `json:"responseTemplates,omitempty" yaml:"responseTemplates,omitempty"`
	// ContentHandling converts the response payload (CONVERT_TO_BINARY,
	// CONVERT_TO_TEXT or "" for AWS's default by binaryMediaTypes and Accept).
	ContentHandling string `json:"contentHandling,omitempty" yaml:"contentHandling,omitempty"`
}

// Authorizer kinds.
const (
	AuthorizerToken   = "TOKEN"
	AuthorizerRequest = "REQUEST"
	AuthorizerCognito = "COGNITO_USER_POOLS"
)

// Authorizer is a named authorizer of an API.
type Authorizer struct {
	// ID is the authorizer's id in the control plane (in the source ARN of
	// its invocations, .../authorizers/ID); empty means the name.
	ID   string `json:"id,omitempty" yaml:"-"`
	Type string `json:"type" yaml:"type"`
	// Function is the authorizer function (TOKEN, REQUEST); URI is resolved
	// to it when Function is empty.
	Function string `json:"function,omitempty" yaml:"function,omitempty"`
	URI      string `json:"authorizerUri,omitempty" yaml:"authorizerUri,omitempty"`
	// IdentitySource is a comma-separated list of
	// method.request.header.X, method.request.querystring.X,
	// stageVariables.X, context.X (default method.request.header.Authorization).
	IdentitySource string `json:"identitySource,omitempty" yaml:"identitySource,omitempty"`
	// IdentityValidationExpression is a regular expression matched in full
	// against the token (TOKEN) or the verified token's aud (Cognito);
	// REQUEST authorizers ignore it. A mismatch is a 401 without a call.
	IdentityValidationExpression string `json:"identityValidationExpression,omitempty" yaml:"identityValidationExpression,omitempty"`
	// ResultTTLSeconds is the cache TTL; nil means 300, 0 disables caching.
	ResultTTLSeconds *int `json:"authorizerResultTtlInSeconds,omitempty" yaml:"authorizerResultTtlInSeconds,omitempty"`
	// ProviderARNs are the Cognito user pool ARNs (or bare pool ids).
	ProviderARNs []string `json:"providerARNs,omitempty" yaml:"providerARNs,omitempty"`
}

// GatewayResponse customises one gateway response type.
type GatewayResponse struct {
	// StatusCode overrides the type's default status when non-zero.
	StatusCode int `json:"statusCode,omitempty" yaml:"statusCode,omitempty"`
	// ResponseParameters maps gatewayresponse.header.X to 'literal',
	// method.request.header.Y, method.request.querystring.Y,
	// method.request.path.Y or stageVariables.Y.
	ResponseParameters map[string]string `json:"responseParameters,omitempty" yaml:"responseParameters,omitempty"`
	ResponseTemplates  map[string]string `json:"responseTemplates,omitempty" yaml:"responseTemplates,omitempty"`
}
