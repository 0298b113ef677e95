package userpool

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

// Clients with several secrets (AddUserPoolClientSecret,
// ListUserPoolClientSecrets, DeleteUserPoolClientSecret): up to two active
// secrets, for rotation without downtime; SECRET_HASH, the token
// endpoint's client authentication, RevokeToken and
// GetTokensFromRefreshToken accept any of them. The client's sealed secret
// (store.Client.Secret) holds either the one secret of a client created
// with one (its id derived from the client's creation) or, once secrets
// were added or deleted, the JSON list of every secret.

// secretPattern is AWS's pattern of a client secret value.
var secretPattern = regexp.MustCompile(`^[\w+]+$`)

// maxClientSecrets is AWS's limit of active secrets per client.
const maxClientSecrets = 2

// clientSecret is one secret of a client.
type clientSecret struct {
	ID      string `json:"id"`
	Value   string `json:"v"`
	Created int64  `json:"c"` // Unix milliseconds
}

// secretID is AWS's id format, <client-id>--<epoch-create-time> (Cognate
// counts milliseconds, so two secrets made in one second differ).
func secretID(clientID string, created time.Time) string {
	return clientID + "--" + strconv.FormatInt(created.UnixMilli(), 10)
}

// decodeSecrets reads an unsealed client secret: a JSON list, or one secret.
func decodeSecrets(c store.Client, plain []byte) ([]clientSecret, error) {
	if len(plain) > 0 && plain[0] == '[' {
		var list []clientSecret
		if err := json.Unmarshal(plain, &list); err != nil {
			return nil, wrap("decode client secrets", err)
		}
		return list, nil
	}
	return []clientSecret{{ID: secretID(c.ID, c.CreatedAt), Value: string(plain), Created: c.CreatedAt.UnixMilli()}}, nil
}

// secretMatches reports, in constant time per secret, whether given is one
// of the client's secrets.
func (c *client) secretMatches(given string) bool {
	ok := false
	for _, sec := range c.secrets {
		if constantTimeEqual(sec.Value, given) {
			ok = true
		}
	}
	return ok
}

type clientSecretDescriptor struct {
	ClientSecretId         string
	ClientSecretValue      string `json:",omitempty"`
	ClientSecretCreateDate *epoch
}

func describeSecret(sec clientSecret) clientSecretDescriptor {
	return clientSecretDescriptor{ClientSecretId: sec.ID, ClientSecretCreateDate: ts(time.UnixMilli(sec.Created))}
}

// saveSecrets seals the client's secrets into its record.
func (s *Service) saveSecrets(ctx context.Context, c *client, list []clientSecret) error {
	raw, err := json.Marshal(list)
	if err != nil {
		return wrap("encode client secrets", err)
	}
	sealed := s.sealer.Seal(raw, []byte("client-secret|"+c.PoolID+"|"+c.ID))
	_, err = s.store.UpdateClient(ctx, c.PoolID, c.ID, func(sc store.Client) (store.Client, error) {
		sc.Secret, sc.UpdatedAt = sealed, s.clock()
		return sc, nil
	})
	s.cache.forget("", c.ID)
	if err != nil {
		return wrap("update client secrets", err)
	}
	return nil
}

type addClientSecretInput struct {
	UserPoolId   string
	ClientId     string
	ClientSecret *string
}

type addClientSecretOutput struct {
	ClientSecretDescriptor clientSecretDescriptor
}

func (s *Service) addUserPoolClientSecret(ctx context.Context, in *addClientSecretInput) (*addClientSecretOutput, error) {
	_, c, err := s.loadPoolClient(ctx, in.UserPoolId, in.ClientId)
	if err != nil {
		return nil, err
	}
	var sec clientSecret
	generated := in.ClientSecret == nil
	if generated {
		sec.Value = newClientSecret()
	} else {
		v := *in.ClientSecret
		if n := len(v); n < 24 || n > 64 || !secretPattern.MatchString(v) {
			return nil, invalidParameter("1 validation error detected: Value at 'clientSecret' failed to satisfy constraint: Member must have length between 24 and 64 and satisfy regular expression pattern: [\\w+]+")
		}
		sec.Value = v
	}
	// AWS documents no answer for a client without a secret; a public
	// client stays public (its settings were validated without one).
	if len(c.secrets) == 0 {
		return nil, invalidParameter("Client %s has no client secret: only a confidential client can have more secrets.", c.ID)
	}
	if len(c.secrets) >= maxClientSecrets {
		return nil, apiErr(excLimitExceeded, "Client %s already has the maximum of %d client secrets.", c.ID, maxClientSecrets)
	}
	now := s.clock()
	sec.Created = now.UnixMilli()
	sec.ID = secretID(c.ID, now)
	for _, old := range c.secrets {
		if old.ID == sec.ID {
			sec.Created++
			sec.ID = secretID(c.ID, time.UnixMilli(sec.Created))
		}
	}
	if err := s.saveSecrets(ctx, c, append(append([]clientSecret{}, c.secrets...), sec)); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "client secret added", "pool", c.PoolID, "client", c.ID, "secret_id", sec.ID)
	out := describeSecret(sec)
	if generated {
		out.ClientSecretValue = sec.Value // only a secret Cognito generated is returned, as on AWS
	}
	return &addClientSecretOutput{ClientSecretDescriptor: out}, nil
}

type listClientSecretsOutput struct {
	ClientSecrets []clientSecretDescriptor
}

func (s *Service) listUserPoolClientSecrets(ctx context.Context, in *clientIDInput) (*listClientSecretsOutput, error) {
	_, c, err := s.loadPoolClient(ctx, in.UserPoolId, in.ClientId)
	if err != nil {
		return nil, err
	}
	out := &listClientSecretsOutput{ClientSecrets: []clientSecretDescriptor{}}
	for _, sec := range c.secrets {
		out.ClientSecrets = append(out.ClientSecrets, describeSecret(sec))
	}
	return out, nil
}

type deleteClientSecretInput struct {
	UserPoolId     string
	ClientId       string
	ClientSecretId string
}

func (s *Service) deleteUserPoolClientSecret(ctx context.Context, in *deleteClientSecretInput) (*empty, error) {
	if in.ClientSecretId == "" {
		return nil, missing("ClientSecretId")
	}
	_, c, err := s.loadPoolClient(ctx, in.UserPoolId, in.ClientId)
	if err != nil {
		return nil, err
	}
	var keep []clientSecret
	found := false
	for _, sec := range c.secrets {
		if sec.ID == in.ClientSecretId {
			found = true
			continue
		}
		keep = append(keep, sec)
	}
	if !found {
		return nil, apiErr(excResourceNotFound, "Client secret %s does not exist.", in.ClientSecretId)
	}
	// AWS documents no answer for deleting the last secret; Cognate keeps
	// a confidential client confidential.
	if len(keep) == 0 {
		return nil, invalidParameter("Client secret %s is the client's only secret and cannot be deleted.", in.ClientSecretId)
	}
	if err := s.saveSecrets(ctx, c, keep); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "client secret deleted", "pool", c.PoolID, "client", c.ID, "secret_id", in.ClientSecretId)
	return &empty{}, nil
}
