package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/internal/rawheader"
)

// eventHTTP is requestContext.http of payload 2.0.
type eventHTTP struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// eventJWT is requestContext.authorizer.jwt.
type eventJWT struct {
	Claims map[string]string `json:"claims"`
	Scopes []string          `json:"scopes"`
}

// eventAuthorizer is requestContext.authorizer of payload 2.0.
type eventAuthorizer struct {
	JWT    *eventJWT      `json:"jwt,omitempty"`
	Lambda map[string]any `json:"lambda,omitempty"`
}

// eventContext is requestContext of payload 2.0 (and of 2.0 authorizer events).
type eventContext struct {
	AccountID    string           `json:"accountId"`
	APIID        string           `json:"apiId"`
	Authorizer   *eventAuthorizer `json:"authorizer,omitempty"`
	DomainName   string           `json:"domainName"`
	DomainPrefix string           `json:"domainPrefix"`
	HTTP         eventHTTP        `json:"http"`
	RequestID    string           `json:"requestId"`
	RouteKey     string           `json:"routeKey"`
	Stage        string           `json:"stage"`
	Time         string           `json:"time"`
	TimeEpoch    int64            `json:"timeEpoch"`
}

// event2 is the payload format 2.0 event.
type event2 struct {
	Version               string            `json:"version"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	PathParameters        map[string]string `json:"pathParameters,omitempty"`
	RequestContext        eventContext      `json:"requestContext"`
	StageVariables        map[string]string `json:"stageVariables,omitempty"`
	Body                  *string           `json:"body,omitempty"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`
}

// requestContext2 is the 2.0 requestContext, authorizer included when set.
func (x *request) requestContext2(withAuth bool) eventContext {
	rc := eventContext{
		AccountID:  x.g.o.AccountID,
		APIID:      x.api.id,
		DomainName: hostOnly(x.r.Host),
		HTTP: eventHTTP{Method: x.r.Method, Path: decodePath(x.rawPath()), Protocol: x.r.Proto,
			SourceIP: x.sourceIP(), UserAgent: x.r.UserAgent()},
		RequestID: x.requestID,
		RouteKey:  x.rt.key,
		Stage:     x.st.name,
		Time:      x.start.UTC().Format(requestTimeLayout),
		TimeEpoch: x.start.UnixMilli(),
	}
	rc.DomainPrefix, _, _ = strings.Cut(rc.DomainName, ".")
	if withAuth {
		switch {
		case x.jwt != nil:
			j := &eventJWT{Claims: x.jwt.claims}
			// AWS fills scopes only for routes with authorization scopes.
			if len(x.rt.scopes) > 0 {
				j.Scopes = x.jwt.scopes
			}
			rc.Authorizer = &eventAuthorizer{JWT: j}
		case x.lambda != nil:
			rc.Authorizer = &eventAuthorizer{Lambda: x.lambda}
		}
	}
	return rc
}

func hostOnly(h string) string {
	if i := strings.LastIndexByte(h, ':'); i > 0 && !strings.Contains(h[i:], "]") {
		return h[:i]
	}
	return h
}

func decodePath(p string) string {
	if d, err := url.PathUnescape(p); err == nil {
		return d
	}
	return p
}

// eventHeaders returns the 2.0 headers (names lower-cased, repeated values
// comma-joined) and the cookies taken out of the Cookie header, plus the
// headers AWS's front end adds.
func (x *request) eventHeaders() (map[string]string, []string) {
	h := make(map[string]string, len(x.r.Header)+5)
	var cookies []string
	for k, vs := range x.r.Header {
		lk := strings.ToLower(k)
		if lk == "cookie" {
			for _, v := range vs {
				for c := range strings.SplitSeq(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		h[lk] = strings.Join(vs, ",")
	}
	h["host"] = x.r.Host
	x.addedHeaders(func(k, v string) { h[k] = v })
	if len(x.body) > 0 {
		h["content-length"] = strconv.Itoa(len(x.body))
	}
	return h, cookies
}

// addedHeaders are what AWS's front end adds for integrations.
func (x *request) addedHeaders(set func(k, v string)) {
	proto, port := "http", "80"
	if x.r.TLS != nil {
		proto, port = "https", "443"
	}
	if _, p, ok := strings.Cut(hostOnlyPort(x.r.Host), ":"); ok && p != "" {
		port = p
	}
	set("x-forwarded-for", x.sourceIP())
	set("x-forwarded-proto", proto)
	set("x-forwarded-port", port)
	set("x-amzn-trace-id", traceID(x.start))
}

// hostOnlyPort returns "host:port" when the Host carries a port.
func hostOnlyPort(h string) string {
	if i := strings.LastIndexByte(h, ':'); i > 0 && !strings.Contains(h[i:], "]") {
		return h
	}
	return ""
}

// queryParams2 are the 2.0 query parameters: repeated values comma-joined.
func queryParams2(q url.Values) map[string]string {
	if len(q) == 0 {
		return nil
	}
	out := make(map[string]string, len(q))
	for k, v := range q {
		out[k] = strings.Join(v, ",")
	}
	return out
}

// isText says whether a body of this Content-Type goes to functions as
// text. HTTP APIs have no binaryMediaTypes: AWS base64-encodes bodies whose
// type is not textual. Cognate counts text/*, JSON, XML, JavaScript,
// form-urlencoded and GraphQL as text, and a missing Content-Type as text
// when the body is UTF-8 (AWS documents no list; these are the types its
// examples pass as text).
func isText(contentType string, body []byte) bool {
	if contentType == "" {
		return utf8.Valid(body)
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"),
		mt == "application/json", strings.HasSuffix(mt, "+json"),
		mt == "application/xml", strings.HasSuffix(mt, "+xml"),
		mt == "application/javascript", mt == "application/x-www-form-urlencoded",
		mt == "application/graphql":
		return utf8.Valid(body)
	}
	return false
}

// eventBody is the body as events carry it.
func (x *request) eventBody() (*string, bool) {
	if len(x.body) == 0 {
		return nil, false
	}
	if isText(x.r.Header.Get("Content-Type"), x.body) {
		s := string(x.body)
		return &s, false
	}
	s := base64.StdEncoding.EncodeToString(x.body)
	return &s, true
}

// event2 builds the payload format 2.0 event.
func (x *request) event2() ([]byte, error) {
	ev := event2{
		Version:               "2.0",
		RouteKey:              x.rt.key,
		RawPath:               x.rawPath(),
		RawQueryString:        x.r.URL.RawQuery,
		QueryStringParameters: queryParams2(x.r.URL.Query()),
		PathParameters:        x.params,
		RequestContext:        x.requestContext2(true),
	}
	if len(x.st.vars) > 0 {
		ev.StageVariables = x.st.vars
	}
	ev.Headers, ev.Cookies = x.eventHeaders()
	ev.Body, ev.IsBase64Encoded = x.eventBody()
	return json.Marshal(&ev)
}

// identity1 is requestContext.identity of payload 1.0.
type identity1 struct {
	AccessKey                     *string `json:"accessKey"`
	AccountID                     *string `json:"accountId"`
	Caller                        *string `json:"caller"`
	CognitoAmr                    *string `json:"cognitoAmr"`
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

// context1 is requestContext of payload 1.0, the REST proxy event's.
type context1 struct {
	AccountID         string         `json:"accountId"`
	APIID             string         `json:"apiId"`
	Authorizer        map[string]any `json:"authorizer,omitempty"`
	DomainName        string         `json:"domainName"`
	DomainPrefix      string         `json:"domainPrefix"`
	ExtendedRequestID string         `json:"extendedRequestId"`
	HTTPMethod        string         `json:"httpMethod"`
	Identity          identity1      `json:"identity"`
	Path              string         `json:"path"`
	Protocol          string         `json:"protocol"`
	RequestID         string         `json:"requestId"`
	RequestTime       string         `json:"requestTime"`
	RequestTimeEpoch  int64          `json:"requestTimeEpoch"`
	ResourceID        string         `json:"resourceId"`
	ResourcePath      string         `json:"resourcePath"`
	Stage             string         `json:"stage"`
}

// event1 is the payload format 1.0 event: the REST API proxy event plus version.
type event1 struct {
	Version                         string              `json:"version"`
	Resource                        string              `json:"resource"`
	Path                            string              `json:"path"`
	HTTPMethod                      string              `json:"httpMethod"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	RequestContext                  context1            `json:"requestContext"`
	PathParameters                  map[string]string   `json:"pathParameters"`
	StageVariables                  map[string]string   `json:"stageVariables"`
	Body                            *string             `json:"body"`
	IsBase64Encoded                 bool                `json:"isBase64Encoded"`
}

// resourcePath is the route's path ("/notes/{id}"), or the raw path for $default.
func (x *request) resourcePath() string {
	if _, p, ok := strings.Cut(x.rt.key, " "); ok {
		return p
	}
	return decodePath(x.path)
}

// event1 builds the payload format 1.0 event. Header names keep the
// client's spelling, as REST proxy events do.
func (x *request) event1() ([]byte, error) {
	path := decodePath(x.rawPath())
	ev := event1{
		Version:    "1.0",
		Resource:   x.resourcePath(),
		Path:       path,
		HTTPMethod: x.r.Method,
		RequestContext: context1{
			AccountID: x.g.o.AccountID, APIID: x.api.id, DomainName: hostOnly(x.r.Host),
			ExtendedRequestID: x.requestID, HTTPMethod: x.r.Method,
			Identity: identity1{SourceIP: x.sourceIP(), UserAgent: x.r.UserAgent()},
			Path:     path, Protocol: x.r.Proto, RequestID: x.requestID,
			RequestTime: x.start.UTC().Format(requestTimeLayout), RequestTimeEpoch: x.start.UnixMilli(),
			ResourceID: x.rt.key, ResourcePath: x.resourcePath(), Stage: x.st.name,
		},
		PathParameters: x.params,
	}
	ev.RequestContext.DomainPrefix, _, _ = strings.Cut(ev.RequestContext.DomainName, ".")
	switch {
	case x.jwt != nil:
		var scopes []string
		if len(x.rt.scopes) > 0 {
			scopes = x.jwt.scopes
		}
		ev.RequestContext.Authorizer = map[string]any{"claims": x.jwt.claims, "scopes": scopes}
	case x.lambda != nil:
		ev.RequestContext.Authorizer = x.lambda
	}
	if len(x.st.vars) > 0 {
		ev.StageVariables = x.st.vars
	}
	names, _ := rawheader.Names(x.r)
	spelled := map[string]string{}
	for _, n := range names {
		if _, ok := spelled[http.CanonicalHeaderKey(n)]; !ok {
			spelled[http.CanonicalHeaderKey(n)] = n
		}
	}
	ev.Headers, ev.MultiValueHeaders = map[string]string{}, map[string][]string{}
	add := func(k string, vs []string) {
		if n, ok := spelled[http.CanonicalHeaderKey(k)]; ok {
			k = n
		}
		ev.Headers[k] = vs[len(vs)-1]
		ev.MultiValueHeaders[k] = vs
	}
	add("Host", []string{x.r.Host})
	for k, vs := range x.r.Header {
		if len(vs) > 0 {
			add(k, vs)
		}
	}
	x.addedHeaders(func(k, v string) { add(k, []string{v}) })
	if q := x.r.URL.Query(); len(q) > 0 {
		ev.QueryStringParameters, ev.MultiValueQueryStringParameters = map[string]string{}, map[string][]string{}
		for k, v := range q {
			ev.QueryStringParameters[k] = v[len(v)-1]
			ev.MultiValueQueryStringParameters[k] = v
		}
	}
	ev.Body, ev.IsBase64Encoded = x.eventBody()
	return json.Marshal(&ev)
}
