package userpool

import (
	"context"
	"errors"

	"github.com/cognate-dev/cognate/internal/store"
)

type updateGroupInput struct {
	UserPoolId  string
	GroupName   string
	Description *string
	RoleArn     *string
	Precedence  *int32
}

// updateGroup is UpdateGroup: the fields given replace the group's; those
// left out keep their values.
func (s *Service) updateGroup(ctx context.Context, in *updateGroupInput) (*groupOutput, error) {
	p, _, err := s.loadGroup(ctx, in.UserPoolId, in.GroupName)
	if err != nil {
		return nil, err
	}
	if in.Precedence != nil && *in.Precedence < 0 {
		return nil, invalidParameter("1 validation error detected: Value '%d' at 'precedence' failed to satisfy constraint: Member must have value greater than or equal to 0", *in.Precedence)
	}
	if in.RoleArn != nil && *in.RoleArn != "" && !lambdaARN.MatchString(*in.RoleArn) {
		return nil, invalidParameter("1 validation error detected: Value '%s' at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:[\\w+=/,.@-]+:[\\w+=/,.@-]+:([\\w+=/,.@-]*)?:[0-9]+:[\\w+=/,.@-]+(:[\\w+=/,.@-]+)?(:[\\w+=/,.@-]+)?", *in.RoleArn)
	}
	g, err := s.store.UpdateGroup(ctx, p.ID, in.GroupName, func(g store.Group) (store.Group, error) {
		if in.Description != nil {
			g.Description = *in.Description
		}
		if in.RoleArn != nil {
			g.RoleArn = *in.RoleArn
		}
		if in.Precedence != nil {
			g.Precedence = in.Precedence
		}
		g.UpdatedAt = s.clock()
		return g, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, groupNotFound()
	}
	if err != nil {
		return nil, wrap("update group", err)
	}
	return &groupOutput{Group: toGroupType(g)}, nil
}
