package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/iampolicy"
)

var (
	nameRe     = regexp.MustCompile(`^[\w\s+=,.@-]{1,128}$`)
	funcNameRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	stageRe    = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
)

// Runtimes the function runner accepts.
var runtimes = map[string]bool{
	"builtin": true, "provided": true, "provided.al2": true, "provided.al2023": true, "go1.x": true,
	"nodejs": true, "nodejs18.x": true, "nodejs20.x": true, "nodejs22.x": true,
}

// Validate checks the whole file and returns every problem found, joined.
func (f *File) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if f.IssuerStyle != "local" && f.IssuerStyle != "aws" {
		add("issuerStyle: %q is not local or aws%s", f.IssuerStyle, didYouMean(f.IssuerStyle, []string{"local", "aws"}))
	}
	if t := f.Throttling; t != nil && (t.RateLimit == 0 || t.RateLimit < -1 || t.BurstLimit < 0) {
		add("throttling: rateLimit must be positive (or -1 for none) and burstLimit not negative")
	}
	if t := f.AuthThrottling; t != nil {
		if (t.RateLimit < 0 && t.RateLimit != -1) || t.BurstLimit < 0 {
			add("authThrottling: rateLimit must be positive (or -1 for none, 0 for the default) and burstLimit not negative")
		}
		if _, err := t.Proxies(); err != nil {
			add("authThrottling.trustedProxies: %v", err)
		}
	}
	if g := f.Gateway; g != nil {
		switch strings.ToUpper(g.EscapedSlashes) {
		case "", "KEEP_UNCHANGED", "REJECT_REQUEST", "UNESCAPE_AND_FORWARD":
		default:
			add("gateway.escapedSlashes: %q is not KEEP_UNCHANGED, REJECT_REQUEST or UNESCAPE_AND_FORWARD", g.EscapedSlashes)
		}
		if g.MaxConcurrentRequests < -1 {
			add("gateway.maxConcurrentRequests: %d is neither positive nor -1 (no limit)", g.MaxConcurrentRequests)
		}
		if g.MaxQueuedRequests < 0 {
			add("gateway.maxQueuedRequests: %d is negative", g.MaxQueuedRequests)
		}
		if c := g.ViewerCountry; c != "" && !viewerCountry.MatchString(c) {
			add("gateway.viewerCountry: %q is not an ISO 3166-1 alpha-2 country code (two capital letters, e.g. US)", c)
		}
	}
	if f.Security != nil {
		f.Security.validate(add)
	}
	for i, k := range f.KMSKeys {
		if !funcNameRe.MatchString(k.ID) {
			add("kmsKeys[%d].id: %q: want letters, digits, - or _", i, k.ID)
		}
		if raw, err := base64.StdEncoding.DecodeString(k.Key); err != nil || len(raw) != 32 {
			add("kmsKeys[%d].key: want 32 bytes, base64-encoded", i)
		}
	}
	if f.Messages != nil {
		f.Messages.validate(add)
	}
	pools := map[string]bool{}
	for i, p := range f.Pools {
		where := fmt.Sprintf("pools[%d]", i)
		if !nameRe.MatchString(p.Name) {
			add("%s.name: %q is not a valid pool name", where, p.Name)
		}
		if pools[p.Name] {
			add("%s.name: duplicate pool %q", where, p.Name)
		}
		pools[p.Name] = true
		clients := map[string]bool{}
		for j, c := range p.Clients {
			cw := fmt.Sprintf("%s.clients[%d]", where, j)
			if !nameRe.MatchString(c.Name) {
				add("%s.name: %q is not a valid client name", cw, c.Name)
			}
			if clients[c.Name] {
				add("%s.name: duplicate client %q", cw, c.Name)
			}
			clients[c.Name] = true
			for _, d := range []struct{ field, v string }{{"idTokenValidity", c.IDTokenValidity}, {"accessTokenValidity", c.AccessTokenValidity}, {"refreshTokenValidity", c.RefreshTokenValidity}} {
				if d.v == "" {
					continue
				}
				if dur, err := time.ParseDuration(d.v); err != nil || dur <= 0 {
					add("%s.%s: %q is not a positive duration", cw, d.field, d.v)
				}
			}
		}
		if lc := p.LambdaConfig; lc != nil {
			if v := lc.PreTokenGenerationVersion; v != "" && v != "V1_0" && v != "V2_0" && v != "V3_0" {
				add("%s.lambdaConfig.preTokenGenerationVersion: %q is not V1_0, V2_0 or V3_0", where, v)
			}
			for name, fn := range lc.Triggers() {
				if !funcNameRe.MatchString(fn) && !strings.HasPrefix(fn, "arn:") {
					add("%s.lambdaConfig: %s %q is neither a function name nor an ARN", where, name, fn)
				}
			}
			if (lc.CustomEmailSender != "" || lc.CustomSMSSender != "") && lc.KMSKeyID == "" {
				add("%s.lambdaConfig.kmsKeyId: required with customEmailSender or customSMSSender", where)
			}
		}
		groups := map[string]bool{}
		for j, g := range p.Groups {
			if g.Name == "" {
				add("%s.groups[%d].name: required", where, j)
			}
			groups[g.Name] = true
		}
		for j, u := range p.Users {
			uw := fmt.Sprintf("%s.users[%d]", where, j)
			if u.Username == "" {
				add("%s.username: required", uw)
			}
			if u.Password == "" {
				add("%s.password: required (use ${ENV} to keep it out of the file)", uw)
			}
			for _, g := range u.Groups {
				if !groups[g] {
					add("%s.groups: group %q is not declared in the pool", uw, g)
				}
			}
		}
	}
	funcs := map[string]bool{}
	for i, fn := range f.Functions {
		where := fmt.Sprintf("functions[%d]", i)
		if !funcNameRe.MatchString(fn.Name) {
			add("%s.name: %q is not a valid function name", where, fn.Name)
		}
		if funcs[fn.Name] {
			add("%s.name: duplicate function %q", where, fn.Name)
		}
		funcs[fn.Name] = true
		if !runtimes[fn.Runtime] {
			add("%s.runtime: %q is not supported%s", where, fn.Runtime, didYouMean(fn.Runtime, slices.Collect(maps.Keys(runtimes))))
		}
		switch {
		case fn.Runtime == "builtin" && fn.Handler == "":
			add("%s.handler: a builtin function names its handler", where)
		case (fn.Runtime == "provided" || fn.Runtime == "provided.al2" || fn.Runtime == "provided.al2023" || fn.Runtime == "go1.x") && len(fn.Command) == 0:
			add("%s.command: a provided function needs a command", where)
		case len(fn.Runtime) > 6 && fn.Runtime[:6] == "nodejs" && (fn.Handler == "" || fn.Dir == ""):
			add("%s: a nodejs function needs handler and dir", where)
		}
		if fn.Timeout < 0 || fn.Timeout > 900 {
			add("%s.timeout: %d is not within 1..900 seconds", where, fn.Timeout)
		}
		if fn.ReservedConcurrency < 0 {
			add("%s.reservedConcurrency: must not be negative", where)
		}
	}
	apis := map[string]bool{}
	defaults := 0
	for i, a := range f.APIs {
		where := fmt.Sprintf("apis[%d]", i)
		if !nameRe.MatchString(a.Name) {
			add("%s.name: %q is not a valid API name", where, a.Name)
		}
		if apis[a.Name] {
			add("%s.name: duplicate API %q", where, a.Name)
		}
		apis[a.Name] = true
		if (a.OpenAPI == "") == (a.Definition == nil) {
			add("%s: give exactly one of openapi (a file) and definition (inline)", where)
		}
		if a.Default {
			defaults++
		}
		if len(a.Stages) == 0 {
			add("%s.stages: at least one stage is needed", where)
		}
		for j, s := range a.Stages {
			if !stageRe.MatchString(s.Name) {
				add("%s.stages[%d].name: %q is not a valid stage name", where, j, s.Name)
			}
		}
	}
	if defaults > 1 {
		add("apis: %d APIs are marked default; at most one may be", defaults)
	}
	httpAPIs := map[string]bool{}
	for i, a := range f.HTTPAPIs {
		where := fmt.Sprintf("httpApis[%d]", i)
		if !nameRe.MatchString(a.Name) {
			add("%s.name: %q is not a valid API name", where, a.Name)
		}
		if httpAPIs[a.Name] {
			add("%s.name: duplicate HTTP API %q", where, a.Name)
		}
		httpAPIs[a.Name] = true
		if (a.OpenAPI == "") == (a.Definition == nil) {
			add("%s: give exactly one of openapi (a file) and definition (inline)", where)
		}
		seen := map[string]bool{}
		for j, s := range a.Stages {
			if s.Name != "$default" && !stageRe.MatchString(s.Name) {
				add("%s.stages[%d].name: %q is not a valid stage name", where, j, s.Name)
			}
			if seen[s.Name] {
				add("%s.stages[%d].name: duplicate stage %q", where, j, s.Name)
			}
			seen[s.Name] = true
			if r := s.ThrottlingRateLimit; r != nil && *r < 0 {
				add("%s.stages[%d].throttlingRateLimit: must not be negative", where, j)
			}
			if b := s.ThrottlingBurstLimit; b != nil && *b < 0 {
				add("%s.stages[%d].throttlingBurstLimit: must not be negative", where, j)
			}
		}
	}
	keys := map[string]bool{}
	for i, k := range f.APIKeys {
		where := fmt.Sprintf("apiKeys[%d]", i)
		if !nameRe.MatchString(k.Name) || keys[k.Name] {
			add("%s.name: %q is not a valid or unique key name", where, k.Name)
		}
		keys[k.Name] = true
		if len(k.Value) < 20 || len(k.Value) > 128 {
			add("%s.value: an API key is 20 to 128 characters (as AWS)", where)
		}
	}
	plans := map[string]bool{}
	for i, p := range f.UsagePlans {
		where := fmt.Sprintf("usagePlans[%d]", i)
		if !nameRe.MatchString(p.Name) || plans[p.Name] {
			add("%s.name: %q is not a valid or unique plan name", where, p.Name)
		}
		plans[p.Name] = true
		for j, s := range p.APIStages {
			if !apis[s.API] || !stageRe.MatchString(s.Stage) {
				add("%s.apiStages[%d]: %q/%q is not an API of this file and a stage name", where, j, s.API, s.Stage)
			}
		}
		if t := p.Throttle; t != nil && (t.RateLimit <= 0 || t.BurstLimit < 0) {
			add("%s.throttle: rateLimit must be positive and burstLimit not negative", where)
		}
		if q := p.Quota; q != nil && (q.Limit < 0 || (q.Period != "DAY" && q.Period != "WEEK" && q.Period != "MONTH")) {
			add("%s.quota: limit >= 0 and period DAY, WEEK or MONTH", where)
		}
		for _, k := range p.APIKeys {
			if !keys[k] {
				add("%s.apiKeys: unknown key %q", where, k)
			}
		}
	}
	return errors.Join(errs...)
}

var (
	iamUserRe   = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	accessKeyRe = regexp.MustCompile(`^[A-Za-z0-9_]{16,128}$`)
	hostRe      = regexp.MustCompile(`^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$`)
)

func (s *Security) validate(add func(string, ...any)) {
	for i, h := range s.AllowedHosts {
		if !hostRe.MatchString(h) {
			add("security.allowedHosts[%d]: %q is not a host name (a leading \"*.\" is allowed; no port or scheme)", i, h)
		}
	}
	for i, o := range s.AllowedOrigins {
		if o != "*" && !(strings.HasPrefix(o, "https://") || strings.HasPrefix(o, "http://")) {
			add("security.allowedOrigins[%d]: %q is not an origin such as https://admin.example.com (or \"*\")", i, o)
		}
	}
	users, keys := map[string]bool{}, map[string]bool{}
	for i, u := range s.Users {
		where := fmt.Sprintf("security.users[%d]", i)
		if !iamUserRe.MatchString(u.Name) {
			add("%s.name: %q is not a valid IAM user name", where, u.Name)
		}
		if users[u.Name] {
			add("%s.name: duplicate user %q", where, u.Name)
		}
		users[u.Name] = true
		if len(u.AccessKeys) == 0 {
			add("%s.accessKeys: a user needs at least one access key", where)
		}
		for j, k := range u.AccessKeys {
			kw := fmt.Sprintf("%s.accessKeys[%d]", where, j)
			if !accessKeyRe.MatchString(k.ID) {
				add("%s.id: must be 16 to 128 letters, digits or underscores", kw)
			}
			if len(k.Secret) < 16 {
				add("%s.secret: must be at least 16 characters (use ${ENV} to keep it out of the file)", kw)
			}
			if keys[k.ID] {
				add("%s.id: duplicate access key id", kw)
			}
			keys[k.ID] = true
		}
		for j, p := range u.Policies {
			pw := fmt.Sprintf("%s.policies[%d]", where, j)
			doc, err := p.DocumentJSON()
			if err != nil || p.Document == nil {
				add("%s.document: required, IAM's JSON policy grammar", pw)
				continue
			}
			if _, err := iampolicy.ParseIdentity(doc); err != nil {
				add("%s.document: %v", pw, err)
			}
		}
	}
}

// viewerCountry is an ISO 3166-1 alpha-2 code, as CloudFront-Viewer-Country.
var viewerCountry = regexp.MustCompile(`^[A-Z]{2}$`)
