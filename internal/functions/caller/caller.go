// Package caller carries who invokes a function on behalf of another AWS
// service (API Gateway), so the function's resource policy can be checked
// against the service principal and the source ARN, as Lambda does.
package caller

import (
	"context"
	"errors"
)

// Source is the service invoking a function and the resource it does so for.
type Source struct {
	// Principal is the service principal, e.g. apigateway.amazonaws.com.
	Principal string
	// SourceARN is the invoking resource, e.g.
	// arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/PATH.
	SourceARN string
	// SourceAccount is the account owning the source resource.
	SourceAccount string
}

// APIGateway is API Gateway's service principal.
const APIGateway = "apigateway.amazonaws.com"

// ErrDenied is returned when the function's resource policy does not allow
// the Source to invoke it.
var ErrDenied = errors.New("the function's resource policy does not allow this invocation")

type key struct{}

// With returns ctx carrying src.
func With(ctx context.Context, src Source) context.Context {
	return context.WithValue(ctx, key{}, src)
}

// From returns the Source ctx carries, if any.
func From(ctx context.Context) (Source, bool) {
	s, ok := ctx.Value(key{}).(Source)
	return s, ok
}
