package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// versionsAPIConfig routes /live to the alias fn:live and /latest to the
// unqualified fn, both Lambda proxy integrations by ARN.
const versionsAPIConfig = `apis:
  - name: versions
    stages: [{name: v}]
    definition:
      openapi: 3.0.1
      info: {title: versions, version: "1"}
      paths:
        /live:
          get:
            x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:fn:live/invocations"}
        /latest:
          get:
            x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: "arn:aws:lambda:us-east-1:000000000000:function:fn"}
`

func zipHandler(t *testing.T, answer string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("index.js")
	w.Write([]byte(`exports.handler = async () => ({statusCode: 200, body: "` + answer + ` " + process.env.AWS_LAMBDA_FUNCTION_VERSION});` + "\n"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestLambdaVersionsThroughGateway: a function created with aws-sdk-go-v2,
// published, changed and aliased; the gateway's integration on the alias ARN
// runs the published version while the unqualified one runs $LATEST; once
// the function has a resource policy, API Gateway's invocation needs a
// matching statement for the invoked qualifier, else AWS's 500 and the
// "Invalid permissions on Lambda function" log line.
func TestLambdaVersionsThroughGateway(t *testing.T) {
	requireNodeBinary(t)
	cfg := filepath.Join(t.TempDir(), "cognate.yaml")
	os.WriteFile(cfg, []byte(versionsAPIConfig), 0o600)
	dataDir := filepath.Join(t.TempDir(), "data")
	// Functions may run as nobody: the code cache next to the data directory must be reachable.
	for _, d := range []string{filepath.Dir(dataDir), filepath.Dir(filepath.Dir(dataDir))} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	srv := startServer(t, dataDir, "--config", cfg)
	ctx := context.Background()
	creds := credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")
	role, err := iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds}).CreateRole(ctx,
		&iam.CreateRoleInput{RoleName: aws.String("fn"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[]}`)})
	if err != nil {
		t.Fatal(err)
	}
	lam := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds, RetryMaxAttempts: 1})
	if _, err := lam.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("fn"), Runtime: lambdatypes.RuntimeNodejs20x,
		Handler: aws.String("index.handler"), Role: role.Role.Arn, Code: &lambdatypes.FunctionCode{ZipFile: zipHandler(t, "one")}, Publish: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := lam.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("fn"), ZipFile: zipHandler(t, "two")}); err != nil {
		t.Fatal(err)
	}
	if _, err := lam.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	get := func(path string) rawResult {
		return rawExchange(t, srv, rawString("GET /v"+path+" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
	}
	if r := get("/live"); r.status != 200 || r.body != "one 1" {
		t.Fatalf("alias: %d %q", r.status, r.body)
	}
	if r := get("/latest"); r.status != 200 || r.body != "two $LATEST" {
		t.Fatalf("$LATEST: %d %q", r.status, r.body)
	}

	// A policy on the alias: the alias's route passes, the unqualified one is refused.
	if _, err := lam.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("fn"), Qualifier: aws.String("live"),
		StatementId: aws.String("apigw-live"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("apigateway.amazonaws.com"),
		SourceArn: aws.String("arn:aws:execute-api:us-east-1:*:*/*/GET/live")}); err != nil {
		t.Fatal(err)
	}
	if r := get("/live"); r.status != 200 || r.body != "one 1" {
		t.Fatalf("alias with its permission: %d %q", r.status, r.body)
	}
	r := get("/latest")
	r.wantAWSError(t, 500, "InternalServerErrorException", `{"message": "Internal server error"}`)
	// The server's log reaches srv.output() asynchronously.
	eventually(t, 10*time.Second, "the permission log line", func() (bool, string) {
		return strings.Contains(srv.output(), "Execution failed due to configuration error: Invalid permissions on Lambda function"), srv.output()
	})
	if _, err := lam.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("fn"), StatementId: aws.String("apigw"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("apigateway.amazonaws.com"),
		SourceArn: aws.String("arn:aws:execute-api:us-east-1:*:*/v/GET/latest")}); err != nil {
		t.Fatal(err)
	}
	if r := get("/latest"); r.status != 200 || r.body != "two $LATEST" {
		t.Fatalf("$LATEST with its permission: %d %q", r.status, r.body)
	}
}
