package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/internal/store"
)

func decodePrivate(u store.User) (userPrivate, error) {
	var p userPrivate
	if len(u.Private) == 0 {
		return p, nil
	}
	if err := json.Unmarshal(u.Private, &p); err != nil {
		return p, wrap("decode user state", err)
	}
	return p, nil
}

func encodePrivate(u *store.User, p userPrivate) error {
	raw, err := json.Marshal(p)
	if err != nil {
		return wrap("encode user state", err)
	}
	u.Private = raw
	return nil
}

// resolveUser finds the user a login name designates: the username itself,
// or an email / phone number when the pool signs in with those (username
// attributes, or verified aliases; preferred_username needs no verification).
func (s *Service) resolveUser(ctx context.Context, p *pool, name string) (store.User, bool, error) {
	if name == "" {
		return store.User{}, false, nil
	}
	u, err := s.store.GetUser(ctx, p.ID, p.normalize(name))
	if err == nil {
		return u, true, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return store.User{}, false, wrap("get user", err)
	}
	var attrs []string
	byUsernameAttr := len(p.cfg.UsernameAttributes) > 0
	if byUsernameAttr {
		attrs = p.cfg.UsernameAttributes
	} else {
		attrs = p.cfg.AliasAttributes
	}
	for _, attr := range attrs {
		if attr == store.AttrEmail && !strings.Contains(name, "@") {
			continue
		}
		list, err := s.store.FindUsers(ctx, p.ID, attr, name)
		if err != nil {
			return store.User{}, false, wrap("find user", err)
		}
		for _, u := range list {
			if p.caseSensitive() && u.Attributes[attr] != name {
				continue
			}
			if byUsernameAttr || attr == store.AttrPreferredUsername || u.Attributes[attr+"_verified"] == "true" {
				return u, true, nil
			}
		}
	}
	return store.User{}, false, nil
}

// loadPoolUser loads a pool and one of its users (the admin operations' inputs).
func (s *Service) loadPoolUser(ctx context.Context, poolID, username string) (*pool, store.User, error) {
	p, err := s.loadPool(ctx, poolID)
	if err != nil {
		return nil, store.User{}, err
	}
	u, err := s.mustUser(ctx, p, username)
	if err != nil {
		return nil, store.User{}, err
	}
	return p, u, nil
}

// mustUser resolves name or fails with UserNotFoundException.
func (s *Service) mustUser(ctx context.Context, p *pool, name string) (store.User, error) {
	if name == "" {
		return store.User{}, missing("Username")
	}
	u, ok, err := s.resolveUser(ctx, p, name)
	if err != nil {
		return store.User{}, err
	}
	if !ok {
		return store.User{}, userNotFound()
	}
	return u, nil
}

// attributeList renders attributes, sub first then by name; keep filters
// when non-nil.
func attributeList(attrs map[string]string, keep func(string) bool) []attributeType {
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		if k != "sub" && (keep == nil || keep(k)) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	out := make([]attributeType, 0, len(names)+1)
	if v, ok := attrs["sub"]; ok && (keep == nil || keep("sub")) {
		out = append(out, attributeType{Name: "sub", Value: strp(v)})
	}
	for _, k := range names {
		out = append(out, attributeType{Name: k, Value: strp(attrs[k])})
	}
	return out
}

func toUserType(u store.User, keep func(string) bool) userType {
	return userType{Username: u.Username, Attributes: attributeList(u.Attributes, keep),
		UserCreateDate: ts(u.CreatedAt), UserLastModifiedDate: ts(u.UpdatedAt), Enabled: u.Enabled, UserStatus: u.Status}
}

// newUserSpec describes a user to create.
type newUserSpec struct {
	Name       string
	Attributes []attributeType
	Status     string
	// Admin says an administrator creates the user (may set *_verified).
	Admin bool
}

// prepareUser validates a new user and returns it, with its sub and stored
// username, ready to receive a password.
func (s *Service) prepareUser(ctx context.Context, p *pool, spec newUserSpec) (store.User, error) {
	if spec.Name == "" {
		return store.User{}, missing("Username")
	}
	if utf8.RuneCountInString(spec.Name) > 128 || strings.TrimSpace(spec.Name) != spec.Name {
		return store.User{}, invalidParameter("1 validation error detected: Value at 'username' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+")
	}
	if err := p.cfg.validateAttributes(spec.Attributes, false); err != nil {
		return store.User{}, err
	}
	attrs := map[string]string{}
	for _, a := range spec.Attributes {
		if a.Value != nil {
			attrs[a.Name] = *a.Value
		}
	}
	if !spec.Admin {
		delete(attrs, "email_verified")
		delete(attrs, "phone_number_verified")
	}
	sub := newUUID()
	attrs["sub"] = sub
	username := p.normalize(spec.Name)
	if len(p.cfg.UsernameAttributes) > 0 {
		switch {
		case contains(p.cfg.UsernameAttributes, "email") && strings.Contains(spec.Name, "@"):
			if attrs["email"] == "" {
				attrs["email"] = spec.Name
			}
		case contains(p.cfg.UsernameAttributes, "phone_number") && strings.HasPrefix(spec.Name, "+"):
			if attrs["phone_number"] == "" {
				attrs["phone_number"] = spec.Name
			}
		default:
			return store.User{}, invalidParameter("Username should be either an email or a phone number.")
		}
		username = sub
		for _, attr := range p.cfg.UsernameAttributes {
			if v := attrs[attr]; v != "" {
				if err := s.checkUnique(ctx, p, attr, v, ""); err != nil {
					return store.User{}, apiErr(excUsernameExists, "An account with the given %s already exists.", attr)
				}
			}
		}
	} else if contains(p.cfg.AliasAttributes, "email") && strings.Contains(spec.Name, "@") {
		return store.User{}, invalidParameter("Username cannot be of email format, since user pool is configured for email alias.")
	}
	if err := p.cfg.checkRequired(attrs); err != nil {
		return store.User{}, err
	}
	if err := s.checkAliases(ctx, p, attrs, ""); err != nil {
		return store.User{}, err
	}
	now := s.clock()
	return store.User{PoolID: p.ID, Username: username, Status: spec.Status, Enabled: true,
		Attributes: attrs, CreatedAt: now, UpdatedAt: now}, nil
}

// checkUnique fails when another user than self has attr = value.
func (s *Service) checkUnique(ctx context.Context, p *pool, attr, value, self string) error {
	list, err := s.store.FindUsers(ctx, p.ID, attr, value)
	if err != nil {
		return wrap("find user", err)
	}
	for _, u := range list {
		if u.Username != self {
			return apiErr(excAliasExists, "An account with the given %s already exists.", attr)
		}
	}
	return nil
}

// checkAliases enforces uniqueness of verified alias attributes.
func (s *Service) checkAliases(ctx context.Context, p *pool, attrs map[string]string, self string) error {
	for _, attr := range p.cfg.AliasAttributes {
		v := attrs[attr]
		if v == "" || (attr != "preferred_username" && attrs[attr+"_verified"] != "true") {
			continue
		}
		list, err := s.store.FindUsers(ctx, p.ID, attr, v)
		if err != nil {
			return wrap("find user", err)
		}
		for _, u := range list {
			if u.Username != self && (attr == "preferred_username" || u.Attributes[attr+"_verified"] == "true") {
				return apiErr(excAliasExists, "An account with the given %s already exists.", attr)
			}
		}
	}
	return nil
}

// insertUser stores a prepared user.
func (s *Service) insertUser(ctx context.Context, u store.User, existsMsg string) error {
	err := s.store.CreateUser(ctx, u)
	if errors.Is(err, store.ErrAlreadyExists) {
		return apiErr(excUsernameExists, "%s", existsMsg)
	}
	if err != nil {
		return wrap("create user", err)
	}
	return nil
}

// verifiedContact returns the attribute a code can go to (email first).
func verifiedContact(u store.User) string {
	if u.Attributes["email"] != "" && u.Attributes["email_verified"] == "true" {
		return "email"
	}
	if u.Attributes["phone_number"] != "" && u.Attributes["phone_number_verified"] == "true" {
		return "phone_number"
	}
	return ""
}

// autoVerifyTarget returns the auto-verified attribute a sign-up code goes to.
func autoVerifyTarget(p *pool, u store.User) string {
	for _, attr := range []string{"email", "phone_number"} {
		if contains(p.cfg.AutoVerifiedAttributes, attr) && u.Attributes[attr] != "" {
			return attr
		}
	}
	return ""
}
