package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// proxyIdentity is requestContext.identity of the Lambda proxy event.
type proxyIdentity struct {
	AccessKey                     *string `json:"accessKey"`
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
	DeploymentID      string         `json:"deploymentId"`
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
		DeploymentID:      x.dep.id,
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
	if x.apiKey != nil {
		rc.Identity.APIKey, rc.Identity.APIKeyID = &x.apiKey.Value, &x.apiKey.ID
	}
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
	hs := x.awsAddedHeaders(x.sentHeaders())
	ev.Headers = make(map[string]string, len(hs))
	ev.MultiValueHeaders = make(map[string][]string, len(hs))
	for _, h := range hs {
		ev.Headers[h.name] = h.values[len(h.values)-1]
		ev.MultiValueHeaders[h.name] = h.values
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
		// A Content-Type among the API's binaryMediaTypes makes the body
		// base64 (AWS); so does a body that is not UTF-8, which JSON could
		// not carry as text (Cognate's choice; AWS would mangle it).
		if !x.dep.binary.match(x.r.Header.Get("Content-Type")) && utf8.Valid(x.body) {
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
// a string body. Header names keep the function's case; headers and
// multiValueHeaders are merged into one list per name (case-insensitively),
// a value present in both appearing once, as AWS's output format says. A
// body with isBase64Encoded is decoded only when binary reports a binary
// media type for the response's Content-Type; otherwise it is sent as the
// text it is.
func parseProxyResponse(out []byte, binary func(contentType string) bool) (status int, h http.Header, body []byte, err error) {
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
	// names maps a canonical name to the first spelling seen (multiValueHeaders
	// first, each map in sorted order, so the answer is deterministic).
	names := make(map[string]string, len(h))
	key := func(k string) string {
		ck := http.CanonicalHeaderKey(k)
		if n, ok := names[ck]; ok {
			return n
		}
		names[ck] = k
		return k
	}
	for _, k := range slices.Sorted(maps.Keys(pr.MultiValueHeaders)) {
		n := key(k)
		h[n] = append(h[n], pr.MultiValueHeaders[k]...)
	}
	for _, k := range slices.Sorted(maps.Keys(pr.Headers)) {
		var v any
		if err := json.Unmarshal(pr.Headers[k], &v); err != nil {
			return 0, nil, nil, fmt.Errorf("%w: header %q", errMalformedProxy, k)
		}
		var sv string
		switch v := v.(type) {
		case string:
			sv = v
		case float64, bool:
			sv = stringify(v)
		default:
			return 0, nil, nil, fmt.Errorf("%w: header %q is not a scalar", errMalformedProxy, k)
		}
		n := key(k)
		if !slices.Contains(h[n], sv) {
			h[n] = append(h[n], sv)
		}
	}
	if pr.Body != nil {
		body = []byte(*pr.Body)
		if pr.IsBase64Encoded && binary != nil && binary(headerValue(h, "Content-Type")) {
			if body, err = base64.StdEncoding.DecodeString(*pr.Body); err != nil {
				return 0, nil, nil, fmt.Errorf("%w: body: %w", errMalformedProxy, err)
			}
		}
	}
	return status, h, body, nil
}

// headerValue is the first value of a header whose name matches
// case-insensitively (h may hold non-canonical names).
func headerValue(h http.Header, name string) string {
	if v, ok := h[name]; ok && len(v) > 0 {
		return v[0]
	}
	for k, v := range h {
		if len(v) > 0 && strings.EqualFold(k, name) {
			return v[0]
		}
	}
	return ""
}

// copyRawHeaders copies headers with their own spelling into a response.
// Go's server writes map keys as they are; a non-canonical Content-Type or
// Date gets a nil canonical entry so the server adds no second one, and
// framing headers (Content-Length, Transfer-Encoding, Connection) are the
// gateway's own.
func copyRawHeaders(dst, src http.Header) {
	for k, vs := range src {
		switch ck := http.CanonicalHeaderKey(k); ck {
		case "Content-Length", "Transfer-Encoding", "Connection":
			continue
		case "Content-Type", "Date":
			if ck != k {
				dst[ck] = nil
			}
		}
		dst[k] = vs
	}
}

// ParseProxyResponse validates a Lambda proxy answer (payload format 1.0)
// as parseProxyResponse does; HTTP APIs' 1.0 integrations share it.
func ParseProxyResponse(out []byte, binary func(contentType string) bool) (status int, h http.Header, body []byte, err error) {
	return parseProxyResponse(out, binary)
}
