package userpool

import (
	"context"
	"net/url"
	"slices"
	"strings"
)

// excInvalidOAuthFlow and excScopeDoesNotExist are the OAuth settings' own exceptions.
const (
	excInvalidOAuthFlow  = "InvalidOAuthFlowException"
	excScopeDoesNotExist = "ScopeDoesNotExistException"
)

// validateOAuthSettings checks an app client's OAuth settings as
// Create/UpdateUserPoolClient do: known flows, client_credentials alone and
// only with a secret and custom scopes, scopes that exist, callback and
// sign-out URLs that are absolute, fragment-free and https (http only for
// localhost), a DefaultRedirectURI among the callbacks, and identity
// providers that exist.
func (s *Service) validateOAuthSettings(ctx context.Context, poolID string, in *clientSettings, hasSecret bool) error {
	for _, f := range in.AllowedOAuthFlows {
		if f != "code" && f != "implicit" && f != "client_credentials" {
			return invalidParameter("1 validation error detected: Value '[%s]' at 'allowedOAuthFlows' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [implicit, client_credentials, code]]", f)
		}
	}
	cc := slices.Contains(in.AllowedOAuthFlows, "client_credentials")
	if cc && (slices.Contains(in.AllowedOAuthFlows, "code") || slices.Contains(in.AllowedOAuthFlows, "implicit")) {
		return apiErr(excInvalidOAuthFlow, "client_credentials flow can not be selected along with code flow or implicit flow.")
	}
	if cc && !hasSecret {
		return apiErr(excInvalidOAuthFlow, "client_credentials flow can not be selected if client does not have a client secret.")
	}
	if in.AllowedOAuthFlowsUserPoolClient && (len(in.AllowedOAuthFlows) == 0 || len(in.AllowedOAuthScopes) == 0) {
		return invalidParameter("AllowedOAuthFlows and AllowedOAuthScopes are required if user pool client is allowed to use OAuth flows.")
	}
	for _, sc := range in.AllowedOAuthScopes {
		ok, err := s.ScopeExists(ctx, poolID, sc)
		if err != nil {
			return err
		}
		if !ok {
			return apiErr(excScopeDoesNotExist, "Invalid scope requested: %s", sc)
		}
		if cc && slices.Contains(StandardScopes, sc) {
			return apiErr(excInvalidOAuthFlow, "client_credentials flow can only be used with custom scopes.")
		}
	}
	if len(in.CallbackURLs) > 100 || len(in.LogoutURLs) > 100 {
		return invalidParameter("1 validation error detected: Member must have length less than or equal to 100")
	}
	for _, u := range in.CallbackURLs {
		if err := checkRedirectURL("CallbackURL", u); err != nil {
			return err
		}
	}
	for _, u := range in.LogoutURLs {
		if err := checkRedirectURL("LogoutURL", u); err != nil {
			return err
		}
	}
	if in.AllowedOAuthFlowsUserPoolClient && !cc && len(in.CallbackURLs) == 0 && slices.ContainsFunc(in.AllowedOAuthFlows, func(f string) bool { return f == "code" || f == "implicit" }) {
		return invalidParameter("CallbackURLs are required for code and implicit grant flows.")
	}
	if d := in.DefaultRedirectURI; d != nil && *d != "" {
		if err := checkRedirectURL("DefaultRedirectURI", *d); err != nil {
			return err
		}
		if !slices.Contains(in.CallbackURLs, *d) {
			return invalidParameter("DefaultRedirectURI must be one of the CallbackURLs.")
		}
	}
	for _, idp := range in.SupportedIdentityProviders {
		if idp == "COGNITO" {
			continue
		}
		if ok, err := s.providerExists(ctx, poolID, idp); err != nil {
			return err
		} else if !ok {
			return invalidParameter("The provider %s does not exist for User Pool %s", idp, poolID)
		}
	}
	return nil
}

// checkRedirectURL applies AWS's rules for callback and sign-out URLs.
func checkRedirectURL(what, raw string) error {
	if len(raw) == 0 || len(raw) > 1024 {
		return invalidParameter("Invalid %s: %s: length must be between 1 and 1024", what, raw)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || (u.Host == "" && (u.Scheme == "http" || u.Scheme == "https")) {
		return invalidParameter("Invalid %s: %s: it must be an absolute URL", what, raw)
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return invalidParameter("Invalid %s: %s: it must not include a fragment component", what, raw)
	}
	if u.Scheme == "http" && u.Hostname() != "localhost" && u.Hostname() != "127.0.0.1" && u.Hostname() != "::1" {
		return invalidParameter("Invalid %s: %s: HTTP is only allowed for localhost; use HTTPS", what, raw)
	}
	return nil
}

// providerExists reports whether the pool has an identity provider of that name.
func (s *Service) providerExists(ctx context.Context, poolID, name string) (bool, error) {
	_, err := s.store.GetItem(ctx, itemIdentityProvider, idpKey(poolID, name), s.clock())
	if err != nil {
		return false, nil
	}
	return true, nil
}

// idpKey is the item key of an identity provider.
func idpKey(poolID, name string) string { return poolID + "|" + name }

const itemIdentityProvider = "identity-provider"
