package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/cognate-dev/cognate/internal/awsjson"
	"github.com/cognate-dev/cognate/internal/store"
)

// updatePoolConfig applies fn to the stored pool config in one store update
// and drops the cached copy.
func (s *Service) updatePoolConfig(ctx context.Context, poolID string, fn func(*poolConfig) error) error {
	_, err := s.store.UpdatePool(ctx, poolID, func(sp store.Pool) (store.Pool, error) {
		var cfg poolConfig
		if err := json.Unmarshal(sp.Config, &cfg); err != nil {
			return sp, fmt.Errorf("decode pool config: %w", err)
		}
		if err := fn(&cfg); err != nil {
			return sp, err
		}
		raw, err := json.Marshal(cfg)
		if err != nil {
			return sp, fmt.Errorf("encode pool config: %w", err)
		}
		sp.Config, sp.UpdatedAt = raw, s.clock()
		return sp, nil
	})
	s.cache.forget(poolID, "")
	return err
}

// apiOrWrap returns the API error inside err (one an update function
// produced), else wraps err.
func apiOrWrap(what string, err error) error {
	var ae *awsjson.Error
	if errors.As(err, &ae) {
		return ae
	}
	return wrap(what, err)
}

type addCustomAttributesInput struct {
	UserPoolId       string
	CustomAttributes []schemaAttribute
}

// addCustomAttributes adds custom attributes to a pool's schema.
func (s *Service) addCustomAttributes(ctx context.Context, in *addCustomAttributesInput) (*empty, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if n := len(in.CustomAttributes); n < 1 || n > 25 {
		return nil, invalidParameter("1 validation error detected: Value at 'customAttributes' failed to satisfy constraint: Member must have length less than or equal to 25 and greater than or equal to 1")
	}
	if _, err := addSchema(p.cfg.SchemaAttributes, in.CustomAttributes, "customAttributes"); err != nil {
		return nil, err
	}
	err = s.updatePoolConfig(ctx, p.ID, func(cfg *poolConfig) error {
		schema, err := addSchema(cfg.SchemaAttributes, in.CustomAttributes, "customAttributes")
		if err != nil {
			return err
		}
		cfg.SchemaAttributes = schema
		return nil
	})
	if err != nil {
		return nil, apiOrWrap("add custom attributes", err)
	}
	return &empty{}, nil
}

type csvHeaderOutput struct {
	UserPoolId string
	CSVHeader  []string
}

// csvHeader is the columns of a user import file for the pool: its standard
// attributes (but sub and identities), cognito:mfa_enabled, cognito:username
// and its custom attributes.
func csvHeader(p *pool) []string {
	out := []string{}
	for _, a := range p.cfg.SchemaAttributes {
		if a.Name == "sub" || a.Name == "identities" || strings.Contains(a.Name, "custom:") {
			continue
		}
		out = append(out, a.Name)
	}
	out = append(out, "cognito:mfa_enabled", "cognito:username")
	for _, a := range p.cfg.SchemaAttributes {
		if strings.Contains(a.Name, "custom:") {
			out = append(out, a.Name)
		}
	}
	return out
}

func (s *Service) getCSVHeader(ctx context.Context, in *poolIDInput) (*csvHeaderOutput, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	return &csvHeaderOutput{UserPoolId: p.ID, CSVHeader: csvHeader(p)}, nil
}

// Tags ---------------------------------------------------------------------

// poolFromARN returns the pool a user pool ARN names.
func (s *Service) poolFromARN(ctx context.Context, arn string) (*pool, error) {
	if arn == "" {
		return nil, missing("ResourceArn")
	}
	prefix := "arn:aws:cognito-idp:" + s.region + ":" + s.accountID + ":userpool/"
	id, ok := strings.CutPrefix(arn, prefix)
	if !ok || id == "" {
		return nil, invalidParameter("Invalid ResourceArn %s", arn)
	}
	p, err := s.loadPool(ctx, id)
	if err != nil {
		return nil, err
	}
	return p, nil
}

type tagResourceInput struct {
	ResourceArn string
	Tags        map[string]string
}

func checkTags(tags map[string]string) error {
	for k, v := range tags {
		if len(k) < 1 || len(k) > 128 {
			return invalidParameter("1 validation error detected: Value at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]")
		}
		if len(v) > 256 {
			return invalidParameter("1 validation error detected: Value at 'tags' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 256]")
		}
	}
	return nil
}

// tagResource adds or overwrites a pool's tags (UserPoolTags).
func (s *Service) tagResource(ctx context.Context, in *tagResourceInput) (*empty, error) {
	p, err := s.poolFromARN(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	err = s.updatePoolConfig(ctx, p.ID, func(cfg *poolConfig) error {
		if cfg.UserPoolTags == nil {
			cfg.UserPoolTags = map[string]string{}
		}
		for k, v := range in.Tags {
			cfg.UserPoolTags[k] = v
		}
		if len(cfg.UserPoolTags) > 50 {
			return invalidParameter("A user pool can have at most 50 tags.")
		}
		return nil
	})
	if err != nil {
		return nil, apiOrWrap("tag pool", err)
	}
	return &empty{}, nil
}

type untagResourceInput struct {
	ResourceArn string
	TagKeys     []string
}

func (s *Service) untagResource(ctx context.Context, in *untagResourceInput) (*empty, error) {
	p, err := s.poolFromARN(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	err = s.updatePoolConfig(ctx, p.ID, func(cfg *poolConfig) error {
		for _, k := range in.TagKeys {
			delete(cfg.UserPoolTags, k)
		}
		return nil
	})
	if err != nil {
		return nil, apiOrWrap("untag pool", err)
	}
	return &empty{}, nil
}

type listTagsInput struct {
	ResourceArn string
}

type listTagsOutput struct {
	Tags map[string]string
}

func (s *Service) listTagsForResource(ctx context.Context, in *listTagsInput) (*listTagsOutput, error) {
	p, err := s.poolFromARN(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	tags := p.cfg.UserPoolTags
	if tags == nil {
		tags = map[string]string{}
	}
	return &listTagsOutput{Tags: tags}, nil
}
