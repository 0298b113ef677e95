package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"

	"github.com/cognate-dev/cognate/internal/awsjson"
	"github.com/cognate-dev/cognate/internal/store"
)

// Item kinds this package keeps in the store.
const (
	itemResourceServer = "resource-server"
	itemDomain         = "domain"
)

// resourceServerScope is AWS's ResourceServerScopeType.
type resourceServerScope struct {
	ScopeName        string
	ScopeDescription string
}

// resourceServerType is AWS's ResourceServerType.
type resourceServerType struct {
	UserPoolId string
	Identifier string
	Name       string
	Scopes     []resourceServerScope
}

type resourceServerInput struct {
	UserPoolId string
	Identifier string
	Name       string
	Scopes     []resourceServerScope
}

type resourceServerOutput struct {
	ResourceServer resourceServerType
}

var (
	scopeNamePattern  = regexp.MustCompile(`^[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]+$`)
	identifierPattern = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]+$`)
)

func rsKey(poolID, identifier string) string { return poolID + "|" + identifier }

func validateResourceServer(in *resourceServerInput) error {
	switch {
	case in.Identifier == "":
		return missing("Identifier")
	case in.Name == "":
		return missing("Name")
	case len(in.Identifier) > 256 || !identifierPattern.MatchString(in.Identifier):
		return invalidParameter("1 validation error detected: Value '%s' at 'identifier' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\x21\\x23-\\x5B\\x5D-\\x7E]+", in.Identifier)
	case len(in.Name) > 256:
		return invalidParameter("1 validation error detected: Value at 'name' failed to satisfy constraint: Member must have length less than or equal to 256")
	case len(in.Scopes) > 100:
		return invalidParameter("1 validation error detected: Value at 'scopes' failed to satisfy constraint: Member must have length less than or equal to 100")
	}
	seen := map[string]bool{}
	for _, sc := range in.Scopes {
		if sc.ScopeName == "" || len(sc.ScopeName) > 256 || !scopeNamePattern.MatchString(sc.ScopeName) {
			return invalidParameter("1 validation error detected: Value '%s' at 'scopes.member.scopeName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\x21\\x23-\\x2E\\x30-\\x5B\\x5D-\\x7E]+", sc.ScopeName)
		}
		if sc.ScopeDescription == "" || len(sc.ScopeDescription) > 256 {
			return invalidParameter("1 validation error detected: Value at 'scopes.member.scopeDescription' failed to satisfy constraint: Member must have length between 1 and 256")
		}
		if seen[sc.ScopeName] {
			return invalidParameter("Duplicate scope name %s", sc.ScopeName)
		}
		seen[sc.ScopeName] = true
	}
	return nil
}

func (s *Service) createResourceServer(ctx context.Context, in *resourceServerInput) (*resourceServerOutput, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if err := validateResourceServer(in); err != nil {
		return nil, err
	}
	if in.Scopes == nil {
		in.Scopes = []resourceServerScope{}
	}
	rs := resourceServerType{UserPoolId: p.ID, Identifier: in.Identifier, Name: in.Name, Scopes: in.Scopes}
	raw, _ := json.Marshal(rs)
	now := s.clock()
	err = s.store.CreateItem(ctx, store.Item{Kind: itemResourceServer, Key: rsKey(p.ID, in.Identifier), PoolID: p.ID, Data: raw, CreatedAt: now, UpdatedAt: now})
	if errors.Is(err, store.ErrAlreadyExists) {
		return nil, invalidParameter("%s already exists in this user pool", in.Identifier)
	}
	if err != nil {
		return nil, wrap("create resource server", err)
	}
	return &resourceServerOutput{ResourceServer: rs}, nil
}

type resourceServerIDInput struct {
	UserPoolId string
	Identifier string
}

func (s *Service) getResourceServer(ctx context.Context, poolID, identifier string) (resourceServerType, error) {
	it, err := s.store.GetItem(ctx, itemResourceServer, rsKey(poolID, identifier), s.clock())
	if errors.Is(err, store.ErrNotFound) {
		return resourceServerType{}, apiErr(excResourceNotFound, "Resource server %s does not exist.", identifier)
	}
	if err != nil {
		return resourceServerType{}, wrap("get resource server", err)
	}
	var rs resourceServerType
	if err := json.Unmarshal(it.Data, &rs); err != nil {
		return resourceServerType{}, wrap("decode resource server", err)
	}
	return rs, nil
}

func (s *Service) describeResourceServer(ctx context.Context, in *resourceServerIDInput) (*resourceServerOutput, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if in.Identifier == "" {
		return nil, missing("Identifier")
	}
	rs, err := s.getResourceServer(ctx, p.ID, in.Identifier)
	if err != nil {
		return nil, err
	}
	return &resourceServerOutput{ResourceServer: rs}, nil
}

type listResourceServersInput struct {
	UserPoolId string
	MaxResults int
	NextToken  string
}

type listResourceServersOutput struct {
	ResourceServers []resourceServerType
	NextToken       string `json:",omitempty"`
}

func (s *Service) listResourceServers(ctx context.Context, in *listResourceServersInput) (*listResourceServersOutput, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	limit := in.MaxResults
	if limit <= 0 || limit > 50 {
		limit = 50
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	items, err := s.store.ListItems(ctx, itemResourceServer, p.ID, store.Page{After: after, Limit: limit + 1})
	if err != nil {
		return nil, wrap("list resource servers", err)
	}
	out := &listResourceServersOutput{ResourceServers: []resourceServerType{}}
	if len(items) > limit {
		items = items[:limit]
		out.NextToken = encodeToken(items[len(items)-1].Key)
	}
	for _, it := range items {
		var rs resourceServerType
		if json.Unmarshal(it.Data, &rs) == nil {
			out.ResourceServers = append(out.ResourceServers, rs)
		}
	}
	return out, nil
}

func (s *Service) updateResourceServer(ctx context.Context, in *resourceServerInput) (*resourceServerOutput, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if err := validateResourceServer(in); err != nil {
		return nil, err
	}
	if in.Scopes == nil {
		in.Scopes = []resourceServerScope{}
	}
	rs := resourceServerType{UserPoolId: p.ID, Identifier: in.Identifier, Name: in.Name, Scopes: in.Scopes}
	raw, _ := json.Marshal(rs)
	_, err = s.store.UpdateItem(ctx, itemResourceServer, rsKey(p.ID, in.Identifier), func(it store.Item) (store.Item, error) {
		it.Data, it.UpdatedAt = raw, s.clock()
		return it, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, apiErr(excResourceNotFound, "Resource server %s does not exist.", in.Identifier)
	}
	if err != nil {
		return nil, wrap("update resource server", err)
	}
	return &resourceServerOutput{ResourceServer: rs}, nil
}

func (s *Service) deleteResourceServer(ctx context.Context, in *resourceServerIDInput) (*empty, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	err = s.store.DeleteItem(ctx, itemResourceServer, rsKey(p.ID, in.Identifier))
	if errors.Is(err, store.ErrNotFound) {
		return nil, apiErr(excResourceNotFound, "Resource server %s does not exist.", in.Identifier)
	}
	if err != nil {
		return nil, wrap("delete resource server", err)
	}
	return &empty{}, nil
}

// customScopeExists reports whether "identifier/name" is a scope of one of the pool's resource servers.
func (s *Service) customScopeExists(ctx context.Context, poolID, scope string) (bool, error) {
	i := strings.LastIndexByte(scope, '/')
	if i <= 0 {
		return false, nil
	}
	rs, err := s.getResourceServer(ctx, poolID, scope[:i])
	if err != nil {
		var ae *awsjson.Error
		if errors.As(err, &ae) && ae.Type == excResourceNotFound {
			return false, nil
		}
		return false, err
	}
	for _, sc := range rs.Scopes {
		if sc.ScopeName == scope[i+1:] {
			return true, nil
		}
	}
	return false, nil
}

// ScopeExists reports whether scope is a standard scope or a custom scope of the pool.
func (s *Service) ScopeExists(ctx context.Context, poolID, scope string) (bool, error) {
	for _, std := range StandardScopes {
		if scope == std {
			return true, nil
		}
	}
	return s.customScopeExists(ctx, poolID, scope)
}
