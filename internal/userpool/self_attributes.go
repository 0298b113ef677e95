package userpool

import "context"

type deleteUserAttributesInput struct {
	AccessToken        string
	UserAttributeNames []string
}

// deleteUserAttributes is DeleteUserAttributes: a signed-in user removes
// attributes from their own profile (not developer-only ones, and only
// attributes the app client may write).
func (s *Service) deleteUserAttributes(ctx context.Context, in *deleteUserAttributesInput) (*empty, error) {
	a, err := s.authenticate(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	c, err := s.loadClient(ctx, a.clientID)
	for _, name := range in.UserAttributeNames {
		if sa, ok := a.pool.cfg.schemaAttr(name); ok && sa.DeveloperOnlyAttribute != nil && *sa.DeveloperOnlyAttribute {
			return nil, notAuthorized("A client attempted to write unauthorized attribute")
		}
		if err == nil && len(c.cfg.WriteAttributes) > 0 && !contains(c.cfg.WriteAttributes, name) {
			return nil, notAuthorized("A client attempted to write unauthorized attribute")
		}
	}
	if err := s.deleteAttributes(ctx, a.pool, a.user.Username, in.UserAttributeNames); err != nil {
		return nil, err
	}
	return &empty{}, nil
}
