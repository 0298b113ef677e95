// Package httpapi is Cognate's API Gateway v2 HTTP API: the model (APIs,
// routes, integrations, JWT and Lambda authorizers, stages, deployments, CORS
// configuration) and the data plane that serves deployed stages. A request
// runs through stage throttling → CORS preflight → route selection (most
// specific path, greedy {proxy+}, method before ANY, $default) → authorizer
// (JWT verified locally or against a remote issuer's JWKS, or a REQUEST Lambda
// authorizer with simple or IAM-policy responses, cached by identity
// sources) → integration (AWS_PROXY with payload format 1.0 or 2.0,
// HTTP_PROXY). Failures answer as AWS's HTTP APIs do: {"message": "..."}.
package httpapi

import "time"

// Protocol types, authorization types, integration types and authorizer types.
const (
	ProtocolHTTP = "HTTP"

	AuthNone   = "NONE"
	AuthJWT    = "JWT"
	AuthCustom = "CUSTOM"

	IntegrationAWSProxy  = "AWS_PROXY"
	IntegrationHTTPProxy = "HTTP_PROXY"

	AuthorizerJWT     = "JWT"
	AuthorizerRequest = "REQUEST"

	// DefaultRoute is the route key of the catch-all route.
	DefaultRoute = "$default"
	// DefaultStage is the stage served at the invoke URL's root.
	DefaultStage = "$default"
	// DefaultRouteSelection is the only route selection expression of HTTP APIs.
	DefaultRouteSelection = "$request.method $request.path"
)

// API is an HTTP API with everything that belongs to it: the document the
// control plane stores (one store object per API) and the data plane serves.
type API struct {
	ID                        string            `json:"apiId" yaml:"id,omitempty"`
	Name                      string            `json:"name" yaml:"name"`
	ProtocolType              string            `json:"protocolType" yaml:"protocolType,omitempty"`
	Description               string            `json:"description,omitempty" yaml:"description,omitempty"`
	Version                   string            `json:"version,omitempty" yaml:"version,omitempty"`
	RouteSelectionExpression  string            `json:"routeSelectionExpression" yaml:"routeSelectionExpression,omitempty"`
	APIKeySelectionExpression string            `json:"apiKeySelectionExpression" yaml:"apiKeySelectionExpression,omitempty"`
	DisableExecuteAPIEndpoint bool              `json:"disableExecuteApiEndpoint" yaml:"disableExecuteApiEndpoint,omitempty"`
	CorsConfiguration         *Cors             `json:"corsConfiguration,omitempty" yaml:"corsConfiguration,omitempty"`
	Tags                      map[string]string `json:"tags,omitempty" yaml:"tags,omitempty"`
	CreatedDate               time.Time         `json:"createdDate" yaml:"-"`

	Routes       map[string]*Route       `json:"routes,omitempty" yaml:"routes,omitempty"`
	Integrations map[string]*Integration `json:"integrations,omitempty" yaml:"integrations,omitempty"`
	Authorizers  map[string]*Authorizer  `json:"authorizers,omitempty" yaml:"authorizers,omitempty"`
	Stages       map[string]*Stage       `json:"stages,omitempty" yaml:"stages,omitempty"`
	Deployments  map[string]*Deployment  `json:"deployments,omitempty" yaml:"-"`
}

// Cors is an API's CORS configuration; the gateway answers preflights
// with it and adds its headers to every response.
type Cors struct {
	AllowCredentials bool     `json:"allowCredentials,omitempty" yaml:"allowCredentials,omitempty"`
	AllowHeaders     []string `json:"allowHeaders,omitempty" yaml:"allowHeaders,omitempty"`
	AllowMethods     []string `json:"allowMethods,omitempty" yaml:"allowMethods,omitempty"`
	AllowOrigins     []string `json:"allowOrigins,omitempty" yaml:"allowOrigins,omitempty"`
	ExposeHeaders    []string `json:"exposeHeaders,omitempty" yaml:"exposeHeaders,omitempty"`
	MaxAge           *int     `json:"maxAge,omitempty" yaml:"maxAge,omitempty"`
}

// Route is one route: a route key ("GET /notes", "ANY /{proxy+}",
// "$default") with its authorization and target.
type Route struct {
	RouteID             string   `json:"routeId" yaml:"-"`
	RouteKey            string   `json:"routeKey" yaml:"routeKey"`
	AuthorizationType   string   `json:"authorizationType,omitempty" yaml:"authorizationType,omitempty"`
	AuthorizerID        string   `json:"authorizerId,omitempty" yaml:"authorizer,omitempty"`
	AuthorizationScopes []string `json:"authorizationScopes,omitempty" yaml:"authorizationScopes,omitempty"`
	// Target is "integrations/{integrationId}".
	Target         string `json:"target,omitempty" yaml:"integration,omitempty"`
	APIKeyRequired bool   `json:"apiKeyRequired" yaml:"-"`
	OperationName  string `json:"operationName,omitempty" yaml:"operationName,omitempty"`
}

// Integration is a route's backend.
type Integration struct {
	IntegrationID string `json:"integrationId" yaml:"-"`
	// IntegrationType is AWS_PROXY (a function) or HTTP_PROXY (a URL).
	IntegrationType string `json:"integrationType" yaml:"type"`
	// IntegrationURI is a function name, function ARN or Lambda invocation
	// ARN (AWS_PROXY), or the backend URL (HTTP_PROXY; {name} placeholders
	// take path parameters).
	IntegrationURI       string `json:"integrationUri,omitempty" yaml:"uri"`
	IntegrationMethod    string `json:"integrationMethod,omitempty" yaml:"method,omitempty"`
	PayloadFormatVersion string `json:"payloadFormatVersion,omitempty" yaml:"payloadFormatVersion,omitempty"`
	TimeoutInMillis      int    `json:"timeoutInMillis,omitempty" yaml:"timeoutInMillis,omitempty"`
	ConnectionType       string `json:"connectionType,omitempty" yaml:"-"`
	Description          string `json:"description,omitempty" yaml:"description,omitempty"`
}

// JWTConfiguration is a JWT authorizer's issuer and accepted audiences.
type JWTConfiguration struct {
	Issuer   string   `json:"issuer,omitempty" yaml:"issuer"`
	Audience []string `json:"audience,omitempty" yaml:"audience"`
}

// Authorizer is a JWT or REQUEST (Lambda) authorizer.
type Authorizer struct {
	AuthorizerID   string `json:"authorizerId" yaml:"-"`
	Name           string `json:"name" yaml:"name"`
	AuthorizerType string `json:"authorizerType" yaml:"type"`
	// IdentitySource lists $request.header.X, $request.querystring.X,
	// $context.X and $stageVariables.X selectors.
	IdentitySource   []string          `json:"identitySource,omitempty" yaml:"identitySource,omitempty"`
	JWTConfiguration *JWTConfiguration `json:"jwtConfiguration,omitempty" yaml:"jwtConfiguration,omitempty"`
	// AuthorizerURI names the function (REQUEST), as IntegrationURI does.
	AuthorizerURI                  string `json:"authorizerUri,omitempty" yaml:"function,omitempty"`
	AuthorizerPayloadFormatVersion string `json:"authorizerPayloadFormatVersion,omitempty" yaml:"payloadFormatVersion,omitempty"`
	EnableSimpleResponses          bool   `json:"enableSimpleResponses,omitempty" yaml:"enableSimpleResponses,omitempty"`
	// AuthorizerResultTTLInSeconds caches REQUEST results (0: no cache).
	AuthorizerResultTTLInSeconds int    `json:"authorizerResultTtlInSeconds,omitempty" yaml:"resultTtlInSeconds,omitempty"`
	IdentityValidationExpression string `json:"identityValidationExpression,omitempty" yaml:"-"`
}

// RouteSettings are a stage's throttling and logging settings.
type RouteSettings struct {
	ThrottlingBurstLimit   *int     `json:"throttlingBurstLimit,omitempty" yaml:"throttlingBurstLimit,omitempty"`
	ThrottlingRateLimit    *float64 `json:"throttlingRateLimit,omitempty" yaml:"throttlingRateLimit,omitempty"`
	DetailedMetricsEnabled bool     `json:"detailedMetricsEnabled,omitempty" yaml:"-"`
}

// Stage is a named (or $default) stage pointing at a deployment.
type Stage struct {
	StageName            string                    `json:"stageName" yaml:"-"`
	Description          string                    `json:"description,omitempty" yaml:"description,omitempty"`
	AutoDeploy           bool                      `json:"autoDeploy" yaml:"autoDeploy,omitempty"`
	DeploymentID         string                    `json:"deploymentId,omitempty" yaml:"-"`
	StageVariables       map[string]string         `json:"stageVariables,omitempty" yaml:"variables,omitempty"`
	DefaultRouteSettings *RouteSettings            `json:"defaultRouteSettings,omitempty" yaml:"defaultRouteSettings,omitempty"`
	RouteSettings        map[string]*RouteSettings `json:"routeSettings,omitempty" yaml:"routeSettings,omitempty"`
	Tags                 map[string]string         `json:"tags,omitempty" yaml:"tags,omitempty"`
	CreatedDate          time.Time                 `json:"createdDate" yaml:"-"`
	LastUpdatedDate      time.Time                 `json:"lastUpdatedDate" yaml:"-"`
	// LastDeploymentStatusMessage says what auto-deploy last did.
	LastDeploymentStatusMessage string `json:"lastDeploymentStatusMessage,omitempty" yaml:"-"`
}

// Deployment is an immutable snapshot of an API's routes, integrations,
// authorizers and CORS configuration.
type Deployment struct {
	DeploymentID     string    `json:"deploymentId"`
	Description      string    `json:"description,omitempty"`
	DeploymentStatus string    `json:"deploymentStatus"`
	AutoDeployed     bool      `json:"autoDeployed"`
	CreatedDate      time.Time `json:"createdDate"`
	Snapshot         *Snapshot `json:"snapshot,omitempty"`
}

// Snapshot is what a deployment freezes.
type Snapshot struct {
	Routes       map[string]*Route       `json:"routes,omitempty"`
	Integrations map[string]*Integration `json:"integrations,omitempty"`
	Authorizers  map[string]*Authorizer  `json:"authorizers,omitempty"`
	Cors         *Cors                   `json:"cors,omitempty"`
}

// TakeSnapshot copies the deployable parts of api (deeply, through JSON).
func (api *API) TakeSnapshot() *Snapshot {
	s := &Snapshot{Routes: api.Routes, Integrations: api.Integrations, Authorizers: api.Authorizers, Cors: api.CorsConfiguration}
	return cloneJSON(s)
}
