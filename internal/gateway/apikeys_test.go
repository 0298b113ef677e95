package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const (
	testKey1 = "k1-0123456789abcdefghij"
	testKey2 = "k2-0123456789abcdefghij"
	testKey3 = "k3-0123456789abcdefghij"
)

func keyedEnv(t *testing.T, source string) *testEnv {
	t.Helper()
	env := newTestEnv(t, func(api *API, _ *Options) {
		api.APIKeySource = source
		mock := Integration{Type: IntegrationMock, Responses: []IntegrationResponse{{StatusCode: 200, ResponseTemplates: map[string]string{
			"application/json": `{"key":"$context.identity.apiKeyId"}`}}}}
		api.Paths["/keyed"] = map[string]*Method{"GET": {APIKeyRequired: true, Integration: mock}}
		api.Paths["/keyedauth"] = map[string]*Method{"GET": {APIKeyRequired: true, Authorizer: "keyauth", Integration: mock}}
		api.Authorizers["keyauth"] = &Authorizer{Type: "TOKEN", Function: "keyAuthorizer", ResultTTLSeconds: ptr(0)}
	})
	env.inv.funcs["keyAuthorizer"] = func(_ context.Context, payload []byte) ([]byte, string, error) {
		return []byte(`{"principalId":"p","usageIdentifierKey":"` + testKey1 + `","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"*"}]}}`), "", nil
	}
	err := env.gw.SetUsagePlans(
		[]APIKey{{ID: "key1", Name: "one", Value: testKey1, Enabled: true}, {ID: "key2", Name: "two", Value: testKey2, Enabled: false},
			{ID: "key3", Name: "three", Value: testKey3, Enabled: true}},
		[]UsagePlan{
			{ID: "plan1", Name: "basic", Stages: []PlanStage{{testAPIID, "dev"}}, Quota: &PlanQuota{Limit: 3, Period: QuotaDay},
				Throttle: &PlanThrottle{RateLimit: 100, BurstLimit: 100}, KeyIDs: []string{"key1", "key2"}},
			{ID: "plan3", Name: "slow", Stages: []PlanStage{{testAPIID, "dev"}}, Throttle: &PlanThrottle{RateLimit: 0.001, BurstLimit: 1}, KeyIDs: []string{"key3"}},
			{ID: "plan4", Name: "elsewhere", Stages: []PlanStage{{testAPIID, "prod"}}},
		})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

const forbidden = `{"message":"Forbidden"}`

// TestAPIKeysAndQuota: apiKeyRequired with the HEADER source — AWS's 403
// Forbidden for a missing, unknown or disabled key, 429 Limit Exceeded past
// the quota, 429 Too Many Requests past the key's throttle; GetUsage reports
// the day's use and what remains.
func TestAPIKeysAndQuota(t *testing.T) {
	env := keyedEnv(t, "")
	key := func(v string) map[string]string { return map[string]string{"x-api-key": v} }
	httpCase{target: "/dev/keyed", status: 403, errType: "ForbiddenException", wantBody: forbidden}.run(t, env.h, env.inv)
	httpCase{target: "/dev/keyed", header: key("nope-0123456789abcdefghij"), status: 403, errType: "ForbiddenException", wantBody: forbidden}.run(t, env.h, env.inv)
	httpCase{target: "/dev/keyed", header: key(testKey2), status: 403, errType: "ForbiddenException", wantBody: forbidden}.run(t, env.h, env.inv)
	for range 3 {
		httpCase{target: "/dev/keyed", header: key(testKey1), status: 200, wantBody: `{"key":"key1"}`}.run(t, env.h, env.inv)
	}
	httpCase{target: "/dev/keyed", header: key(testKey1), status: 429, errType: "LimitExceededException", wantBody: `{"message":"Limit Exceeded"}`}.run(t, env.h, env.inv)
	// A method without apiKeyRequired ignores keys.
	httpCase{target: "/dev/items", header: key(testKey1), status: 200}.run(t, env.h, env.inv)
	// The next day the quota starts again.
	env.clock.Add(24 * time.Hour)
	httpCase{target: "/dev/keyed", header: key(testKey1), status: 200}.run(t, env.h, env.inv)

	httpCase{target: "/dev/keyed", header: key(testKey3), status: 200, wantBody: `{"key":"key3"}`}.run(t, env.h, env.inv)
	httpCase{target: "/dev/keyed", header: key(testKey3), status: 429, errType: "TooManyRequestsException", wantBody: `{"message":"Too Many Requests"}`}.run(t, env.h, env.inv)

	day1 := env.clock.Now().Add(-24 * time.Hour).Format(time.DateOnly)
	day2 := env.clock.Now().Format(time.DateOnly)
	u, err := env.gw.GetUsage(t.Context(), "plan1", "", day1, day2)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Items["key1"]; len(got) != 2 || got[0] != [2]int64{3, 0} || got[1] != [2]int64{1, 2} {
		t.Fatalf("usage %+v", u)
	}
	if got := u.Items["key2"]; len(got) != 2 || got[0] != [2]int64{0, 3} {
		t.Fatalf("usage of key2 %+v", u.Items)
	}
	if _, err := env.gw.GetUsage(t.Context(), "nope", "", day1, day2); err == nil {
		t.Fatal("unknown plan")
	}
}

// TestAPIKeyFromAuthorizer: with the AUTHORIZER source the Lambda
// authorizer's usageIdentifierKey is the key; x-api-key is ignored.
func TestAPIKeyFromAuthorizer(t *testing.T) {
	env := keyedEnv(t, APIKeySourceAuthorizer)
	httpCase{target: "/dev/keyedauth", header: map[string]string{"Authorization": "t"}, status: 200, wantBody: `{"key":"key1"}`}.run(t, env.h, env.inv)
	httpCase{target: "/dev/keyed", header: map[string]string{"x-api-key": testKey1}, status: 403, errType: "ForbiddenException"}.run(t, env.h, env.inv)
}

func TestSetUsagePlansRefusesBadInput(t *testing.T) {
	gw := New(Options{})
	for name, tc := range map[string]struct {
		keys  []APIKey
		plans []UsagePlan
	}{
		"short key":     {keys: []APIKey{{ID: "a", Value: "short"}}},
		"duplicate key": {keys: []APIKey{{ID: "a", Value: testKey1}, {ID: "b", Value: testKey1}}},
		"unknown key":   {plans: []UsagePlan{{ID: "p", KeyIDs: []string{"x"}}}},
		"bad period":    {plans: []UsagePlan{{ID: "p", Quota: &PlanQuota{Limit: 1, Period: "YEAR"}}}},
		"two plans on a stage": {keys: []APIKey{{ID: "a", Value: testKey1}}, plans: []UsagePlan{
			{ID: "p", Stages: []PlanStage{{"api", "dev"}}, KeyIDs: []string{"a"}}, {ID: "q", Stages: []PlanStage{{"api", "dev"}}, KeyIDs: []string{"a"}}}},
	} {
		if err := gw.SetUsagePlans(tc.keys, tc.plans); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestPeriodKey(t *testing.T) {
	ts := time.Date(2026, 12, 3, 23, 0, 0, 0, time.UTC) // a Thursday
	for period, want := range map[string]string{QuotaDay: "D2026-12-03", QuotaWeek: "W2026-11-30", QuotaMonth: "M2026-12"} {
		if got := periodKey(period, ts); got != want {
			t.Errorf("%s: %s, want %s", period, got, want)
		}
	}
	if got := periodKey(QuotaWeek, time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)); got != "W2026-11-30" {
		t.Errorf("a Monday: %s", got)
	}
}

func TestUsageHandler(t *testing.T) {
	env := keyedEnv(t, "")
	httpCase{target: "/dev/keyed", header: map[string]string{"x-api-key": testKey1}, status: 200}.run(t, env.h, env.inv)
	day := env.clock.Now().Format(time.DateOnly)
	h := env.gw.UsageHandler()
	rec := serve(h, httptest.NewRequest(http.MethodGet, "/usageplans/plan1/usage?keyId=key1&startDate="+day+"&endDate="+day, nil))
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != `{"usagePlanId":"plan1","startDate":"`+day+`","endDate":"`+day+`","values":{"key1":[[1,2]]}}` {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	rec = serve(h, httptest.NewRequest(http.MethodGet, "/usageplans/nope/usage?startDate="+day+"&endDate="+day, nil))
	if rec.Code != 404 || rec.Header().Get("x-amzn-ErrorType") != "NotFoundException" || !strings.Contains(rec.Body.String(), "Invalid Usage Plan ID specified") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	rec = serve(h, httptest.NewRequest(http.MethodGet, "/usageplans/plan1/usage?startDate=x&endDate="+day, nil))
	if rec.Code != 400 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}
