package userpool

import (
	"context"
	"errors"
	"regexp"

	"github.com/cognate-dev/cognate/internal/store"
)

var groupNamePattern = regexp.MustCompile(`^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$`)

func toGroupType(g store.Group) groupType {
	out := groupType{GroupName: g.Name, UserPoolId: g.PoolID, Precedence: g.Precedence,
		CreationDate: ts(g.CreatedAt), LastModifiedDate: ts(g.UpdatedAt)}
	if g.Description != "" {
		out.Description = strp(g.Description)
	}
	if g.RoleArn != "" {
		out.RoleArn = strp(g.RoleArn)
	}
	return out
}

func groupNotFound() error { return apiErr(excResourceNotFound, "Group not found.") }

type createGroupInput struct {
	UserPoolId  string
	GroupName   string
	Description string
	RoleArn     string
	Precedence  *int32
}

type groupOutput struct {
	Group groupType
}

func (s *Service) createGroup(ctx context.Context, in *createGroupInput) (*groupOutput, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if in.GroupName == "" {
		return nil, missing("GroupName")
	}
	if !groupNamePattern.MatchString(in.GroupName) {
		return nil, invalidParameter("1 validation error detected: Value at 'groupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+")
	}
	now := s.clock()
	g := store.Group{PoolID: p.ID, Name: in.GroupName, Description: in.Description, RoleArn: in.RoleArn,
		Precedence: in.Precedence, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateGroup(ctx, g); errors.Is(err, store.ErrAlreadyExists) {
		return nil, apiErr(excGroupExists, "A group with the name %s already exists.", in.GroupName)
	} else if err != nil {
		return nil, wrap("create group", err)
	}
	return &groupOutput{Group: toGroupType(g)}, nil
}

type groupInput struct {
	UserPoolId string
	GroupName  string
}

func (s *Service) loadGroup(ctx context.Context, poolID, name string) (*pool, store.Group, error) {
	p, err := s.loadPool(ctx, poolID)
	if err != nil {
		return nil, store.Group{}, err
	}
	if name == "" {
		return nil, store.Group{}, missing("GroupName")
	}
	g, err := s.store.GetGroup(ctx, p.ID, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, store.Group{}, groupNotFound()
	}
	if err != nil {
		return nil, store.Group{}, wrap("get group", err)
	}
	return p, g, nil
}

func (s *Service) getGroup(ctx context.Context, in *groupInput) (*groupOutput, error) {
	_, g, err := s.loadGroup(ctx, in.UserPoolId, in.GroupName)
	if err != nil {
		return nil, err
	}
	return &groupOutput{Group: toGroupType(g)}, nil
}

type listGroupsInput struct {
	UserPoolId string
	Username   string
	GroupName  string
	Limit      int
	NextToken  string
}

type listGroupsOutput struct {
	Groups    []groupType
	NextToken string `json:",omitempty"`
}

func pageOf(in *listGroupsInput) (store.Page, int, error) {
	limit := in.Limit
	if limit <= 0 || limit > 60 {
		limit = 60
	}
	after, err := decodeToken(in.NextToken)
	return store.Page{After: after, Limit: limit + 1}, limit, err
}

func groupsPage(list []store.Group, limit int) *listGroupsOutput {
	out := &listGroupsOutput{Groups: []groupType{}}
	if len(list) > limit {
		list = list[:limit]
		out.NextToken = encodeToken(list[limit-1].Name)
	}
	for _, g := range list {
		out.Groups = append(out.Groups, toGroupType(g))
	}
	return out
}

func (s *Service) listGroups(ctx context.Context, in *listGroupsInput) (*listGroupsOutput, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	page, limit, err := pageOf(in)
	if err != nil {
		return nil, err
	}
	list, err := s.store.ListGroups(ctx, p.ID, page)
	if err != nil {
		return nil, wrap("list groups", err)
	}
	return groupsPage(list, limit), nil
}

func (s *Service) deleteGroup(ctx context.Context, in *groupInput) (*empty, error) {
	p, g, err := s.loadGroup(ctx, in.UserPoolId, in.GroupName)
	if err != nil {
		return nil, err
	}
	if err := s.store.DeleteGroup(ctx, p.ID, g.Name); err != nil {
		return nil, wrap("delete group", err)
	}
	return &empty{}, nil
}

type membershipInput struct {
	UserPoolId string
	GroupName  string
	Username   string
}

func (s *Service) membership(ctx context.Context, in *membershipInput) (*pool, store.Group, store.User, error) {
	p, g, err := s.loadGroup(ctx, in.UserPoolId, in.GroupName)
	if err != nil {
		return nil, g, store.User{}, err
	}
	u, err := s.mustUser(ctx, p, in.Username)
	return p, g, u, err
}

func (s *Service) adminAddUserToGroup(ctx context.Context, in *membershipInput) (*empty, error) {
	p, g, u, err := s.membership(ctx, in)
	if err != nil {
		return nil, err
	}
	if err := s.store.AddUserToGroup(ctx, p.ID, g.Name, u.Username); err != nil {
		return nil, wrap("add user to group", err)
	}
	return &empty{}, nil
}

func (s *Service) adminRemoveUserFromGroup(ctx context.Context, in *membershipInput) (*empty, error) {
	p, g, u, err := s.membership(ctx, in)
	if err != nil {
		return nil, err
	}
	if err := s.store.RemoveUserFromGroup(ctx, p.ID, g.Name, u.Username); err != nil {
		return nil, wrap("remove user from group", err)
	}
	return &empty{}, nil
}

func (s *Service) adminListGroupsForUser(ctx context.Context, in *listGroupsInput) (*listGroupsOutput, error) {
	p, u, err := s.loadPoolUser(ctx, in.UserPoolId, in.Username)
	if err != nil {
		return nil, err
	}
	page, limit, err := pageOf(in)
	if err != nil {
		return nil, err
	}
	list, err := s.store.ListGroupsForUser(ctx, p.ID, u.Username, page)
	if err != nil {
		return nil, wrap("list groups for user", err)
	}
	return groupsPage(list, limit), nil
}

type listUsersInGroupOutput struct {
	Users     []userType
	NextToken string `json:",omitempty"`
}

func (s *Service) listUsersInGroup(ctx context.Context, in *listGroupsInput) (*listUsersInGroupOutput, error) {
	p, g, err := s.loadGroup(ctx, in.UserPoolId, in.GroupName)
	if err != nil {
		return nil, err
	}
	page, limit, err := pageOf(in)
	if err != nil {
		return nil, err
	}
	list, err := s.store.ListUsersInGroup(ctx, p.ID, g.Name, page)
	if err != nil {
		return nil, wrap("list users in group", err)
	}
	out := &listUsersInGroupOutput{Users: []userType{}}
	if len(list) > limit {
		list = list[:limit]
		out.NextToken = encodeToken(list[limit-1].Username)
	}
	for _, u := range list {
		out.Users = append(out.Users, toUserType(u, nil))
	}
	return out, nil
}

// groupNames returns the names of the user's groups (for cognito:groups),
// in group name order.
func (s *Service) groupNames(ctx context.Context, poolID, username string) ([]string, error) {
	var names []string
	after := ""
	for {
		list, err := s.store.ListGroupsForUser(ctx, poolID, username, store.Page{After: after, Limit: 60})
		if err != nil {
			return nil, wrap("list groups for user", err)
		}
		for _, g := range list {
			names = append(names, g.Name)
		}
		if len(list) < 60 {
			return names, nil
		}
		after = list[len(list)-1].Name
	}
}
