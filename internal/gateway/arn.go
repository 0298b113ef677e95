package gateway

import (
	"fmt"
	"strings"
)

// FunctionFromURI resolves a Lambda integration or authorizer URI to a
// function name. It accepts
// arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{functionArn}/invocations,
// a function ARN arn:aws:lambda:{region}:{account}:function:{name}[:{qualifier}]
// and a bare function name. A qualifier (version or alias) is kept:
// the result is {name}:{qualifier}, which the FunctionInvoker resolves.
// Stage variable references are kept verbatim.
func FunctionFromURI(uri string) (string, error) {
	s := uri
	if strings.HasPrefix(s, "arn:aws:apigateway:") {
		_, after, ok := strings.Cut(s, ":lambda:path/2015-03-31/functions/")
		if !ok {
			return "", fmt.Errorf("uri %q: not a Lambda invocation URI", uri)
		}
		s, ok = strings.CutSuffix(after, "/invocations")
		if !ok {
			return "", fmt.Errorf("uri %q: not a Lambda invocation URI", uri)
		}
	}
	if strings.HasPrefix(s, "arn:") {
		parts := strings.Split(s, ":")
		// arn:aws:lambda:region:account:function:name[:qualifier]
		if len(parts) < 7 || len(parts) > 8 || parts[2] != "lambda" || parts[5] != "function" || parts[6] == "" {
			return "", fmt.Errorf("uri %q: not a Lambda function ARN", uri)
		}
		if len(parts) == 8 && parts[7] != "" && parts[7] != "$LATEST" {
			return parts[6] + ":" + parts[7], nil
		}
		return parts[6], nil
	}
	if s == "" || strings.ContainsAny(s, "/ ") {
		return "", fmt.Errorf("uri %q: not a function name", uri)
	}
	return s, nil
}

// PoolFromARN resolves a Cognito user pool ARN
// (arn:aws:cognito-idp:{region}:{account}:userpool/{poolId}) or bare pool
// id to the pool id.
func PoolFromARN(arn string) (string, error) {
	if !strings.HasPrefix(arn, "arn:") {
		if arn == "" || strings.ContainsAny(arn, "/: ") {
			return "", fmt.Errorf("provider %q: not a user pool ARN or id", arn)
		}
		return arn, nil
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "cognito-idp" {
		return "", fmt.Errorf("provider %q: not a user pool ARN", arn)
	}
	pool, ok := strings.CutPrefix(parts[5], "userpool/")
	if !ok || pool == "" || strings.Contains(pool, "/") {
		return "", fmt.Errorf("provider %q: not a user pool ARN", arn)
	}
	return pool, nil
}

// methodARN builds arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path}
// where path is the request path without its leading slash.
func (g *Gateway) methodARN(apiID, stage, verb, path string) string {
	path = strings.TrimPrefix(path, "/")
	var b strings.Builder
	b.Grow(32 + len(g.opts.Region) + len(g.opts.AccountID) + len(apiID) + len(stage) + len(verb) + len(path))
	b.WriteString("arn:aws:execute-api:")
	b.WriteString(g.opts.Region)
	b.WriteByte(':')
	b.WriteString(g.opts.AccountID)
	b.WriteByte(':')
	b.WriteString(apiID)
	b.WriteByte('/')
	b.WriteString(stage)
	b.WriteByte('/')
	b.WriteString(verb)
	b.WriteByte('/')
	b.WriteString(path)
	return b.String()
}
