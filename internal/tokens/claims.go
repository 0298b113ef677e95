package tokens

import (
	"encoding/json"
	"math"
	"strconv"
	"time"
)

// Claims are the verified claims of a token. Numbers are json.Number.
type Claims map[string]any

// String returns the string claim name, or "" when it is missing or not a string.
func (c Claims) String(name string) string {
	s, _ := c[name].(string)
	return s
}

// Strings returns a list-of-strings claim such as cognito:groups; a single
// string is a list of one. Non-string entries are skipped.
func (c Claims) Strings(name string) []string {
	switch v := c[name].(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return v
	}
	return nil
}

// Time returns a NumericDate claim (exp, iat, nbf, auth_time) as a time.
func (c Claims) Time(name string) (time.Time, bool) {
	return numericDate(c[name])
}

// maxNumericDate bounds NumericDate claims (year 9999) so that conversions
// cannot overflow.
const maxNumericDate = 253402300799

// numericDate converts a JSON number of seconds since the epoch.
func numericDate(v any) (time.Time, bool) {
	var secs float64
	switch n := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			if i < 0 || i > maxNumericDate {
				return time.Time{}, false
			}
			return time.Unix(i, 0).UTC(), true
		}
		f, err := n.Float64()
		if err != nil {
			return time.Time{}, false
		}
		secs = f
	case float64:
		secs = n
	case int64:
		secs = float64(n)
	case int:
		secs = float64(n)
	default:
		return time.Time{}, false
	}
	if math.IsNaN(secs) || secs < 0 || secs > maxNumericDate {
		return time.Time{}, false
	}
	whole, frac := math.Modf(secs)
	return time.Unix(int64(whole), int64(frac*1e9)).UTC(), true
}
