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
	return p.EvaluateRequest(Request{Action: action, Resource: resource})
}

// EvaluateRequest is Evaluate with the request's condition keys: a statement
// applies only when every one of its conditions holds, and policy variables
// (${aws:username} …) in its resources are replaced from the context.
func (p *Policy) EvaluateRequest(r Request) Decision {
	if p == nil {
		return ImplicitDeny
	}
	action := lowerAction(r.Action)
	allowed := false
	for i := range p.Statements {
		s := &p.Statements[i]
		if !s.applies(action, r.Resource, r.Context) {
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

// Combine evaluates several policies as one: any explicit deny wins, then any allow.
func Combine(policies []*Policy, r Request) Decision {
	d := ImplicitDeny
	for _, p := range policies {
		switch p.EvaluateRequest(r) {
		case ExplicitDeny:
			return ExplicitDeny
		case Allowed:
			d = Allowed
		}
	}
	return d
}

func (s *Statement) applies(action, resource string, ctx Context) bool {
	if s.Actions != nil && !anyMatch(s.Actions, action) {
		return false
	}
	if s.NotActions != nil && anyMatch(s.NotActions, action) {
		return false
	}
	if s.Resources != nil && !anyResource(s.Resources, resource, ctx) {
		return false
	}
	if s.NotResources != nil && anyResource(s.NotResources, resource, ctx) {
		return false
	}
	for i := range s.Conditions {
		if !s.Conditions[i].holds(ctx) {
			return false
		}
	}
	return true
}

// anyResource is anyMatch with policy variables substituted (only when a
// context is given: authorizer policies have none).
func anyResource(patterns []string, resource string, ctx Context) bool {
	if ctx == nil {
		return anyMatch(patterns, resource)
	}
	for _, p := range patterns {
		if Match(substitute(p, ctx), resource) {
			return true
		}
	}
	return false
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
