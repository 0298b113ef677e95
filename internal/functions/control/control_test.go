package control

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/cognate-dev/cognate/internal/functions"
	"github.com/cognate-dev/cognate/internal/store"
	"github.com/cognate-dev/cognate/internal/store/sqlite"
)

func requireNode(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("node is required in CI: %v", err)
		}
		t.Skip("node not installed")
	}
}

// zipOf builds a package from name → content.
func zipOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func handler(answer string) map[string]string {
	return map[string]string{"index.js": "exports.handler = async (event) => ({answer: " + answer + ", event});\n"}
}

type node struct {
	svc    *Service
	runner *functions.Runner
	client *lambda.Client
}

// newNode starts one node's control plane over st.
func newNode(t testing.TB, st store.Store, roles RoleChecker) *node {
	t.Helper()
	runner := functions.NewRunner(functions.Options{})
	t.Cleanup(func() { runner.Close(context.Background()) })
	cache := filepath.Join(t.TempDir(), "cache")
	// Functions may run as nobody, who must reach the cache.
	for d := filepath.Dir(cache); d != filepath.Dir(d) && strings.HasPrefix(d, os.TempDir()+"/"); d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	svc := New(Options{Store: st, Runner: runner, Invoke: runner.Handler(), CacheDir: cache, Roles: roles,
		CodeURL: func(name string) string { return "http://code/" + name }})
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(srv.Close)
	client := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
	return &node{svc: svc, runner: runner, client: client}
}

func openStore(t testing.TB) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func wantErr[T error](t *testing.T, err error, msg string) {
	t.Helper()
	var target T
	if !errors.As(err, &target) || !strings.Contains(err.Error(), msg) {
		t.Fatalf("error = %v (%T), want %T mentioning %q", err, err, target, msg)
	}
}

type roles map[string]bool

func (r roles) RoleExists(_ context.Context, arn string) (bool, error) { return r[arn], nil }

const role = "arn:aws:iam::000000000000:role/fn"

func invoke(t *testing.T, c *lambda.Client, name string) string {
	t.Helper()
	out := must(c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{"x":1}`)}))
	if out.FunctionError != nil {
		t.Fatalf("invoke %s: %s %s", name, aws.ToString(out.FunctionError), out.Payload)
	}
	return string(out.Payload)
}

func TestFunctionLifecycle(t *testing.T) {
	requireNode(t)
	ctx := context.Background()
	st := openStore(t)
	a := newNode(t, st, roles{role: true})
	c := a.client
	_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("f"), Runtime: types.RuntimeNodejs20x, Handler: aws.String("index.handler"),
		Role: aws.String("arn:aws:iam::000000000000:role/missing"), Code: &types.FunctionCode{ZipFile: zipOf(t, handler("1"))}})
	wantErr[*types.InvalidParameterValueException](t, err, "cannot be assumed by Lambda")
	_, err = c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("f"), Runtime: types.RuntimePython312, Handler: aws.String("index.handler"),
		Role: aws.String(role), Code: &types.FunctionCode{ZipFile: zipOf(t, handler("1"))}})
	wantErr[*types.InvalidParameterValueException](t, err, "runtime")
	_, err = c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("f"), Runtime: types.RuntimeNodejs20x, Handler: aws.String("index.handler"),
		Role: aws.String(role), Timeout: aws.Int32(901), Code: &types.FunctionCode{ZipFile: zipOf(t, handler("1"))}})
	wantErr[*smithyAPIError](t, err, "ValidationException")

	cfg := must(c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("f"), Runtime: types.RuntimeNodejs20x, Handler: aws.String("index.handler"),
		Role: aws.String(role), Code: &types.FunctionCode{ZipFile: zipOf(t, handler("1"))}, Environment: &types.Environment{Variables: map[string]string{"K": "v"}},
		Tags: map[string]string{"team": "a"}}))
	if cfg.State != types.StateActive || cfg.LastUpdateStatus != types.LastUpdateStatusSuccessful || aws.ToString(cfg.CodeSha256) == "" ||
		cfg.CodeSize == 0 || aws.ToString(cfg.Version) != "$LATEST" || aws.ToInt32(cfg.Timeout) != 3 || aws.ToInt32(cfg.MemorySize) != 128 {
		t.Fatalf("CreateFunction = %+v", cfg)
	}
	_, err = c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("f"), Runtime: types.RuntimeNodejs20x, Handler: aws.String("index.handler"),
		Role: aws.String(role), Code: &types.FunctionCode{ZipFile: zipOf(t, handler("1"))}})
	wantErr[*types.ResourceConflictException](t, err, "Function already exist: f")
	if got := invoke(t, c, "f"); !strings.Contains(got, `"answer":1`) {
		t.Fatalf("invoke = %s", got)
	}
	fn := must(c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("arn:aws:lambda:us-east-1:000000000000:function:f")}))
	if aws.ToString(fn.Code.Location) != "http://code/f" || fn.Tags["team"] != "a" || fn.Configuration.Environment.Variables["K"] != "v" {
		t.Fatalf("GetFunction = %+v", fn)
	}
	_, err = c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("nope")})
	wantErr[*types.ResourceNotFoundException](t, err, "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope")

	// New code serves after UpdateFunctionCode; the old revision id is refused.
	up := must(c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("f"), ZipFile: zipOf(t, handler("2")), RevisionId: cfg.RevisionId}))
	if aws.ToString(up.CodeSha256) == aws.ToString(cfg.CodeSha256) {
		t.Fatal("UpdateFunctionCode kept the hash")
	}
	if got := invoke(t, c, "f"); !strings.Contains(got, `"answer":2`) {
		t.Fatalf("invoke after UpdateFunctionCode = %s", got)
	}
	_, err = c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("f"), Timeout: aws.Int32(9), RevisionId: cfg.RevisionId})
	wantErr[*types.PreconditionFailedException](t, err, "Revision Id")
	uc := must(c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("f"), Timeout: aws.Int32(9)}))
	if aws.ToInt32(uc.Timeout) != 9 || uc.Environment.Variables["K"] != "v" {
		t.Fatalf("UpdateFunctionConfiguration = %+v", uc)
	}

	// Versions and aliases.
	v1 := must(c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("f")}))
	if aws.ToString(v1.Version) != "1" || !strings.HasSuffix(aws.ToString(v1.FunctionArn), ":1") {
		t.Fatalf("PublishVersion = %+v", v1)
	}
	if again := must(c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("f")})); aws.ToString(again.Version) != "1" {
		t.Fatalf("publishing unchanged code made version %s", aws.ToString(again.Version))
	}
	vs := must(c.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("f")}))
	if len(vs.Versions) != 2 {
		t.Fatalf("ListVersionsByFunction = %+v", vs.Versions)
	}
	al := must(c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("f"), Name: aws.String("live"), FunctionVersion: aws.String("1")}))
	if aws.ToString(al.AliasArn) != "arn:aws:lambda:us-east-1:000000000000:function:f:live" {
		t.Fatalf("CreateAlias = %+v", al)
	}
	_, err = c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("f"), Name: aws.String("live"), FunctionVersion: aws.String("1")})
	wantErr[*types.ResourceConflictException](t, err, "Alias already exists")
	_, err = c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("f"), Name: aws.String("next"), FunctionVersion: aws.String("7")})
	wantErr[*types.ResourceNotFoundException](t, err, "f:7")
	byAlias := must(c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("f"), Qualifier: aws.String("live")}))
	if aws.ToString(byAlias.Version) != "1" {
		t.Fatalf("configuration by alias = %+v", byAlias)
	}
	_, err = c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("f"), Qualifier: aws.String("1")})
	wantErr[*types.ResourceConflictException](t, err, "aliases reference it")
	must(c.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: aws.String("f"), Name: aws.String("live")}))
	if l := must(c.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: aws.String("f")})); len(l.Aliases) != 0 {
		t.Fatalf("ListAliases = %+v", l.Aliases)
	}

	// Resource policy.
	p := must(c.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("f"), StatementId: aws.String("apigw"), Action: aws.String("lambda:InvokeFunction"),
		Principal: aws.String("apigateway.amazonaws.com"), SourceArn: aws.String("arn:aws:execute-api:us-east-1:000000000000:abc/*/GET/notes")}))
	if !strings.Contains(aws.ToString(p.Statement), `"Service":"apigateway.amazonaws.com"`) || !strings.Contains(aws.ToString(p.Statement), "AWS:SourceArn") {
		t.Fatalf("AddPermission = %s", aws.ToString(p.Statement))
	}
	_, err = c.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("f"), StatementId: aws.String("apigw"), Action: aws.String("lambda:InvokeFunction"),
		Principal: aws.String("apigateway.amazonaws.com")})
	wantErr[*types.ResourceConflictException](t, err, "The statement id (apigw) provided already exists")
	pol := must(c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("f")}))
	if !strings.Contains(aws.ToString(pol.Policy), `"Sid":"apigw"`) {
		t.Fatalf("GetPolicy = %s", aws.ToString(pol.Policy))
	}
	must(c.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("f"), StatementId: aws.String("apigw")}))
	_, err = c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("f")})
	wantErr[*types.ResourceNotFoundException](t, err, "does not exist")

	// Tags.
	arn := "arn:aws:lambda:us-east-1:000000000000:function:f"
	must(c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: map[string]string{"b": "2"}}))
	must(c.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(arn), TagKeys: []string{"team"}}))
	if tags := must(c.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(arn)})); len(tags.Tags) != 1 || tags.Tags["b"] != "2" {
		t.Fatalf("ListTags = %+v", tags.Tags)
	}

	// Listing pages; a second node on the same store runs the function after Sync.
	must(c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("g"), Runtime: types.RuntimeNodejs20x, Handler: aws.String("index.handler"),
		Role: aws.String(role), Code: &types.FunctionCode{ZipFile: zipOf(t, handler("3"))}}))
	p1 := must(c.ListFunctions(ctx, &lambda.ListFunctionsInput{MaxItems: aws.Int32(1)}))
	p2 := must(c.ListFunctions(ctx, &lambda.ListFunctionsInput{MaxItems: aws.Int32(1), Marker: p1.NextMarker}))
	if len(p1.Functions) != 1 || p1.NextMarker == nil || len(p2.Functions) != 1 || p2.NextMarker != nil || aws.ToString(p2.Functions[0].FunctionName) != "g" {
		t.Fatalf("ListFunctions pages = %+v / %+v", p1, p2)
	}
	b := newNode(t, st, nil)
	if err := b.svc.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := invoke(t, b.client, "g"); !strings.Contains(got, `"answer":3`) {
		t.Fatalf("second node invoke = %s", got)
	}
	must(c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("g")}))
	if err := b.svc.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = b.client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("g")})
	wantErr[*types.ResourceNotFoundException](t, err, "Function not found")
	_, err = c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("g")})
	wantErr[*types.ResourceNotFoundException](t, err, "Function not found")
}

// TestHostilePackages: zip bombs, path traversal, absolute paths, escaping
// symlinks and non-zips are refused with Lambda's errors, and nothing is created.
func TestHostilePackages(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	a := newNode(t, st, nil)
	create := func(zip []byte) error {
		_, err := a.client.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("bad"), Runtime: types.RuntimeNodejs20x,
			Handler: aws.String("index.handler"), Role: aws.String(role), Code: &types.FunctionCode{ZipFile: zip}})
		return err
	}
	wantErr[*types.InvalidParameterValueException](t, create([]byte("not a zip")), "Could not unzip uploaded file")
	wantErr[*types.InvalidParameterValueException](t, create(zipOf(t, map[string]string{"../evil.js": "x"})), "Could not unzip uploaded file")
	wantErr[*types.InvalidParameterValueException](t, create(zipOf(t, map[string]string{"/etc/evil": "x"})), "Could not unzip uploaded file")
	wantErr[*types.InvalidParameterValueException](t, create(zipOf(t, map[string]string{"a/../../evil": "x"})), "Could not unzip uploaded file")

	var link bytes.Buffer
	zw := zip.NewWriter(&link)
	h := &zip.FileHeader{Name: "index.js"}
	h.SetMode(os.ModeSymlink | 0o777)
	w, _ := zw.CreateHeader(h)
	w.Write([]byte("../../../../etc/passwd"))
	zw.Close()
	wantErr[*types.InvalidParameterValueException](t, create(link.Bytes()), "Could not unzip uploaded file")

	// 300 MB of zeros deflate to a few hundred KB: refused while inflating.
	var bomb bytes.Buffer
	zw = zip.NewWriter(&bomb)
	w, _ = zw.Create("zeros")
	chunk := make([]byte, 1<<20)
	for range 300 {
		w.Write(chunk)
	}
	zw.Close()
	wantErr[*types.InvalidParameterValueException](t, create(bomb.Bytes()), "Unzipped size must be smaller than 262144000 bytes")
	if _, err := a.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("bad")}); err == nil {
		t.Fatal("a refused package created the function")
	}
	if _, _, err := a.svc.storeCode(ctx, make([]byte, MaxZipSize+1)); !errors.Is(err, errRequestTooLarge) {
		t.Fatalf("oversized package: %v", err)
	}
}

func TestUnknownLambdaOperation(t *testing.T) {
	a := newNode(t, openStore(t), nil)
	rec := httptest.NewRecorder()
	a.svc.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/2015-03-31/functions/f/frobnicate", nil))
	if rec.Code != 404 || rec.Header().Get("X-Amzn-ErrorType") != "UnknownOperationException" || !strings.Contains(rec.Body.String(), "lambda") {
		t.Fatalf("unknown operation: %d %s %s", rec.Code, rec.Header(), rec.Body)
	}
}

// smithyAPIError is the SDK's error for codes its model lacks (ValidationException).
type smithyAPIError = smithy.GenericAPIError

// TestProvidedRuntimeFromZip: an aws-lambda-go binary zipped as bootstrap
// (the notes example's go-notes) runs as provided.al2023.
func TestProvidedRuntimeFromZip(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the go toolchain is required in CI to build the aws-lambda-go bootstrap: %v", err)
		}
		t.Skip("go toolchain not on PATH")
	}
	bin := filepath.Join(t.TempDir(), "bootstrap")
	build := exec.Command(goTool, "build", "-o", bin, ".")
	build.Dir = filepath.Join("..", "..", "..", "examples", "notes", "go-notes")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	exe, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, _ := zw.CreateHeader(h)
	w.Write(exe)
	zw.Close()
	ctx := context.Background()
	n := newNode(t, openStore(t), nil)
	must(n.client.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("goNotes"), Runtime: types.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Role: aws.String(role), Code: &types.FunctionCode{ZipFile: buf.Bytes()}}))
	out := must(n.client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("goNotes"), Payload: []byte(`{"policyContext":{"username":"alice"}}`)}))
	if out.FunctionError != nil || !strings.Contains(string(out.Payload), `"title":"Notes for alice"`) {
		t.Fatalf("provided.al2023 invoke: %v %s", aws.ToString(out.FunctionError), out.Payload)
	}
}
