package iampolicy

// Decision is the outcome of evaluating a policy for one request.
type Decision int

// The three outcomes of IAM evaluation.
const (
	// ImplicitDeny: no statement allows the request.
	ImplicitDeny Decision = iota
	// Allowed: an Allow statement applies and no Deny does.
	Allowed
	// ExplicitDeny: a Deny statement applies.
	ExplicitDeny
)

// String names the decision for logs.
func (d Decision) String() string {
	switch d {
	case Allowed:
		return "allow"
	case ExplicitDeny:
		return "explicit-deny"
	default:
		return "implicit-deny"
	}
}

// InvokeAction is the action API Gateway checks for a method call.
const InvokeAction = "execute-api:Invoke"

// Evaluate decides whether action on resource is allowed: any applicable Deny
// wins, then any applicable Allow, else the request is implicitly denied.
func (p *Policy) Evaluate(action, resource string) Decision {
	if p == nil {
		return ImplicitDeny
	}
	action = lowerAction(action)
	allowed := false
	for i := range p.Statements {
		s := &p.Statements[i]
		if !s.applies(action, resource) {
			continue
		}
		if s.Effect == Deny {
			return ExplicitDeny
		}
		allowed = true
	}
	if allowed {
		return Allowed
	}
	return ImplicitDeny
}

func (s *Statement) applies(action, resource string) bool {
	if s.Actions != nil && !anyMatch(s.Actions, action) {
		return false
	}
	if s.NotActions != nil && anyMatch(s.NotActions, action) {
		return false
	}
	if s.Resources != nil && !anyMatch(s.Resources, resource) {
		return false
	}
	if s.NotResources != nil && anyMatch(s.NotResources, resource) {
		return false
	}
	return true
}

// lowerAction lower-cases an action name, without allocating for the usual one.
func lowerAction(a string) string {
	if a == InvokeAction {
		return invokeLower
	}
	return lowerASCII(a)
}

var invokeLower = lowerASCII(InvokeAction)

// anyMatch reports whether s matches one of patterns; action patterns and the
// action are already lower-cased, IAM action names being case-insensitive.
func anyMatch(patterns []string, s string) bool {
	for _, p := range patterns {
		if Match(p, s) {
			return true
		}
	}
	return false
}

// Match reports whether s matches pattern, where `*` matches any run of
// characters (including none) and `?` exactly one byte. The comparison is
// case-sensitive and runs in O(len(pattern)·len(s)) at worst: it keeps only
// the last `*` to backtrack to, so hostile patterns cannot blow up.
func Match(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
