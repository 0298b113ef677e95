package userpool

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/cognate-dev/cognate/internal/store"
)

// client is a loaded app client with its decoded settings.
type client struct {
	store.Client
	cfg     clientSettings
	secret  string         // unsealed first secret; "" when the client has none
	secrets []clientSecret // every active secret (client_secrets.go)
}

func (s *Service) loadClient(ctx context.Context, id string) (*client, error) {
	if id == "" {
		return nil, missing("ClientId")
	}
	now := s.clock()
	if c, ok := cacheGet(s.cache, s.cache.clients, id, now); ok {
		return c, nil
	}
	sc, err := s.store.GetClientByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, clientNotFound(id)
	}
	if err != nil {
		return nil, wrap("get client", err)
	}
	c, err := s.decodeClient(sc)
	if err != nil {
		return nil, err
	}
	cachePut(s.cache, s.cache.clients, id, c, now)
	return c, nil
}

func (s *Service) decodeClient(c store.Client) (*client, error) {
	out := &client{Client: c}
	if err := json.Unmarshal(c.Config, &out.cfg); err != nil {
		return nil, wrap("decode client config", err)
	}
	if len(c.Secret) > 0 {
		sec, err := s.sealer.Open(c.Secret, []byte("client-secret|"+c.PoolID+"|"+c.ID))
		if err != nil {
			return nil, wrap("open client secret", err)
		}
		if out.secrets, err = decodeSecrets(c, sec); err != nil {
			return nil, err
		}
		if len(out.secrets) > 0 {
			out.secret = out.secrets[0].Value
		}
	}
	return out, nil
}

// loadPoolClient loads a client that must belong to poolID.
// loadClientPool loads a client by id alone (the public auth operations name
// only the client) and then its pool.
func (s *Service) loadClientPool(ctx context.Context, clientID string) (*pool, *client, error) {
	c, err := s.loadClient(ctx, clientID)
	if err != nil {
		return nil, nil, err
	}
	p, err := s.loadPool(ctx, c.PoolID)
	if err != nil {
		return nil, nil, err
	}
	return p, c, nil
}

func (s *Service) loadPoolClient(ctx context.Context, poolID, clientID string) (*pool, *client, error) {
	p, err := s.loadPool(ctx, poolID)
	if err != nil {
		return nil, nil, err
	}
	c, err := s.loadClient(ctx, clientID)
	if err != nil {
		return nil, nil, err
	}
	if c.PoolID != p.ID {
		return nil, nil, clientNotFound(clientID)
	}
	return p, c, nil
}

type createClientInput struct {
	UserPoolId     string
	ClientName     string
	GenerateSecret bool
	ClientSecret   *string
	clientSettings
}

type userPoolClientType struct {
	UserPoolId       string
	ClientId         string
	ClientName       string
	ClientSecret     *string `json:",omitempty"`
	CreationDate     *epoch
	LastModifiedDate *epoch
	clientSettings
}

type clientOutput struct {
	UserPoolClient userPoolClientType
}

func clientType(c *client) userPoolClientType {
	out := userPoolClientType{UserPoolId: c.PoolID, ClientId: c.ID, ClientName: c.Name,
		CreationDate: ts(c.CreatedAt), LastModifiedDate: ts(c.UpdatedAt), clientSettings: c.cfg}
	if c.secret != "" {
		out.ClientSecret = strp(c.secret)
	}
	return out
}

func (s *Service) createUserPoolClient(ctx context.Context, in *createClientInput) (*clientOutput, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if in.ClientName == "" {
		return nil, missing("ClientName")
	}
	if err := normalizeClientSettings(&in.clientSettings); err != nil {
		return nil, err
	}
	now := s.clock()
	c := &client{Client: store.Client{PoolID: p.ID, ID: newClientID(), Name: in.ClientName,
		CreatedAt: now, UpdatedAt: now}, cfg: in.clientSettings}
	switch {
	case in.ClientSecret != nil:
		if n := len(*in.ClientSecret); n < 24 || n > 64 {
			return nil, invalidParameter("ClientSecret must be between 24 and 64 characters")
		}
		c.secret = *in.ClientSecret
	case in.GenerateSecret:
		c.secret = newClientSecret()
	}
	if err := s.validateOAuthSettings(ctx, p.ID, &c.cfg, c.secret != ""); err != nil {
		return nil, err
	}
	if c.secret != "" {
		c.Secret = s.sealer.Seal([]byte(c.secret), []byte("client-secret|"+p.ID+"|"+c.ID))
	}
	if c.Config, err = json.Marshal(c.cfg); err != nil {
		return nil, wrap("encode client config", err)
	}
	if err := s.store.CreateClient(ctx, c.Client); err != nil {
		return nil, wrap("create client", err)
	}
	s.log.InfoContext(ctx, "app client created", "pool", p.ID, "client", c.ID, "name", c.Name)
	return &clientOutput{UserPoolClient: clientType(c)}, nil
}

type clientIDInput struct {
	UserPoolId string
	ClientId   string
}

func (s *Service) describeUserPoolClient(ctx context.Context, in *clientIDInput) (*clientOutput, error) {
	_, c, err := s.loadPoolClient(ctx, in.UserPoolId, in.ClientId)
	if err != nil {
		return nil, err
	}
	return &clientOutput{UserPoolClient: clientType(c)}, nil
}

type listClientsInput struct {
	UserPoolId string
	MaxResults int
	NextToken  string
}

type clientDescription struct {
	ClientId   string
	ClientName string
	UserPoolId string
}

type listClientsOutput struct {
	UserPoolClients []clientDescription
	NextToken       string `json:",omitempty"`
}

func (s *Service) listUserPoolClients(ctx context.Context, in *listClientsInput) (*listClientsOutput, error) {
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
	list, err := s.store.ListClients(ctx, p.ID, store.Page{After: after, Limit: limit + 1})
	if err != nil {
		return nil, wrap("list clients", err)
	}
	out := &listClientsOutput{UserPoolClients: []clientDescription{}}
	if len(list) > limit {
		list = list[:limit]
		out.NextToken = encodeToken(list[len(list)-1].ID)
	}
	for _, c := range list {
		out.UserPoolClients = append(out.UserPoolClients, clientDescription{ClientId: c.ID, ClientName: c.Name, UserPoolId: c.PoolID})
	}
	return out, nil
}

type updateClientInput struct {
	UserPoolId string
	ClientId   string
	ClientName *string
	clientSettings
}

// updateUserPoolClient replaces the client's settings; as in AWS, settings
// left out return to their defaults.
func (s *Service) updateUserPoolClient(ctx context.Context, in *updateClientInput) (*clientOutput, error) {
	_, old, err := s.loadPoolClient(ctx, in.UserPoolId, in.ClientId)
	if err != nil {
		return nil, err
	}
	if err := normalizeClientSettings(&in.clientSettings); err != nil {
		return nil, err
	}
	if err := s.validateOAuthSettings(ctx, old.PoolID, &in.clientSettings, old.secret != ""); err != nil {
		return nil, err
	}
	raw, err := json.Marshal(in.clientSettings)
	if err != nil {
		return nil, wrap("encode client config", err)
	}
	updated, err := s.store.UpdateClient(ctx, in.UserPoolId, in.ClientId, func(c store.Client) (store.Client, error) {
		c.Config = raw
		if in.ClientName != nil && *in.ClientName != "" {
			c.Name = *in.ClientName
		}
		c.UpdatedAt = s.clock()
		return c, nil
	})
	s.cache.forget("", in.ClientId)
	if err != nil {
		return nil, wrap("update client", err)
	}
	c, err := s.decodeClient(updated)
	if err != nil {
		return nil, err
	}
	return &clientOutput{UserPoolClient: clientType(c)}, nil
}

func (s *Service) deleteUserPoolClient(ctx context.Context, in *clientIDInput) (*empty, error) {
	if _, _, err := s.loadPoolClient(ctx, in.UserPoolId, in.ClientId); err != nil {
		return nil, err
	}
	err := s.store.DeleteClient(ctx, in.UserPoolId, in.ClientId)
	s.cache.forget("", in.ClientId)
	if err != nil {
		return nil, wrap("delete client", err)
	}
	return &empty{}, nil
}
