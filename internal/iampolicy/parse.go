// Package iampolicy parses and evaluates the IAM policy documents that API
// Gateway Lambda authorizers return: Effect, Action/NotAction and
// Resource/NotResource with `*` and `?` wildcards. Evaluation follows IAM:
// an explicit Deny wins, then an Allow, else the request is implicitly denied.
package iampolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// MaxDocumentSize bounds a policy document accepted by Parse.
const MaxDocumentSize = 64 << 10

// ErrInvalidPolicy is returned (wrapped) for every malformed document.
var ErrInvalidPolicy = errors.New("invalid policy document")

// Effect is a statement's effect.
type Effect string

// The two effects IAM knows.
const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Statement is one statement of a policy, its string-or-array fields
// normalised to slices; action patterns are lower-cased (IAM compares action
// names case-insensitively, resources case-sensitively).
type Statement struct {
	Effect       Effect
	Actions      []string
	NotActions   []string
	Resources    []string
	NotResources []string
	// Conditions must all hold for the statement to apply (identity policies only).
	Conditions []Condition
}

// Policy is a parsed policy document.
type Policy struct {
	Version    string
	Statements []Statement
}

type rawStatement struct {
	Sid         string          `json:"Sid"`
	Effect      string          `json:"Effect"`
	Action      json.RawMessage `json:"Action"`
	NotAction   json.RawMessage `json:"NotAction"`
	Resource    json.RawMessage `json:"Resource"`
	NotResource json.RawMessage `json:"NotResource"`
	Condition   json.RawMessage `json:"Condition"`
	Principal   json.RawMessage `json:"Principal"`
}

type rawPolicy struct {
	Version   string          `json:"Version"`
	Statement json.RawMessage `json:"Statement"`
}

// Parse decodes a policy document returned by an API Gateway authorizer.
// Statement may be an object or an array; Action, NotAction, Resource and
// NotResource may be a string or an array of strings. Exactly one of
// Action/NotAction and of Resource/NotResource is required, Effect must be
// "Allow" or "Deny", and Condition is refused (authorizer policies cannot
// carry conditions the gateway could honour).
func Parse(data []byte) (*Policy, error) { return parse(data, false) }

// ParseIdentity decodes an identity-based policy (attached to a user or
// role): Parse's grammar plus Condition blocks with IAM's operators,
// ForAllValues:/ForAnyValue: qualifiers and IfExists; a Principal element is
// refused, as IAM refuses it in identity policies.
func ParseIdentity(data []byte) (*Policy, error) { return parse(data, true) }

func parse(data []byte, identity bool) (*Policy, error) {
	if len(data) > MaxDocumentSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalidPolicy, MaxDocumentSize)
	}
	var raw rawPolicy
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidPolicy, err)
	}
	stmts, err := statements(raw.Statement)
	if err != nil {
		return nil, err
	}
	p := &Policy{Version: raw.Version, Statements: make([]Statement, 0, len(stmts))}
	for i, rs := range stmts {
		s, err := rs.compile(identity)
		if err != nil {
			return nil, fmt.Errorf("%w: statement %d: %w", ErrInvalidPolicy, i, err)
		}
		p.Statements = append(p.Statements, s)
	}
	return p, nil
}

func statements(data json.RawMessage) ([]rawStatement, error) {
	data = bytes.TrimSpace(data)
	switch {
	case len(data) == 0 || bytes.Equal(data, []byte("null")):
		return nil, fmt.Errorf("%w: missing Statement", ErrInvalidPolicy)
	case data[0] == '[':
		var list []rawStatement
		if err := json.Unmarshal(data, &list); err != nil {
			return nil, fmt.Errorf("%w: Statement: %w", ErrInvalidPolicy, err)
		}
		return list, nil
	case data[0] == '{':
		var one rawStatement
		if err := json.Unmarshal(data, &one); err != nil {
			return nil, fmt.Errorf("%w: Statement: %w", ErrInvalidPolicy, err)
		}
		return []rawStatement{one}, nil
	default:
		return nil, fmt.Errorf("%w: Statement must be an object or an array", ErrInvalidPolicy)
	}
}

func (rs rawStatement) compile(identity bool) (Statement, error) {
	var s Statement
	switch Effect(rs.Effect) {
	case Allow, Deny:
		s.Effect = Effect(rs.Effect)
	default:
		return s, fmt.Errorf("effect %q", rs.Effect)
	}
	var err error
	switch {
	case identity:
		if present(rs.Principal) {
			return s, errors.New("identity policies cannot name a Principal")
		}
		if s.Conditions, err = parseConditions(rs.Condition); err != nil {
			return s, err
		}
	case present(rs.Condition):
		return s, errors.New("conditions are not supported")
	}
	if s.Actions, s.NotActions, err = pair(rs.Action, rs.NotAction, "Action"); err != nil {
		return s, err
	}
	for _, list := range [][]string{s.Actions, s.NotActions} {
		for i, a := range list {
			list[i] = lowerASCII(a)
		}
	}
	if s.Resources, s.NotResources, err = pair(rs.Resource, rs.NotResource, "Resource"); err != nil {
		return s, err
	}
	return s, nil
}

func present(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && !bytes.Equal(raw, []byte("null"))
}

// pair decodes a X/NotX pair of which exactly one must be present.
func pair(pos, neg json.RawMessage, name string) ([]string, []string, error) {
	p, err := stringList(pos)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	n, err := stringList(neg)
	if err != nil {
		return nil, nil, fmt.Errorf("Not%s: %w", name, err)
	}
	if (p == nil) == (n == nil) {
		return nil, nil, fmt.Errorf("exactly one of %s and Not%s is required", name, name)
	}
	return p, n, nil
}

// stringList decodes a string or an array of strings; absent or null is nil.
func stringList(data json.RawMessage) ([]string, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || bytes.Equal(data, []byte("null")) {
		return nil, nil
	}
	if data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return nil, err
		}
		return []string{s}, nil
	}
	var list []string
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, errors.New("must be a string or an array of strings")
	}
	if len(list) == 0 {
		return nil, errors.New("empty list")
	}
	return list, nil
}
