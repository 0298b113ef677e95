package control

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// BenchmarkCreateDeployment200 measures CreateDeployment (snapshot, store,
// compile and swap in the stage) of an API with 200 resources, each with a
// MOCK GET method, through the SDK over loopback HTTP.
func BenchmarkCreateDeployment200(b *testing.B) {
	e := newEnv(b, func(o *Options) { o.Rate, o.Burst = 1e9, 1e9 })
	ctx := context.Background()
	api := must(e.client.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("big")}))
	for i := range 200 {
		r := must(e.client.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: api.Id, ParentId: api.RootResourceId, PathPart: aws.String(fmt.Sprintf("r%03d", i))}))
		must(e.client.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: r.Id, HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE")}))
		must(e.client.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: api.Id, ResourceId: r.Id, HttpMethod: aws.String("GET"),
			Type: types.IntegrationTypeMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}))
		must(e.client.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: api.Id, ResourceId: r.Id, HttpMethod: aws.String("GET"), StatusCode: aws.String("200")}))
		must(e.client.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: api.Id, ResourceId: r.Id, HttpMethod: aws.String("GET"),
			StatusCode: aws.String("200"), ResponseTemplates: map[string]string{"application/json": fmt.Sprintf(`{"r":%d}`, i)}}))
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		// A different description each time: every deployment is a new snapshot.
		must(e.client.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("dev"), Description: aws.String(fmt.Sprint(i))}))
	}
	b.StopTimer()
	if status, body := e.get("/restapis/" + aws.ToString(api.Id) + "/dev/_user_request_/r199"); status != 200 || body != `{"r":199}` {
		b.Fatalf("deployed API: %d %s", status, body)
	}
}
