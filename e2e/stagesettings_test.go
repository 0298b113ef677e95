package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// TestStageMethodSettingsApplied: UpdateStage with aws-sdk-go-v2 turns on
// the stage cache and method throttling; the gateway then answers repeated
// GETs from its cache (the backend sees one call per cache key), a
// Cache-Control: max-age=0 request from an unauthorized caller is refused
// (FAIL_WITH_403), and a throttled method answers 429 past its burst.
func TestStageMethodSettingsApplied(t *testing.T) {
	var calls atomic.Int64
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"call":%d,"path":%q}`, n, r.URL.Path)
	}))
	t.Cleanup(backend.Close)
	cfg := filepath.Join(t.TempDir(), "cognate.yaml")
	os.WriteFile(cfg, []byte(`apis:
  - name: cached
    stages: [{name: v}]
    definition:
      openapi: 3.0.1
      info: {title: cached, version: "1"}
      paths:
        /items/{id}:
          get:
            parameters: [{name: id, in: path, required: true}]
            x-amazon-apigateway-integration:
              type: http_proxy
              httpMethod: GET
              uri: "`+backend.URL+`/items/{id}"
              requestParameters: {integration.request.path.id: method.request.path.id}
              cacheKeyParameters: [method.request.path.id]
        /limited:
          get:
            x-amazon-apigateway-integration: {type: http_proxy, httpMethod: GET, uri: "`+backend.URL+`/limited"}
`), 0o600)
	srv := startServer(t, "", "--config", cfg)
	ctx := context.Background()
	c := apigateway.New(apigateway.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")})
	apis, err := c.GetRestApis(ctx, &apigateway.GetRestApisInput{})
	if err != nil || len(apis.Items) != 1 {
		t.Fatalf("GetRestApis = %+v, %v", apis, err)
	}
	op := func(path, value string) types.PatchOperation {
		return types.PatchOperation{Op: types.OpReplace, Path: aws.String(path), Value: aws.String(value)}
	}
	st, err := c.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: apis.Items[0].Id, StageName: aws.String("v"),
		PatchOperations: []types.PatchOperation{
			op("/cacheClusterEnabled", "true"), op("/cacheClusterSize", "0.5"),
			op("/*/*/caching/enabled", "true"), op("/*/*/caching/ttlInSeconds", "300"),
			op("/*/*/caching/unauthorizedCacheControlHeaderStrategy", "FAIL_WITH_403"),
			op("/~1limited/GET/throttling/burstLimit", "2"), op("/~1limited/GET/throttling/rateLimit", "0.001"),
		}})
	if err != nil || !st.CacheClusterEnabled || !st.MethodSettings["*/*"].CachingEnabled || st.MethodSettings["limited/GET"].ThrottlingBurstLimit != 2 {
		t.Fatalf("UpdateStage = %+v, %v", st, err)
	}
	send := func(path, extra string) rawResult {
		return rawExchange(t, srv, rawString("GET /v"+path+" HTTP/1.1\r\nHost: localhost\r\n"+extra+"Connection: close\r\n\r\n"))
	}
	first := send("/items/1", "")
	if first.status != 200 || !strings.Contains(first.body, `"call":1`) {
		t.Fatalf("first GET: %d %s", first.status, first.body)
	}
	for range 3 {
		if r := send("/items/1", ""); r.status != 200 || r.body != first.body {
			t.Fatalf("cached GET: %d %s, want %s", r.status, r.body, first.body)
		}
	}
	if r := send("/items/2", ""); r.status != 200 || !strings.Contains(r.body, `"call":2`) {
		t.Fatalf("another cache key: %d %s", r.status, r.body)
	}
	if r := send("/items/1", "Cache-Control: max-age=0\r\n"); r.status != 403 {
		t.Fatalf("unauthorized invalidation: %d %s", r.status, r.body)
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("backend saw %d calls, want 2", n)
	}
	// /limited is a GET, so "*/*" caches it too; its throttle counts every
	// request, cached or not, since throttling comes before the cache.
	for i := range 2 {
		if r := send("/limited", ""); r.status != 200 {
			t.Fatalf("limited %d: %d %s", i, r.status, r.body)
		}
	}
	send("/limited", "").wantAWSError(t, 429, "TooManyRequestsException", `{"message":"Too Many Requests"}`)
}
