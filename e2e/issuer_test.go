package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestAWSStyleIssuer: with issuerStyle aws, tokens carry Cognito's issuer
// (https://cognito-idp.{region}.amazonaws.com/{poolId}) while the keys are
// served locally, and the gateway's Cognito authorizer accepts them.
func TestAWSStyleIssuer(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "cognate.yaml")
	os.WriteFile(cfg, []byte(`issuerStyle: aws
region: eu-west-1
pools:
  - name: notes-users
    clients: [{name: notes-client, explicitAuthFlows: [ALLOW_USER_SRP_AUTH]}]
    users: [{username: lee, password: "Lee-Passw0rd-1", attributes: {email: lee@example.com}}]
apis:
  - name: who
    stages: [{name: dev}]
    definition:
      openapi: 3.0.1
      info: {title: who, version: "1"}
      paths:
        /whoami:
          get:
            security: [{pool: []}]
            responses: {"200": {description: ok}}
            x-amazon-apigateway-integration:
              type: mock
              requestTemplates: {application/json: '{"statusCode": 200}'}
              responses:
                default:
                  statusCode: "200"
                  responseTemplates: {application/json: '{"user":"$context.authorizer.claims[''cognito:username'']"}'}
      components:
        securitySchemes:
          pool:
            type: apiKey
            name: Authorization
            in: header
            x-amazon-apigateway-authtype: cognito_user_pools
            x-amazon-apigateway-authorizer:
              type: cognito_user_pools
              providerARNs: ["arn:aws:cognito-idp:${aws:region}:${aws:account}:userpool/${pool:notes-users}"]
`), 0o600)
	d := &demo{srv: startServer(t, "", "--config", cfg)}
	d.idp = newIDPIn(d.srv.URL, "eu-west-1") // signatures are scoped to the server's region
	d = startDemoLookupOnly(t, d)
	if !strings.HasPrefix(d.poolID, "eu-west-1_") {
		t.Fatalf("pool id %s is not in the configured region", d.poolID)
	}
	tok := d.loginSRP(t, "lee", "Lee-Passw0rd-1")
	claims := claimsOf(t, aws.ToString(tok.IdToken))
	if want := "https://cognito-idp.eu-west-1.amazonaws.com/" + d.poolID; claims["iss"] != want {
		t.Fatalf("iss = %v, want %s", claims["iss"], want)
	}
	status, body, _ := get(t, d.srv.URL+"/"+d.poolID+"/.well-known/jwks.json", "")
	if status != 200 || !strings.Contains(body, kid(t, aws.ToString(tok.IdToken))) {
		t.Fatalf("local JWKS: %d %s", status, body)
	}
	status, body, _ = get(t, d.srv.URL+"/"+d.poolID+"/.well-known/openid-configuration", "")
	if status != 200 || !strings.Contains(body, `"issuer":"https://cognito-idp.eu-west-1.amazonaws.com/`+d.poolID+`"`) {
		t.Fatalf("openid-configuration: %d %s", status, body)
	}
	if status, body, _ := get(t, d.srv.URL+"/dev/whoami", aws.ToString(tok.IdToken)); status != 200 || body != `{"user":"lee"}` {
		t.Fatalf("gateway: %d %s", status, body)
	}
}
