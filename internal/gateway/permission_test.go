package gateway

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/cognate-dev/cognate/internal/functions/caller"
)

// TestLambdaPermissionRefused: the gateway tells the invoker it calls on
// behalf of API Gateway with the method's source ARN (resource path template,
// defined method); a refusal by the function's resource policy is AWS's
// 500 Internal server error, and a qualified function ARN reaches the
// invoker with its qualifier.
func TestLambdaPermissionRefused(t *testing.T) {
	var mu sync.Mutex
	var seen []caller.Source
	guarded := func(ctx context.Context, payload []byte) ([]byte, string, error) {
		src, ok := caller.From(ctx)
		mu.Lock()
		seen = append(seen, src)
		mu.Unlock()
		if !ok || src.SourceARN != "arn:aws:execute-api:us-east-1:000000000000:"+testAPIID+"/dev/GET/guarded/{id}" {
			return nil, "", caller.ErrDenied
		}
		return echoProxy(ctx, payload)
	}
	env := newTestEnv(t, func(api *API, o *Options) {
		inv := o.Functions.(*fakeInvoker)
		inv.funcs["guarded:live"] = guarded
		inv.funcs["denied"] = func(context.Context, []byte) ([]byte, string, error) {
			return nil, "", errors.Join(errors.New("function denied"), caller.ErrDenied)
		}
		api.Paths["/guarded/{id}"] = map[string]*Method{"GET": {Integration: Integration{Type: IntegrationAWSProxy,
			URI: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:guarded:live/invocations"}}}
		api.Paths["/denied"] = map[string]*Method{"ANY": {Integration: Integration{Type: IntegrationAWSProxy, URI: "denied"}}}
	})
	httpCase{target: "/dev/guarded/7", status: 201}.run(t, env.h, env.inv)
	httpCase{target: "/dev/denied", method: http.MethodPost, status: 500, errType: "InternalServerErrorException",
		wantBody: `{"message": "Internal server error"}`}.run(t, env.h, env.inv)
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || seen[0].Principal != caller.APIGateway || seen[0].SourceAccount != "000000000000" {
		t.Fatalf("sources = %+v", seen)
	}
}
