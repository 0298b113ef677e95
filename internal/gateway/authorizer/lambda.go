package authorizer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/cognate-dev/cognate/internal/functions/caller"
	"maps"
	"strconv"

	"github.com/cognate-dev/cognate/internal/iampolicy"
)

// MaxResultSize bounds a Lambda authorizer's answer (AWS: 8 KiB).
const MaxResultSize = 8 << 10

// tokenEvent is the TOKEN authorizer event.
type tokenEvent struct {
	Type               string `json:"type"`
	AuthorizationToken string `json:"authorizationToken"`
	MethodArn          string `json:"methodArn"`
}

// requestEvent is the REQUEST authorizer event.
type requestEvent struct {
	Type                            string              `json:"type"`
	MethodArn                       string              `json:"methodArn"`
	Resource                        string              `json:"resource"`
	Path                            string              `json:"path"`
	HTTPMethod                      string              `json:"httpMethod"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	PathParameters                  map[string]string   `json:"pathParameters"`
	StageVariables                  map[string]string   `json:"stageVariables"`
	RequestContext                  any                 `json:"requestContext"`
}

func newRequestEvent(in *Input) requestEvent {
	ev := requestEvent{
		Type:           Request,
		MethodArn:      in.MethodArn,
		Resource:       in.Resource,
		Path:           in.Path,
		HTTPMethod:     in.HTTPMethod,
		PathParameters: in.PathParams,
		StageVariables: in.StageVariables,
		RequestContext: in.RequestContext,
	}
	hdr := in.Header
	if in.EventHeader != nil {
		hdr = in.EventHeader
	}
	if len(hdr) > 0 {
		ev.Headers = make(map[string]string, len(hdr))
		ev.MultiValueHeaders = make(map[string][]string, len(hdr))
		for k, v := range hdr {
			ev.Headers[k] = v[len(v)-1]
			ev.MultiValueHeaders[k] = v
		}
	}
	if len(in.Query) > 0 {
		ev.QueryStringParameters = make(map[string]string, len(in.Query))
		ev.MultiValueQueryStringParameters = maps.Clone(map[string][]string(in.Query))
		for k, v := range in.Query {
			ev.QueryStringParameters[k] = v[len(v)-1]
		}
	}
	return ev
}

// output is a Lambda authorizer's answer.
type output struct {
	PrincipalID        *string                    `json:"principalId"`
	PolicyDocument     json.RawMessage            `json:"policyDocument"`
	Context            map[string]json.RawMessage `json:"context"`
	UsageIdentifierKey string                     `json:"usageIdentifierKey"`
}

// functionError is the error object a failed function answers.
type functionError struct {
	ErrorMessage string `json:"errorMessage"`
}

// lambda calls the authorizer function with event and parses its answer.
func (a *Authorizer) lambda(ctx context.Context, event any) (*Result, error) {
	payload, err := json.Marshal(event)
	if err != nil {
		return nil, fmt.Errorf("%w: encode event: %w", ErrConfiguration, err)
	}
	if a.cfg.SourceARN != "" {
		ctx = caller.With(ctx, caller.Source{Principal: caller.APIGateway, SourceARN: a.cfg.SourceARN, SourceAccount: a.cfg.SourceAccount})
	}
	out, fnErr, err := a.deps.Functions.InvokeFunction(ctx, a.cfg.Function, payload)
	if err != nil {
		return nil, fmt.Errorf("%w: invoke %s: %w", ErrConfiguration, a.cfg.Function, err)
	}
	if fnErr != "" {
		var fe functionError
		_ = json.Unmarshal(out, &fe)
		if fe.ErrorMessage == "Unauthorized" {
			return nil, fmt.Errorf("%w: authorizer answered Unauthorized", ErrUnauthorized)
		}
		return nil, fmt.Errorf("%w: function error %s: %.200s", ErrConfiguration, fnErr, fe.ErrorMessage)
	}
	return parseOutput(out)
}

// parseOutput validates a Lambda authorizer's answer: at most 8 KiB, a
// principalId string, a valid policy, a context of scalars only.
func parseOutput(out []byte) (*Result, error) {
	if len(out) > MaxResultSize {
		return nil, fmt.Errorf("%w: result of %d bytes exceeds %d", ErrConfiguration, len(out), MaxResultSize)
	}
	var o output
	if err := json.Unmarshal(out, &o); err != nil {
		return nil, fmt.Errorf("%w: decode result: %w", ErrConfiguration, err)
	}
	if o.PrincipalID == nil {
		return nil, fmt.Errorf("%w: no principalId", ErrConfiguration)
	}
	policy, err := iampolicy.Parse(o.PolicyDocument)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfiguration, err)
	}
	res := &Result{PrincipalID: *o.PrincipalID, Policy: policy, UsageIdentifierKey: o.UsageIdentifierKey}
	if len(o.Context) > 0 {
		res.Context = make(map[string]any, len(o.Context))
		for k, raw := range o.Context {
			v, err := scalar(raw)
			if err != nil {
				return nil, fmt.Errorf("%w: context %q: %w", ErrConfiguration, k, err)
			}
			res.Context[k] = v
		}
	}
	return res, nil
}

// scalar decodes a context value, refusing objects and arrays as AWS does.
func scalar(raw json.RawMessage) (any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, fmt.Errorf("empty value")
	}
	switch raw[0] {
	case '{', '[':
		return nil, fmt.Errorf("objects and arrays are not allowed")
	case 'n':
		return nil, nil
	}
	if c := raw[0]; c == '-' || c >= '0' && c <= '9' {
		// A whole number stays an integer ($context.authorizer.n renders 1,
		// as AWS does, not 1.0); other numbers are float64.
		if !bytes.ContainsAny(raw, ".eE") {
			if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
				return n, nil
			}
		}
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return v, nil
}
