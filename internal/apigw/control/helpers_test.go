package control

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	"github.com/cognate-dev/cognate/internal/gateway"
	"github.com/cognate-dev/cognate/internal/store/sqlite"
	"github.com/cognate-dev/cognate/internal/tokens"
)

// fakeFunctions answers a TOKEN authorizer ("auth": Allow for token
// "allow", Deny otherwise) and a notes function echoing the event.
type fakeFunctions struct{}

func (fakeFunctions) InvokeFunction(_ context.Context, name string, payload []byte) ([]byte, string, error) {
	switch name {
	case "auth":
		var ev struct {
			Token     string `json:"authorizationToken"`
			MethodArn string `json:"methodArn"`
		}
		json.Unmarshal(payload, &ev)
		effect := "Deny"
		if ev.Token == "allow" {
			effect = "Allow"
		}
		out, _ := json.Marshal(map[string]any{"principalId": "user-1", "context": map[string]any{"username": "alice"},
			"policyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
				"Action": "execute-api:Invoke", "Effect": effect, "Resource": "*"}}}})
		return out, "", nil
	case "echo":
		return payload, "", nil
	}
	return nil, "", errors.New("function not found: " + name)
}

// fakeTokens accepts the token "good" of pool us-east-1_abc.
type fakeTokens struct{}

func (fakeTokens) Verify(_ context.Context, token string, want tokens.Expect) (tokens.Claims, error) {
	if want.PoolID == "us-east-1_abc" && token == "good" {
		return tokens.Claims{"sub": "s-1", "cognito:username": "alice"}, nil
	}
	return nil, errors.New("invalid token")
}

type env struct {
	t      testing.TB
	svc    *Service
	gw     *gateway.Gateway
	url    string
	client *apigateway.Client
}

func newEnv(t testing.TB, opts ...func(*Options)) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	gw := gateway.New(gateway.Options{Store: st, Functions: fakeFunctions{}, Tokens: fakeTokens{}, Issuer: func(p string) string { return "iss/" + p }})
	o := Options{Store: st, Gateway: gw, Functions: fakeFunctions{}, Tokens: fakeTokens{},
		NewTester: func() Tester {
			return gateway.New(gateway.Options{Functions: fakeFunctions{}, Tokens: fakeTokens{}, Issuer: func(p string) string { return "iss/" + p }})
		}}
	for _, f := range opts {
		f(&o)
	}
	svc := New(o)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if IsControlPath(r) {
			svc.Handler().ServeHTTP(w, r)
			return
		}
		gw.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	client := apigateway.New(apigateway.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""), RetryMaxAttempts: 1})
	return &env{t: t, svc: svc, gw: gw, url: srv.URL, client: client}
}

// must returns v, failing the test (by panic) on err.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// wantAPIError asserts err is the SDK's typed error T with a message containing msg.
func wantAPIError[T error](t *testing.T, err error, msg string) {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("error = %v (%T), want %T", err, err, target)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Fatalf("error = %v, want it to mention %q", err, msg)
	}
}

// get calls the data plane.
func (e *env) get(path string, header ...string) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.url+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// mockAPI creates an API with GET /pets answering MOCK {"pets":N}.
func (e *env) mockAPI(name string, n string) (api *apigateway.CreateRestApiOutput, petsID string) {
	e.t.Helper()
	ctx := context.Background()
	api = must(e.client.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String(name)}))
	pets := must(e.client.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: api.Id, ParentId: api.RootResourceId, PathPart: aws.String("pets")}))
	must(e.client.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: pets.Id, HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE")}))
	must(e.client.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: api.Id, ResourceId: pets.Id, HttpMethod: aws.String("GET"),
		Type: types.IntegrationTypeMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}))
	must(e.client.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: api.Id, ResourceId: pets.Id, HttpMethod: aws.String("GET"),
		StatusCode: aws.String("200"), ResponseParameters: map[string]bool{"method.response.header.X-Pets": false}}))
	must(e.client.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: api.Id, ResourceId: pets.Id, HttpMethod: aws.String("GET"),
		StatusCode: aws.String("200"), ResponseTemplates: map[string]string{"application/json": `{"pets":` + n + `}`},
		ResponseParameters: map[string]string{"method.response.header.X-Pets": "'" + n + "'"}}))
	return api, aws.ToString(pets.Id)
}
