package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// proxyIdentity is requestContext.identity of the Lambda proxy event.
type proxyIdentity struct {
	AccountID                     *string `json:"accountId"`
	APIKey                        *string `json:"apiKey"`
	APIKeyID                      *string `json:"apiKeyId"`
	Caller                        *string `json:"caller"`
	CognitoAuthenticationProvider *string `json:"cognitoAuthenticationProvider"`
	CognitoAuthenticationType     *string `json:"cognitoAuthenticationType"`
	CognitoIdentityID             *string `json:"cognitoIdentityId"`
	CognitoIdentityPoolID         *string `json:"cognitoIdentityPoolId"`
	PrincipalOrgID                *string `json:"principalOrgId"`
	SourceIP                      string  `json:"sourceIp"`
	User                          *string `json:"user"`
	UserAgent                     string  `json:"userAgent"`
	UserArn                       *string `json:"userArn"`
}

// proxyRequestContext is the requestContext of proxy and REQUEST authorizer events.
type proxyRequestContext struct {
	AccountID         string         `json:"accountId"`
	APIID             string         `json:"apiId"`
	Authorizer        map[string]any `json:"authorizer,omitempty"`
	DomainName        string         `json:"domainName"`
	DomainPrefix      string         `json:"domainPrefix"`
	ExtendedRequestID string         `json:"extendedRequestId"`
	HTTPMethod        string         `json:"httpMethod"`
	Identity          proxyIdentity  `json:"identity"`
	Path              string         `json:"path"`
	Protocol          string         `json:"protocol"`
	RequestID         string         `json:"requestId"`
	RequestTime       string         `json:"requestTime"`
	RequestTimeEpoch  int64          `json:"requestTimeEpoch"`
	ResourceID        string         `json:"resourceId"`
	ResourcePath      string         `json:"resourcePath"`
	Stage             string         `json:"stage"`
}

// requestContext builds the event's requestContext; withAuthorizer adds
// requestContext.authorizer (principalId, context keys, claims).
func (x *exchange) requestContext(withAuthorizer bool) *proxyRequestContext {
	rc := &proxyRequestContext{
		AccountID:         x.g.opts.AccountID,
		APIID:             x.st.apiID,
		DomainName:        x.r.Host,
		ExtendedRequestID: x.extendedID,
		HTTPMethod:        x.r.Method,
		Identity:          proxyIdentity{SourceIP: x.sourceIP(), UserAgent: x.r.UserAgent()},
		Path:              x.fullPath(),
		Protocol:          x.r.Proto,
		RequestID:         x.requestID,
		RequestTime:       x.start.UTC().Format(requestTimeLayout),
		RequestTimeEpoch:  x.start.UnixMilli(),
		ResourceID:        x.rt.res.id,
		ResourcePath:      x.rt.res.path,
		Stage:             x.st.name,
	}
	rc.DomainPrefix, _, _ = strings.Cut(x.r.Host, ".")
	if withAuthorizer && x.auth != nil {
		rc.Authorizer = x.authorizerMap()
		rc.Authorizer["integrationLatency"] = x.authLatency.Milliseconds()
	}
	return rc
}

// proxyEvent is the Lambda proxy integration event, version 1.0.
type proxyEvent struct {
	Resource                        string               `json:"resource"`
	Path                            string               `json:"path"`
	HTTPMethod                      string               `json:"httpMethod"`
	Headers                         map[string]string    `json:"headers"`
	MultiValueHeaders               map[string][]string  `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string    `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string  `json:"multiValueQueryStringParameters"`
	PathParameters                  map[string]string    `json:"pathParameters"`
	StageVariables                  map[string]string    `json:"stageVariables"`
	RequestContext                  *proxyRequestContext `json:"requestContext"`
	Body                            *string              `json:"body"`
	IsBase64Encoded                 bool                 `json:"isBase64Encoded"`
}

func (x *exchange) proxyEvent() ([]byte, error) {
	ev := proxyEvent{
		Resource:       x.rt.res.path,
		Path:           x.stagePathDecoded(),
		HTTPMethod:     x.r.Method,
		PathParameters: x.pathParams(),
		RequestContext: x.requestContext(true),
	}
	if len(x.st.variables) > 0 {
		ev.StageVariables = x.st.variables
	}
	if len(x.r.Header) > 0 {
		ev.Headers = make(map[string]string, len(x.r.Header))
		ev.MultiValueHeaders = make(map[string][]string, len(x.r.Header))
		for k, v := range x.r.Header {
			ev.Headers[k] = v[len(v)-1]
			ev.MultiValueHeaders[k] = v
		}
	}
	if len(x.query) > 0 {
		ev.QueryStringParameters = make(map[string]string, len(x.query))
		ev.MultiValueQueryStringParameters = make(map[string][]string, len(x.query))
		for k, v := range x.query {
			ev.QueryStringParameters[k] = v[len(v)-1]
			ev.MultiValueQueryStringParameters[k] = v
		}
	}
	if len(x.body) > 0 {
		var s string
		if utf8.Valid(x.body) {
			s = string(x.body)
		} else {
			s = base64.StdEncoding.EncodeToString(x.body)
			ev.IsBase64Encoded = true
		}
		ev.Body = &s
	}
	return json.Marshal(&ev)
}

// stagePathDecoded is the event's path: the resource-relative request path,
// decoded once (%2B kept, as AWS does).
func (x *exchange) stagePathDecoded() string {
	if x.stagePath == "" {
		return "/"
	}
	return decodePathKeepPlus(x.stagePath)
}

// proxyResponse is what a Lambda proxy integration must answer.
type proxyResponse struct {
	StatusCode        json.RawMessage            `json:"statusCode"`
	Headers           map[string]json.RawMessage `json:"headers"`
	MultiValueHeaders map[string][]string        `json:"multiValueHeaders"`
	Body              *string                    `json:"body"`
	IsBase64Encoded   bool                       `json:"isBase64Encoded"`
	// Cookies is tolerated (the HTTP API payload field some libraries emit).
	Cookies []string `json:"cookies"`
}

var errMalformedProxy = errors.New("malformed Lambda proxy response")

// parseProxyResponse validates a Lambda proxy answer: known fields only, a
// status code 100..599 (number or numeric string), scalar header values,
// a string body (base64 when isBase64Encoded).
func parseProxyResponse(out []byte) (status int, h http.Header, body []byte, err error) {
	var pr proxyResponse
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pr); err != nil {
		return 0, nil, nil, fmt.Errorf("%w: %w", errMalformedProxy, err)
	}
	s := string(bytes.Trim(pr.StatusCode, `"`))
	status, err = strconv.Atoi(s)
	if err != nil || status < 100 || status > 599 {
		return 0, nil, nil, fmt.Errorf("%w: statusCode %q", errMalformedProxy, pr.StatusCode)
	}
	h = make(http.Header, len(pr.Headers)+len(pr.MultiValueHeaders))
	for k, vs := range pr.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for k, raw := range pr.Headers {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return 0, nil, nil, fmt.Errorf("%w: header %q", errMalformedProxy, k)
		}
		switch v := v.(type) {
		case string:
			h.Set(k, v)
		case float64, bool:
			h.Set(k, stringify(v))
		default:
			return 0, nil, nil, fmt.Errorf("%w: header %q is not a scalar", errMalformedProxy, k)
		}
	}
	if pr.Body != nil {
		if pr.IsBase64Encoded {
			if body, err = base64.StdEncoding.DecodeString(*pr.Body); err != nil {
				return 0, nil, nil, fmt.Errorf("%w: body: %w", errMalformedProxy, err)
			}
		} else {
			body = []byte(*pr.Body)
		}
	}
	return status, h, body, nil
}
