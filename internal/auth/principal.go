package auth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync/atomic"

	"github.com/cognate-dev/cognate/internal/iampolicy"
)

// Principal is the identity behind an access key.
type Principal struct {
	// ARN is arn:aws:iam::ACCOUNT:root or arn:aws:iam::ACCOUNT:user/NAME.
	ARN string
	// Name is the user name ("root" for the root user).
	Name string
	// Account is the account id.
	Account string
	// UserID is IAM's unique id (the access key's owner id for users).
	UserID string
	// Root principals are allowed everything, as the root user of an AWS account.
	Root bool
	// Policies are the identity policies attached to the user.
	Policies []*iampolicy.Policy
}

// Type is aws:PrincipalType's value.
func (p *Principal) Type() string {
	if p.Root {
		return "Account"
	}
	return "User"
}

// AccessKey is one access key of a principal.
type AccessKey struct {
	ID        string
	secret    []byte
	Principal *Principal
}

// NewAccessKey returns an access key of p.
func NewAccessKey(id, secret string, p *Principal) *AccessKey {
	return &AccessKey{ID: id, secret: []byte(secret), Principal: p}
}

// Keys finds access keys by id. Implementations hold secrets in memory only
// or sealed at rest.
type Keys interface {
	AccessKey(ctx context.Context, id string) (*AccessKey, bool, error)
}

// Registry is the set of access keys read from the environment and the
// configuration file; Replace swaps it atomically on reload.
type Registry struct {
	keys atomic.Pointer[map[string]*AccessKey]
}

// NewRegistry returns a registry holding keys.
func NewRegistry(keys ...*AccessKey) *Registry {
	r := &Registry{}
	r.Replace(keys...)
	return r
}

// Replace swaps in a new set of keys.
func (r *Registry) Replace(keys ...*AccessKey) {
	m := make(map[string]*AccessKey, len(keys))
	for _, k := range keys {
		m[k.ID] = k
	}
	r.keys.Store(&m)
}

// Len is the number of keys.
func (r *Registry) Len() int { return len(*r.keys.Load()) }

// AccessKey implements Keys. The lookup by id is a map access (ids are not
// secret); the secret itself is only ever used to derive a signing key.
func (r *Registry) AccessKey(_ context.Context, id string) (*AccessKey, bool, error) {
	k, ok := (*r.keys.Load())[id]
	return k, ok, nil
}

// RootPrincipal is the root user of account.
func RootPrincipal(account string) *Principal {
	return &Principal{ARN: "arn:aws:iam::" + account + ":root", Name: "root", Account: account, UserID: account, Root: true}
}

// UserPrincipal is an IAM user of account with its policies.
func UserPrincipal(account, name, userID string, policies []*iampolicy.Policy) *Principal {
	return &Principal{ARN: "arn:aws:iam::" + account + ":user/" + name, Name: name, Account: account, UserID: userID, Policies: policies}
}

// Access key ids and secrets as IAM issues them: ids of 16–128 word
// characters, secrets of at least 16 characters.
var accessKeyIDPattern = regexp.MustCompile(`^[A-Za-z0-9_]{16,128}$`)

// CheckKeyPair validates an access key pair read from a file or the environment.
func CheckKeyPair(id, secret string) error {
	if !accessKeyIDPattern.MatchString(id) {
		return errors.New("access key id must be 16 to 128 letters, digits or underscores")
	}
	if len(secret) < 16 {
		return errors.New("secret access key must be at least 16 characters")
	}
	return nil
}

// RootKeyFromEnv reads COGNATE_ROOT_ACCESS_KEY_ID and
// COGNATE_ROOT_SECRET_ACCESS_KEY, or the JSON file (as `aws iam
// create-access-key` prints: {"AccessKeyId":..., "SecretAccessKey":...},
// optionally inside "AccessKey") named by file or COGNATE_ROOT_CREDENTIALS_FILE.
// It returns nil when none is configured.
func RootKeyFromEnv(account, file string) (*AccessKey, error) {
	id, secret := os.Getenv("COGNATE_ROOT_ACCESS_KEY_ID"), os.Getenv("COGNATE_ROOT_SECRET_ACCESS_KEY")
	if file == "" {
		file = os.Getenv("COGNATE_ROOT_CREDENTIALS_FILE")
	}
	switch {
	case id != "" || secret != "":
		if id == "" || secret == "" {
			return nil, errors.New("set both COGNATE_ROOT_ACCESS_KEY_ID and COGNATE_ROOT_SECRET_ACCESS_KEY")
		}
	case file != "":
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("root credentials: %w", err)
		}
		var doc struct {
			AccessKeyID     string `json:"AccessKeyId"`
			SecretAccessKey string `json:"SecretAccessKey"`
			AccessKey       *struct {
				AccessKeyID     string `json:"AccessKeyId"`
				SecretAccessKey string `json:"SecretAccessKey"`
			} `json:"AccessKey"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			return nil, fmt.Errorf("root credentials %s: not JSON with AccessKeyId and SecretAccessKey: %w", file, err)
		}
		if doc.AccessKey != nil {
			doc.AccessKeyID, doc.SecretAccessKey = doc.AccessKey.AccessKeyID, doc.AccessKey.SecretAccessKey
		}
		id, secret = strings.TrimSpace(doc.AccessKeyID), strings.TrimSpace(doc.SecretAccessKey)
	default:
		return nil, nil
	}
	if err := CheckKeyPair(id, secret); err != nil {
		return nil, fmt.Errorf("root credentials: %w", err)
	}
	return NewAccessKey(id, secret, RootPrincipal(account)), nil
}

// equalHMAC compares two MACs in constant time.
func equalHMAC(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }
