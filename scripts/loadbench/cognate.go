package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/cognate-dev/cognate/internal/app"
	"github.com/cognate-dev/cognate/internal/idpclient"
)

// Names in the generated configuration.
const (
	poolName   = "bench-users"
	clientName = "bench-client"
	userName   = "bench"
	stageName  = "dev"
	// passwordEnv carries the generated password into the configuration so
	// that it never lands in the file.
	passwordEnv = "COGNATE_LOADBENCH_PASSWORD"
)

// configHead declares one pool, client and user, and the builtin
// notesAuthorizer function.
const configHead = `pools:
  - name: ` + poolName + `
    clients:
      - name: ` + clientName + `
        explicitAuthFlows: [ALLOW_USER_SRP_AUTH, ALLOW_REFRESH_TOKEN_AUTH]
    users:
      - username: ` + userName + `
        password: ${` + passwordEnv + `}
        attributes: {email: bench@example.com}
functions:
  - name: notesAuthorizer
    runtime: builtin
    handler: notesAuthorizer
    environment:
      POOL_ID: ${pool:` + poolName + `}
  - name: listAccountNotes
    runtime: builtin
    handler: listAccountNotes
apis:
`

// apiTemplate is one API (verbs: name, default, stage, backend URL twice):
// the notesAuthorizer as a cached TOKEN authorizer on ANY /{proxy+},
// proxied to the backend (the main measurement); the pool's Cognito
// authorizer on ANY /cognito/{proxy+}, proxied to the same backend; and GET
// /fn/notes, an AWS (non-proxy) integration of the builtin listAccountNotes
// behind the TOKEN authorizer with the console's "Method Request
// passthrough" template (passthroughTemplate).
const apiTemplate = `  - name: %s
    default: %t
    stages: [{name: %s}]
    definition:
      openapi: 3.0.1
      info: {title: bench, version: "1.0"}
      paths:
        /{proxy+}:
          x-amazon-apigateway-any-method:
            security: [{benchAuthorizer: []}]
            parameters:
              - {name: proxy, in: path, required: true, schema: {type: string}}
            x-amazon-apigateway-integration:
              type: http_proxy
              httpMethod: ANY
              uri: %s/{proxy}
              passthroughBehavior: when_no_match
              requestParameters:
                integration.request.path.proxy: method.request.path.proxy
      components:
        securitySchemes:
          benchAuthorizer:
            type: apiKey
            name: Authorization
            in: header
            x-amazon-apigateway-authtype: custom
            x-amazon-apigateway-authorizer:
              type: token
              authorizerUri: arn:aws:apigateway:${aws:region}:lambda:path/2015-03-31/functions/arn:aws:lambda:${aws:region}:${aws:account}:function:notesAuthorizer/invocations
              authorizerResultTtlInSeconds: 300
          benchUserPool:
            type: apiKey
            name: Authorization
            in: header
            x-amazon-apigateway-authtype: cognito_user_pools
            x-amazon-apigateway-authorizer:
              type: cognito_user_pools
              providerARNs:
                - arn:aws:cognito-idp:${aws:region}:${aws:account}:userpool/${pool:` + poolName + `}
`

// apiCognitoAndFunction are the paths of apiTemplate's second and third
// routes (verb: backend URL).
const apiCognitoAndFunction = `        /cognito/{proxy+}:
          x-amazon-apigateway-any-method:
            security: [{benchUserPool: []}]
            parameters:
              - {name: proxy, in: path, required: true, schema: {type: string}}
            x-amazon-apigateway-integration:
              type: http_proxy
              httpMethod: ANY
              uri: %s/{proxy}
              passthroughBehavior: when_no_match
              requestParameters:
                integration.request.path.proxy: method.request.path.proxy
        /fn/notes:
          get:
            security: [{benchAuthorizer: []}]
            responses:
              "200": {description: notes}
            x-amazon-apigateway-integration:
              type: aws
              httpMethod: POST
              uri: arn:aws:apigateway:${aws:region}:lambda:path/2015-03-31/functions/arn:aws:lambda:${aws:region}:${aws:account}:function:listAccountNotes/invocations
              passthroughBehavior: when_no_templates
              requestTemplates:
                application/json: |
`

// passthroughTemplate is API Gateway's "Method Request passthrough" mapping
// template (every parameter, stage variable and $context field the console's
// template names), indented for apiCognitoAndFunction.
const passthroughTemplate = `#set($allParams = $input.params())
{
"body-json" : $input.json('$'),
"params" : {
#foreach($type in $allParams.keySet())
    #set($params = $allParams.get($type))
"$type" : {
    #foreach($paramName in $params.keySet())
    "$paramName" : "$util.escapeJavaScript($params.get($paramName))"
        #if($foreach.hasNext),#end
    #end
}
    #if($foreach.hasNext),#end
#end
},
"stage-variables" : {
#foreach($key in $stageVariables.keySet())
"$key" : "$util.escapeJavaScript($stageVariables.get($key))"
    #if($foreach.hasNext),#end
#end
},
"context" : {
    "account-id" : "$context.identity.accountId",
    "api-id" : "$context.apiId",
    "api-key" : "$context.identity.apiKey",
    "authorizer-principal-id" : "$context.authorizer.principalId",
    "caller" : "$context.identity.caller",
    "cognito-authentication-provider" : "$context.identity.cognitoAuthenticationProvider",
    "cognito-authentication-type" : "$context.identity.cognitoAuthenticationType",
    "cognito-identity-id" : "$context.identity.cognitoIdentityId",
    "cognito-identity-pool-id" : "$context.identity.cognitoIdentityPoolId",
    "http-method" : "$context.httpMethod",
    "stage" : "$context.stage",
    "source-ip" : "$context.identity.sourceIp",
    "user" : "$context.identity.user",
    "user-agent" : "$context.identity.userAgent",
    "user-arn" : "$context.identity.userArn",
    "request-id" : "$context.requestId",
    "resource-id" : "$context.resourceId",
    "resource-path" : "$context.resourcePath"
    }
}
`

// apiResponses closes apiCognitoAndFunction's function route.
const apiResponses = `              responses:
                default: {statusCode: "200"}
`

// configFile renders the configuration with the given API names (the first
// is the default API).
func configFile(apiNames []string, backendURL string) []byte {
	var tmpl strings.Builder
	for line := range strings.Lines(passthroughTemplate) {
		tmpl.WriteString("                  " + line)
	}
	b := []byte(configHead)
	for i, name := range apiNames {
		head, tail, _ := strings.Cut(apiTemplate, "      components:\n")
		b = fmt.Appendf(b, head, name, i == 0, stageName, backendURL)
		b = fmt.Appendf(b, apiCognitoAndFunction, backendURL)
		b = append(b, tmpl.String()...)
		b = append(b, apiResponses...)
		b = append(b, "      components:\n"+tail...)
	}
	return b
}

// cognate is the running Cognate and the id token of its user.
type cognate struct {
	app   *app.App
	token string
}

// startCognate writes the configuration into dir, starts Cognate on an
// ephemeral loopback port and signs the user in with SRP.
func startCognate(ctx context.Context, dir, backendURL string, apiNames []string, logger *slog.Logger) (_ *cognate, err error) {
	password, err := newPassword()
	if err != nil {
		return nil, err
	}
	if err := os.Setenv(passwordEnv, password); err != nil {
		return nil, fmt.Errorf("set %s: %w", passwordEnv, err)
	}
	cfgPath := filepath.Join(dir, "cognate.yaml")
	if err := os.WriteFile(cfgPath, configFile(apiNames, backendURL), 0o600); err != nil {
		return nil, fmt.Errorf("write config: %w", err)
	}
	a, err := app.Start(ctx, app.Options{
		Addr:       "127.0.0.1:0",
		DataDir:    filepath.Join(dir, "data"),
		ConfigPath: cfgPath,
		Logger:     logger,
	})
	if err != nil {
		return nil, fmt.Errorf("start cognate: %w", err)
	}
	defer func() {
		if err != nil {
			a.Shutdown(context.Background())
		}
	}()
	idp := idpclient.New(a.URL)
	poolID, clientID, err := lookupIDs(ctx, idp)
	if err != nil {
		return nil, err
	}
	res, err := idp.LoginSRP(ctx, idpclient.Login{PoolID: poolID, ClientID: clientID, Username: userName, Password: password})
	if err != nil {
		return nil, fmt.Errorf("srp login: %w", err)
	}
	return &cognate{app: a, token: res.IDToken}, nil
}

// lookupIDs finds the generated pool and client ids by name.
func lookupIDs(ctx context.Context, idp *idpclient.Client) (poolID, clientID string, err error) {
	var pools struct {
		UserPools []struct{ Id, Name string }
	}
	if err := idp.Call(ctx, "ListUserPools", map[string]any{"MaxResults": 60}, &pools); err != nil {
		return "", "", fmt.Errorf("list pools: %w", err)
	}
	for _, p := range pools.UserPools {
		if p.Name == poolName {
			poolID = p.Id
		}
	}
	if poolID == "" {
		return "", "", errors.New("pool " + poolName + " not found")
	}
	var clients struct {
		UserPoolClients []struct{ ClientId, ClientName string }
	}
	if err := idp.Call(ctx, "ListUserPoolClients", map[string]any{"UserPoolId": poolID, "MaxResults": 60}, &clients); err != nil {
		return "", "", fmt.Errorf("list clients: %w", err)
	}
	for _, c := range clients.UserPoolClients {
		if c.ClientName == clientName {
			return poolID, c.ClientId, nil
		}
	}
	return "", "", errors.New("client " + clientName + " not found")
}

// newPassword returns a random password meeting Cognito's default policy.
func newPassword() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random password: %w", err)
	}
	return "Lb-" + hex.EncodeToString(b) + "-Z9", nil
}
