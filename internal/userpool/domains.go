package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"

	"github.com/cognate-dev/cognate/internal/store"
)

// A user pool domain names the host its managed login and OAuth endpoints
// answer on: a prefix domain PREFIX.auth.REGION.amazoncognito.com, or a custom
// domain (any DNS name; AWS would front it with CloudFront and an ACM
// certificate, Cognate serves it directly — reach it through a local
// resolver, /etc/hosts or a reverse proxy). Items of kind "domain" are keyed
// by the full host name, so a name belongs to one pool only.

// domainRecord is what a domain item holds.
type domainRecord struct {
	Domain              string
	UserPoolId          string
	Custom              bool
	CertificateArn      string `json:",omitempty"`
	ManagedLoginVersion int32  `json:",omitempty"`
	Version             string
}

type customDomainConfig struct {
	CertificateArn string
}

type domainInput struct {
	Domain              string
	UserPoolId          string
	CustomDomainConfig  *customDomainConfig
	ManagedLoginVersion *int32
}

type createDomainOutput struct {
	CloudFrontDomain    string `json:",omitempty"`
	ManagedLoginVersion *int32 `json:",omitempty"`
}

var prefixPattern = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$`)
var hostPattern = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)

// PrefixDomainHost is the host of a prefix domain.
func PrefixDomainHost(prefix, region string) string {
	return prefix + ".auth." + region + ".amazoncognito.com"
}

func (s *Service) domainHost(in *domainInput) (string, bool, error) {
	d := strings.ToLower(strings.TrimSpace(in.Domain))
	if d == "" {
		return "", false, missing("Domain")
	}
	if in.CustomDomainConfig != nil {
		if in.CustomDomainConfig.CertificateArn == "" {
			return "", false, missing("CustomDomainConfig.CertificateArn")
		}
		if len(d) > 253 || !hostPattern.MatchString(d) {
			return "", false, invalidParameter("Domain %s is not a valid domain name", in.Domain)
		}
		return d, true, nil
	}
	if !prefixPattern.MatchString(d) {
		return "", false, invalidParameter("1 validation error detected: Value '%s' at 'domain' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z0-9](?:[a-z0-9\\-]{0,61}[a-z0-9])?$", in.Domain)
	}
	for _, w := range []string{"aws", "amazon", "cognito"} {
		if strings.Contains(d, w) {
			return "", false, invalidParameter("Domain cannot contain reserved word: %s", w)
		}
	}
	return PrefixDomainHost(d, s.region), false, nil
}

func (s *Service) poolDomains(ctx context.Context, poolID string) ([]domainRecord, error) {
	items, err := s.store.ListItems(ctx, itemDomain, poolID, store.Page{Limit: 10})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, wrap("list domains", err)
	}
	var out []domainRecord
	for _, it := range items {
		var d domainRecord
		if json.Unmarshal(it.Data, &d) == nil {
			out = append(out, d)
		}
	}
	return out, nil
}

func (s *Service) createUserPoolDomain(ctx context.Context, in *domainInput) (*createDomainOutput, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	host, custom, err := s.domainHost(in)
	if err != nil {
		return nil, err
	}
	existing, err := s.poolDomains(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	for _, d := range existing {
		if d.Custom == custom {
			return nil, invalidParameter("User pool already has a domain configured.")
		}
	}
	rec := domainRecord{Domain: strings.ToLower(in.Domain), UserPoolId: p.ID, Custom: custom, Version: "1"}
	if custom {
		rec.CertificateArn = in.CustomDomainConfig.CertificateArn
	}
	if in.ManagedLoginVersion != nil {
		if v := *in.ManagedLoginVersion; v != 1 && v != 2 {
			return nil, invalidParameter("ManagedLoginVersion must be 1 or 2")
		}
		rec.ManagedLoginVersion = *in.ManagedLoginVersion
	}
	raw, _ := json.Marshal(rec)
	now := s.clock()
	err = s.store.CreateItem(ctx, store.Item{Kind: itemDomain, Key: host, PoolID: p.ID, Data: raw, CreatedAt: now, UpdatedAt: now})
	if errors.Is(err, store.ErrAlreadyExists) {
		return nil, invalidParameter("Domain already associated with another user pool.")
	}
	if err != nil {
		return nil, wrap("create domain", err)
	}
	s.log.InfoContext(ctx, "user pool domain created", "pool", p.ID, "host", host)
	out := &createDomainOutput{ManagedLoginVersion: in.ManagedLoginVersion}
	if custom {
		out.CloudFrontDomain = host
	}
	return out, nil
}

type describeDomainInput struct {
	Domain string
}

type domainDescription struct {
	UserPoolId             string              `json:",omitempty"`
	AWSAccountId           string              `json:",omitempty"`
	Domain                 string              `json:",omitempty"`
	S3Bucket               string              `json:",omitempty"`
	CloudFrontDistribution string              `json:",omitempty"`
	Version                string              `json:",omitempty"`
	Status                 string              `json:",omitempty"`
	CustomDomainConfig     *customDomainConfig `json:",omitempty"`
	ManagedLoginVersion    *int32              `json:",omitempty"`
}

type describeDomainOutput struct {
	DomainDescription domainDescription
}

// lookupDomain finds a domain by the name given to the API (a prefix or a custom name).
func (s *Service) lookupDomain(ctx context.Context, name string) (string, domainRecord, bool, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, host := range []string{name, PrefixDomainHost(name, s.region)} {
		it, err := s.store.GetItem(ctx, itemDomain, host, s.clock())
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", domainRecord{}, false, wrap("get domain", err)
		}
		var d domainRecord
		if err := json.Unmarshal(it.Data, &d); err != nil {
			return "", domainRecord{}, false, wrap("decode domain", err)
		}
		if d.Custom != (host == name) {
			continue
		}
		return host, d, true, nil
	}
	return "", domainRecord{}, false, nil
}

// describeUserPoolDomain answers an empty description for unknown domains, as AWS does.
func (s *Service) describeUserPoolDomain(ctx context.Context, in *describeDomainInput) (*describeDomainOutput, error) {
	if in.Domain == "" {
		return nil, missing("Domain")
	}
	host, d, ok, err := s.lookupDomain(ctx, in.Domain)
	if err != nil || !ok {
		return &describeDomainOutput{}, err
	}
	out := domainDescription{UserPoolId: d.UserPoolId, Domain: d.Domain, Version: d.Version, Status: "ACTIVE",
		CloudFrontDistribution: host, S3Bucket: "aws-cognito-prod-" + s.region + "-assets"}
	if d.Custom {
		out.CustomDomainConfig = &customDomainConfig{CertificateArn: d.CertificateArn}
	}
	if d.ManagedLoginVersion != 0 {
		v := d.ManagedLoginVersion
		out.ManagedLoginVersion = &v
	}
	return &describeDomainOutput{DomainDescription: out}, nil
}

func (s *Service) updateUserPoolDomain(ctx context.Context, in *domainInput) (*createDomainOutput, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	host, d, ok, err := s.lookupDomain(ctx, in.Domain)
	if err != nil {
		return nil, err
	}
	if !ok || d.UserPoolId != p.ID {
		return nil, apiErr(excResourceNotFound, "Domain %s does not exist for user pool %s.", in.Domain, p.ID)
	}
	if in.ManagedLoginVersion != nil && *in.ManagedLoginVersion != 1 && *in.ManagedLoginVersion != 2 {
		return nil, invalidParameter("ManagedLoginVersion must be 1 or 2")
	}
	_, err = s.store.UpdateItem(ctx, itemDomain, host, func(it store.Item) (store.Item, error) {
		if in.CustomDomainConfig != nil && d.Custom {
			d.CertificateArn = in.CustomDomainConfig.CertificateArn
		}
		if in.ManagedLoginVersion != nil {
			d.ManagedLoginVersion = *in.ManagedLoginVersion
		}
		it.Data, _ = json.Marshal(d)
		it.UpdatedAt = s.clock()
		return it, nil
	})
	if err != nil {
		return nil, wrap("update domain", err)
	}
	out := &createDomainOutput{ManagedLoginVersion: in.ManagedLoginVersion}
	if d.Custom {
		out.CloudFrontDomain = host
	}
	return out, nil
}

func (s *Service) deleteUserPoolDomain(ctx context.Context, in *domainInput) (*empty, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if in.Domain == "" {
		return nil, missing("Domain")
	}
	host, d, ok, err := s.lookupDomain(ctx, in.Domain)
	if err != nil {
		return nil, err
	}
	if !ok || d.UserPoolId != p.ID {
		return nil, invalidParameter("No such domain or user pool exists.")
	}
	if err := s.store.DeleteItem(ctx, itemDomain, host); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, wrap("delete domain", err)
	}
	return &empty{}, nil
}

// DomainPool returns the pool a Host name serves as a user pool domain.
func (s *Service) DomainPool(ctx context.Context, host string) (string, bool) {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "" || len(host) > 253 {
		return "", false
	}
	it, err := s.store.GetItem(ctx, itemDomain, host, s.clock())
	if err != nil {
		return "", false
	}
	return it.PoolID, true
}

// PoolDomainHosts lists the hosts of a pool's domains.
func (s *Service) PoolDomainHosts(ctx context.Context, poolID string) []string {
	ds, _ := s.poolDomains(ctx, poolID)
	var out []string
	for _, d := range ds {
		if d.Custom {
			out = append(out, d.Domain)
		} else {
			out = append(out, PrefixDomainHost(d.Domain, s.region))
		}
	}
	return out
}
