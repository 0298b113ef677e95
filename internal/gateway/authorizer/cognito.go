package authorizer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/tokens"
)

// errNoScope: an access token without any of the method's scopes.
var errNoScope = errors.New("the access token has none of the method's scopes")

// cognito verifies the token against each configured pool in turn and
// returns its claims as strings, plus the token's expiry (to bound caching).
// As API Gateway does, a method without authorization scopes takes an id
// token, and a method with scopes an access token granting one of them.
func (a *Authorizer) cognito(ctx context.Context, token string, scopes []string) (*Result, time.Time, error) {
	if after, ok := strings.CutPrefix(token, "Bearer "); ok {
		token = strings.TrimSpace(after)
	}
	use := tokens.UseID
	if len(scopes) > 0 {
		use = tokens.UseAccess
	}
	var lastErr error
	for _, pool := range a.cfg.PoolIDs {
		claims, err := a.deps.Tokens.Verify(ctx, token, tokens.Expect{PoolID: pool, Issuer: a.deps.Issuer(pool), TokenUse: use})
		if err == nil && len(scopes) > 0 && !hasScope(claims, scopes) {
			err = errNoScope
		}
		if err != nil {
			lastErr = err
			if errors.Is(err, ErrRevoked) && a.deps.Cache != nil {
				a.deps.Cache.DropIdentity(token)
				a.deps.Cache.DropIdentity("Bearer " + token)
			}
			continue
		}
		// The claims are rendered as strings only when something reads them
		// ($context.authorizer.claims, a proxy event's authorizer).
		res := &Result{Claims: claims}
		if a.valid != nil {
			aud, ok := claims["aud"]
			if !ok {
				aud = claims["client_id"]
			}
			if !a.valid.MatchString(ClaimString(aud)) {
				return nil, time.Time{}, fmt.Errorf("%w: aud fails identity validation expression", ErrUnauthorized)
			}
		}
		res.PrincipalID = ClaimString(claims["sub"])
		var exp time.Time
		if f, ok := claims["exp"].(float64); ok {
			exp = time.Unix(int64(f), 0)
		}
		return res, exp, nil
	}
	return nil, time.Time{}, fmt.Errorf("%w: %w", ErrUnauthorized, lastErr)
}

// hasScope reports whether the token's scope claim grants one of want.
func hasScope(c tokens.Claims, want []string) bool {
	s, _ := c["scope"].(string)
	for g := range strings.FieldsSeq(s) {
		if slices.Contains(want, g) {
			return true
		}
	}
	return false
}

// ClaimString renders a claim as API Gateway exposes it: a string.
func ClaimString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number: // tokens.Verifier's numbers; fmt.Sprint would say the same
		return string(v)
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return strconv.FormatInt(int64(v), 10)
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	case int64:
		return strconv.FormatInt(v, 10)
	case int:
		return strconv.Itoa(v)
	case bool:
		return strconv.FormatBool(v)
	case []string:
		return strings.Join(v, ",")
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = ClaimString(e)
		}
		return strings.Join(parts, ",")
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}
