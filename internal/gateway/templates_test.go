package gateway

// PassthroughTemplate is the AWS console's "Method Request passthrough"
// mapping template: body, parameters, stage variables and context.
const PassthroughTemplate = `##  See http://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
##  This template will pass through all parameters including path, querystring, header, stage variables, and context through to the integration endpoint via the body/payload
` + passthroughHead + `
}
`

// PolicyContextTemplate is the reference scenario's request template for
// the custom TOKEN authorizer: PassthroughTemplate with a policyContext
// block filled from the authorizer's context.
const PolicyContextTemplate = passthroughHead + `,
"policyContext" : {
    "principalId" : "$context.authorizer.principalId",
    "username" : "$context.authorizer.username",
    "email" : "$context.authorizer.email"
    }
}
`

// CognitoPolicyContextTemplate is the same for the Cognito authorizer,
// reading the token's claims.
const CognitoPolicyContextTemplate = passthroughHead + `,
"policyContext" : {
    "principalId" : "$context.authorizer.claims.sub",
    "username" : "$context.authorizer.claims['cognito:username']",
    "email" : "$context.authorizer.claims.email"
    }
}
`

// passthroughHead is PassthroughTemplate without its closing brace.
const passthroughHead = `#set($allParams = $input.params())
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
    }`
