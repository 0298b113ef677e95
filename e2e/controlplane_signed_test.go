package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestControlPlaneEnforced: with credentials, the control planes check
// signatures and identity policies with the right IAM actions; the demo's
// config-file API is visible and exportable through API Gateway's API; STS
// answers each caller with itself; unknown operations name the service.
func TestControlPlaneEnforced(t *testing.T) {
	d := startEnforced(t)
	ctx := context.Background()
	creds := func(id, secret string) aws.CredentialsProvider {
		return credentials.NewStaticCredentialsProvider(id, secret, "")
	}
	apigw := func(id, secret string) *apigateway.Client {
		return apigateway.New(apigateway.Options{Region: "us-east-1", BaseEndpoint: aws.String(d.srv.URL), Credentials: creds(id, secret)})
	}
	root := apigw(rootKeyID, rootSecret)
	apis, err := root.GetRestApis(ctx, &apigateway.GetRestApisInput{})
	if err != nil || len(apis.Items) != 1 || aws.ToString(apis.Items[0].Name) != "notes" {
		t.Fatalf("GetRestApis as root = %+v, %v", apis, err)
	}
	exp, err := root.GetExport(ctx, &apigateway.GetExportInput{RestApiId: apis.Items[0].Id, StageName: aws.String("dev"), ExportType: aws.String("oas30"),
		Parameters: map[string]string{"extensions": "apigateway"}})
	if err != nil || !strings.Contains(string(exp.Body), "x-amazon-apigateway-integration") {
		t.Fatalf("export of the demo API: %v\n%s", err, exp.Body)
	}
	_, err = apigw(readerKeyID, readerSecret).GetRestApis(ctx, &apigateway.GetRestApisInput{})
	wantAPIErrorContaining(t, err, "AccessDeniedException", "apigateway:GET")

	lam := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(d.srv.URL), Credentials: creds(invokerKeyID, invokerSecret)})
	_, err = lam.ListFunctions(ctx, &lambda.ListFunctionsInput{})
	wantAPIErrorContaining(t, err, "AccessDeniedException", "lambda:ListFunctions")
	_, err = lam.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("x"), Role: aws.String("arn:aws:iam::123456789012:role/r"), Code: &lambdatypes.FunctionCode{ZipFile: []byte("x")}})
	wantAPIErrorContaining(t, err, "AccessDeniedException", "lambda:CreateFunction on resource: arn:aws:lambda:us-east-1:"+testAccount+":function:x")
	if _, err := lam.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("listAccountNotes"), Payload: []byte(`{}`)}); err != nil {
		t.Fatalf("invoker may still invoke: %v", err)
	}

	who, err := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(d.srv.URL), Credentials: creds(invokerKeyID, invokerSecret)}).
		GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != "arn:aws:iam::"+testAccount+":user/invoker" || aws.ToString(who.Account) != testAccount {
		t.Fatalf("GetCallerIdentity as invoker = %+v, %v", who, err)
	}
	_, err = iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(d.srv.URL), Credentials: creds(readerKeyID, readerSecret)}).
		CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(`{"Statement":[]}`)})
	wantAPIErrorContaining(t, err, "AccessDenied", "iam:CreateRole")
	_, err = sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(d.srv.URL), Credentials: creds(rootKeyID, "wrong-secret-0123456789abcdef")}).
		GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIErrorContaining(t, err, "SignatureDoesNotMatch", "signature")

	// An unknown signed operation names the service; an unsigned call is refused.
	_, err = root.GetDocumentationParts(ctx, &apigateway.GetDocumentationPartsInput{RestApiId: apis.Items[0].Id})
	wantAPIErrorContaining(t, err, "UnknownOperationException", "apigateway")
	res, err := http.Get(d.srv.URL + "/restapis")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 403 || res.Header.Get("X-Amzn-ErrorType") != "MissingAuthenticationTokenException" {
		t.Fatalf("unsigned GET /restapis: %d %s", res.StatusCode, res.Header.Get("X-Amzn-ErrorType"))
	}
	// The data plane is not the control plane.
	if status, _, _ := get(t, d.srv.URL+"/restapis/"+aws.ToString(apis.Items[0].Id)+"/dev/_user_request_/notes", ""); status != 401 {
		t.Fatalf("data-plane URL without a token: %d", status)
	}
}
