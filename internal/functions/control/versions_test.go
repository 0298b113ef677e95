package control

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/cognate-dev/cognate/internal/functions/caller"
)

// envHandler answers the function's code marker and its version variable.
func envHandler(answer string) map[string]string {
	return map[string]string{"index.js": "exports.handler = async () => ({answer: " + answer + ", version: process.env.AWS_LAMBDA_FUNCTION_VERSION});\n"}
}

func invokeQ(t *testing.T, c *lambda.Client, name, qualifier string) (string, string) {
	t.Helper()
	in := &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{}`)}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	out := must(c.Invoke(context.Background(), in))
	if out.FunctionError != nil {
		t.Fatalf("invoke %s %s: %s %s", name, qualifier, aws.ToString(out.FunctionError), out.Payload)
	}
	return string(out.Payload), aws.ToString(out.ExecutedVersion)
}

// TestVersionsAndAliasesInvocable: a published version keeps its code and
// configuration after $LATEST changes; Invoke by version, alias, $LATEST
// and qualified ARN runs the right snapshot; a weighted alias sends traffic
// to both versions; another node runs the versions after Sync.
func TestVersionsAndAliasesInvocable(t *testing.T) {
	requireNode(t)
	ctx := context.Background()
	st := openStore(t)
	a := newNode(t, st, nil)
	c := a.client
	must(c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("v"), Runtime: types.RuntimeNodejs20x, Handler: aws.String("index.handler"),
		Role: aws.String(role), Code: &types.FunctionCode{ZipFile: zipOf(t, envHandler("1"))}, Publish: true}))
	must(c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("v"), ZipFile: zipOf(t, envHandler("2"))}))
	v2 := must(c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("v")}))
	if aws.ToString(v2.Version) != "2" {
		t.Fatalf("PublishVersion = %s", aws.ToString(v2.Version))
	}
	must(c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("v"), ZipFile: zipOf(t, envHandler("3"))}))

	for _, tc := range []struct{ name, qual, answer, version string }{
		{"v", "", `"answer":3`, "$LATEST"},
		{"v", "$LATEST", `"answer":3`, "$LATEST"},
		{"v", "1", `"answer":1`, "1"},
		{"v:2", "", `"answer":2`, "2"},
		{"arn:aws:lambda:us-east-1:000000000000:function:v:1", "", `"answer":1`, "1"},
	} {
		got, ver := invokeQ(t, c, tc.name, tc.qual)
		if !strings.Contains(got, tc.answer) || ver != tc.version || !strings.Contains(got, `"version":"`+tc.version+`"`) {
			t.Errorf("invoke %s qualifier %q = %s (executed %s), want %s on %s", tc.name, tc.qual, got, ver, tc.answer, tc.version)
		}
	}
	_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("v"), Qualifier: aws.String("9")})
	wantErr[*types.ResourceNotFoundException](t, err, "function:v:9")

	// An alias runs its version; with weights, both versions serve.
	must(c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("v"), Name: aws.String("live"), FunctionVersion: aws.String("1")}))
	if got, ver := invokeQ(t, c, "v", "live"); !strings.Contains(got, `"answer":1`) || ver != "1" {
		t.Fatalf("invoke alias = %s (%s)", got, ver)
	}
	_, err = c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("v"), Name: aws.String("live"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 1.5}}})
	wantErr[*smithyAPIError](t, err, "ValidationException")
	_, err = c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("v"), Name: aws.String("live"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"8": 0.5}}})
	wantErr[*types.ResourceNotFoundException](t, err, "function:v:8")
	must(c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("v"), Name: aws.String("live"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.5}}}))
	seen := map[string]bool{}
	for i := 0; i < 200 && len(seen) < 2; i++ {
		_, ver := invokeQ(t, c, "arn:aws:lambda:us-east-1:000000000000:function:v:live", "")
		seen[ver] = true
	}
	if !seen["1"] || !seen["2"] || len(seen) != 2 {
		t.Fatalf("weighted alias ran versions %v, want 1 and 2", seen)
	}

	// Another node runs the published versions and resolves the alias.
	b := newNode(t, st, nil)
	if err := b.svc.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got, ver := invokeQ(t, b.client, "v", "2"); !strings.Contains(got, `"answer":2`) || ver != "2" {
		t.Fatalf("second node, version 2 = %s (%s)", got, ver)
	}
	if key, ver, err := b.svc.Resolve("v:1"); err != nil || key != "v:1" || ver != "1" {
		t.Fatalf("Resolve(v:1) = %q %q %v", key, ver, err)
	}

	// Deleting a version stops it.
	must(c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("v"), Name: aws.String("live"), FunctionVersion: aws.String("2"),
		RoutingConfig: &types.AliasRoutingConfiguration{}}))
	must(c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("v"), Qualifier: aws.String("1")}))
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("v"), Qualifier: aws.String("1")})
	wantErr[*types.ResourceNotFoundException](t, err, "function:v:1")
}

// TestCheckInvoke: with no policy any source may invoke (Cognate's
// compatibility choice); once a policy exists, only a statement for the
// invoked qualifier whose principal, SourceArn pattern and SourceAccount
// match allows API Gateway to invoke.
func TestCheckInvoke(t *testing.T) {
	requireNode(t)
	ctx := context.Background()
	a := newNode(t, openStore(t), nil)
	c := a.client
	must(c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("p"), Runtime: types.RuntimeNodejs20x, Handler: aws.String("index.handler"),
		Role: aws.String(role), Code: &types.FunctionCode{ZipFile: zipOf(t, envHandler("1"))}, Publish: true}))
	must(c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("p"), Name: aws.String("live"), FunctionVersion: aws.String("1")}))
	src := func(arn string) caller.Source {
		return caller.Source{Principal: caller.APIGateway, SourceARN: arn, SourceAccount: "000000000000"}
	}
	getNotes := src("arn:aws:execute-api:us-east-1:000000000000:abc/dev/GET/notes")
	if err := a.svc.CheckInvoke("p", getNotes); err != nil {
		t.Fatalf("no policy: %v", err)
	}
	must(c.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("p"), StatementId: aws.String("apigw"), Action: aws.String("lambda:InvokeFunction"),
		Principal: aws.String("apigateway.amazonaws.com"), SourceArn: aws.String("arn:aws:execute-api:us-east-1:000000000000:abc/*/GET/notes")}))
	for _, tc := range []struct {
		name string
		src  caller.Source
		ok   bool
	}{
		{"p", getNotes, true},
		{"p:$LATEST", getNotes, true},
		{"p", src("arn:aws:execute-api:us-east-1:000000000000:abc/dev/POST/notes"), false},
		{"p", src("arn:aws:execute-api:us-east-1:000000000000:other/dev/GET/notes"), false},
		{"p", caller.Source{Principal: "s3.amazonaws.com", SourceARN: getNotes.SourceARN}, false},
		// The unqualified statement does not cover the alias.
		{"p:live", getNotes, false},
	} {
		err := a.svc.CheckInvoke(tc.name, tc.src)
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, caller.ErrDenied)) {
			t.Errorf("CheckInvoke(%s, %s %s) = %v, want allowed=%v", tc.name, tc.src.Principal, tc.src.SourceARN, err, tc.ok)
		}
	}
	must(c.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("p"), Qualifier: aws.String("live"), StatementId: aws.String("live"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("apigateway.amazonaws.com"), SourceAccount: aws.String("000000000000")}))
	if err := a.svc.CheckInvoke("arn:aws:lambda:us-east-1:000000000000:function:p:live", getNotes); err != nil {
		t.Fatalf("alias statement: %v", err)
	}
}
