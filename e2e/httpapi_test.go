package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

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

	// Deleting the API stops serving it.
	if _, err := v2.DeleteApi(ctx, &apigatewayv2.DeleteApiInput{ApiId: api.ApiId}); err != nil {
		t.Fatal(err)
	}
	if status, _, _ = get(t, base+"/notes", aws.ToString(toks.IdToken)); status == 200 {
		t.Fatal("deleted API still served")
	}
}
