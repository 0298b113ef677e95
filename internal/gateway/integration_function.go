package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/cognate-dev/cognate/internal/functions/caller"
	"strings"
)

// invoke calls the integration's function under the integration timeout.
func (x *exchange) invoke(payload []byte) ([]byte, string, error) {
	ctx, cancel := context.WithTimeout(x.r.Context(), x.integrationTimeout())
	defer cancel()
	fn := x.rt.integ.function
	if strings.Contains(fn, "${stageVariables.") {
		for k, v := range x.st.variables {
			fn = strings.ReplaceAll(fn, "${stageVariables."+k+"}", v)
		}
	}
	// Lambda checks the function's resource policy against API Gateway's
	// principal and the method's source ARN
	// arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/RESOURCE-PATH. The
	// path is the resource's path template (e.g. pets/{id}), the method the
	// one defined (ANY for ANY methods), as AddPermission statements written
	// for API Gateway name them.
	ctx = caller.With(ctx, caller.Source{Principal: caller.APIGateway,
		SourceARN: x.g.methodARN(x.st.apiID, x.st.name, x.rt.verb, x.rt.res.path), SourceAccount: x.g.opts.AccountID})
	t0 := x.g.now()
	out, fnErr, err := x.g.opts.Functions.InvokeFunction(ctx, fn, payload)
	x.integLatency = x.g.now().Sub(t0)
	if errors.Is(err, caller.ErrDenied) {
		// AWS answers 500 {"message": "Internal server error"} and logs this line.
		return nil, "", &gatewayError{typ: APIConfigurationError, spaced: true,
			err: fmt.Errorf("Execution failed due to configuration error: Invalid permissions on Lambda function: %w", err)}
	}
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, "", &gatewayError{typ: IntegrationTimeout, spaced: true, err: err}
		}
		return nil, "", fmt.Errorf("invoke %s: %w", x.rt.integ.function, err)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return nil, "", &gatewayError{typ: IntegrationTimeout, spaced: true, err: ctx.Err()}
	}
	return out, fnErr, nil
}

// function is the AWS (non-proxy Lambda) integration: request template or
// passthrough, then the integration response selected by the function's
// errorMessage.
func (x *exchange) function() error {
	if err := x.readBody(); err != nil {
		return err
	}
	payload, err := x.requestPayload()
	if err != nil {
		return err
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	out, fnErr, err := x.invoke(payload)
	if err != nil {
		var ge *gatewayError
		if errors.As(err, &ge) {
			return err
		}
		return &gatewayError{typ: Default5XX, spaced: true, err: err}
	}
	selector := ""
	if fnErr != "" {
		var fe struct {
			ErrorMessage string `json:"errorMessage"`
		}
		_ = json.Unmarshal(out, &fe)
		selector = fe.ErrorMessage
	}
	cr, ok := x.rt.integ.selectResponse(selector, 200)
	if !ok {
		return gwErr(APIConfigurationError, errors.New("no integration response matches and none is default"))
	}
	return x.writeMapped(cr, out, nil)
}

// functionProxy is the AWS_PROXY integration: the Lambda proxy event 1.0 in,
// statusCode/headers/multiValueHeaders/body/isBase64Encoded out; a function
// error or malformed answer is a 502.
func (x *exchange) functionProxy() error {
	if err := x.readBody(); err != nil {
		return err
	}
	event, err := x.proxyEvent()
	if err != nil {
		return gwErr(Default5XX, fmt.Errorf("encode proxy event: %w", err))
	}
	out, fnErr, err := x.invoke(event)
	if err != nil {
		var ge *gatewayError
		if errors.As(err, &ge) {
			return err
		}
		return proxyFailure(err)
	}
	if fnErr != "" {
		return proxyFailure(fmt.Errorf("function error %s", fnErr))
	}
	status, h, body, err := parseProxyResponse(out, x.binaryResponse)
	if err != nil {
		return proxyFailure(err)
	}
	dst := x.w.Header()
	copyRawHeaders(dst, h)
	if headerValue(dst, "Content-Type") == "" {
		dst.Set("Content-Type", "application/json")
	}
	x.writeBody(status, body)
	return nil
}

// mock is the MOCK integration: the request template must yield
// {"statusCode": N}, which selects the integration response.
func (x *exchange) mock() error {
	if err := x.readBody(); err != nil {
		return err
	}
	status := 200
	if len(x.rt.integ.templates) > 0 {
		payload, err := x.requestPayload()
		if err != nil {
			return err
		}
		var m struct {
			StatusCode *int `json:"statusCode"`
		}
		if err := json.Unmarshal(payload, &m); err != nil || m.StatusCode == nil {
			return gwErr(APIConfigurationError, fmt.Errorf("mock request template must yield {\"statusCode\": N}: %.100s", payload))
		}
		status = *m.StatusCode
	}
	cr, ok := x.rt.integ.selectResponse(statusString(status), status)
	if !ok {
		return gwErr(APIConfigurationError, errors.New("no integration response matches and none is default"))
	}
	return x.writeMapped(cr, nil, nil)
}

// binaryResponse reports whether a response is binary for this request:
// "API Gateway uses the first Accept header from clients to determine if a
// response should return binary media" (AWS, "Return binary media from a
// Lambda proxy integration"), so only the first Accept media type is matched
// against the API's binaryMediaTypes, not the answer's Content-Type.
func (x *exchange) binaryResponse(string) bool {
	return x.dep.binary.match(firstAccept(x.r.Header.Get("Accept")))
}
