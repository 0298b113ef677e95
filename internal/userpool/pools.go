package userpool

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cognate-dev/cognate/internal/store"
)

// pool is a loaded user pool with its decoded settings.
type pool struct {
	store.Pool
	cfg poolConfig
}

// shortName is the pool id after "_", the SRP "pool name".
func (p *pool) shortName() string {
	_, after, _ := strings.Cut(p.ID, "_")
	return after
}

// caseSensitive reports whether usernames match exactly (AWS's default).
func (p *pool) caseSensitive() bool {
	u := p.cfg.UsernameConfiguration
	return u == nil || u.CaseSensitive == nil || *u.CaseSensitive
}

// normalize maps a login name to its stored form.
func (p *pool) normalize(name string) string {
	if p.caseSensitive() {
		return name
	}
	return strings.ToLower(name)
}

func (p *pool) passwordPolicy() passwordPolicy {
	if p.cfg.Policies != nil && p.cfg.Policies.PasswordPolicy != nil {
		return *p.cfg.Policies.PasswordPolicy
	}
	return defaultPasswordPolicy()
}

func defaultPasswordPolicy() passwordPolicy {
	n := int32(8)
	return passwordPolicy{MinimumLength: &n, RequireUppercase: true, RequireLowercase: true,
		RequireNumbers: true, RequireSymbols: true, TemporaryPasswordValidityDays: 7}
}

func (s *Service) loadPool(ctx context.Context, id string) (*pool, error) {
	if id == "" {
		return nil, missing("UserPoolId")
	}
	now := s.clock()
	if p, ok := cacheGet(s.cache, s.cache.pools, id, now); ok {
		return p, nil
	}
	p, err := s.store.GetPool(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, poolNotFound(id)
	}
	if err != nil {
		return nil, wrap("get pool", err)
	}
	out := &pool{Pool: p}
	if err := json.Unmarshal(p.Config, &out.cfg); err != nil {
		return nil, wrap("decode pool config", err)
	}
	cachePut(s.cache, s.cache.pools, id, out, now)
	return out, nil
}

// poolSecret returns the pool's unsealed anti-enumeration secret.
func (s *Service) poolSecret(p *pool) ([]byte, error) {
	if v, ok := s.poolSecrets.Load(p.ID); ok {
		return v.([]byte), nil
	}
	key, err := s.sealer.Open(p.cfg.Secret, []byte("pool-secret|"+p.ID))
	if err != nil {
		return nil, wrap("open pool secret", err)
	}
	s.poolSecrets.Store(p.ID, key)
	return key, nil
}

type createUserPoolInput struct {
	PoolName string
	poolSettings
	AliasAttributes       []string
	UsernameAttributes    []string
	UsernameConfiguration *usernameConfiguration
	Schema                []schemaAttribute
}

type userPoolType struct {
	Id                     string
	Name                   string
	Arn                    string
	CreationDate           *epoch
	LastModifiedDate       *epoch
	EstimatedNumberOfUsers int
	poolSettings
	AliasAttributes       []string               `json:",omitempty"`
	UsernameAttributes    []string               `json:",omitempty"`
	UsernameConfiguration *usernameConfiguration `json:",omitempty"`
	SchemaAttributes      []schemaAttribute
}

type userPoolOutput struct {
	UserPool userPoolType
}

func normalizeSettings(in *poolSettings) error {
	if in.Policies == nil {
		in.Policies = &poolPolicies{}
	}
	if in.Policies.PasswordPolicy == nil {
		pp := defaultPasswordPolicy()
		in.Policies.PasswordPolicy = &pp
	}
	pp := in.Policies.PasswordPolicy
	if pp.MinimumLength == nil {
		n := int32(8)
		pp.MinimumLength = &n
	}
	if *pp.MinimumLength < 6 || *pp.MinimumLength > 99 {
		return invalidParameter("MinimumLength must be between 6 and 99")
	}
	if pp.TemporaryPasswordValidityDays == 0 {
		pp.TemporaryPasswordValidityDays = 7
	}
	if in.AdminCreateUserConfig == nil {
		in.AdminCreateUserConfig = &adminCreateUserConfig{}
	}
	if in.AdminCreateUserConfig.UnusedAccountValidityDays == 0 {
		in.AdminCreateUserConfig.UnusedAccountValidityDays = 7
	}
	if in.MfaConfiguration == "" {
		in.MfaConfiguration = "OFF"
	}
	if in.DeletionProtection == "" {
		in.DeletionProtection = "INACTIVE"
	}
	for _, a := range in.AutoVerifiedAttributes {
		if a != "email" && a != "phone_number" {
			return invalidParameter("Invalid AutoVerifiedAttributes value %q", a)
		}
	}
	if err := validateAccountRecovery(in.AccountRecoverySetting); err != nil {
		return err
	}
	if err := validateMessages(in); err != nil {
		return err
	}
	return normalizeLambdaConfig(in.LambdaConfig, in.UserPoolTier)
}

func (s *Service) createUserPool(ctx context.Context, in *createUserPoolInput) (*userPoolOutput, error) {
	if in.PoolName == "" {
		return nil, missing("PoolName")
	}
	if err := normalizeSettings(&in.poolSettings); err != nil {
		return nil, err
	}
	if len(in.AliasAttributes) > 0 && len(in.UsernameAttributes) > 0 {
		return nil, invalidParameter("Only one of the aliasAttributes or usernameAttributes can be set in a User Pool.")
	}
	for _, a := range in.AliasAttributes {
		if a != "email" && a != "phone_number" && a != "preferred_username" {
			return nil, invalidParameter("Invalid AliasAttributes value %q", a)
		}
	}
	for _, a := range in.UsernameAttributes {
		if a != "email" && a != "phone_number" {
			return nil, invalidParameter("Invalid UsernameAttributes value %q", a)
		}
	}
	schema, err := buildSchema(in.Schema)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	id := newPoolID(s.region)
	cfg := poolConfig{
		poolSettings:          in.poolSettings,
		AliasAttributes:       in.AliasAttributes,
		UsernameAttributes:    in.UsernameAttributes,
		UsernameConfiguration: in.UsernameConfiguration,
		SchemaAttributes:      schema,
		Secret:                s.sealer.Seal(randomBytes(32), []byte("pool-secret|"+id)),
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, wrap("encode pool config", err)
	}
	p := store.Pool{ID: id, Name: in.PoolName, Config: raw, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreatePool(ctx, p); err != nil {
		return nil, wrap("create pool", err)
	}
	if err := s.keys.Ensure(ctx, id); err != nil {
		return nil, wrap("create pool keys", err)
	}
	s.log.InfoContext(ctx, "user pool created", "pool", id, "name", in.PoolName)
	return &userPoolOutput{UserPool: s.poolType(&pool{Pool: p, cfg: cfg}, 0)}, nil
}

func (s *Service) poolType(p *pool, users int) userPoolType {
	return userPoolType{
		Id:                     p.ID,
		Name:                   p.Name,
		Arn:                    fmt.Sprintf("arn:aws:cognito-idp:%s:%s:userpool/%s", s.region, s.accountID, p.ID),
		CreationDate:           ts(p.CreatedAt),
		LastModifiedDate:       ts(p.UpdatedAt),
		EstimatedNumberOfUsers: users,
		poolSettings:           withResponseDefaults(p.cfg.poolSettings),
		AliasAttributes:        p.cfg.AliasAttributes,
		UsernameAttributes:     p.cfg.UsernameAttributes,
		UsernameConfiguration:  p.cfg.UsernameConfiguration,
		SchemaAttributes:       p.cfg.SchemaAttributes,
	}
}

type poolIDInput struct {
	UserPoolId string
}

func (s *Service) describeUserPool(ctx context.Context, in *poolIDInput) (*userPoolOutput, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	n, err := s.estimatedUsers(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	return &userPoolOutput{UserPool: s.poolType(p, n)}, nil
}

// estimatedUsers returns the pool's user count. The store maintains it
// with every user insert and delete, so reading it costs the same whatever
// the pool's size, and it is exact on every node at once.
func (s *Service) estimatedUsers(ctx context.Context, poolID string) (int, error) {
	n, err := s.store.CountUsers(ctx, poolID)
	if err != nil {
		return 0, wrap("count users", err)
	}
	return n, nil
}

type listUserPoolsInput struct {
	MaxResults int
	NextToken  string
}

type userPoolDescription struct {
	Id               string
	Name             string
	CreationDate     *epoch
	LastModifiedDate *epoch
	LambdaConfig     *lambdaConfig `json:",omitempty"`
}

type listUserPoolsOutput struct {
	UserPools []userPoolDescription
	NextToken string `json:",omitempty"`
}

func (s *Service) listUserPools(ctx context.Context, in *listUserPoolsInput) (*listUserPoolsOutput, error) {
	if in.MaxResults < 1 || in.MaxResults > 60 {
		return nil, invalidParameter("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 60", in.MaxResults)
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	pools, err := s.store.ListPools(ctx, store.Page{After: after, Limit: in.MaxResults + 1})
	if err != nil {
		return nil, wrap("list pools", err)
	}
	out := &listUserPoolsOutput{UserPools: []userPoolDescription{}}
	if len(pools) > in.MaxResults {
		pools = pools[:in.MaxResults]
		out.NextToken = encodeToken(pools[len(pools)-1].ID)
	}
	for _, p := range pools {
		var cfg poolConfig
		_ = json.Unmarshal(p.Config, &cfg)
		if cfg.LambdaConfig == nil {
			cfg.LambdaConfig = &lambdaConfig{}
		}
		out.UserPools = append(out.UserPools, userPoolDescription{Id: p.ID, Name: p.Name,
			CreationDate: ts(p.CreatedAt), LastModifiedDate: ts(p.UpdatedAt), LambdaConfig: cfg.LambdaConfig})
	}
	return out, nil
}

type updateUserPoolInput struct {
	UserPoolId string
	PoolName   *string
	poolSettings
}

// updateUserPool replaces the mutable settings; as in AWS, settings left out
// return to their defaults. Alias, username and schema settings are fixed.
func (s *Service) updateUserPool(ctx context.Context, in *updateUserPoolInput) (*empty, error) {
	if _, err := s.loadPool(ctx, in.UserPoolId); err != nil {
		return nil, err
	}
	if err := normalizeSettings(&in.poolSettings); err != nil {
		return nil, err
	}
	_, err := s.store.UpdatePool(ctx, in.UserPoolId, func(p store.Pool) (store.Pool, error) {
		var cfg poolConfig
		if err := json.Unmarshal(p.Config, &cfg); err != nil {
			return p, fmt.Errorf("decode pool config: %w", err)
		}
		tags := cfg.UserPoolTags
		cfg.poolSettings = in.poolSettings
		if cfg.UserPoolTags == nil {
			cfg.UserPoolTags = tags // tags change through TagResource when left out
		}
		raw, err := json.Marshal(cfg)
		if err != nil {
			return p, err
		}
		p.Config = raw
		if in.PoolName != nil && *in.PoolName != "" {
			p.Name = *in.PoolName
		}
		p.UpdatedAt = s.clock()
		return p, nil
	})
	s.cache.forget(in.UserPoolId, "")
	if err != nil {
		return nil, wrap("update pool", err)
	}
	return &empty{}, nil
}

func (s *Service) deleteUserPool(ctx context.Context, in *poolIDInput) (*empty, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if p.cfg.DeletionProtection == "ACTIVE" {
		return nil, invalidParameter("The user pool cannot be deleted because deletion protection is activated. Deletion protection must be inactivated first.")
	}
	err = s.store.DeletePool(ctx, p.ID)
	s.cache.forget(p.ID, "")
	if err != nil {
		return nil, wrap("delete pool", err)
	}
	s.poolSecrets.Delete(p.ID)
	s.keys.Forget(p.ID)
	s.log.InfoContext(ctx, "user pool deleted", "pool", p.ID)
	return &empty{}, nil
}

// encodeToken makes an opaque pagination token from a key.
func encodeToken(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

func decodeToken(tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return "", invalidParameter("Invalid pagination token")
	}
	return string(b), nil
}

func contains(list []string, v string) bool { return slices.Contains(list, v) }
