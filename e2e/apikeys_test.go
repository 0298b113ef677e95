package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// apiKeysConfig is an API whose GET /hello needs an API key (OpenAPI's
// apiKey scheme on x-api-key, as API Gateway exports it), a key from the
// environment and a usage plan with a daily quota of 5.
const apiKeysConfig = `apis:
  - name: keyed
    stages: [{name: v}]
    definition:
      openapi: 3.0.1
      info: {title: keyed, version: "1"}
      components:
        securitySchemes:
          api_key: {type: apiKey, name: x-api-key, in: header}
      paths:
        /hello:
          get:
            security: [{api_key: []}]
            x-amazon-apigateway-integration:
              type: mock
              requestTemplates: {application/json: '{"statusCode": 200}'}
              responses: {default: {statusCode: "200", responseTemplates: {application/json: '{"key":"$context.identity.apiKeyId"}'}}}
apiKeys:
  - {name: partner, value: "${PARTNER_KEY}"}
  - {name: retired, value: "retired-key-0123456789abcdef", enabled: false}
usagePlans:
  - name: basic
    apiStages: [{api: keyed, stage: v}]
    throttle: {rateLimit: 1000, burstLimit: 1000}
    quota: {limit: 5, period: DAY}
    apiKeys: [partner, retired]
`

// TestAPIKeyQuotaAcrossTwoNodes runs two nodes on one PostgreSQL database:
// the usage plan's quota is shared, so 5 requests pass in total whichever
// node they reach, and the next gets AWS's 429 Limit Exceeded; missing,
// unknown and disabled keys get 403 Forbidden.
func TestAPIKeyQuotaAcrossTwoNodes(t *testing.T) {
	storeURL := postgresURL(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cognate.yaml")
	if err := os.WriteFile(cfg, []byte(apiKeysConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	partner := "partner-" + hex.EncodeToString(key[:12])
	env := []string{"COGNATE_SERVER_KEY=" + hex.EncodeToString(key), "PARTNER_KEY=" + partner}
	args := []string{"--store", storeURL, "--config", cfg}
	a := startServerEnv(t, "", env, args...)
	b := startServerEnv(t, "", env, args...)
	send := func(srv *server, apiKey string) rawResult {
		h := ""
		if apiKey != "" {
			h = "x-api-key: " + apiKey + "\r\n"
		}
		return rawExchange(t, srv, rawString("GET /v/hello HTTP/1.1\r\nHost: localhost\r\n"+h+"Connection: close\r\n\r\n"))
	}
	forbidden := `{"message":"Forbidden"}`
	send(a, "").wantAWSError(t, 403, "ForbiddenException", forbidden)
	send(b, "unknown-key-0123456789abcdef").wantAWSError(t, 403, "ForbiddenException", forbidden)
	send(a, "retired-key-0123456789abcdef").wantAWSError(t, 403, "ForbiddenException", forbidden)
	ok := 0
	for i := range 5 {
		srv := a
		if i%2 == 1 {
			srv = b
		}
		r := send(srv, partner)
		if r.status == 200 && strings.HasPrefix(r.body, `{"key":"`) {
			ok++
		} else {
			t.Errorf("request %d: %d %s", i, r.status, r.body)
		}
	}
	if ok != 5 {
		t.Fatalf("%d of 5 requests within the quota passed", ok)
	}
	send(b, partner).wantAWSError(t, 429, "LimitExceededException", `{"message":"Limit Exceeded"}`)
	send(a, partner).wantAWSError(t, 429, "LimitExceededException", `{"message":"Limit Exceeded"}`)
}
