package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// keyedAPIConfig is an API whose GET /hello needs an API key; no keys or
// plans in the file: they come from the control plane.
const keyedAPIConfig = `apis:
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
`

// TestUsagePlansThroughControlPlaneOnTwoNodes: an API key and a usage plan
// created with aws-sdk-go-v2 on node A are stored and enforced by node B;
// GetApiKey returns the (sealed at rest) value; the quota is shared; GetUsage
// on either node reports the requests; a disabled, then deleted, key is
// refused by both nodes; AWS's errors for unknown ids.
func TestUsagePlansThroughControlPlaneOnTwoNodes(t *testing.T) {
	storeURL := postgresURL(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cognate.yaml")
	if err := os.WriteFile(cfg, []byte(keyedAPIConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	env := []string{"COGNATE_SERVER_KEY=" + hex.EncodeToString(key)}
	args := []string{"--store", storeURL, "--config", cfg}
	a := startServerEnv(t, "", env, args...)
	b := startServerEnv(t, "", env, args...)
	ctx := context.Background()
	client := func(srv *server) *apigateway.Client {
		return apigateway.New(apigateway.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
			Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")})
	}
	ca, cb := client(a), client(b)
	apis, err := ca.GetRestApis(ctx, &apigateway.GetRestApisInput{})
	if err != nil || len(apis.Items) != 1 {
		t.Fatalf("GetRestApis = %+v, %v", apis, err)
	}
	apiID := aws.ToString(apis.Items[0].Id)

	k, err := ca.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String("partner"), Enabled: true})
	if err != nil || len(aws.ToString(k.Value)) < 20 || aws.ToString(k.Id) == "" || !k.Enabled {
		t.Fatalf("CreateApiKey = %+v, %v", k, err)
	}
	_, err = ca.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String("short"), Value: aws.String("too-short")})
	wantAPIErrorContaining(t, err, "BadRequestException", "at least 20 characters")
	_, err = ca.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String("bad"),
		ApiStages: []types.ApiStage{{ApiId: aws.String("nope000000"), Stage: aws.String("v")}}})
	wantAPIErrorContaining(t, err, "BadRequestException", "Invalid API identifier")
	plan, err := ca.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String("basic"),
		ApiStages: []types.ApiStage{{ApiId: aws.String(apiID), Stage: aws.String("v")}},
		Throttle:  &types.ThrottleSettings{RateLimit: 1000, BurstLimit: 1000},
		Quota:     &types.QuotaSettings{Limit: 4, Period: types.QuotaPeriodTypeDay}})
	if err != nil || plan.Quota == nil || plan.Quota.Limit != 4 || len(plan.ApiStages) != 1 {
		t.Fatalf("CreateUsagePlan = %+v, %v", plan, err)
	}
	pk, err := ca.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: k.Id, KeyType: aws.String("API_KEY")})
	if err != nil || aws.ToString(pk.Value) != aws.ToString(k.Value) || aws.ToString(pk.Type) != "API_KEY" {
		t.Fatalf("CreateUsagePlanKey = %+v, %v", pk, err)
	}
	_, err = ca.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: aws.String("missing"), KeyType: aws.String("API_KEY")})
	wantAPIErrorContaining(t, err, "NotFoundException", "Invalid API Key identifier specified")

	// Node B reads the key and the plan from the store.
	got, err := cb.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: k.Id, IncludeValue: aws.Bool(true)})
	if err != nil || aws.ToString(got.Value) != aws.ToString(k.Value) || aws.ToString(got.Name) != "partner" {
		t.Fatalf("GetApiKey on node B = %+v, %v", got, err)
	}
	if noValue, err := cb.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: k.Id}); err != nil || noValue.Value != nil {
		t.Fatalf("GetApiKey without includeValue = %+v, %v", noValue, err)
	}
	if plans, err := cb.GetUsagePlans(ctx, &apigateway.GetUsagePlansInput{KeyId: k.Id}); err != nil || len(plans.Items) != 1 {
		t.Fatalf("GetUsagePlans(keyId) = %+v, %v", plans, err)
	}
	send := func(srv *server, apiKey string) rawResult {
		return rawExchange(t, srv, rawString("GET /v/hello HTTP/1.1\r\nHost: localhost\r\nx-api-key: "+apiKey+"\r\nConnection: close\r\n\r\n"))
	}
	value := aws.ToString(k.Value)
	eventually(t, 10*time.Second, "node B admits the key", func() (bool, string) {
		r := send(b, value)
		return r.status == 200, r.body
	})
	// One request is spent; three more pass on either node, the fifth is over the quota.
	for i := range 3 {
		srv := a
		if i%2 == 1 {
			srv = b
		}
		if r := send(srv, value); r.status != 200 || !strings.Contains(r.body, aws.ToString(k.Id)) {
			t.Fatalf("request %d: %d %s", i, r.status, r.body)
		}
	}
	send(a, value).wantAWSError(t, 429, "LimitExceededException", `{"message":"Limit Exceeded"}`)

	today := time.Now().UTC().Format(time.DateOnly)
	u, err := cb.GetUsage(ctx, &apigateway.GetUsageInput{UsagePlanId: plan.Id, StartDate: aws.String(today), EndDate: aws.String(today)})
	if err != nil || len(u.Items[aws.ToString(k.Id)]) != 1 || u.Items[aws.ToString(k.Id)][0][0] != 4 || u.Items[aws.ToString(k.Id)][0][1] != 0 {
		t.Fatalf("GetUsage = %+v, %v", u, err)
	}
	_, err = ca.GetUsage(ctx, &apigateway.GetUsageInput{UsagePlanId: aws.String("nope00"), StartDate: aws.String(today), EndDate: aws.String(today)})
	wantAPIErrorContaining(t, err, "NotFoundException", "Invalid Usage Plan ID specified")

	// UpdateUsage grants two more requests in this period, on every node.
	uu, err := cb.UpdateUsage(ctx, &apigateway.UpdateUsageInput{UsagePlanId: plan.Id, KeyId: k.Id,
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/remaining"), Value: aws.String("2")}}})
	if err != nil || uu.Items[aws.ToString(k.Id)][0][1] != 2 {
		t.Fatalf("UpdateUsage = %+v, %v", uu, err)
	}
	for i, srv := range []*server{a, b} {
		if r := send(srv, value); r.status != 200 {
			t.Fatalf("granted request %d: %d %s", i, r.status, r.body)
		}
	}
	send(b, value).wantAWSError(t, 429, "LimitExceededException", `{"message":"Limit Exceeded"}`)

	// The per-key throttle is shared too: a burst of 3 (refilling at one
	// request per 1000 s) admits 3 requests in total across both nodes.
	slow, err := ca.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String("slow"), Enabled: true, Value: aws.String("slow-key-0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	slowPlan, err := ca.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String("slow"),
		ApiStages: []types.ApiStage{{ApiId: aws.String(apiID), Stage: aws.String("v")}},
		Throttle:  &types.ThrottleSettings{RateLimit: 0.001, BurstLimit: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: slowPlan.Id, KeyId: slow.Id, KeyType: aws.String("API_KEY")}); err != nil {
		t.Fatal(err)
	}
	_, err = ca.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: slow.Id, KeyType: aws.String("API_KEY")})
	wantAPIErrorContaining(t, err, "ConflictException", "already in usage plan")
	slowValue := aws.ToString(slow.Value)
	if got, err := cb.GetUsagePlanKey(ctx, &apigateway.GetUsagePlanKeyInput{UsagePlanId: slowPlan.Id, KeyId: slow.Id}); err != nil || aws.ToString(got.Value) != slowValue {
		t.Fatalf("GetUsagePlanKey on node B = %+v, %v", got, err)
	}
	// Until a node has loaded the key it answers 403, which takes no token.
	for i := range 3 {
		srv := a
		if i%2 == 1 {
			srv = b
		}
		eventually(t, 10*time.Second, fmt.Sprintf("request %d within the burst passes", i), func() (bool, string) {
			r := send(srv, slowValue)
			return r.status == 200, r.body
		})
	}
	send(b, slowValue).wantAWSError(t, 429, "TooManyRequestsException", `{"message":"Too Many Requests"}`)
	send(a, slowValue).wantAWSError(t, 429, "TooManyRequestsException", `{"message":"Too Many Requests"}`)

	// Disabled on node A, refused by node B; deleted, refused by both.
	if _, err := ca.UpdateApiKey(ctx, &apigateway.UpdateApiKeyInput{ApiKey: k.Id,
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/enabled"), Value: aws.String("false")}}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "node B refuses the disabled key", func() (bool, string) {
		r := send(b, value)
		return r.status == 403, r.body
	})
	if _, err := ca.DeleteApiKey(ctx, &apigateway.DeleteApiKeyInput{ApiKey: k.Id}); err != nil {
		t.Fatal(err)
	}
	_, err = cb.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: k.Id})
	wantAPIErrorContaining(t, err, "NotFoundException", "Invalid API Key identifier specified")
	if keys, err := cb.GetUsagePlanKeys(ctx, &apigateway.GetUsagePlanKeysInput{UsagePlanId: plan.Id}); err != nil || len(keys.Items) != 0 {
		t.Fatalf("GetUsagePlanKeys after DeleteApiKey = %+v, %v", keys, err)
	}
	send(a, value).wantAWSError(t, 403, "ForbiddenException", `{"message":"Forbidden"}`)
}
