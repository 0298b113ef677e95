package control

import (
	"crypto/rand"
	"crypto/sha256"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/cognate-dev/cognate/internal/gateway"
)

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// newID is a random id of n lowercase letters and digits, as API Gateway's.
func newID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return string(b)
}

// stableID derives an id from parts, so re-importing the same definition
// (the config file at every start) keeps its ids.
func stableID(n int, parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	b := make([]byte, n)
	for i := range b {
		b[i] = idAlphabet[int(sum[i])%len(idAlphabet)]
	}
	return string(b)
}

// fullPath is a resource's path ("/", "/notes", "/notes/{id}").
func (a *restAPI) fullPath(id string) string {
	var parts []string
	for guard := 0; id != "" && guard < 1000; guard++ {
		r := a.Resources[id]
		if r == nil || r.ParentID == "" {
			break
		}
		parts = append(parts, r.PathPart)
		id = r.ParentID
	}
	slices.Reverse(parts)
	return "/" + strings.Join(parts, "/")
}

// resourceByPath finds a resource by its full path.
func (a *restAPI) resourceByPath(p string) *resource {
	for id, r := range a.Resources {
		if a.fullPath(id) == p {
			return r
		}
	}
	return nil
}

// errNoMethods and friends are CreateDeployment's refusals.
func deployError(format string, args ...any) error { return badRequest(format, args...) }

// toGateway converts a definition into the gateway's model (what a
// deployment serves).
func toGateway(a *restAPI) (*gateway.API, error) {
	out := &gateway.API{ID: a.ID, Name: a.Name, Default: a.Default, Paths: map[string]map[string]*gateway.Method{},
		Authorizers: map[string]*gateway.Authorizer{}, GatewayResponses: map[gateway.ResponseType]*gateway.GatewayResponse{}}
	names := map[string]string{}
	for _, au := range a.Authorizers {
		names[au.ID] = au.Name
		out.Authorizers[au.Name] = &gateway.Authorizer{ID: au.ID, Type: au.Type, URI: au.AuthorizerURI, IdentitySource: au.IdentitySource,
			IdentityValidationExpression: au.IdentityValidationExpression, ResultTTLSeconds: au.AuthorizerResultTTLInSeconds,
			ProviderARNs: au.ProviderARNs}
	}
	count := 0
	for _, id := range slices.Sorted(maps.Keys(a.Resources)) {
		r := a.Resources[id]
		if len(r.Methods) == 0 {
			continue
		}
		p := a.fullPath(id)
		ms := map[string]*gateway.Method{}
		for verb, m := range r.Methods {
			count++
			in := m.MethodIntegration
			if in == nil {
				return nil, deployError("No integration defined for method")
			}
			switch m.AuthorizationType {
			case gateway.AuthNone, gateway.AuthCognito, gateway.AuthCustom:
			default:
				return nil, deployError("Cognate does not support authorization type %s (method %s %s)", m.AuthorizationType, verb, p)
			}
			gm := &gateway.Method{AuthorizationType: m.AuthorizationType, AuthorizationScopes: m.AuthorizationScopes,
				Integration: gateway.Integration{Type: in.Type, HTTPMethod: in.HTTPMethod, URI: in.URI,
					RequestParameters: in.RequestParameters, RequestTemplates: in.RequestTemplates,
					PassthroughBehavior: in.PassthroughBehavior, TimeoutMillis: in.TimeoutInMillis, CacheKeyParameters: in.CacheKeyParameters}}
			if m.AuthorizationType != gateway.AuthNone {
				gm.Authorizer = names[m.AuthorizerID]
				if gm.Authorizer == "" {
					return nil, deployError("Invalid authorizer ID specified. Setting the authorization type to %s requires a valid authorizer.", m.AuthorizationType)
				}
			}
			codes := slices.Sorted(maps.Keys(in.IntegrationResponses))
			// The default response (no selection pattern) first, then by status.
			sort.SliceStable(codes, func(i, j int) bool {
				return in.IntegrationResponses[codes[i]].SelectionPattern == "" && in.IntegrationResponses[codes[j]].SelectionPattern != ""
			})
			for _, code := range codes {
				ir := in.IntegrationResponses[code]
				n, _ := strconv.Atoi(code)
				gm.Integration.Responses = append(gm.Integration.Responses, gateway.IntegrationResponse{
					SelectionPattern: ir.SelectionPattern, StatusCode: n,
					ResponseParameters: ir.ResponseParameters, ResponseTemplates: ir.ResponseTemplates})
			}
			ms[verb] = gm
		}
		out.Paths[p] = ms
	}
	if count == 0 {
		return nil, deployError("The REST API doesn't contain any methods")
	}
	for t, gr := range a.GatewayResponses {
		n, _ := strconv.Atoi(gr.StatusCode)
		out.GatewayResponses[gateway.ResponseType(t)] = &gateway.GatewayResponse{StatusCode: n,
			ResponseParameters: gr.ResponseParameters, ResponseTemplates: gr.ResponseTemplates}
	}
	return out, nil
}

// lambdaAuthorizerURI is the authorizerUri of a function authorizer.
func lambdaAuthorizerURI(region, account, fn string) string {
	return "arn:aws:apigateway:" + region + ":lambda:path/2015-03-31/functions/arn:aws:lambda:" + region + ":" + account + ":function:" + fn + "/invocations"
}

// fromGateway converts the gateway's model (the config file's, or an
// imported OpenAPI document's) into a definition with ids derived from
// apiID, so the same input always gives the same ids.
func fromGateway(g *gateway.API, apiID, region, account string, created float64) *restAPI {
	a := &restAPI{ID: apiID, Name: g.Name, CreatedDate: created, APIKeySource: "HEADER", Default: g.Default,
		EndpointConfiguration: &endpointConfiguration{Types: []string{"EDGE"}},
		Resources:             map[string]*resource{}, Authorizers: map[string]*authorizer{}, GatewayResponses: map[string]*gatewayResponse{}}
	root := &resource{ID: stableID(10, apiID, "/")}
	a.RootResourceID = root.ID
	a.Resources[root.ID] = root
	byPath := map[string]*resource{"/": root}
	ensure := func(p string) *resource {
		if r := byPath[p]; r != nil {
			return r
		}
		parts := strings.Split(strings.Trim(p, "/"), "/")
		cur, curPath := root, ""
		for _, part := range parts {
			curPath += "/" + part
			r := byPath[curPath]
			if r == nil {
				r = &resource{ID: stableID(10, apiID, curPath), ParentID: cur.ID, PathPart: part}
				a.Resources[r.ID] = r
				byPath[curPath] = r
			}
			cur = r
		}
		return cur
	}
	authIDs := map[string]string{}
	for name, ga := range g.Authorizers {
		au := &authorizer{ID: stableID(6, apiID, "authorizer", name), Name: name, Type: ga.Type, AuthorizerURI: ga.URI,
			IdentitySource: ga.IdentitySource, IdentityValidationExpression: ga.IdentityValidationExpression,
			AuthorizerResultTTLInSeconds: ga.ResultTTLSeconds, ProviderARNs: ga.ProviderARNs}
		if au.AuthorizerURI == "" && ga.Function != "" {
			au.AuthorizerURI = lambdaAuthorizerURI(region, account, ga.Function)
		}
		if au.IdentitySource == "" && au.Type != gateway.AuthorizerRequest {
			au.IdentitySource = "method.request.header.Authorization"
		}
		if au.Type == gateway.AuthorizerCognito {
			au.AuthType = "cognito_user_pools"
		} else {
			au.AuthType = "custom"
		}
		a.Authorizers[au.ID] = au
		authIDs[name] = au.ID
	}
	for p, ms := range g.Paths {
		r := ensure(p)
		for verb, gm := range ms {
			if r.Methods == nil {
				r.Methods = map[string]*method{}
			}
			m := &method{HTTPMethod: verb, AuthorizationType: gm.AuthorizationType, AuthorizationScopes: gm.AuthorizationScopes}
			if gm.Authorizer != "" {
				m.AuthorizerID = authIDs[gm.Authorizer]
				if m.AuthorizationType == "" {
					if g.Authorizers[gm.Authorizer] != nil && g.Authorizers[gm.Authorizer].Type == gateway.AuthorizerCognito {
						m.AuthorizationType = gateway.AuthCognito
					} else {
						m.AuthorizationType = gateway.AuthCustom
					}
				}
			}
			if m.AuthorizationType == "" {
				m.AuthorizationType = gateway.AuthNone
			}
			gi := gm.Integration
			in := &integration{Type: gi.Type, HTTPMethod: gi.HTTPMethod, URI: gi.URI, RequestParameters: gi.RequestParameters,
				RequestTemplates: gi.RequestTemplates, PassthroughBehavior: gi.PassthroughBehavior, TimeoutInMillis: gi.TimeoutMillis,
				CacheNamespace: r.ID, CacheKeyParameters: append([]string{}, gi.CacheKeyParameters...)}
			if in.TimeoutInMillis == 0 {
				in.TimeoutInMillis = 29000
			}
			if in.PassthroughBehavior == "" {
				in.PassthroughBehavior = "WHEN_NO_MATCH"
			}
			if in.Type == gateway.IntegrationAWS || in.Type == gateway.IntegrationAWSProxy {
				in.HTTPMethod = "POST"
			}
			for _, ir := range gi.Responses {
				if in.IntegrationResponses == nil {
					in.IntegrationResponses = map[string]*integrationResponse{}
				}
				code := strconv.Itoa(ir.StatusCode)
				in.IntegrationResponses[code] = &integrationResponse{StatusCode: code, SelectionPattern: ir.SelectionPattern,
					ResponseParameters: ir.ResponseParameters, ResponseTemplates: ir.ResponseTemplates}
				if m.MethodResponses == nil {
					m.MethodResponses = map[string]*methodResponse{}
				}
				mr := &methodResponse{StatusCode: code}
				for k := range ir.ResponseParameters {
					if mr.ResponseParameters == nil {
						mr.ResponseParameters = map[string]bool{}
					}
					mr.ResponseParameters[k] = false
				}
				m.MethodResponses[code] = mr
			}
			m.MethodIntegration = in
			r.Methods[verb] = m
		}
	}
	for t, gr := range g.GatewayResponses {
		out := &gatewayResponse{ResponseType: string(t), ResponseParameters: gr.ResponseParameters, ResponseTemplates: gr.ResponseTemplates}
		if gr.StatusCode != 0 {
			out.StatusCode = strconv.Itoa(gr.StatusCode)
		}
		a.GatewayResponses[string(t)] = out
	}
	return a
}
