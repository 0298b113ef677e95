package control

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/gateway"
	"github.com/cognate-dev/cognate/internal/tokens"
)

// testStage is the stage name TestInvokeMethod's requests run on.
const testStage = "test-invoke-stage"

type testInvokeInput struct {
	PathWithQueryString string              `json:"pathWithQueryString"`
	Body                string              `json:"body"`
	Headers             map[string]string   `json:"headers"`
	MultiValueHeaders   map[string][]string `json:"multiValueHeaders"`
	StageVariables      map[string]string   `json:"stageVariables"`
}

// testInvokeMethod is TestInvokeMethod: the method as currently defined
// (not as deployed), without its authorizer, as API Gateway's console test.
func (s *Service) testInvokeMethod(w http.ResponseWriter, r *http.Request, p params) error {
	var in testInvokeInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if s.o.NewTester == nil {
		return badRequest("TestInvokeMethod is not available on this server")
	}
	ctx := r.Context()
	a, err := s.load(ctx, p["api"])
	if err != nil {
		return err
	}
	res, m, err := methodOf(a, p)
	if err != nil {
		return err
	}
	// Only the method under test, and no authorization.
	one := snapshotOf(a)
	one.Resources = maps.Clone(a.Resources)
	for id, rr := range one.Resources {
		c := *rr
		c.Methods = nil
		if id == res.ID {
			mc := *m
			mc.AuthorizationType, mc.AuthorizerID, mc.AuthorizationScopes = gateway.AuthNone, "", nil
			c.Methods = map[string]*method{m.HTTPMethod: &mc}
		}
		one.Resources[id] = &c
	}
	g, err := toGateway(&one)
	if err != nil {
		return err
	}
	tester := s.o.NewTester()
	if _, err := tester.Deploy(ctx, g, testStage, in.StageVariables); err != nil {
		return badRequest("Execution failed due to configuration error: %v", err)
	}
	path := in.PathWithQueryString
	if path == "" {
		path = a.fullPath(res.ID)
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	verb := m.HTTPMethod
	if verb == "ANY" {
		verb = http.MethodGet
	}
	req := httptest.NewRequestWithContext(ctx, verb, "/restapis/"+a.ID+"/"+testStage+"/_user_request_"+path, strings.NewReader(in.Body))
	req.Host = "127.0.0.1"
	for k, v := range in.Headers {
		req.Header.Set(k, v)
	}
	for k, vs := range in.MultiValueHeaders {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	rec := httptest.NewRecorder()
	start := time.Now()
	tester.Handler().ServeHTTP(rec, req)
	latency := time.Since(start).Milliseconds()
	headers := map[string]string{}
	for k, vs := range rec.Header() {
		headers[k] = strings.Join(vs, ",")
	}
	log := fmt.Sprintf("Execution log for request test-request\n%s : Starting execution for request\n%s : HTTP Method: %s, Resource Path: %s\n%s : Method completed with status: %d\n",
		start.UTC().Format(time.ANSIC), start.UTC().Format(time.ANSIC), verb, path, time.Now().UTC().Format(time.ANSIC), rec.Code)
	return writeJSON(w, http.StatusOK, map[string]any{"status": rec.Code, "body": rec.Body.String(), "headers": headers,
		"multiValueHeaders": map[string][]string(rec.Header()), "log": log, "latency": latency})
}

// testInvokeAuthorizer is TestInvokeAuthorizer: it runs the authorizer on
// the given identity and reports what it decided.
func (s *Service) testInvokeAuthorizer(w http.ResponseWriter, r *http.Request, p params) error {
	var in testInvokeInput
	if err := decode(r, &in); err != nil {
		return err
	}
	ctx := r.Context()
	a, err := s.load(ctx, p["api"])
	if err != nil {
		return err
	}
	au := a.Authorizers[p["auth"]]
	if au == nil {
		return authorizerNotFound()
	}
	start := time.Now()
	out := map[string]any{"clientStatus": 401, "log": "", "latency": 0}
	done := func(log string) error {
		out["log"], out["latency"] = log, time.Since(start).Milliseconds()
		return writeJSON(w, http.StatusOK, out)
	}
	header := func(name string) string {
		for k, v := range in.Headers {
			if strings.EqualFold(k, name) {
				return v
			}
		}
		return ""
	}
	token := header(headerName(au.IdentitySource))
	if au.Type != gateway.AuthorizerRequest && token == "" {
		return done("Unauthorized request: the identity source is missing")
	}
	if au.IdentityValidationExpression != "" && au.Type == gateway.AuthorizerToken {
		if re, err := regexp.Compile("^(?:" + au.IdentityValidationExpression + ")$"); err == nil && !re.MatchString(token) {
			return done("Unauthorized request: the token does not match the identity validation expression")
		}
	}
	switch au.Type {
	case gateway.AuthorizerCognito:
		if s.o.Tokens == nil {
			return badRequest("TestInvokeAuthorizer is not available on this server")
		}
		var claims tokens.Claims
		var lastErr error
		for _, arn := range au.ProviderARNs {
			pool, err := gateway.PoolFromARN(arn)
			if err != nil {
				continue
			}
			issuer := ""
			if s.o.Issuer != nil {
				issuer = s.o.Issuer(pool)
			}
			if claims, lastErr = s.o.Tokens.Verify(ctx, token, tokens.Expect{PoolID: pool, Issuer: issuer, TokenUse: tokens.UseID}); lastErr == nil {
				break
			}
		}
		if claims == nil {
			return done(fmt.Sprintf("Unauthorized request: %v", lastErr))
		}
		strs := map[string]string{}
		for k, v := range claims {
			if s, ok := v.(string); ok {
				strs[k] = s
			} else {
				b, _ := json.Marshal(v)
				strs[k] = string(b)
			}
		}
		out["clientStatus"], out["claims"] = 200, strs
		return done("Authorized request")
	default:
		if s.o.Functions == nil {
			return badRequest("TestInvokeAuthorizer is not available on this server")
		}
		fn, err := gateway.FunctionFromURI(au.AuthorizerURI)
		if err != nil {
			return badRequest("Invalid Authorizer URI: %s", au.AuthorizerURI)
		}
		methodARN := "arn:aws:execute-api:" + s.o.Region + ":" + s.o.AccountID + ":" + a.ID + "/ESTestInvoke-stage/GET/"
		event := map[string]any{"type": au.Type, "methodArn": methodARN}
		if au.Type == gateway.AuthorizerToken {
			event["authorizationToken"] = token
		} else {
			event["headers"], event["stageVariables"] = in.Headers, in.StageVariables
			event["path"], event["httpMethod"] = in.PathWithQueryString, "GET"
		}
		payload, _ := json.Marshal(event)
		res, fnErr, err := s.o.Functions.InvokeFunction(ctx, fn, payload)
		if err != nil || fnErr != "" {
			out["clientStatus"] = 500
			return done(fmt.Sprintf("Execution failed due to configuration error: Authorizer error (%v %s)", err, fnErr))
		}
		var decision struct {
			PrincipalID    string          `json:"principalId"`
			PolicyDocument json.RawMessage `json:"policyDocument"`
			Context        map[string]any  `json:"context"`
		}
		if err := json.Unmarshal(res, &decision); err != nil || len(decision.PolicyDocument) == 0 {
			out["clientStatus"] = 500
			return done("Execution failed due to configuration error: Invalid JSON in response")
		}
		out["clientStatus"], out["principalId"], out["policy"] = 200, decision.PrincipalID, string(decision.PolicyDocument)
		if len(decision.Context) > 0 {
			out["authorization"] = map[string][]string{}
		}
		return done("Authorizer returned a policy")
	}
}
