package iampolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Context holds the condition keys of one request (aws:SourceIp,
// aws:CurrentTime, aws:username …). Keys are compared case-insensitively, as
// IAM does; a key may have several values (multivalued keys).
type Context map[string][]string

// Set adds values under key, lower-casing the key.
func (c Context) Set(key string, values ...string) { c[lowerASCII(key)] = values }

func (c Context) lookup(key string) ([]string, bool) {
	v, ok := c[lowerASCII(key)]
	return v, ok
}

// Request is what an identity policy is evaluated against.
type Request struct {
	Action   string
	Resource string
	Context  Context
}

// Condition is one key test of a statement's Condition block: the operator
// (StringEquals, IpAddress …), the key, and the values any of which may match.
type Condition struct {
	Operator string // as written, e.g. "ForAnyValue:StringLikeIfExists"
	Key      string
	Values   []string

	base     string // the operator without qualifiers, e.g. "StringLike"
	ifExists bool
	set      string // "", "forallvalues" or "foranyvalue"
}

// conditionOps are IAM's condition operators; the value says whether the
// operator is negated (true when absent keys and non-matches satisfy it).
var conditionOps = map[string]bool{
	"StringEquals": false, "StringNotEquals": true,
	"StringEqualsIgnoreCase": false, "StringNotEqualsIgnoreCase": true,
	"StringLike": false, "StringNotLike": true,
	"NumericEquals": false, "NumericNotEquals": true,
	"NumericLessThan": false, "NumericLessThanEquals": false,
	"NumericGreaterThan": false, "NumericGreaterThanEquals": false,
	"DateEquals": false, "DateNotEquals": true,
	"DateLessThan": false, "DateLessThanEquals": false,
	"DateGreaterThan": false, "DateGreaterThanEquals": false,
	"Bool":         false,
	"BinaryEquals": false,
	"IpAddress":    false, "NotIpAddress": true,
	"ArnEquals": false, "ArnLike": false, "ArnNotEquals": true, "ArnNotLike": true,
	"Null": false,
}

// parseConditions decodes a Condition block: {"Operator": {"key": value(s)}}.
func parseConditions(data json.RawMessage) ([]Condition, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || bytes.Equal(data, []byte("null")) {
		return nil, nil
	}
	var block map[string]map[string]json.RawMessage
	if err := json.Unmarshal(data, &block); err != nil {
		return nil, errors.New("Condition must map operators to {key: value} objects")
	}
	var out []Condition
	for op, keys := range block {
		c := Condition{Operator: op}
		name := op
		if q, rest, ok := strings.Cut(name, ":"); ok {
			switch q {
			case "ForAllValues", "ForAnyValue":
				c.set, name = lowerASCII(q), rest
			default:
				return nil, fmt.Errorf("condition operator %q: unknown qualifier %q", op, q)
			}
		}
		if base, ok := strings.CutSuffix(name, "IfExists"); ok && name != "Null" {
			c.ifExists, name = true, base
		}
		if _, ok := conditionOps[name]; !ok {
			return nil, fmt.Errorf("unknown condition operator %q", op)
		}
		c.base = name
		for key, raw := range keys {
			vals, err := conditionValues(raw)
			if err != nil {
				return nil, fmt.Errorf("condition %s %s: %w", op, key, err)
			}
			if err := checkValues(name, vals); err != nil {
				return nil, fmt.Errorf("condition %s %s: %w", op, key, err)
			}
			cc := c
			cc.Key, cc.Values = key, vals
			out = append(out, cc)
		}
	}
	// A stable order keeps evaluation and error reports deterministic.
	sort.Slice(out, func(i, j int) bool {
		if out[i].Operator != out[j].Operator {
			return out[i].Operator < out[j].Operator
		}
		return out[i].Key < out[j].Key
	})
	return out, nil
}

// conditionValues accepts a string, number or boolean, or a list of them.
func conditionValues(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, err
		}
		if len(list) == 0 {
			return nil, errors.New("empty list")
		}
		out := make([]string, 0, len(list))
		for _, item := range list {
			s, err := scalar(item)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := scalar(raw)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

func scalar(raw json.RawMessage) (string, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return string(bytes.TrimSpace(raw)), nil
	default:
		return "", errors.New("values must be strings, numbers or booleans")
	}
}

// checkValues refuses policy values an operator could never compare.
func checkValues(op string, vals []string) error {
	for _, v := range vals {
		switch {
		case strings.HasPrefix(op, "Numeric"):
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				return fmt.Errorf("%q is not a number", v)
			}
		case strings.HasPrefix(op, "Date"):
			if _, ok := parseDate(v); !ok {
				return fmt.Errorf("%q is not a date", v)
			}
		case op == "Bool" || op == "Null":
			if _, err := strconv.ParseBool(v); err != nil {
				return fmt.Errorf("%q is not true or false", v)
			}
		case op == "IpAddress" || op == "NotIpAddress":
			if _, ok := parsePrefix(v); !ok {
				return fmt.Errorf("%q is not an IP address or CIDR block", v)
			}
		}
	}
	return nil
}

// holds reports whether the condition is satisfied by ctx.
func (c *Condition) holds(ctx Context) bool {
	got, present := ctx.lookup(c.Key)
	if c.base == "Null" {
		wantAbsent, _ := strconv.ParseBool(c.Values[0])
		return wantAbsent == (!present || len(got) == 0)
	}
	negated := conditionOps[c.base]
	if !present || len(got) == 0 {
		switch {
		case c.set == "forallvalues":
			return true // vacuously: every one of no values matches
		case c.ifExists:
			return true
		default:
			return negated
		}
	}
	values := make([]string, len(c.Values))
	for i, v := range c.Values {
		values[i] = substitute(v, ctx)
	}
	if c.set == "forallvalues" {
		for _, g := range got {
			if !c.matchOne(g, values) {
				return false
			}
		}
		return true
	}
	// ForAnyValue and single-valued keys: any context value may satisfy it.
	for _, g := range got {
		if c.matchOne(g, values) {
			return true
		}
	}
	return false
}

// matchOne tests one context value: positive operators match if any policy
// value matches; negated ones if none of the positive form's values do.
func (c *Condition) matchOne(got string, values []string) bool {
	negated := conditionOps[c.base]
	any := false
	for _, want := range values {
		if c.compare(got, want) {
			any = true
			break
		}
	}
	if negated {
		return !any
	}
	return any
}

// compare evaluates the positive form of the operator for one pair.
func (c *Condition) compare(got, want string) bool {
	switch c.base {
	case "StringEquals", "StringNotEquals", "ArnEquals", "ArnNotEquals", "BinaryEquals":
		return got == want
	case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase":
		return strings.EqualFold(got, want)
	case "StringLike", "StringNotLike", "ArnLike", "ArnNotLike":
		return Match(want, got)
	case "Bool":
		g, err1 := strconv.ParseBool(got)
		w, err2 := strconv.ParseBool(want)
		return err1 == nil && err2 == nil && g == w
	case "IpAddress", "NotIpAddress":
		ip, err := netip.ParseAddr(got)
		p, ok := parsePrefix(want)
		return err == nil && ok && p.Contains(ip.Unmap())
	}
	if strings.HasPrefix(c.base, "Numeric") {
		g, err1 := strconv.ParseFloat(got, 64)
		w, err2 := strconv.ParseFloat(want, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		return ordered(c.base, cmpFloat(g, w))
	}
	if strings.HasPrefix(c.base, "Date") {
		g, ok1 := parseDate(got)
		w, ok2 := parseDate(want)
		if !ok1 || !ok2 {
			return false
		}
		return ordered(c.base, g.Compare(w))
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ordered maps a comparison result onto Numeric*/Date* operator names.
func ordered(op string, cmp int) bool {
	switch {
	case strings.HasSuffix(op, "LessThanEquals"):
		return cmp <= 0
	case strings.HasSuffix(op, "LessThan"):
		return cmp < 0
	case strings.HasSuffix(op, "GreaterThanEquals"):
		return cmp >= 0
	case strings.HasSuffix(op, "GreaterThan"):
		return cmp > 0
	default: // Equals and NotEquals (negation applied by the caller)
		return cmp == 0
	}
}

// parseDate reads IAM's date forms: ISO 8601 (with or without time) or epoch seconds.
func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	return time.Time{}, false
}

func parsePrefix(s string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

// substitute replaces IAM policy variables (${aws:username}, ${*}, ${?},
// ${$}) with their values; an unknown variable without a default is left
// as written, which never matches a real value. ${key, 'default'} is supported.
func substitute(s string, ctx Context) string {
	if !strings.Contains(s, "${") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		name := strings.TrimSpace(s[i+2 : i+j])
		def, hasDef := "", false
		if k, d, ok := strings.Cut(name, ","); ok {
			name = strings.TrimSpace(k)
			d = strings.TrimSpace(d)
			if len(d) >= 2 && d[0] == '\'' && d[len(d)-1] == '\'' {
				def, hasDef = d[1:len(d)-1], true
			}
		}
		switch name {
		case "*", "?", "$":
			b.WriteString(name)
		default:
			if v, ok := ctx.lookup(name); ok && len(v) == 1 {
				b.WriteString(v[0])
			} else if hasDef {
				b.WriteString(def)
			} else {
				b.WriteString(s[i : i+j+1])
			}
		}
		s = s[i+j+1:]
	}
}
