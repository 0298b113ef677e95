package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/cognate-dev/cognate/internal/tokens"
)

// LocalVerifier verifies the tokens of Cognate's own pools; *tokens.Verifier
// satisfies it.
type LocalVerifier interface {
	Verify(ctx context.Context, token string, want tokens.Expect) (tokens.Claims, error)
}

// JWTOptions configure a JWTValidator.
type JWTOptions struct {
	// Local verifies tokens of local pools without network access.
	Local LocalVerifier
	// LocalPool maps an issuer to a local pool id when the issuer is one of
	// Cognate's pools.
	LocalPool func(issuer string) (poolID string, ok bool)
	// HTTPClient fetches remote issuers' discovery documents and JWKS.
	HTTPClient *http.Client
	Now        func() time.Time
	// MaxTTL caps how long a verified token is cached (default 1 s, so a
	// revoked local token is refused quickly); the token's exp caps it too.
	MaxTTL time.Duration
	// MaxEntries bounds the cache (default 100000).
	MaxEntries int
}

// errJWT is any JWT rejection (401); errScope a missing scope (403).
var (
	errJWT   = errors.New("jwt rejected")
	errScope = errors.New("insufficient scope")
)

// jwtResult is a verified token as the integration sees it.
type jwtResult struct {
	// claims are the token's claims stringified as AWS does.
	claims map[string]string
	// scopes are the granted scopes (scope claim, or scp).
	scopes []string
}

type jwtEntry struct {
	res *jwtResult
	exp time.Time
}

// JWTValidator checks bearer tokens as HTTP APIs' JWT authorizers do:
// RS256 signature from the issuer's JWKS, iss, aud or client_id, exp, nbf,
// iat. Verified tokens are cached. Safe for concurrent use.
type JWTValidator struct {
	o JWTOptions

	mu sync.RWMutex
	// cache holds verified tokens by authorizer configuration (issuer and
	// audiences) and then by token, so a lookup allocates nothing.
	cache map[string]map[string]jwtEntry
	size  int

	rmu    sync.Mutex
	remote map[string]*remoteIssuer
}

// remoteIssuer is a discovered issuer; err and retry hold a failed discovery.
type remoteIssuer struct {
	verifier *oidc.IDTokenVerifier
	err      error
	retry    time.Time
}

// remoteRetry is how long a failed discovery is remembered.
const remoteRetry = 10 * time.Second

// NewJWTValidator returns a validator.
func NewJWTValidator(o JWTOptions) *JWTValidator {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxTTL <= 0 {
		o.MaxTTL = time.Second
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = 100_000
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	return &JWTValidator{o: o, cache: map[string]map[string]jwtEntry{}, remote: map[string]*remoteIssuer{}}
}

// Validate verifies token for a JWT authorizer's issuer and audiences.
func (v *JWTValidator) Validate(ctx context.Context, token, issuer string, audience []string) (*jwtResult, error) {
	return v.validate(ctx, token, issuer, audience, configKey(issuer, audience))
}

// validate is Validate with the configuration's cache key precomputed.
func (v *JWTValidator) validate(ctx context.Context, token, issuer string, audience []string, cfg string) (*jwtResult, error) {
	now := v.o.Now()
	v.mu.RLock()
	e, ok := v.cache[cfg][token]
	v.mu.RUnlock()
	if ok && now.Before(e.exp) {
		return e.res, nil
	}
	raw, err := v.verify(ctx, token, issuer, audience)
	if err != nil {
		return nil, err
	}
	res := &jwtResult{claims: make(map[string]string, len(raw)), scopes: grantedScopes(raw)}
	for k, val := range raw {
		res.claims[k] = claimString(val)
	}
	exp := now.Add(v.o.MaxTTL)
	if t, ok := numericDate(raw["exp"]); ok && t.Before(exp) {
		exp = t
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.size >= v.o.MaxEntries {
		v.size = 0
		for c, m := range v.cache {
			for k, e := range m {
				if !now.Before(e.exp) {
					delete(m, k)
				}
			}
			if len(m) == 0 {
				delete(v.cache, c)
			}
			v.size += len(m)
		}
		if v.size >= v.o.MaxEntries {
			clear(v.cache)
			v.size = 0
		}
	}
	m := v.cache[cfg]
	if m == nil {
		m = map[string]jwtEntry{}
		v.cache[cfg] = m
	}
	if _, dup := m[token]; !dup {
		v.size++
	}
	m[token] = jwtEntry{res: res, exp: exp}
	return res, nil
}

// configKey identifies an authorizer configuration in the cache.
func configKey(issuer string, audience []string) string {
	return issuer + "\x00" + strings.Join(audience, "\x00")
}

// verify returns the token's claims (numbers as json.Number or float64).
func (v *JWTValidator) verify(ctx context.Context, token, issuer string, audience []string) (map[string]any, error) {
	if len(token) > tokens.DefaultMaxTokenSize {
		return nil, fmt.Errorf("%w: token too large", errJWT)
	}
	if v.o.LocalPool != nil && v.o.Local != nil {
		if pool, ok := v.o.LocalPool(issuer); ok {
			// The local verifier checks iss, the signature, exp, nbf and iat,
			// and the client: aud of id tokens, client_id of access tokens —
			// for Cognito's tokens exactly AWS's "aud, else client_id" rule.
			c, err := v.o.Local.Verify(ctx, token, tokens.Expect{PoolID: pool, Issuer: issuer, ClientIDs: audience})
			if err != nil {
				return nil, fmt.Errorf("%w: %w", errJWT, err)
			}
			if len(audience) == 0 {
				return nil, fmt.Errorf("%w: authorizer has no audience", errJWT)
			}
			return c, nil
		}
	}
	ver, err := v.remoteVerifier(ctx, issuer)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errJWT, err)
	}
	idt, err := ver.Verify(ctx, token)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errJWT, err)
	}
	var rawJSON json.RawMessage
	if err := idt.Claims(&rawJSON); err != nil {
		return nil, fmt.Errorf("%w: claims: %w", errJWT, err)
	}
	dec := json.NewDecoder(bytes.NewReader(rawJSON))
	dec.UseNumber()
	var c map[string]any
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: claims: %w", errJWT, err)
	}
	if err := checkRemoteClaims(c, audience, v.o.Now()); err != nil {
		return nil, err
	}
	return c, nil
}

// checkRemoteClaims applies what go-oidc leaves to the caller: aud (or
// client_id when there is no aud) among audience, nbf and iat not in the
// future (with tokens.DefaultSkew), exp present.
func checkRemoteClaims(c map[string]any, audience []string, now time.Time) error {
	var auds []string
	switch a := c["aud"].(type) {
	case string:
		auds = []string{a}
	case []any:
		for _, e := range a {
			if s, ok := e.(string); ok {
				auds = append(auds, s)
			}
		}
	}
	if len(auds) == 0 {
		if id, ok := c["client_id"].(string); ok {
			auds = []string{id}
		}
	}
	if !slices.ContainsFunc(auds, func(a string) bool { return slices.Contains(audience, a) }) {
		return fmt.Errorf("%w: audience", errJWT)
	}
	if _, ok := numericDate(c["exp"]); !ok {
		return fmt.Errorf("%w: exp", errJWT)
	}
	for _, name := range []string{"nbf", "iat"} {
		if raw, present := c[name]; present {
			t, ok := numericDate(raw)
			if !ok || t.After(now.Add(tokens.DefaultSkew)) {
				return fmt.Errorf("%w: %s", errJWT, name)
			}
		}
	}
	return nil
}

// remoteVerifier discovers issuer (its OpenID configuration, then JWKS,
// cached and refreshed on unknown key ids by go-oidc).
func (v *JWTValidator) remoteVerifier(ctx context.Context, issuer string) (*oidc.IDTokenVerifier, error) {
	v.rmu.Lock()
	r := v.remote[issuer]
	v.rmu.Unlock()
	if r != nil && (r.err == nil || v.o.Now().Before(r.retry)) {
		return r.verifier, r.err
	}
	dctx, cancel := context.WithTimeout(oidc.ClientContext(context.WithoutCancel(ctx), v.o.HTTPClient), 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(dctx, issuer)
	r = &remoteIssuer{}
	if err != nil {
		r.err, r.retry = fmt.Errorf("discover %s: %w", issuer, err), v.o.Now().Add(remoteRetry)
	} else {
		// The key set must outlive this request: fetch keys with a
		// background context carrying the client.
		ks := oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), v.o.HTTPClient), jwksURL(p))
		r.verifier = oidc.NewVerifier(issuer, ks, &oidc.Config{SkipClientIDCheck: true, SupportedSigningAlgs: []string{oidc.RS256}, Now: v.o.Now})
	}
	v.rmu.Lock()
	v.remote[issuer] = r
	v.rmu.Unlock()
	return r.verifier, r.err
}

func jwksURL(p *oidc.Provider) string {
	var d struct {
		JWKS string `json:"jwks_uri"`
	}
	_ = p.Claims(&d)
	return d.JWKS
}

// numericDate reads a NumericDate claim.
func numericDate(v any) (time.Time, bool) {
	var f float64
	switch n := v.(type) {
	case float64:
		f = n
	case json.Number:
		var err error
		if f, err = n.Float64(); err != nil {
			return time.Time{}, false
		}
	case int64:
		f = float64(n)
	default:
		return time.Time{}, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0), true
}

// grantedScopes are the token's scopes: the space-separated scope claim,
// else scp (a list or a space-separated string), as AWS reads them.
func grantedScopes(c map[string]any) []string {
	if s, ok := c["scope"].(string); ok {
		return strings.Fields(s)
	}
	switch s := c["scp"].(type) {
	case string:
		return strings.Fields(s)
	case []any:
		out := make([]string, 0, len(s))
		for _, e := range s {
			if str, ok := e.(string); ok {
				out = append(out, str)
			}
		}
		return out
	}
	return nil
}

// claimString renders a claim the way HTTP APIs hand claims to
// integrations: every value a string; numbers as written in the token;
// lists as "[a b]" and objects as "map[k:v]" (space-separated, keys
// sorted), which is how AWS renders them (cognito:groups arrives as
// "[admins users]").
func claimString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return strconv.FormatInt(int64(v), 10)
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return ""
	case []string:
		return "[" + strings.Join(v, " ") + "]"
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = claimString(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ":" + claimString(v[k])
		}
		return "map[" + strings.Join(parts, " ") + "]"
	default:
		return fmt.Sprint(v)
	}
}
