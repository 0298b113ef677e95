package userpool

import (
	"context"
	"slices"
	"strings"
	"time"
)

// termsDoc is a stored terms document set (AWS's TermsType).
type termsDoc struct {
	TermsId          string
	UserPoolId       string
	ClientId         string
	TermsName        string
	TermsSource      string
	Enforcement      string
	Links            map[string]string
	CreationDate     time.Time
	LastModifiedDate time.Time
}

type termsType struct {
	TermsId          string
	UserPoolId       string
	ClientId         string
	TermsName        string
	TermsSource      string
	Enforcement      string
	Links            map[string]string
	CreationDate     *epoch
	LastModifiedDate *epoch
}

func (d *termsDoc) api() termsType {
	return termsType{TermsId: d.TermsId, UserPoolId: d.UserPoolId, ClientId: d.ClientId, TermsName: d.TermsName,
		TermsSource: d.TermsSource, Enforcement: d.Enforcement, Links: d.Links,
		CreationDate: ts(d.CreationDate), LastModifiedDate: ts(d.LastModifiedDate)}
}

// maxTermsPerPool bounds the terms documents of a pool (two per client).
const maxTermsPerPool = 200

func termsNotFound() error { return apiErr(excResourceNotFound, "Terms not found.") }

func checkTermsFields(name, source, enforcement string, links map[string]string) error {
	if !strings.HasPrefix(name, "terms-of-use") && !strings.HasPrefix(name, "privacy-policy") {
		return invalidParameter("TermsName must begin with terms-of-use or privacy-policy.")
	}
	if len(name) > 30 {
		return invalidParameter("1 validation error detected: Value '%s' at 'termsName' failed to satisfy constraint: Member must have length less than or equal to 30", name)
	}
	if source != "LINK" {
		return invalidParameter("1 validation error detected: Value '%s' at 'termsSource' failed to satisfy constraint: Member must satisfy enum value set: [LINK]", source)
	}
	if enforcement != "NONE" {
		return invalidParameter("1 validation error detected: Value '%s' at 'enforcement' failed to satisfy constraint: Member must satisfy enum value set: [NONE]", enforcement)
	}
	if len(links) < 1 || len(links) > 12 {
		return invalidParameter("1 validation error detected: Value at 'links' failed to satisfy constraint: Member must have length between 1 and 12")
	}
	for lang, url := range links {
		if !strings.HasPrefix(lang, "cognito:") {
			return invalidParameter("Invalid language %q in Links: keys are cognito:default or cognito:<language>.", lang)
		}
		if !strings.HasPrefix(url, "https://") {
			return invalidParameter("Invalid URL for %s in Links: terms documents must be https URLs.", lang)
		}
	}
	return nil
}

type createTermsInput struct {
	UserPoolId  string
	ClientId    string
	TermsName   string
	TermsSource string
	Enforcement string
	Links       map[string]string
}

type termsOutput struct {
	Terms termsType
}

func (s *Service) createTerms(ctx context.Context, in *createTermsInput) (*termsOutput, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if in.ClientId == "" {
		return nil, missing("ClientId")
	}
	if _, _, err := s.loadPoolClient(ctx, p.ID, in.ClientId); err != nil {
		return nil, err
	}
	if err := checkTermsFields(in.TermsName, in.TermsSource, in.Enforcement, in.Links); err != nil {
		return nil, err
	}
	now := s.clock()
	doc := &termsDoc{TermsId: newUUID(), UserPoolId: p.ID, ClientId: in.ClientId, TermsName: in.TermsName,
		TermsSource: in.TermsSource, Enforcement: in.Enforcement, Links: in.Links, CreationDate: now, LastModifiedDate: now}
	err = s.updatePoolConfig(ctx, p.ID, func(cfg *poolConfig) error {
		for _, d := range cfg.Terms {
			if d.ClientId == in.ClientId && d.TermsName == in.TermsName {
				return apiErr("TermsExistsException", "Terms named %s already exist for this app client.", in.TermsName)
			}
		}
		if len(cfg.Terms) >= maxTermsPerPool {
			return apiErr(excLimitExceeded, "The user pool has the maximum number of terms documents.")
		}
		if cfg.Terms == nil {
			cfg.Terms = map[string]*termsDoc{}
		}
		cfg.Terms[doc.TermsId] = doc
		return nil
	})
	if err != nil {
		return nil, apiOrWrap("create terms", err)
	}
	return &termsOutput{Terms: doc.api()}, nil
}

type termsIDInput struct {
	UserPoolId string
	TermsId    string
}

func (s *Service) loadTerms(ctx context.Context, poolID, id string) (*pool, *termsDoc, error) {
	p, err := s.loadPool(ctx, poolID)
	if err != nil {
		return nil, nil, err
	}
	if id == "" {
		return nil, nil, missing("TermsId")
	}
	d := p.cfg.Terms[id]
	if d == nil {
		return nil, nil, termsNotFound()
	}
	return p, d, nil
}

func (s *Service) describeTerms(ctx context.Context, in *termsIDInput) (*termsOutput, error) {
	_, d, err := s.loadTerms(ctx, in.UserPoolId, in.TermsId)
	if err != nil {
		return nil, err
	}
	return &termsOutput{Terms: d.api()}, nil
}

type updateTermsInput struct {
	UserPoolId  string
	TermsId     string
	TermsName   *string
	TermsSource *string
	Enforcement *string
	Links       map[string]string
}

// updateTerms replaces the fields given and keeps the others.
func (s *Service) updateTerms(ctx context.Context, in *updateTermsInput) (*termsOutput, error) {
	p, cur, err := s.loadTerms(ctx, in.UserPoolId, in.TermsId)
	if err != nil {
		return nil, err
	}
	next := *cur
	if in.TermsName != nil {
		next.TermsName = *in.TermsName
	}
	if in.TermsSource != nil {
		next.TermsSource = *in.TermsSource
	}
	if in.Enforcement != nil {
		next.Enforcement = *in.Enforcement
	}
	if in.Links != nil {
		next.Links = in.Links
	}
	if err := checkTermsFields(next.TermsName, next.TermsSource, next.Enforcement, next.Links); err != nil {
		return nil, err
	}
	next.LastModifiedDate = s.clock()
	err = s.updatePoolConfig(ctx, p.ID, func(cfg *poolConfig) error {
		if cfg.Terms[in.TermsId] == nil {
			return termsNotFound()
		}
		for id, d := range cfg.Terms {
			if id != in.TermsId && d.ClientId == next.ClientId && d.TermsName == next.TermsName {
				return apiErr("TermsExistsException", "Terms named %s already exist for this app client.", next.TermsName)
			}
		}
		cfg.Terms[in.TermsId] = &next
		return nil
	})
	if err != nil {
		return nil, apiOrWrap("update terms", err)
	}
	return &termsOutput{Terms: next.api()}, nil
}

func (s *Service) deleteTerms(ctx context.Context, in *termsIDInput) (*empty, error) {
	p, _, err := s.loadTerms(ctx, in.UserPoolId, in.TermsId)
	if err != nil {
		return nil, err
	}
	err = s.updatePoolConfig(ctx, p.ID, func(cfg *poolConfig) error {
		if cfg.Terms[in.TermsId] == nil {
			return termsNotFound()
		}
		delete(cfg.Terms, in.TermsId)
		return nil
	})
	if err != nil {
		return nil, apiOrWrap("delete terms", err)
	}
	return &empty{}, nil
}

type listTermsInput struct {
	UserPoolId string
	MaxResults *int
	NextToken  string
}

type termsDescription struct {
	TermsId          string
	TermsName        string
	Enforcement      string
	CreationDate     *epoch
	LastModifiedDate *epoch
}

type listTermsOutput struct {
	Terms     []termsDescription
	NextToken string `json:",omitempty"`
}

// listTerms pages through the pool's terms documents by id.
func (s *Service) listTerms(ctx context.Context, in *listTermsInput) (*listTermsOutput, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	limit := 10
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 10 {
			return nil, invalidParameter("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 10", *in.MaxResults)
		}
		limit = *in.MaxResults
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(p.cfg.Terms))
	for id := range p.cfg.Terms {
		if id > after {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	out := &listTermsOutput{Terms: []termsDescription{}}
	if len(ids) > limit {
		ids = ids[:limit]
		out.NextToken = encodeToken(ids[len(ids)-1])
	}
	for _, id := range ids {
		d := p.cfg.Terms[id]
		out.Terms = append(out.Terms, termsDescription{TermsId: d.TermsId, TermsName: d.TermsName, Enforcement: d.Enforcement,
			CreationDate: ts(d.CreationDate), LastModifiedDate: ts(d.LastModifiedDate)})
	}
	return out, nil
}
