// Command httpapi-go is an aws-lambda-go handler behind an HTTP API route:
// it decodes the payload 2.0 event strictly into
// events.APIGatewayV2HTTPRequest (an unknown field fails the call) and
// answers with fields it read.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, raw json.RawMessage) (events.APIGatewayV2HTTPResponse, error) {
	var ev events.APIGatewayV2HTTPRequest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("strict decode: %w", err)
	}
	if ev.RequestContext.Authorizer == nil || ev.RequestContext.Authorizer.JWT == nil {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("no jwt authorizer context")
	}
	body, _ := json.Marshal(map[string]any{
		"user":     ev.RequestContext.Authorizer.JWT.Claims["cognito:username"],
		"routeKey": ev.RouteKey,
		"rawPath":  ev.RawPath,
		"query":    ev.QueryStringParameters,
		"cookies":  ev.Cookies,
		"method":   ev.RequestContext.HTTP.Method,
		"stage":    ev.RequestContext.Stage,
	})
	return events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "application/json"},
		Body: string(body), Cookies: []string{"seen=1; Path=/"}}, nil
}

func main() { lambda.Start(handle) }
