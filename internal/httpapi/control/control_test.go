package control

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/internal/httpapi"
	"github.com/cognate-dev/cognate/internal/store/sqlite"
)

type echoInvoker struct{}

func (echoInvoker) InvokeFunction(_ context.Context, name string, _ []byte) ([]byte, string, error) {
	return []byte(`{"fn":"` + name + `"}`), "", nil
}

// env is a control plane and two data-plane nodes over one sqlite store.
type env struct {
	t     *testing.T
	svc   *Service
	h     http.Handler
	nodeA *httpapi.Gateway
	nodeB *httpapi.Gateway
}

func newEnv(t *testing.T) *env {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a := httpapi.New(httpapi.Options{Functions: echoInvoker{}, Store: st})
	b := httpapi.New(httpapi.Options{Functions: echoInvoker{}, Store: st})
	svc := New(Options{Store: st, Gateway: a, AccountID: "123456789012"})
	return &env{t: t, svc: svc, h: svc.Handler(), nodeA: a, nodeB: b}
}

func (e *env) do(method, path, body string) (int, map[string]any, http.Header) {
	e.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	out := map[string]any{}
	b, _ := io.ReadAll(rec.Body)
	if len(b) > 0 && b[0] == '{' {
		json.Unmarshal(b, &out)
	} else {
		out["raw"] = string(b)
	}
	return rec.Code, out, rec.Header()
}

func (e *env) ok(want int, method, path, body string) map[string]any {
	e.t.Helper()
	code, out, _ := e.do(method, path, body)
	if code != want {
		e.t.Fatalf("%s %s: %d %v, want %d", method, path, code, out, want)
	}
	return out
}

func invoke(t *testing.T, g *httpapi.Gateway, id, path string) (int, string) {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	req.Host = id + ".execute-api.us-east-1.amazonaws.com"
	rec := httptest.NewRecorder()
	g.Handler().ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func TestControlPlaneLifecycle(t *testing.T) {
	e := newEnv(t)
	api := e.ok(201, "POST", "/v2/apis", `{"name":"notes","protocolType":"HTTP"}`)
	id := api["apiId"].(string)
	if len(id) != 10 || api["apiEndpoint"] != "https://"+id+".execute-api.us-east-1.amazonaws.com" || api["apiKeySelectionExpression"] != "$request.header.x-api-key" {
		t.Fatalf("CreateApi: %v", api)
	}
	integ := e.ok(201, "POST", "/v2/apis/"+id+"/integrations", `{"integrationType":"AWS_PROXY","integrationUri":"notes","payloadFormatVersion":"2.0"}`)
	iid := integ["integrationId"].(string)
	route := e.ok(201, "POST", "/v2/apis/"+id+"/routes", `{"routeKey":"GET /notes","target":"integrations/`+iid+`"}`)
	if route["authorizationType"] != "NONE" || route["apiKeyRequired"] != false {
		t.Fatalf("CreateRoute: %v", route)
	}
	// Not served before a stage exists.
	if code, _ := invoke(t, e.nodeA, id, "/notes"); code != 404 {
		t.Fatalf("before any stage: %d", code)
	}
	e.ok(201, "POST", "/v2/apis/"+id+"/stages", `{"stageName":"$default","autoDeploy":true}`)
	if code, body := invoke(t, e.nodeA, id, "/notes"); code != 200 || body != `{"fn":"notes"}` {
		t.Fatalf("auto-deployed: %d %s", code, body)
	}
	// The other node sees it after syncing from the store.
	if err := e.nodeB.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if code, _ := invoke(t, e.nodeB, id, "/notes"); code != 200 {
		t.Fatalf("node B: %d", code)
	}
	// An auto-deploy stage follows every change.
	e.ok(200, "PATCH", "/v2/apis/"+id+"/routes/"+route["routeId"].(string), `{"routeKey":"GET /things"}`)
	if code, _ := invoke(t, e.nodeA, id, "/things"); code != 200 {
		t.Fatalf("after UpdateRoute: %d", code)
	}
	deps := e.ok(200, "GET", "/v2/apis/"+id+"/deployments", "")
	if items := deps["items"].([]any); len(items) != 2 || items[0].(map[string]any)["autoDeployed"] != true {
		t.Fatalf("deployments: %v", deps)
	}
	if _, ok := deps["items"].([]any)[0].(map[string]any)["snapshot"]; ok {
		t.Fatal("deployment snapshot leaked into the API")
	}
	// Errors.
	for _, c := range []struct {
		method, path, body, code string
		status                   int
	}{
		{"GET", "/v2/apis/nope", "", "NotFoundException", 404},
		{"POST", "/v2/apis", `{"name":"x","protocolType":"WEBSOCKET"}`, "BadRequestException", 400},
		{"POST", "/v2/apis", `{"protocolType":"HTTP"}`, "BadRequestException", 400},
		{"POST", "/v2/apis", `{"name":`, "BadRequestException", 400},
		{"POST", "/v2/apis/" + id + "/routes", `{"routeKey":"GET /things"}`, "ConflictException", 409},
		{"POST", "/v2/apis/" + id + "/routes", `{"routeKey":"GET /y","authorizationType":"JWT","authorizerId":"nope"}`, "BadRequestException", 400},
		{"POST", "/v2/apis/" + id + "/stages", `{"stageName":"$default"}`, "ConflictException", 409},
		{"POST", "/v2/apis/" + id + "/stages", `{"stageName":"bad name"}`, "BadRequestException", 400},
		{"DELETE", "/v2/apis/" + id + "/integrations/" + iid, "", "ConflictException", 409},
		{"DELETE", "/v2/apis/" + id + "/cors", "", "NotFoundException", 404},
		{"GET", "/v2/apis/" + id + "/exports/SWAGGER?outputType=JSON", "", "BadRequestException", 400},
		{"POST", "/v2/apis/" + id + "/authorizers", `{"name":"l","authorizerType":"REQUEST","authorizerUri":"f"}`, "BadRequestException", 400},
		{"GET", "/v2/domainnames", "", "NotFoundException", 404},
	} {
		code, out, h := e.do(c.method, c.path, c.body)
		if code != c.status || h.Get("X-Amzn-ErrorType") != c.code || out["message"] == "" {
			t.Errorf("%s %s: %d %s %v, want %d %s", c.method, c.path, code, h.Get("X-Amzn-ErrorType"), out, c.status, c.code)
		}
	}
	// Export, reimport, import.
	_, out, h := e.do("GET", "/v2/apis/"+id+"/exports/OAS30?outputType=YAML&stageName=$default", "")
	doc := out["raw"].(string)
	if h.Get("Content-Type") != "application/yaml" || !strings.Contains(doc, "/things:") || !strings.Contains(doc, "x-amazon-apigateway-integration") {
		t.Fatalf("export:\n%s", doc)
	}
	body, _ := json.Marshal(map[string]string{"body": strings.Replace(doc, "/things:", "/imported:", 1)})
	e.ok(201, "PUT", "/v2/apis/"+id, string(body))
	if code, _ := invoke(t, e.nodeA, id, "/imported"); code != 200 {
		t.Fatalf("after ReimportApi: %d", code)
	}
	imported := e.ok(201, "PUT", "/v2/apis", string(body))
	if imported["apiId"] == id || imported["name"] != "notes" {
		t.Fatalf("ImportApi: %v", imported)
	}
	routes := e.ok(200, "GET", "/v2/apis/"+imported["apiId"].(string)+"/routes", "")
	if len(routes["items"].([]any)) != 1 {
		t.Fatalf("imported routes: %v", routes)
	}
	page := e.ok(200, "GET", "/v2/apis?maxResults=1", "")
	if len(page["items"].([]any)) != 1 || page["nextToken"] == nil {
		t.Fatalf("paged GetApis: %v", page)
	}
	// Tags on APIs and stages.
	arn := "/v2/tags/arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Fapis%2F" + id
	e.ok(201, "POST", arn, `{"tags":{"a":"1","b":"2"}}`)
	e.ok(204, "DELETE", arn+"?tagKeys=a", "")
	if tags := e.ok(200, "GET", arn, ""); len(tags["tags"].(map[string]any)) != 1 {
		t.Fatalf("tags: %v", tags)
	}
	e.ok(204, "DELETE", "/v2/apis/"+id, "")
	if code, _ := invoke(t, e.nodeA, id, "/imported"); code != 404 {
		t.Fatalf("deleted API: %d", code)
	}
	e.nodeB.Sync(context.Background())
	if code, _ := invoke(t, e.nodeB, id, "/imported"); code != 404 {
		t.Fatalf("deleted API on node B: %d", code)
	}
}

func TestAdopt(t *testing.T) {
	e := newEnv(t)
	imp, err := httpapi.ImportOpenAPI([]byte("openapi: 3.0.1\ninfo: {title: cfg}\npaths:\n  /x:\n    get:\n      x-amazon-apigateway-integration: {type: aws_proxy, uri: fx, payloadFormatVersion: '2.0'}\n"))
	if err != nil {
		t.Fatal(err)
	}
	imp.ID, imp.Name = "cfgapi0001", "cfg"
	rate := 5.0
	if err := e.svc.Adopt(context.Background(), imp, []StageSpec{{Name: "dev", Variables: map[string]string{"v": "1"}, Settings: &httpapi.RouteSettings{ThrottlingRateLimit: &rate}}}); err != nil {
		t.Fatal(err)
	}
	if code, body := invoke(t, e.nodeA, "cfgapi0001", "/dev/x"); code != 200 || body != `{"fn":"fx"}` {
		t.Fatalf("adopted: %d %s", code, body)
	}
	st := e.ok(200, "GET", "/v2/apis/cfgapi0001/stages/dev", "")
	if st["stageVariables"].(map[string]any)["v"] != "1" || st["deploymentId"] == "" {
		t.Fatalf("adopted stage: %v", st)
	}
}
