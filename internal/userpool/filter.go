package userpool

import (
	"strings"

	"github.com/cognate-dev/cognate/internal/store"
)

// filterAttributes are the attributes ListUsers can filter on.
var filterAttributes = map[string]bool{
	"username": true, "email": true, "phone_number": true, "name": true, "given_name": true,
	"family_name": true, "preferred_username": true, "cognito:user_status": true, "status": true, "sub": true,
}

// userFilter is a parsed ListUsers Filter: `attr = "value"` or `attr ^= "value"`.
type userFilter struct {
	attr   string
	prefix bool
	value  string
}

func errFilter() error { return invalidParameter("Error while parsing filter.") }

// parseFilter parses a ListUsers filter; "" means no filter (nil).
func parseFilter(s string) (*userFilter, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	i := strings.IndexAny(s, "^=")
	if i <= 0 {
		return nil, errFilter()
	}
	f := &userFilter{attr: strings.TrimSpace(s[:i])}
	rest := s[i:]
	switch {
	case strings.HasPrefix(rest, "^="):
		f.prefix = true
		rest = rest[2:]
	case strings.HasPrefix(rest, "="):
		rest = rest[1:]
	default:
		return nil, errFilter()
	}
	rest = strings.TrimSpace(rest)
	if len(rest) < 2 || rest[0] != '"' || rest[len(rest)-1] != '"' {
		return nil, errFilter()
	}
	f.value = rest[1 : len(rest)-1]
	if strings.ContainsRune(f.value, '"') {
		return nil, errFilter()
	}
	if !filterAttributes[f.attr] {
		return nil, invalidParameter("Invalid search attribute: %s", f.attr)
	}
	return f, nil
}

// match reports whether u passes the filter.
func (f *userFilter) match(u store.User) bool {
	if f == nil {
		return true
	}
	var v string
	switch f.attr {
	case "username":
		v = u.Username
	case "cognito:user_status":
		v = u.Status
	case "status":
		v = "Disabled"
		if u.Enabled {
			v = "Enabled"
		}
	default:
		v = u.Attributes[f.attr]
	}
	if f.prefix {
		return strings.HasPrefix(v, f.value)
	}
	return v == f.value
}

// indexed reports the store index usable for an exact match.
func (f *userFilter) indexed() (string, bool) {
	if f == nil || f.prefix {
		return "", false
	}
	switch f.attr {
	case store.AttrSub, store.AttrEmail, store.AttrPhoneNumber, store.AttrPreferredUsername:
		return f.attr, true
	}
	return "", false
}
