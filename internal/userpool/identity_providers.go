package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

// Identity providers (federation). OIDC and SAML providers sign users in
// end to end through the authorization server (package oauth); social
// providers are stored and described as AWS does.

const (
	excDuplicateProvider = "DuplicateProviderException"
	itemProviderLink     = "identity-provider-link"
	statusExternal       = "EXTERNAL_PROVIDER"
)

// providerTypes are AWS's IdentityProviderTypeType values.
var providerTypes = map[string]bool{"SAML": true, "Facebook": true, "Google": true, "LoginWithAmazon": true, "SignInWithApple": true, "OIDC": true}

var providerNamePattern = regexp.MustCompile(`^[^_\p{Z}][\p{L}\p{M}\p{S}\p{N}\p{P}][^_\p{Z}]+$`)
var idpIdentifierPattern = regexp.MustCompile(`^[\w\s+=.@-]+$`)

// identityProviderType is AWS's IdentityProviderType.
type identityProviderType struct {
	UserPoolId       string
	ProviderName     string
	ProviderType     string
	ProviderDetails  map[string]string
	AttributeMapping map[string]string
	IdpIdentifiers   []string
	LastModifiedDate *epoch
	CreationDate     *epoch
}

type identityProviderInput struct {
	UserPoolId       string
	ProviderName     string
	ProviderType     string
	ProviderDetails  map[string]string
	AttributeMapping map[string]string
	IdpIdentifiers   []string
}

type identityProviderOutput struct {
	IdentityProvider identityProviderType
}

// providerRecord is what an identity-provider item holds.
type providerRecord struct {
	Name             string
	Type             string
	Details          map[string]string
	AttributeMapping map[string]string
	Identifiers      []string
	Created          time.Time
	Modified         time.Time
}

func (r providerRecord) api(poolID string) identityProviderType {
	d := maps.Clone(r.Details)
	if d == nil {
		d = map[string]string{}
	}
	m := maps.Clone(r.AttributeMapping)
	if m == nil {
		m = map[string]string{}
	}
	ids := slices.Clone(r.Identifiers)
	if ids == nil {
		ids = []string{}
	}
	return identityProviderType{UserPoolId: poolID, ProviderName: r.Name, ProviderType: r.Type, ProviderDetails: d,
		AttributeMapping: m, IdpIdentifiers: ids, CreationDate: ts(r.Created), LastModifiedDate: ts(r.Modified)}
}

// validateProviderDetails applies AWS's required ProviderDetails per type.
func validateProviderDetails(typ string, d map[string]string) error {
	need := func(keys ...string) error {
		for _, k := range keys {
			if d[k] == "" {
				return invalidParameter("ProviderDetails %s is required for %s providers", k, typ)
			}
		}
		return nil
	}
	switch typ {
	case "OIDC":
		if err := need("client_id", "authorize_scopes", "oidc_issuer"); err != nil {
			return err
		}
		if m := d["attributes_request_method"]; m != "" && m != "GET" && m != "POST" {
			return invalidParameter("ProviderDetails attributes_request_method must be GET or POST")
		}
		if !strings.Contains(d["authorize_scopes"], "openid") {
			return invalidParameter("ProviderDetails authorize_scopes must include openid for OIDC providers")
		}
		if err := checkRedirectURL("oidc_issuer", d["oidc_issuer"]); err != nil {
			return err
		}
	case "SAML":
		return validateSAMLDetails(d) // saml_providers.go
	case "Google", "Facebook", "LoginWithAmazon":
		return need("client_id", "client_secret", "authorize_scopes")
	case "SignInWithApple":
		return need("client_id", "team_id", "key_id", "private_key", "authorize_scopes")
	}
	return nil
}

func (s *Service) createIdentityProvider(ctx context.Context, in *identityProviderInput) (*identityProviderOutput, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	switch {
	case in.ProviderName == "":
		return nil, missing("ProviderName")
	case len(in.ProviderName) > 32 || !providerNamePattern.MatchString(in.ProviderName) || strings.EqualFold(in.ProviderName, "COGNITO"):
		return nil, invalidParameter("1 validation error detected: Value '%s' at 'providerName' failed to satisfy constraint", in.ProviderName)
	case !providerTypes[in.ProviderType]:
		return nil, invalidParameter("1 validation error detected: Value '%s' at 'providerType' failed to satisfy constraint: Member must satisfy enum value set: [SAML, Facebook, Google, LoginWithAmazon, SignInWithApple, OIDC]", in.ProviderType)
	case in.ProviderDetails == nil:
		return nil, missing("ProviderDetails")
	}
	if err := validateProviderDetails(in.ProviderType, in.ProviderDetails); err != nil {
		return nil, err
	}
	if err := s.checkIdentifiers(ctx, p.ID, in.ProviderName, in.IdpIdentifiers); err != nil {
		return nil, err
	}
	now := s.clock()
	rec := providerRecord{Name: in.ProviderName, Type: in.ProviderType, Details: in.ProviderDetails, AttributeMapping: in.AttributeMapping,
		Identifiers: in.IdpIdentifiers, Created: now, Modified: now}
	if rec.AttributeMapping == nil {
		rec.AttributeMapping = map[string]string{}
	}
	if _, ok := rec.AttributeMapping["username"]; !ok && in.ProviderType == "OIDC" {
		rec.AttributeMapping["username"] = "sub"
	}
	raw, _ := json.Marshal(rec)
	sealed := s.sealer.Seal(raw, []byte("idp|"+p.ID+"|"+in.ProviderName))
	err = s.store.CreateItem(ctx, store.Item{Kind: itemIdentityProvider, Key: idpKey(p.ID, in.ProviderName), PoolID: p.ID, Data: sealed, CreatedAt: now, UpdatedAt: now})
	if errors.Is(err, store.ErrAlreadyExists) {
		return nil, apiErr(excDuplicateProvider, "A provider with the name %s already exists in this user pool.", in.ProviderName)
	}
	if err != nil {
		return nil, wrap("create identity provider", err)
	}
	s.log.InfoContext(ctx, "identity provider created", "pool", p.ID, "provider", in.ProviderName, "type", in.ProviderType)
	out := &identityProviderOutput{IdentityProvider: rec.api(p.ID)}
	s.describeSAML(ctx, &out.IdentityProvider) // saml_providers.go
	return out, nil
}

// checkIdentifiers validates IdpIdentifiers and keeps them unique within the pool.
func (s *Service) checkIdentifiers(ctx context.Context, poolID, name string, ids []string) error {
	if len(ids) > 50 {
		return invalidParameter("IdpIdentifiers must have at most 50 members")
	}
	if len(ids) == 0 {
		return nil
	}
	all, err := s.providers(ctx, poolID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if id == "" || len(id) > 40 || !idpIdentifierPattern.MatchString(id) {
			return invalidParameter("1 validation error detected: Value '%s' at 'idpIdentifiers' failed to satisfy constraint", id)
		}
		for _, r := range all {
			if r.Name != name && slices.Contains(r.Identifiers, id) {
				return invalidParameter("Duplicate identifier %s", id)
			}
		}
	}
	return nil
}

func (s *Service) decodeProvider(poolID string, it store.Item) (providerRecord, error) {
	name := strings.TrimPrefix(it.Key, poolID+"|")
	raw, err := s.sealer.Open(it.Data, []byte("idp|"+poolID+"|"+name))
	if err != nil {
		return providerRecord{}, wrap("open identity provider", err)
	}
	var r providerRecord
	if err := json.Unmarshal(raw, &r); err != nil {
		return providerRecord{}, wrap("decode identity provider", err)
	}
	return r, nil
}

func (s *Service) provider(ctx context.Context, poolID, name string) (providerRecord, error) {
	it, err := s.store.GetItem(ctx, itemIdentityProvider, idpKey(poolID, name), s.clock())
	if errors.Is(err, store.ErrNotFound) {
		return providerRecord{}, apiErr(excResourceNotFound, "Identity provider %s does not exist.", name)
	}
	if err != nil {
		return providerRecord{}, wrap("get identity provider", err)
	}
	return s.decodeProvider(poolID, it)
}

func (s *Service) providers(ctx context.Context, poolID string) ([]providerRecord, error) {
	var out []providerRecord
	after := ""
	for {
		items, err := s.store.ListItems(ctx, itemIdentityProvider, poolID, store.Page{After: after, Limit: 100})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, wrap("list identity providers", err)
		}
		for _, it := range items {
			if r, err := s.decodeProvider(poolID, it); err == nil {
				out = append(out, r)
			}
		}
		if len(items) < 100 {
			return out, nil
		}
		after = items[len(items)-1].Key
	}
}

type providerIDInput struct {
	UserPoolId   string
	ProviderName string
}

func (s *Service) describeIdentityProvider(ctx context.Context, in *providerIDInput) (*identityProviderOutput, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	r, err := s.provider(ctx, p.ID, in.ProviderName)
	if err != nil {
		return nil, err
	}
	out := &identityProviderOutput{IdentityProvider: r.api(p.ID)}
	s.describeSAML(ctx, &out.IdentityProvider) // saml_providers.go
	return out, nil
}

type byIdentifierInput struct {
	UserPoolId    string
	IdpIdentifier string
}

func (s *Service) getIdentityProviderByIdentifier(ctx context.Context, in *byIdentifierInput) (*identityProviderOutput, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	all, err := s.providers(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	for _, r := range all {
		if slices.Contains(r.Identifiers, in.IdpIdentifier) {
			out := &identityProviderOutput{IdentityProvider: r.api(p.ID)}
			s.describeSAML(ctx, &out.IdentityProvider) // saml_providers.go
			return out, nil
		}
	}
	return nil, apiErr(excResourceNotFound, "Identity provider with identifier %s does not exist.", in.IdpIdentifier)
}

type listProvidersInput struct {
	UserPoolId string
	MaxResults int
	NextToken  string
}

type providerDescription struct {
	ProviderName     string
	ProviderType     string
	LastModifiedDate *epoch
	CreationDate     *epoch
}

type listProvidersOutput struct {
	Providers []providerDescription
	NextToken string `json:",omitempty"`
}

func (s *Service) listIdentityProviders(ctx context.Context, in *listProvidersInput) (*listProvidersOutput, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	limit := in.MaxResults
	if limit <= 0 || limit > 60 {
		limit = 60
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	items, err := s.store.ListItems(ctx, itemIdentityProvider, p.ID, store.Page{After: after, Limit: limit + 1})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, wrap("list identity providers", err)
	}
	out := &listProvidersOutput{Providers: []providerDescription{}}
	if len(items) > limit {
		items = items[:limit]
		out.NextToken = encodeToken(items[len(items)-1].Key)
	}
	for _, it := range items {
		if r, err := s.decodeProvider(p.ID, it); err == nil {
			out.Providers = append(out.Providers, providerDescription{ProviderName: r.Name, ProviderType: r.Type, CreationDate: ts(r.Created), LastModifiedDate: ts(r.Modified)})
		}
	}
	return out, nil
}

func (s *Service) updateIdentityProvider(ctx context.Context, in *identityProviderInput) (*identityProviderOutput, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	cur, err := s.provider(ctx, p.ID, in.ProviderName)
	if err != nil {
		return nil, err
	}
	if in.ProviderDetails != nil {
		if err := validateProviderDetails(cur.Type, in.ProviderDetails); err != nil {
			return nil, err
		}
		cur.Details = in.ProviderDetails
	}
	if in.AttributeMapping != nil {
		cur.AttributeMapping = in.AttributeMapping
	}
	if in.IdpIdentifiers != nil {
		if err := s.checkIdentifiers(ctx, p.ID, cur.Name, in.IdpIdentifiers); err != nil {
			return nil, err
		}
		cur.Identifiers = in.IdpIdentifiers
	}
	cur.Modified = s.clock()
	raw, _ := json.Marshal(cur)
	_, err = s.store.UpdateItem(ctx, itemIdentityProvider, idpKey(p.ID, cur.Name), func(it store.Item) (store.Item, error) {
		it.Data, it.UpdatedAt = s.sealer.Seal(raw, []byte("idp|"+p.ID+"|"+cur.Name)), cur.Modified
		return it, nil
	})
	if err != nil {
		return nil, wrap("update identity provider", err)
	}
	out := &identityProviderOutput{IdentityProvider: cur.api(p.ID)}
	s.describeSAML(ctx, &out.IdentityProvider) // saml_providers.go
	return out, nil
}

func (s *Service) deleteIdentityProvider(ctx context.Context, in *providerIDInput) (*empty, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	err = s.store.DeleteItem(ctx, itemIdentityProvider, idpKey(p.ID, in.ProviderName))
	if errors.Is(err, store.ErrNotFound) {
		return nil, apiErr(excResourceNotFound, "Identity provider %s does not exist.", in.ProviderName)
	}
	if err != nil {
		return nil, wrap("delete identity provider", err)
	}
	return &empty{}, nil
}

// providerUserType is AWS's ProviderUserIdentifierType.
type providerUserType struct {
	ProviderName           string
	ProviderAttributeName  string
	ProviderAttributeValue string
}

type linkInput struct {
	UserPoolId      string
	DestinationUser providerUserType
	SourceUser      providerUserType
}

func linkKey(poolID, provider, value string) string { return poolID + "|" + provider + "|" + value }

// adminLinkProviderForUser makes future sign-ins through a provider with
// the source user's subject sign in as an existing user of the pool.
func (s *Service) adminLinkProviderForUser(ctx context.Context, in *linkInput) (*empty, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(in.DestinationUser.ProviderName, "Cognito") || in.DestinationUser.ProviderAttributeValue == "" {
		return nil, invalidParameter("DestinationUser must be a Cognito user (ProviderName Cognito and its username)")
	}
	src := in.SourceUser
	if src.ProviderName == "" || src.ProviderAttributeValue == "" {
		return nil, missing("SourceUser")
	}
	if src.ProviderAttributeName != "" && src.ProviderAttributeName != "Cognito_Subject" {
		return nil, invalidParameter("SourceUser ProviderAttributeName must be Cognito_Subject")
	}
	if _, err := s.provider(ctx, p.ID, src.ProviderName); err != nil {
		return nil, err
	}
	dest, found, err := s.resolveUser(ctx, p, in.DestinationUser.ProviderAttributeValue)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, userNotFound()
	}
	if dest.Status == statusExternal {
		return nil, invalidParameter("The destination user must be a native Cognito user")
	}
	now := s.clock()
	err = s.store.CreateItem(ctx, store.Item{Kind: itemProviderLink, Key: linkKey(p.ID, src.ProviderName, src.ProviderAttributeValue), PoolID: p.ID,
		Data: []byte(dest.Username), CreatedAt: now, UpdatedAt: now})
	if errors.Is(err, store.ErrAlreadyExists) {
		return nil, apiErr("AliasExistsException", "The source user is already linked to a user of this pool.")
	}
	if err != nil {
		return nil, wrap("link provider", err)
	}
	if _, _, err := s.updateUser(ctx, p.ID, dest.Username, func(p *pool, u *store.User) error {
		u.Attributes = maps.Clone(u.Attributes)
		u.Attributes["identities"] = addIdentity(u.Attributes["identities"], src.ProviderName, s.providerTypeOf(ctx, p.ID, src.ProviderName), src.ProviderAttributeValue, now)
		return nil
	}); err != nil {
		return nil, err
	}
	return &empty{}, nil
}

func (s *Service) providerTypeOf(ctx context.Context, poolID, name string) string {
	r, err := s.provider(ctx, poolID, name)
	if err != nil {
		return ""
	}
	return r.Type
}

type identity struct {
	UserID       string  `json:"userId"`
	ProviderName string  `json:"providerName"`
	ProviderType string  `json:"providerType"`
	Issuer       *string `json:"issuer"`
	Primary      string  `json:"primary"`
	DateCreated  string  `json:"dateCreated"`
}

// addIdentity adds one identity to an identities attribute (a JSON array, as Cognito stores it).
func addIdentity(cur, provider, typ, userID string, at time.Time) string {
	var list []identity
	json.Unmarshal([]byte(cur), &list)
	for _, id := range list {
		if id.ProviderName == provider && id.UserID == userID {
			return cur
		}
	}
	list = append(list, identity{UserID: userID, ProviderName: provider, ProviderType: typ, Primary: strconv.FormatBool(len(list) == 0),
		DateCreated: strconv.FormatInt(at.UnixMilli(), 10)})
	raw, _ := json.Marshal(list)
	return string(raw)
}

type disableProviderInput struct {
	UserPoolId string
	User       providerUserType
}

// adminDisableProviderForUser stops a provider's user from signing in: the
// link to a native user is removed, and a federated user is disabled.
func (s *Service) adminDisableProviderForUser(ctx context.Context, in *disableProviderInput) (*empty, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	u := in.User
	if u.ProviderName == "" || u.ProviderAttributeValue == "" {
		return nil, missing("User")
	}
	if _, err := s.provider(ctx, p.ID, u.ProviderName); err != nil {
		return nil, err
	}
	key := linkKey(p.ID, u.ProviderName, u.ProviderAttributeValue)
	if it, err := s.store.GetItem(ctx, itemProviderLink, key, s.clock()); err == nil {
		s.store.DeleteItem(ctx, itemProviderLink, key)
		s.updateUser(ctx, p.ID, string(it.Data), func(p *pool, usr *store.User) error {
			usr.Attributes = maps.Clone(usr.Attributes)
			usr.Attributes["identities"] = removeIdentity(usr.Attributes["identities"], u.ProviderName, u.ProviderAttributeValue)
			if usr.Attributes["identities"] == "" {
				delete(usr.Attributes, "identities")
			}
			return nil
		})
	}
	fed := u.ProviderName + "_" + u.ProviderAttributeValue
	// The federated user may not exist (never signed in, or linked): nothing to disable then.
	s.updateUser(ctx, p.ID, fed, func(p *pool, usr *store.User) error {
		usr.Enabled = false
		return nil
	})
	return &empty{}, nil
}

func removeIdentity(cur, provider, userID string) string {
	var list []identity
	json.Unmarshal([]byte(cur), &list)
	out := list[:0]
	for _, id := range list {
		if id.ProviderName != provider || id.UserID != userID {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		return ""
	}
	raw, _ := json.Marshal(out)
	return string(raw)
}

// OIDCProvider is an OIDC identity provider as the authorization server uses it.
type OIDCProvider struct {
	Name             string
	ClientID         string
	ClientSecret     string
	Scopes           string
	Issuer           string
	AttributesMethod string
	AttributeMapping map[string]string
}

// OIDCProviderByName loads an OIDC provider of a pool (an error for other types).
func (s *Service) OIDCProviderByName(ctx context.Context, poolID, name string) (*OIDCProvider, string, error) {
	r, err := s.provider(ctx, poolID, name)
	if err != nil {
		return nil, "", err
	}
	if r.Type != "OIDC" {
		return nil, r.Type, nil
	}
	return &OIDCProvider{Name: r.Name, ClientID: r.Details["client_id"], ClientSecret: r.Details["client_secret"], Scopes: r.Details["authorize_scopes"],
		Issuer: r.Details["oidc_issuer"], AttributesMethod: r.Details["attributes_request_method"], AttributeMapping: r.AttributeMapping}, r.Type, nil
}

// ProviderByIdentifier finds the provider an idp_identifier names.
func (s *Service) ProviderByIdentifier(ctx context.Context, poolID, identifier string) (string, bool) {
	all, err := s.providers(ctx, poolID)
	if err != nil {
		return "", false
	}
	for _, r := range all {
		if slices.Contains(r.Identifiers, identifier) {
			return r.Name, true
		}
	}
	return "", false
}

// FederatedSignIn signs in a user a provider vouched for, through the app
// client clientID: the linked native user if AdminLinkProviderForUser
// linked this subject, else the user PROVIDER_sub (created on first
// sign-in, status EXTERNAL_PROVIDER, with the identities attribute), its
// mapped attributes refreshed.
//
// On first sign-in, as on AWS, the pre sign-up trigger runs first (source
// ExternalProvider: its failure, an API error, creates no user; its
// autoVerifyEmail/autoVerifyPhone mark the mapped email/phone verified;
// autoConfirmUser changes nothing, a federated user is always
// EXTERNAL_PROVIDER), then, once the user exists, the post confirmation
// trigger (source ConfirmSignUp; the user stays when it fails, as after
// ConfirmSignUp). Pre and post authentication do not run for federated
// sign-ins; pre token generation runs when the code is redeemed
// (TokenGeneration_HostedAuth).
func (s *Service) FederatedSignIn(ctx context.Context, poolID, clientID, provider, providerType, sub string, attrs map[string]string) (*SignIn, error) {
	p, err := s.loadPool(ctx, poolID)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	if it, err := s.store.GetItem(ctx, itemProviderLink, linkKey(p.ID, provider, sub), now); err == nil {
		u, err := s.store.GetUser(ctx, p.ID, string(it.Data))
		if err != nil {
			return nil, notAuthorized(msgUserNotFound)
		}
		if !u.Enabled {
			return nil, notAuthorized(msgUserDisabled)
		}
		return &SignIn{Username: u.Username, Sub: u.Attributes["sub"], AuthTime: now}, nil
	}
	username := provider + "_" + sub
	clean := map[string]string{}
	for k, v := range attrs {
		if k != "sub" && k != "identities" && k != "username" && v != "" && len(v) <= 2048 {
			clean[k] = v
		}
	}
	u, err := s.store.GetUser(ctx, p.ID, username)
	switch {
	case errors.Is(err, store.ErrNotFound):
		a := maps.Clone(clean)
		a["sub"] = newUUID()
		a["identities"] = addIdentity("", provider, providerType, sub, now)
		u = store.User{PoolID: p.ID, Username: username, Status: statusExternal, Enabled: true, Attributes: a, CreatedAt: now, UpdatedAt: now}
		// The trigger sees the mapped attributes, not sub or identities.
		shown := u
		shown.Attributes = maps.Clone(clean)
		pre, err := s.preSignUp(ctx, p, "ExternalProvider", clientID, shown, nil, nil)
		if err != nil {
			return nil, err
		}
		if pre.AutoVerifyEmail && a["email"] != "" {
			a["email_verified"] = "true"
		}
		if pre.AutoVerifyPhone && a["phone_number"] != "" {
			a["phone_number_verified"] = "true"
		}
		if err := s.store.CreateUser(ctx, u); err != nil {
			return nil, wrap("create federated user", err)
		}
		s.log.InfoContext(ctx, "federated user created", "pool", p.ID, "username", username, "provider", provider)
		if err := s.postConfirmation(ctx, p, "ConfirmSignUp", clientID, u, nil); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, wrap("get user", err)
	default:
		if !u.Enabled {
			return nil, notAuthorized(msgUserDisabled)
		}
		if _, u, err = s.updateUser(ctx, p.ID, username, func(p *pool, usr *store.User) error {
			usr.Attributes = maps.Clone(usr.Attributes)
			maps.Copy(usr.Attributes, clean)
			return nil
		}); err != nil {
			return nil, err
		}
	}
	s.log.InfoContext(ctx, "user signed in (federated)", "pool", p.ID, "username", username, "provider", provider)
	return &SignIn{Username: u.Username, Sub: u.Attributes["sub"], AuthTime: now}, nil
}
