package app

import (
	"fmt"
	"regexp"
	"strings"
)

// refs maps the names a configuration uses to the ids Cognate generated for
// them, so that files can say ${pool:notes-users} instead of a pool id.
// (Environment variables, ${NAME}, were expanded when the file was read.)
type refs struct {
	region, account string
	pools           map[string]string // pool name -> id
	clients         map[string]string // "pool/client" -> id
	issuers         map[string]string // pool name -> issuer URL
}

var refPattern = regexp.MustCompile(`\$\{(pool|client|issuer|aws):([^}]*)\}`)

// resolve replaces ${pool:NAME}, ${client:POOL/CLIENT}, ${issuer:POOL},
// ${aws:region} and ${aws:account} in s; an unknown name is an error.
func (r *refs) resolve(s string) (string, error) {
	var bad []string
	out := refPattern.ReplaceAllStringFunc(s, func(m string) string {
		sub := refPattern.FindStringSubmatch(m)
		var v string
		var ok bool
		switch sub[1] {
		case "pool":
			v, ok = r.pools[sub[2]]
		case "client":
			v, ok = r.clients[sub[2]]
		case "issuer":
			v, ok = r.issuers[sub[2]]
		case "aws":
			switch sub[2] {
			case "region":
				v, ok = r.region, true
			case "account":
				v, ok = r.account, true
			}
		}
		if !ok {
			bad = append(bad, m)
			return m
		}
		return v
	})
	if len(bad) > 0 {
		return "", fmt.Errorf("unknown references %s (declare the pools and clients they name)", strings.Join(bad, ", "))
	}
	return out, nil
}

// resolveMap resolves every value of m into a new map.
func (r *refs) resolveMap(m map[string]string) (map[string]string, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		rv, err := r.resolve(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = rv
	}
	return out, nil
}
