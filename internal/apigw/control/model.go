// Package control is API Gateway's REST API management plane (the
// REST-JSON paths and shapes of the apigateway API): rest APIs, resources,
// methods, method and integration responses, integrations, authorizers,
// deployments, stages, gateway responses, request validators, models,
// tags, OpenAPI import and export, TestInvokeMethod and
// TestInvokeAuthorizer. It edits the same model the configuration file
// does: a REST API's definition is one document in the store; a deployment
// is an immutable snapshot of it; a stage points the gateway at a
// deployment, and every node picks the stage up through the store.
package control

// Store object kind of a REST API's definition.
const kindRestAPI = "apigw.restapi"

// ObjectKind is the store object kind of REST API definitions (HTTP APIs
// keep their ids clear of them).
const ObjectKind = kindRestAPI

// restAPI is a REST API as stored: AWS's RestApi plus everything under it.
type restAPI struct {
	ID                        string                       `json:"id"`
	Name                      string                       `json:"name"`
	Description               string                       `json:"description,omitempty"`
	CreatedDate               float64                      `json:"createdDate"`
	Version                   string                       `json:"version,omitempty"`
	BinaryMediaTypes          []string                     `json:"binaryMediaTypes,omitempty"`
	MinimumCompressionSize    *int                         `json:"minimumCompressionSize,omitempty"`
	APIKeySource              string                       `json:"apiKeySource"`
	EndpointConfiguration     *endpointConfiguration       `json:"endpointConfiguration,omitempty"`
	Policy                    string                       `json:"policy,omitempty"`
	Tags                      map[string]string            `json:"tags,omitempty"`
	DisableExecuteAPIEndpoint bool                         `json:"disableExecuteApiEndpoint"`
	RootResourceID            string                       `json:"rootResourceId"`
	Resources                 map[string]*resource         `json:"resources"`
	Authorizers               map[string]*authorizer       `json:"authorizers,omitempty"`
	Deployments               map[string]*deployment       `json:"deployments,omitempty"`
	Stages                    map[string]*stage            `json:"stages,omitempty"`
	GatewayResponses          map[string]*gatewayResponse  `json:"gatewayResponses,omitempty"`
	Validators                map[string]*requestValidator `json:"validators,omitempty"`
	Models                    map[string]*model            `json:"models,omitempty"`
	// Default marks the API the gateway serves without a /restapis prefix (config file).
	Default bool `json:"default,omitempty"`
}

type endpointConfiguration struct {
	Types          []string `json:"types,omitempty"`
	VpcEndpointIDs []string `json:"vpcEndpointIds,omitempty"`
}

// resource is a path part under a parent.
type resource struct {
	ID       string             `json:"id"`
	ParentID string             `json:"parentId,omitempty"`
	PathPart string             `json:"pathPart,omitempty"`
	Methods  map[string]*method `json:"methods,omitempty"`
}

// method is AWS's Method.
type method struct {
	HTTPMethod          string                     `json:"httpMethod"`
	AuthorizationType   string                     `json:"authorizationType"`
	AuthorizerID        string                     `json:"authorizerId,omitempty"`
	APIKeyRequired      bool                       `json:"apiKeyRequired"`
	RequestValidatorID  string                     `json:"requestValidatorId,omitempty"`
	OperationName       string                     `json:"operationName,omitempty"`
	RequestParameters   map[string]bool            `json:"requestParameters,omitempty"`
	RequestModels       map[string]string          `json:"requestModels,omitempty"`
	MethodResponses     map[string]*methodResponse `json:"methodResponses,omitempty"`
	MethodIntegration   *integration               `json:"methodIntegration,omitempty"`
	AuthorizationScopes []string                   `json:"authorizationScopes,omitempty"`
}

type methodResponse struct {
	StatusCode         string            `json:"statusCode"`
	ResponseParameters map[string]bool   `json:"responseParameters,omitempty"`
	ResponseModels     map[string]string `json:"responseModels,omitempty"`
}

// integration is AWS's Integration.
type integration struct {
	Type                 string                          `json:"type"`
	HTTPMethod           string                          `json:"httpMethod,omitempty"`
	URI                  string                          `json:"uri,omitempty"`
	ConnectionType       string                          `json:"connectionType,omitempty"`
	ConnectionID         string                          `json:"connectionId,omitempty"`
	Credentials          string                          `json:"credentials,omitempty"`
	RequestParameters    map[string]string               `json:"requestParameters,omitempty"`
	RequestTemplates     map[string]string               `json:"requestTemplates,omitempty"`
	PassthroughBehavior  string                          `json:"passthroughBehavior,omitempty"`
	ContentHandling      string                          `json:"contentHandling,omitempty"`
	TimeoutInMillis      int                             `json:"timeoutInMillis"`
	CacheNamespace       string                          `json:"cacheNamespace,omitempty"`
	CacheKeyParameters   []string                        `json:"cacheKeyParameters"`
	IntegrationResponses map[string]*integrationResponse `json:"integrationResponses,omitempty"`
}

type integrationResponse struct {
	StatusCode         string            `json:"statusCode"`
	SelectionPattern   string            `json:"selectionPattern,omitempty"`
	ResponseParameters map[string]string `json:"responseParameters,omitempty"`
	ResponseTemplates  map[string]string `json:"responseTemplates,omitempty"`
	ContentHandling    string            `json:"contentHandling,omitempty"`
}

// authorizer is AWS's Authorizer.
type authorizer struct {
	ID                           string   `json:"id"`
	Name                         string   `json:"name"`
	Type                         string   `json:"type"`
	ProviderARNs                 []string `json:"providerARNs,omitempty"`
	AuthType                     string   `json:"authType,omitempty"`
	AuthorizerURI                string   `json:"authorizerUri,omitempty"`
	AuthorizerCredentials        string   `json:"authorizerCredentials,omitempty"`
	IdentitySource               string   `json:"identitySource,omitempty"`
	IdentityValidationExpression string   `json:"identityValidationExpression,omitempty"`
	AuthorizerResultTTLInSeconds *int     `json:"authorizerResultTtlInSeconds,omitempty"`
}

// deployment is AWS's Deployment (its snapshot is in the store's deployments).
type deployment struct {
	ID          string  `json:"id"`
	Description string  `json:"description,omitempty"`
	CreatedDate float64 `json:"createdDate"`
}

// stage is AWS's Stage.
type stage struct {
	StageName           string                    `json:"stageName"`
	DeploymentID        string                    `json:"deploymentId"`
	Description         string                    `json:"description,omitempty"`
	CacheClusterEnabled bool                      `json:"cacheClusterEnabled"`
	CacheClusterSize    string                    `json:"cacheClusterSize,omitempty"`
	CacheClusterStatus  string                    `json:"cacheClusterStatus"`
	MethodSettings      map[string]*methodSetting `json:"methodSettings"`
	Variables           map[string]string         `json:"variables,omitempty"`
	TracingEnabled      bool                      `json:"tracingEnabled"`
	AccessLogSettings   *accessLogSettings        `json:"accessLogSettings,omitempty"`
	Tags                map[string]string         `json:"tags,omitempty"`
	CreatedDate         float64                   `json:"createdDate"`
	LastUpdatedDate     float64                   `json:"lastUpdatedDate"`
}

type accessLogSettings struct {
	Format         string `json:"format,omitempty"`
	DestinationArn string `json:"destinationArn,omitempty"`
}

// methodSetting is AWS's MethodSetting.
type methodSetting struct {
	MetricsEnabled                         bool    `json:"metricsEnabled"`
	LoggingLevel                           string  `json:"loggingLevel"`
	DataTraceEnabled                       bool    `json:"dataTraceEnabled"`
	ThrottlingBurstLimit                   int     `json:"throttlingBurstLimit"`
	ThrottlingRateLimit                    float64 `json:"throttlingRateLimit"`
	CachingEnabled                         bool    `json:"cachingEnabled"`
	CacheTTLInSeconds                      int     `json:"cacheTtlInSeconds"`
	CacheDataEncrypted                     bool    `json:"cacheDataEncrypted"`
	RequireAuthorizationForCacheControl    bool    `json:"requireAuthorizationForCacheControl"`
	UnauthorizedCacheControlHeaderStrategy string  `json:"unauthorizedCacheControlHeaderStrategy"`
}

func defaultMethodSetting() *methodSetting {
	return &methodSetting{LoggingLevel: "OFF", ThrottlingBurstLimit: 5000, ThrottlingRateLimit: 10000, CacheTTLInSeconds: 300,
		RequireAuthorizationForCacheControl: true, UnauthorizedCacheControlHeaderStrategy: "SUCCEED_WITH_RESPONSE_HEADER"}
}

// gatewayResponse is AWS's GatewayResponse.
type gatewayResponse struct {
	ResponseType       string            `json:"responseType"`
	StatusCode         string            `json:"statusCode,omitempty"`
	ResponseParameters map[string]string `json:"responseParameters,omitempty"`
	ResponseTemplates  map[string]string `json:"responseTemplates,omitempty"`
	DefaultResponse    bool              `json:"defaultResponse"`
}

type requestValidator struct {
	ID                        string `json:"id"`
	Name                      string `json:"name"`
	ValidateRequestBody       bool   `json:"validateRequestBody"`
	ValidateRequestParameters bool   `json:"validateRequestParameters"`
}

type model struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Schema      string `json:"schema,omitempty"`
	ContentType string `json:"contentType"`
}

// snapshot is what a deployment freezes: the API's definition at the time.
type snapshot struct {
	API restAPI `json:"api"`
}
