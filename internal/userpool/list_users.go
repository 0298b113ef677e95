package userpool

import (
	"context"
	"errors"
	"strings"

	"github.com/cognate-dev/cognate/internal/store"
)

// ListUsers reads unindexed-filter pages scanPage users at a time, at most
// scanBudget users per call (Service.scan overrides both in tests). The
// budget is a 1 k-user pool's worth, so that a call costs no more at 1 M
// users than at 1 k (issue #16: flat cost with size).
const (
	scanPage   = 500
	scanBudget = 1000
)

// scanLimits are the page size and per-call budget of unindexed scans.
type scanLimits struct{ page, budget int }

func (s *Service) scanLimits() scanLimits {
	if s.scan.page > 0 {
		return s.scan
	}
	return scanLimits{page: scanPage, budget: scanBudget}
}

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
	if f != nil && f.attr == "username" {
		// The primary key answers username filters: one lookup, or a range.
		if matched, err = s.usersByName(ctx, p.ID, f, after, limit); err != nil {
			return nil, err
		}
	} else if attr, ok := f.indexed(); ok {
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
		// An unindexed filter walks the pool in username order. As in AWS,
		// each call reads at most scanBudget users: when the budget runs out
		// first, the page holds the matches so far (perhaps none) and a
		// PaginationToken to continue from.
		lim := s.scanLimits()
		cursor, read := after, 0
		for len(matched) <= limit {
			if read >= lim.budget {
				out.PaginationToken = encodeToken(cursor)
				break
			}
			page, err := s.store.ListUsers(ctx, p.ID, store.Page{After: cursor, Limit: lim.page})
			if err != nil {
				return nil, wrap("list users", err)
			}
			read += len(page)
			for _, u := range page {
				if f.match(u) {
					matched = append(matched, u)
				}
			}
			if len(page) < lim.page {
				break
			}
			cursor = page[len(page)-1].Username
		}
	}
	if len(matched) > limit {
		// A full page: continue after its last user (matches further on,
		// already read, are found again by the next call).
		matched = matched[:limit]
		out.PaginationToken = encodeToken(matched[limit-1].Username)
	}
	for _, u := range matched {
		out.Users = append(out.Users, toUserType(u, keep))
	}
	return out, nil
}

// usersByName answers `username = "v"` with one lookup and `username ^= "v"`
// with a scan of the key range starting at v, after the pagination cursor,
// stopping at the first name without the prefix; at most limit+1 users.
func (s *Service) usersByName(ctx context.Context, poolID string, f *userFilter, after string, limit int) ([]store.User, error) {
	var out []store.User
	if f.value > after { // the name equal to the value sorts first
		u, err := s.store.GetUser(ctx, poolID, f.value)
		switch {
		case err == nil:
			out = append(out, u)
		case !errors.Is(err, store.ErrNotFound):
			return nil, wrap("get user", err)
		}
	}
	if !f.prefix {
		return out, nil
	}
	cursor := max(after, f.value)
	for len(out) <= limit {
		page, err := s.store.ListUsers(ctx, poolID, store.Page{After: cursor, Limit: 60})
		if err != nil {
			return nil, wrap("list users", err)
		}
		for _, u := range page {
			if !strings.HasPrefix(u.Username, f.value) {
				return out, nil
			}
			out = append(out, u)
		}
		if len(page) < 60 {
			break
		}
		cursor = page[len(page)-1].Username
	}
	return out, nil
}
