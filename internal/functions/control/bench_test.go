package control

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// BenchmarkUpdateCodeToServing measures the time from UpdateFunctionCode
// (store the zip, unpack it, swap the function) to the first invocation
// answered by the new code (a cold Node.js start included).
func BenchmarkUpdateCodeToServing(b *testing.B) {
	t := b
	requireNode(t)
	ctx := context.Background()
	n := newNode(t, openStore(t), nil)
	must(n.client.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("f"), Runtime: types.RuntimeNodejs20x,
		Handler: aws.String("index.handler"), Role: aws.String(role), Code: &types.FunctionCode{ZipFile: zipOf(t, handler("0"))}}))
	for i := 1; b.Loop(); i++ {
		b.StopTimer()
		zip := zipOf(t, handler(fmt.Sprint(i)))
		b.StartTimer()
		must(n.client.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("f"), ZipFile: zip}))
		out := must(n.client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("f"), Payload: []byte(`{}`)}))
		if !strings.Contains(string(out.Payload), fmt.Sprintf(`"answer":%d`, i)) {
			b.Fatalf("invocation after update %d answered %s", i, out.Payload)
		}
	}
}
