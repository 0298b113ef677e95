package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	v2types "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
)

// startHTTPAPIServer starts a signed server with the notes pool, a Node
// notes function and an aws-lambda-go handler, for HTTP API tests.
func startHTTPAPIServer(t *testing.T) *demo {
	t.Helper()
	td := filepath.Join(repoRoot(), "e2e", "testdata", "httpapi")
	binDir, err := os.MkdirTemp("", "cognate-httpapi-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(binDir) })
	if err := os.Chmod(binDir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(binDir, "bootstrap")
	cfg := filepath.Join(t.TempDir(), "cognate.yaml")
	doc := `accountId: "` + testAccount + `"
pools:
  - name: notes-users
    autoVerifiedAttributes: [email]
    clients:
      - name: notes-client
        explicitAuthFlows: [ALLOW_USER_SRP_AUTH, ALLOW_USER_PASSWORD_AUTH, ALLOW_REFRESH_TOKEN_AUTH]
functions:
  - {name: notesV2, runtime: nodejs20.x, handler: index.handler, dir: ` + filepath.Join(td, "node") + `, timeout: 10}
  - name: goV2
    runtime: provided.al2023
    dir: ` + filepath.Join(td, "go") + `
    build: [go, build, -o, ` + bin + `, .]
    command: [` + bin + `]
    timeout: 10
httpApis:
  - name: notes-config
    stages: [{name: dev, variables: {table: notes}, throttlingRateLimit: 100, throttlingBurstLimit: 50}]
    definition:
      openapi: 3.0.1
      info: {title: notes-config, version: "1"}
      paths:
        /notes:
          get:
            security: [{cognito: []}]
            x-amazon-apigateway-integration: {type: aws_proxy, uri: notesV2, payloadFormatVersion: "2.0"}
      components:
        securitySchemes:
          cognito:
            type: oauth2
            flows: {}
            x-amazon-apigateway-authorizer:
              type: jwt
              identitySource: $request.header.Authorization
              jwtConfiguration: {issuer: "${issuer:notes-users}", audience: ["${client:notes-users/notes-client}"]}
`
	if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"COGNATE_ROOT_ACCESS_KEY_ID=" + rootKeyID, "COGNATE_ROOT_SECRET_ACCESS_KEY=" + rootSecret}
	d := &demo{srv: startServerEnv(t, "", env, "--config", cfg)}
	d.idp = idpAs(d.srv.URL, rootKeyID, rootSecret)
	return startDemoLookupOnly(t, d)
}

func apigwv2As(url, id, secret string) *apigatewayv2.Client {
	return apigatewayv2.New(apigatewayv2.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, "")})
}

// TestHTTPAPIJWTScenario is the seed scenario as an HTTP API, built with
// aws-sdk-go-v2's apigatewayv2 client: a JWT authorizer on the notes pool,
// GET /notes → a Node function reading
// event.requestContext.authorizer.jwt.claims['cognito:username'] from the
// payload 2.0 event; 401 without a token; 403 when the route's scope is
// missing from the access token; an aws-lambda-go handler decoding
// events.APIGatewayV2HTTPRequest strictly.
func TestHTTPAPIJWTScenario(t *testing.T) {
	requireNodeBinary(t)
	d := startHTTPAPIServer(t)
	ctx := context.Background()
	v2 := apigwv2As(d.srv.URL, rootKeyID, rootSecret)
	api, err := v2.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("notes-http"), ProtocolType: v2types.ProtocolTypeHttp,
		Tags: map[string]string{"team": "notes"}})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(api.ApiId)
	if aws.ToString(api.ApiEndpoint) != "https://"+id+".execute-api.us-east-1.amazonaws.com" || aws.ToString(api.RouteSelectionExpression) != "$request.method $request.path" {
		t.Fatalf("CreateApi = %+v", api)
	}
	issuer := d.srv.URL + "/" + d.poolID
	auth, err := v2.CreateAuthorizer(ctx, &apigatewayv2.CreateAuthorizerInput{ApiId: api.ApiId, Name: aws.String("cognito"),
		AuthorizerType: v2types.AuthorizerTypeJwt, IdentitySource: []string{"$request.header.Authorization"},
		JwtConfiguration: &v2types.JWTConfiguration{Issuer: aws.String(issuer), Audience: []string{d.clientID}}})
	if err != nil {
		t.Fatal(err)
	}
	node, err := v2.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: api.ApiId, IntegrationType: v2types.IntegrationTypeAwsProxy,
		IntegrationUri:       aws.String("arn:aws:lambda:us-east-1:" + testAccount + ":function:notesV2"),
		PayloadFormatVersion: aws.String("2.0")})
	if err != nil {
		t.Fatal(err)
	}
	goInteg, err := v2.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: api.ApiId, IntegrationType: v2types.IntegrationTypeAwsProxy,
		IntegrationUri: aws.String("goV2"), PayloadFormatVersion: aws.String("2.0")})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []apigatewayv2.CreateRouteInput{
		{RouteKey: aws.String("GET /notes"), Target: aws.String("integrations/" + aws.ToString(node.IntegrationId))},
		{RouteKey: aws.String("GET /admin/notes"), Target: aws.String("integrations/" + aws.ToString(node.IntegrationId)), AuthorizationScopes: []string{"notes/admin"}},
		{RouteKey: aws.String("ANY /go/{proxy+}"), Target: aws.String("integrations/" + aws.ToString(goInteg.IntegrationId))},
	} {
		r.ApiId, r.AuthorizationType, r.AuthorizerId = api.ApiId, v2types.AuthorizationTypeJwt, auth.AuthorizerId
		if _, err := v2.CreateRoute(ctx, &r); err != nil {
			t.Fatalf("CreateRoute %s: %v", aws.ToString(r.RouteKey), err)
		}
	}
	// A duplicate route key is a ConflictException; an unknown API a NotFoundException.
	_, err = v2.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: api.ApiId, RouteKey: aws.String("GET /notes")})
	wantAPIErrorContaining(t, err, "ConflictException", "GET /notes")
	_, err = v2.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: aws.String("nope123456")})
	var nf *v2types.NotFoundException
	if !asErr(err, &nf) {
		t.Fatalf("GetApi of an unknown id: %v", err)
	}
	_, err = v2.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: api.ApiId, RouteKey: aws.String("GET /x"), Target: aws.String("integrations/none")})
	var br *v2types.BadRequestException
	if !asErr(err, &br) {
		t.Fatalf("route to an unknown integration: %v", err)
	}
	if _, err := v2.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: api.ApiId, StageName: aws.String("$default"), AutoDeploy: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	routes, err := v2.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: api.ApiId})
	if err != nil || len(routes.Items) != 3 {
		t.Fatalf("GetRoutes = %+v, %v", routes, err)
	}
	st, err := v2.GetStage(ctx, &apigatewayv2.GetStageInput{ApiId: api.ApiId, StageName: aws.String("$default")})
	if err != nil || aws.ToString(st.DeploymentId) == "" || !aws.ToBool(st.AutoDeploy) {
		t.Fatalf("GetStage = %+v, %v", st, err)
	}
	tags, err := v2.GetTags(ctx, &apigatewayv2.GetTagsInput{ResourceArn: aws.String("arn:aws:apigateway:us-east-1::/apis/" + id)})
	if err != nil || tags.Tags["team"] != "notes" {
		t.Fatalf("GetTags = %+v, %v", tags, err)
	}

	d.createUser(t, "alice", "alice@example.com", "Passw0rd!Passw0rd")
	toks := d.loginSRP(t, "alice", "Passw0rd!Passw0rd")
	base := d.srv.URL + "/restapis/" + id + "/$default/_user_request_"

	status, body, hdr := get(t, base+"/notes", "")
	if status != 401 || strings.TrimSpace(body) != `{"message":"Unauthorized"}` {
		t.Fatalf("no token: %d %s", status, body)
	}
	status, body, _ = get(t, base+"/notes", "Bearer "+aws.ToString(toks.IdToken))
	var notes struct {
		Title, Version, RouteKey string
	}
	if err := json.Unmarshal([]byte(body), &notes); status != 200 || err != nil || notes.Title != "Notes for alice" || notes.Version != "2.0" || notes.RouteKey != "GET /notes" {
		t.Fatalf("id token: %d %s", status, body)
	}
	if status, body, _ = get(t, base+"/notes", aws.ToString(toks.AccessToken)); status != 200 || !strings.Contains(body, "Notes for alice") {
		t.Fatalf("access token: %d %s", status, body)
	}
	status, body, hdr = get(t, base+"/admin/notes", aws.ToString(toks.AccessToken))
	if status != 403 || strings.TrimSpace(body) != `{"message":"Forbidden"}` || !strings.Contains(hdr.Get("Www-Authenticate"), "insufficient_scope") {
		t.Fatalf("access token without the route's scope: %d %s %v", status, body, hdr)
	}
	if status, _, _ = get(t, base+"/notes", forge(t, aws.ToString(toks.IdToken), func(c map[string]any) { c["cognito:username"] = "mallory" })); status != 401 {
		t.Fatalf("forged token: %d", status)
	}

	// The aws-lambda-go handler decodes the event strictly; the Host form reaches it too.
	req, _ := http.NewRequest("POST", d.srv.URL+"/go/a/b?x=1&x=2", strings.NewReader(`{"k":1}`))
	req.Host = id + ".execute-api.us-east-1.amazonaws.com"
	req.Header.Set("Authorization", aws.ToString(toks.IdToken))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cookie", "a=1; b=2")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var got struct {
		User, RouteKey, RawPath, Method, Stage string
		Query                                  map[string]string
		Cookies                                []string
	}
	if err := json.NewDecoder(res.Body).Decode(&got); res.StatusCode != 200 || err != nil {
		t.Fatalf("go handler: %d %v", res.StatusCode, err)
	}
	if got.User != "alice" || got.RouteKey != "ANY /go/{proxy+}" || got.RawPath != "/go/a/b" || got.Method != "POST" || got.Stage != "$default" ||
		got.Query["x"] != "1,2" || strings.Join(got.Cookies, ";") != "a=1;b=2" || res.Header.Get("Set-Cookie") != "seen=1; Path=/" {
		t.Fatalf("go handler saw %+v (set-cookie %q)", got, res.Header.Get("Set-Cookie"))
	}

	// The configuration file's HTTP API is served and visible in the control plane.
	apis, err := v2.GetApis(ctx, &apigatewayv2.GetApisInput{})
	if err != nil {
		t.Fatal(err)
	}
	cfgID := ""
	for _, a := range apis.Items {
		if aws.ToString(a.Name) == "notes-config" {
			cfgID = aws.ToString(a.ApiId)
		}
	}
	if cfgID == "" || len(apis.Items) != 2 {
		t.Fatalf("GetApis = %+v", apis.Items)
	}
	cfgURL := d.srv.URL + "/restapis/" + cfgID + "/dev/_user_request_/notes"
	if status, _, _ = get(t, cfgURL, ""); status != 401 {
		t.Fatalf("config API without a token: %d", status)
	}
	if status, body, _ = get(t, cfgURL, aws.ToString(toks.IdToken)); status != 200 || !strings.Contains(body, "Notes for alice") {
		t.Fatalf("config API: %d %s", status, body)
	}
	exp, err := v2.ExportApi(ctx, &apigatewayv2.ExportApiInput{ApiId: aws.String(cfgID), Specification: aws.String("OAS30"), OutputType: aws.String("JSON"), StageName: aws.String("dev")})
	if err != nil || !strings.Contains(string(exp.Body), `"x-amazon-apigateway-authorizer"`) || !strings.Contains(string(exp.Body), d.clientID) {
		t.Fatalf("ExportApi: %v\n%s", err, exp.Body)
	}
	imp, err := v2.ImportApi(ctx, &apigatewayv2.ImportApiInput{Body: aws.String(string(exp.Body))})
	if err != nil || aws.ToString(imp.Name) != "notes-config" {
		t.Fatalf("ImportApi: %+v %v", imp, err)
	}

	// Deleting the API stops serving it.
	if _, err := v2.DeleteApi(ctx, &apigatewayv2.DeleteApiInput{ApiId: api.ApiId}); err != nil {
		t.Fatal(err)
	}
	if status, _, _ = get(t, base+"/notes", aws.ToString(toks.IdToken)); status == 200 {
		t.Fatal("deleted API still served")
	}
}

// TestAWSCLIHTTPAPI drives the apigatewayv2 control plane with the AWS CLI:
// quick create onto the demo's notes function, a REQUEST Lambda authorizer
// (payload 1.0, IAM policy answers: the demo's notesAuthorizer), routes,
// a named stage with a deployment, CORS, tags and AWS's errors.
func TestAWSCLIHTTPAPI(t *testing.T) {
	awsBin := requireAWSCLI(t)
	d := startEnforced(t)
	cli := func(args ...string) map[string]any {
		t.Helper()
		out, err := awsCLIAs(t, awsBin, d.srv.URL, rootKeyID, rootSecret, append([]string{"apigatewayv2"}, args...)...)
		if err != nil {
			t.Fatalf("aws apigatewayv2 %v: %v\n%s", args, err, out)
		}
		m := map[string]any{}
		if strings.TrimSpace(out) != "" {
			if err := json.Unmarshal([]byte(out), &m); err != nil {
				t.Fatalf("%v: %v\n%s", args, err, out)
			}
		}
		return m
	}
	fn := "arn:aws:lambda:us-east-1:" + testAccount + ":function:listAccountNotes"
	api := cli("create-api", "--name", "quick", "--protocol-type", "HTTP", "--target", fn,
		"--cors-configuration", "AllowOrigins=https://app.test,AllowMethods=GET,AllowHeaders=authorization,MaxAge=300")
	id, _ := api["ApiId"].(string)
	if id == "" || api["ProtocolType"] != "HTTP" || api["ApiEndpoint"] != "https://"+id+".execute-api.us-east-1.amazonaws.com" {
		t.Fatalf("create-api: %v", api)
	}
	// Quick create made a $default route and an auto-deploying $default stage.
	status, body, _ := get(t, d.srv.URL+"/restapis/"+id+"/$default/_user_request_/anything", "")
	if status != 200 || !strings.Contains(body, `"title":"Notes for anonymous"`) {
		t.Fatalf("quick-created API: %d %s", status, body)
	}
	if apis := cli("get-apis"); len(apis["Items"].([]any)) != 1 {
		t.Fatalf("get-apis: %v", apis)
	}
	auth := cli("create-authorizer", "--api-id", id, "--name", "notes", "--authorizer-type", "REQUEST",
		"--authorizer-uri", "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:"+testAccount+":function:notesAuthorizer/invocations",
		"--authorizer-payload-format-version", "1.0", "--identity-source", "$request.header.Authorization", "--authorizer-result-ttl-in-seconds", "60")
	integ := cli("create-integration", "--api-id", id, "--integration-type", "AWS_PROXY", "--integration-uri", fn, "--payload-format-version", "2.0")
	if integ["IntegrationMethod"] != "POST" || integ["TimeoutInMillis"] != float64(30000) {
		t.Fatalf("create-integration defaults: %v", integ)
	}
	route := cli("create-route", "--api-id", id, "--route-key", "GET /notes", "--authorization-type", "CUSTOM",
		"--authorizer-id", auth["AuthorizerId"].(string), "--target", "integrations/"+integ["IntegrationId"].(string))
	cli("create-stage", "--api-id", id, "--stage-name", "dev", "--stage-variables", "table=notes")
	dep := cli("create-deployment", "--api-id", id, "--stage-name", "dev", "--description", "first")
	if dep["DeploymentStatus"] != "DEPLOYED" {
		t.Fatalf("create-deployment: %v", dep)
	}
	if st := cli("get-stage", "--api-id", id, "--stage-name", "dev"); st["DeploymentId"] != dep["DeploymentId"] {
		t.Fatalf("get-stage: %v", st)
	}
	d.createUser(t, "carol", "carol@example.com", "Passw0rd!Passw0rd")
	tok := aws.ToString(d.loginSRP(t, "carol", "Passw0rd!Passw0rd").IdToken)
	devURL := d.srv.URL + "/restapis/" + id + "/dev/_user_request_/notes"
	if status, body, _ = get(t, devURL, ""); status != 401 {
		t.Fatalf("no identity source: %d %s", status, body)
	}
	if status, body, _ = get(t, devURL, "Bearer "+tok); status != 200 || !strings.Contains(body, "Notes for") {
		t.Fatalf("authorized through the Lambda authorizer: %d %s", status, body)
	}
	// The route is also served with the stage's changes only after a deployment.
	cli("update-route", "--api-id", id, "--route-id", route["RouteId"].(string), "--authorization-type", "NONE", "--authorizer-id", "")
	if status, _, _ = get(t, devURL, ""); status != 401 {
		t.Fatalf("undeployed change served on a manual stage: %d", status)
	}
	cli("create-deployment", "--api-id", id, "--stage-name", "dev")
	if status, _, _ = get(t, devURL, ""); status != 200 {
		t.Fatalf("after redeploying: %d", status)
	}
	// CORS preflights are answered from the configuration.
	req, _ := http.NewRequest("OPTIONS", devURL, nil)
	req.Header.Set("Origin", "https://app.test")
	req.Header.Set("Access-Control-Request-Method", "GET")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Origin") != "https://app.test" || res.Header.Get("Access-Control-Max-Age") != "300" {
		t.Fatalf("preflight: %d %v", res.StatusCode, res.Header)
	}
	cli("delete-cors-configuration", "--api-id", id)
	arn := "arn:aws:apigateway:us-east-1::/apis/" + id
	cli("tag-resource", "--resource-arn", arn, "--tags", "env=test,team=notes")
	cli("untag-resource", "--resource-arn", arn, "--tag-keys", "team")
	if tags := cli("get-tags", "--resource-arn", arn); len(tags["Tags"].(map[string]any)) != 1 {
		t.Fatalf("get-tags: %v", tags)
	}
	for _, c := range []struct {
		want string
		args []string
	}{
		{"(NotFoundException) when calling the GetApi operation: Invalid API identifier specified " + testAccount + ":nope", []string{"get-api", "--api-id", "nope"}},
		{"(ConflictException)", []string{"create-route", "--api-id", id, "--route-key", "GET /notes"}},
		{"(BadRequestException)", []string{"create-route", "--api-id", id, "--route-key", "FETCH /x"}},
		{"(ConflictException)", []string{"delete-integration", "--api-id", id, "--integration-id", integ["IntegrationId"].(string)}},
		{"(BadRequestException)", []string{"create-api", "--name", "ws", "--protocol-type", "WEBSOCKET", "--route-selection-expression", "$request.body.action"}},
	} {
		_, err := awsCLIAs(t, awsBin, d.srv.URL, rootKeyID, rootSecret, append([]string{"apigatewayv2"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("%v: %v, want %q", c.args, err, c.want)
		}
	}
	// A reader without apigateway permissions is refused (SigV4 + IAM).
	_, err = awsCLIAs(t, awsBin, d.srv.URL, readerKeyID, readerSecret, "apigatewayv2", "get-apis")
	if err == nil || !strings.Contains(err.Error(), "AccessDeniedException") {
		t.Fatalf("reader: %v", err)
	}
	cli("delete-api", "--api-id", id)
	if status, _, _ = get(t, devURL, ""); status == 200 {
		t.Fatal("deleted API still served")
	}
}

const httpAPIReloadConfig = `functions:
  - {name: notes, runtime: builtin, handler: listAccountNotes}
httpApis:
  - name: reloaded
    definition:
      openapi: 3.0.1
      info: {title: reloaded, version: "1"}
      paths:
        /PATH:
          get:
            x-amazon-apigateway-integration: {type: aws_proxy, uri: notes, payloadFormatVersion: "2.0"}
`

// TestHTTPAPIReload: an HTTP API of the configuration file follows the
// file on SIGHUP (its id derived from its name stays), and leaves with it.
func TestHTTPAPIReload(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "cognate.yaml")
	write := func(s string) {
		if err := os.WriteFile(cfg, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(strings.Replace(httpAPIReloadConfig, "PATH", "first", 1))
	srv := startServer(t, "", "--config", cfg)
	m := regexp.MustCompile(`/restapis/([a-z0-9]{10})/\$default/_user_request_  GET /first`).FindStringSubmatch(srv.output())
	if m == nil {
		t.Fatalf("no HTTP API route in the banner:\n%s", srv.output())
	}
	base := srv.URL + "/restapis/" + m[1] + "/$default/_user_request_"
	if status, body, _ := get(t, base+"/first", ""); status != 200 || !strings.Contains(body, "Notes for anonymous") {
		t.Fatalf("before reload: %d %s", status, body)
	}
	write(strings.Replace(httpAPIReloadConfig, "PATH", "second", 1))
	srv.cmd.Process.Signal(syscall.SIGHUP)
	waitUntil(t, base+"/second", "", 5*time.Second, "200", func(status int, _ string) bool { return status == 200 })
	if status, _, _ := get(t, base+"/first", ""); status != 404 {
		t.Fatalf("old route after reload: %d", status)
	}
	write("functions:\n  - {name: notes, runtime: builtin, handler: listAccountNotes}\n")
	srv.cmd.Process.Signal(syscall.SIGHUP)
	waitUntil(t, base+"/second", "", 5*time.Second, "gone", func(status int, _ string) bool { return status != 200 })
}
