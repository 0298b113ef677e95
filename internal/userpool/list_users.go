package userpool

import (
	"context"

	"github.com/cognate-dev/cognate/internal/store"
)

type listUsersInput struct {
	UserPoolId      string
	AttributesToGet *[]string
	Filter          string
	Limit           int
	PaginationToken string
}

type listUsersOutput struct {
	Users           []userType
	PaginationToken string `json:",omitempty"`
}

func (s *Service) listUsers(ctx context.Context, in *listUsersInput) (*listUsersOutput, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if in.Limit < 0 || in.Limit > 60 {
		return nil, invalidParameter("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 60", in.Limit)
	}
	limit := in.Limit
	if limit == 0 {
		limit = 60
	}
	f, err := parseFilter(in.Filter)
	if err != nil {
		return nil, err
	}
	after, err := decodeToken(in.PaginationToken)
	if err != nil {
		return nil, err
	}
	var keep func(string) bool
	if in.AttributesToGet != nil {
		want := *in.AttributesToGet
		keep = func(n string) bool { return contains(want, n) }
	}
	out := &listUsersOutput{Users: []userType{}}
	var matched []store.User
	if attr, ok := f.indexed(); ok {
		list, err := s.store.FindUsers(ctx, p.ID, attr, f.value)
		if err != nil {
			return nil, wrap("find users", err)
		}
		for _, u := range list {
			if u.Username > after && f.match(u) {
				matched = append(matched, u)
			}
		}
	} else {
		cursor := after
		for len(matched) <= limit {
			page, err := s.store.ListUsers(ctx, p.ID, store.Page{After: cursor, Limit: 60})
			if err != nil {
				return nil, wrap("list users", err)
			}
			for _, u := range page {
				if f.match(u) {
					matched = append(matched, u)
				}
			}
			if len(page) < 60 {
				break
			}
			cursor = page[len(page)-1].Username
		}
	}
	if len(matched) > limit {
		matched = matched[:limit]
		out.PaginationToken = encodeToken(matched[limit-1].Username)
	}
	for _, u := range matched {
		out.Users = append(out.Users, toUserType(u, keep))
	}
	return out, nil
}
