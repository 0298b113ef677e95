package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// cacheEnv deploys an API with a cached GET /items/{id} (cache key: the id
// and the q query parameter), an uncached POST on it and a throttled GET
// /limited, all on the counting function "count".
func cacheEnv(t *testing.T, require bool, strategy string) *testEnv {
	t.Helper()
	env := newTestEnv(t, nil)
	n := 0
	env.inv.funcs["count"] = func(context.Context, []byte) ([]byte, string, error) {
		n++
		return []byte(fmt.Sprintf(`{"statusCode":200,"headers":{"X-N":"%d"},"body":"call %d"}`, n, n)), "", nil
	}
	proxy := Integration{Type: IntegrationAWSProxy, URI: "count", CacheKeyParameters: []string{"method.request.path.id", "method.request.querystring.q"}}
	api := &API{ID: "cacheapi01", Name: "cached", Paths: map[string]map[string]*Method{
		"/items/{id}": {"GET": {Integration: proxy}, "POST": {Integration: proxy}},
		"/limited":    {"GET": {Integration: Integration{Type: IntegrationAWSProxy, URI: "count"}}},
	}}
	settings := &StageSettings{CacheClusterEnabled: true, MethodSettings: map[string]MethodSetting{
		"*/*":         {CachingEnabled: true, CacheTTLInSeconds: 60, RequireAuthorizationForCacheControl: require, UnauthorizedCacheControlHeaderStrategy: strategy},
		"limited/GET": {ThrottlingRateLimit: 0.001, ThrottlingBurstLimit: 2},
	}}
	if _, err := env.gw.DeployStage(context.Background(), api, "prod", nil, settings); err != nil {
		t.Fatal(err)
	}
	return env
}

func get(t *testing.T, env *testEnv, method, target string, header map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://cacheapi01.execute-api.localhost"+target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := serve(env.h, req)
	return rec.Code, rec.Body.String()
}

// TestStageCache: GET responses are cached per method, resource path and
// cache key parameter values for the TTL; other methods are not cached by
// the "*/*" setting; the entry expires; Cache-Control: max-age=0 refreshes
// it when authorization is not required.
func TestStageCache(t *testing.T) {
	env := cacheEnv(t, false, "")
	want := func(method, target, body string, header map[string]string) {
		t.Helper()
		if code, got := get(t, env, method, target, header); code != 200 || got != body {
			t.Fatalf("%s %s = %d %q, want %q", method, target, code, got, body)
		}
	}
	want("GET", "/prod/items/1", "call 1", nil)
	want("GET", "/prod/items/1", "call 1", nil) // cached
	want("GET", "/prod/items/1?other=x", "call 1", nil)
	want("GET", "/prod/items/2", "call 2", nil)
	want("GET", "/prod/items/1?q=a", "call 3", nil)
	want("POST", "/prod/items/1", "call 4", nil)
	want("POST", "/prod/items/1", "call 5", nil)
	want("GET", "/prod/items/1", "call 6", map[string]string{"Cache-Control": "max-age=0"})
	want("GET", "/prod/items/1", "call 6", nil)
	env.clock.Add(61 * time.Second)
	want("GET", "/prod/items/1", "call 7", nil)
}

// TestStageCacheInvalidationNeedsAuthorization: with
// requireAuthorizationForCacheControl, max-age=0 from an unauthorized caller
// is refused (FAIL_WITH_403) or ignored (SUCCEED_*).
func TestStageCacheInvalidationNeedsAuthorization(t *testing.T) {
	env := cacheEnv(t, true, "FAIL_WITH_403")
	get(t, env, "GET", "/prod/items/1", nil)
	if code, body := get(t, env, "GET", "/prod/items/1", map[string]string{"Cache-Control": "max-age=0"}); code != 403 || !strings.Contains(body, "not authorized") {
		t.Fatalf("unauthorized invalidation = %d %s", code, body)
	}
	env = cacheEnv(t, true, "SUCCEED_WITH_RESPONSE_HEADER")
	get(t, env, "GET", "/prod/items/1", nil)
	if code, body := get(t, env, "GET", "/prod/items/1", map[string]string{"Cache-Control": "max-age=0"}); code != 200 || body != "call 1" {
		t.Fatalf("ignored invalidation = %d %s", code, body)
	}
}

// TestMethodThrottle: a method's throttling settings give 429 Too Many
// Requests past its burst.
func TestMethodThrottle(t *testing.T) {
	env := cacheEnv(t, false, "")
	for i := range 2 {
		if code, _ := get(t, env, "GET", "/prod/limited", nil); code != 200 {
			t.Fatalf("request %d within the burst: %d", i, code)
		}
	}
	if code, body := get(t, env, "GET", "/prod/limited", nil); code != 429 || body != `{"message":"Too Many Requests"}` {
		t.Fatalf("past the burst: %d %s", code, body)
	}
	if code, _ := get(t, env, "GET", "/prod/items/9", nil); code != 200 {
		t.Fatalf("another method is not throttled: %d", code)
	}
}
