package gateway

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/gateway/authorizer"
)

// methods are the verbs a resource may declare.
var methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"}

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// shortID derives a stable lowercase id of n characters from parts.
func shortID(n int, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return idEncoding.EncodeToString(h.Sum(nil))[:n]
}

// APIID is the id an API gets when it declares none: stable, derived from
// its name (10 lowercase characters, like AWS's).
func APIID(name string) string { return shortID(10, "api", name) }

// snapshot normalises api and returns its JSON snapshot and content-hash
// deployment id.
func snapshot(api *API) ([]byte, string, error) {
	if api.ID == "" {
		api.ID = APIID(api.Name)
	}
	data, err := json.Marshal(api)
	if err != nil {
		return nil, "", fmt.Errorf("encode api %s: %w", api.ID, err)
	}
	return data, shortID(10, string(data)), nil
}

// compile validates an API and builds its route table, authorizers and
// templates. Every problem is reported at once.
func (g *Gateway) compile(api *API, id string) (*deployment, error) {
	d := &deployment{id: id, api: api, root: &node{}, authorizers: map[string]*authorizer.Authorizer{}}
	var errs []error
	var err error
	if d.binary, err = compileBinaryTypes(api.BinaryMediaTypes); err != nil {
		errs = append(errs, err)
	}
	if d.models, err = compileModels(api.Models); err != nil {
		errs = append(errs, err)
	}
	switch api.APIKeySource {
	case "", APIKeySourceHeader, APIKeySourceAuthorizer:
	default:
		errs = append(errs, fmt.Errorf("apiKeySource %q: want HEADER or AUTHORIZER", api.APIKeySource))
	}
	for name, a := range api.Authorizers {
		au, err := g.compileAuthorizer(id, api.ID, name, a)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		d.authorizers[name] = au
	}
	paths := make([]string, 0, len(api.Paths))
	for p := range api.Paths {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		n, err := d.root.insert(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if n.res == nil {
			n.res = &resource{path: p, id: shortID(6, api.ID, p), methods: map[string]*route{}}
		} else {
			errs = append(errs, fmt.Errorf("path %q: declared twice", p))
			continue
		}
		for verb, m := range api.Paths[p] {
			r, err := g.compileRoute(d, n.res, strings.ToUpper(verb), m)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s %s: %w", verb, p, err))
				continue
			}
			n.res.methods[r.verb] = r
		}
	}
	for t, gr := range api.GatewayResponses {
		if !t.Known() {
			errs = append(errs, fmt.Errorf("gateway response %q: unknown type", t))
			continue
		}
		if gr == nil {
			errs = append(errs, fmt.Errorf("gateway response %q: empty", t))
			continue
		}
		if gr.StatusCode != 0 && (gr.StatusCode < 100 || gr.StatusCode > 599) {
			errs = append(errs, fmt.Errorf("gateway response %s: statusCode %d", t, gr.StatusCode))
		}
		for k := range gr.ResponseParameters {
			if !strings.HasPrefix(k, "gatewayresponse.header.") || len(k) == len("gatewayresponse.header.") {
				errs = append(errs, fmt.Errorf("gateway response %s: responseParameters key %q", t, k))
			}
		}
		ts, err := g.compileTemplates(gr.ResponseTemplates)
		if err != nil {
			errs = append(errs, fmt.Errorf("gateway response %s: %w", t, err))
			continue
		}
		if len(ts) > 0 {
			if d.responseTemplates == nil {
				d.responseTemplates = map[ResponseType]compiledTemplates{}
			}
			d.responseTemplates[t] = ts
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("api %s: %w", api.ID, err)
	}
	return d, nil
}

func (g *Gateway) compileRoute(d *deployment, res *resource, verb string, m *Method) (*route, error) {
	if !slices.Contains(methods, verb) {
		return nil, fmt.Errorf("unknown method %q", verb)
	}
	if m == nil {
		return nil, errors.New("empty method")
	}
	r := &route{res: res, verb: verb, method: m, authType: m.AuthorizationType, label: d.api.Name + " " + verb + " " + res.path}
	if m.Authorizer != "" {
		r.auth = d.authorizers[m.Authorizer]
		if r.auth == nil {
			if _, declared := d.api.Authorizers[m.Authorizer]; !declared {
				return nil, fmt.Errorf("unknown authorizer %q", m.Authorizer)
			}
			return nil, fmt.Errorf("authorizer %q is invalid", m.Authorizer)
		}
		if r.authType == "" {
			r.authType = AuthCustom
			if r.auth.Type() == authorizer.Cognito {
				r.authType = AuthCognito
			}
		}
	}
	switch r.authType {
	case "", AuthNone:
		r.authType = AuthNone
		if r.auth != nil {
			return nil, errors.New("authorizationType NONE with an authorizer")
		}
	case AuthCognito, AuthCustom:
		if r.auth == nil {
			return nil, fmt.Errorf("authorizationType %s without an authorizer", r.authType)
		}
		if (r.authType == AuthCognito) != (r.auth.Type() == authorizer.Cognito) {
			return nil, fmt.Errorf("authorizationType %s does not fit a %s authorizer", r.authType, r.auth.Type())
		}
	default:
		return nil, fmt.Errorf("unsupported authorizationType %q", r.authType)
	}
	integ, err := g.compileIntegration(&m.Integration)
	if err != nil {
		return nil, fmt.Errorf("integration: %w", err)
	}
	r.integ = integ
	if r.valid, err = d.compileValidation(m); err != nil {
		return nil, err
	}
	return r, nil
}

func (g *Gateway) compileAuthorizer(depID, apiID, name string, a *Authorizer) (*authorizer.Authorizer, error) {
	if a == nil {
		return nil, fmt.Errorf("authorizer %q: empty", name)
	}
	cfg := authorizer.Config{
		ID:                           depID + "/" + name,
		Type:                         strings.ToUpper(a.Type),
		Function:                     a.Function,
		IdentitySource:               a.IdentitySource,
		IdentityValidationExpression: a.IdentityValidationExpression,
		TTL:                          authorizer.DefaultTTL,
	}
	authID := a.ID
	if authID == "" {
		authID = name
	}
	cfg.SourceARN = "arn:aws:execute-api:" + g.opts.Region + ":" + g.opts.AccountID + ":" + apiID + "/authorizers/" + authID
	cfg.SourceAccount = g.opts.AccountID
	if a.ResultTTLSeconds != nil {
		ttl := *a.ResultTTLSeconds
		if ttl < 0 || ttl > 3600 {
			return nil, fmt.Errorf("authorizer %q: authorizerResultTtlInSeconds %d out of 0..3600", name, ttl)
		}
		cfg.TTL = time.Duration(ttl) * time.Second
	}
	if cfg.Function == "" && a.URI != "" {
		fn, err := FunctionFromURI(a.URI)
		if err != nil {
			return nil, fmt.Errorf("authorizer %q: %w", name, err)
		}
		cfg.Function = fn
	}
	for _, arn := range a.ProviderARNs {
		pool, err := PoolFromARN(arn)
		if err != nil {
			return nil, fmt.Errorf("authorizer %q: %w", name, err)
		}
		cfg.PoolIDs = append(cfg.PoolIDs, pool)
	}
	au, err := authorizer.New(cfg, authorizer.Deps{
		Functions:     g.opts.Functions,
		Tokens:        g.opts.Tokens,
		Issuer:        g.opts.Issuer,
		Cache:         g.cache,
		CacheLookups:  g.opts.Metrics,
		Logger:        g.log,
		CognitoMaxTTL: g.opts.CognitoCacheMaxTTL,
	})
	if err != nil {
		return nil, fmt.Errorf("api %s: %w", apiID, err)
	}
	if (cfg.Type == authorizer.Cognito && (g.opts.Tokens == nil || g.opts.Issuer == nil)) || (cfg.Type != authorizer.Cognito && g.opts.Functions == nil) {
		return nil, fmt.Errorf("authorizer %q: no %s configured", name, map[bool]string{true: "token verifier", false: "function invoker"}[cfg.Type == authorizer.Cognito])
	}
	return au, nil
}
