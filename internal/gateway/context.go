package gateway

import (
	"encoding/base64"
	"encoding/binary"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"

	"github.com/cognate-dev/cognate/internal/gateway/authorizer"
	"github.com/cognate-dev/cognate/internal/uuid"
)

// requestTimeLayout is $context.requestTime's format (CLF).
const requestTimeLayout = "02/Jan/2006:15:04:05 -0700"

// newRequestIDs returns a random UUIDv4-shaped request id and an
// extended request id like AWS's.
func newRequestIDs() (string, string) {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	return uuid.Format(b), base64.StdEncoding.EncodeToString(b[:10])
}

// sourceIP is the client address of the connection (X-Forwarded-For is not
// trusted).
func (x *exchange) sourceIP() string {
	host, _, err := net.SplitHostPort(x.r.RemoteAddr)
	if err != nil {
		return x.r.RemoteAddr
	}
	return host
}

// contextValue resolves context.X names for identity sources and
// parameter mappings.
func (x *exchange) contextValue(name string) string {
	v, ok := lookupPath(x.contextMap(), name)
	if !ok {
		return ""
	}
	return stringify(v)
}

func lookupPath(m map[string]any, name string) (any, bool) {
	cur := any(m)
	for part := range strings.SplitSeq(name, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = mm[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func stringify(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return ""
	case bool:
		return strconv.FormatBool(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	default:
		return ""
	}
}

// contextMap builds $context for mapping templates, once per request.
func (x *exchange) contextMap() map[string]any {
	if x.ctxMap != nil {
		return x.ctxMap
	}
	resourcePath, resourceID := "", ""
	if x.rt != nil {
		resourcePath, resourceID = x.rt.res.path, x.rt.res.id
	}
	apiID, stageName, path := "", "", x.r.URL.Path
	if x.st != nil {
		apiID, stageName, path = x.st.apiID, x.st.name, x.fullPath()
	}
	m := map[string]any{
		"requestId":         x.requestID,
		"extendedRequestId": x.extendedID,
		"accountId":         x.g.opts.AccountID,
		"apiId":             apiID,
		"httpMethod":        x.r.Method,
		"resourceId":        resourceID,
		"resourcePath":      resourcePath,
		"stage":             stageName,
		"path":              path,
		"protocol":          x.r.Proto,
		"requestTime":       x.start.UTC().Format(requestTimeLayout),
		"requestTimeEpoch":  x.start.UnixMilli(),
		"domainName":        x.r.Host,
		"domainPrefix":      strings.SplitN(x.r.Host, ".", 2)[0],
		"identity":          x.identityMap(),
		"authorizer":        x.authorizerMap(),
		"requestOverride":   &x.reqOverride,
		"responseOverride":  &x.respOverride,
	}
	x.ctxMap = m
	return m
}

func (x *exchange) identityMap() map[string]any {
	m := map[string]any{"sourceIp": x.sourceIP(), "userAgent": x.r.UserAgent()}
	for _, k := range []string{"accountId", "apiKey", "apiKeyId", "caller", "cognitoAuthenticationProvider",
		"cognitoAuthenticationType", "cognitoIdentityId", "cognitoIdentityPoolId", "principalOrgId", "user", "userArn"} {
		m[k] = ""
	}
	if x.apiKey != nil {
		m["apiKey"], m["apiKeyId"] = x.apiKey.Value, x.apiKey.ID
	}
	return m
}

// authorizerMap is $context.authorizer: principalId, the Lambda
// authorizer's context keys, and for Cognito the claims (strings).
func (x *exchange) authorizerMap() map[string]any {
	m := map[string]any{"principalId": x.principalID()}
	if x.auth == nil {
		return m
	}
	for k, v := range x.auth.Context {
		m[k] = v
	}
	if x.auth.Claims != nil {
		claims := make(map[string]any, len(x.auth.Claims))
		for k, v := range x.auth.Claims {
			claims[k] = authorizer.ClaimString(v)
		}
		m["claims"] = claims
	}
	return m
}
