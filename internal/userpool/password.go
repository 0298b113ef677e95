package userpool

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"unicode"

	"github.com/cognate-dev/cognate/internal/store"
	"github.com/cognate-dev/cognate/internal/userpool/srp"
)

const symbols = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- "

// checkPassword enforces the pool's password policy with AWS's messages.
func checkPassword(pp passwordPolicy, pw string) error {
	if pw == "" {
		return missing("PASSWORD")
	}
	if len(pw) > 256 || strings.TrimSpace(pw) != pw {
		return invalidParameter("1 validation error detected: Value at 'password' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[\\S]+.*[\\S]+$")
	}
	fail := func(why string) error {
		return apiErr(excInvalidPassword, "Password did not conform with policy: %s", why)
	}
	minLen := 8
	if pp.MinimumLength != nil {
		minLen = int(*pp.MinimumLength)
	}
	if len([]rune(pw)) < minLen {
		return fail("Password not long enough")
	}
	var upper, lower, number, symbol bool
	for _, r := range pw {
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case r >= '0' && r <= '9':
			number = true
		case strings.ContainsRune(symbols, r):
			symbol = true
		}
	}
	switch {
	case pp.RequireUppercase && !upper:
		return fail("Password must have uppercase characters")
	case pp.RequireLowercase && !lower:
		return fail("Password must have lowercase characters")
	case pp.RequireNumbers && !number:
		return fail("Password must have numeric characters")
	case pp.RequireSymbols && !symbol:
		return fail("Password must have symbol characters")
	}
	return nil
}

// generatePassword returns a temporary password satisfying pp.
func generatePassword(pp passwordPolicy) string {
	n := 12
	if pp.MinimumLength != nil && int(*pp.MinimumLength) > n {
		n = int(*pp.MinimumLength)
	}
	return randomString("ABCDEFGHJKLMNPQRSTUVWXYZ", 2) + randomString("abcdefghijkmnopqrstuvwxyz", 2) +
		randomString(digits, 2) + randomString("!#%+=", 2) + randomString(alnumMixed, n-8)
}

// passwordMaterial is the password material of a user, sealed in store.User.Credentials.
type passwordMaterial struct {
	Salt     []byte `json:"salt"`
	Verifier []byte `json:"v"`
}

func credentialsAAD(poolID, username string) []byte {
	return []byte("verifier|" + poolID + "|" + username)
}

// setPassword replaces u's password material.
func (s *Service) setPassword(p *pool, u *store.User, password string) error {
	salt, err := srp.NewSalt()
	if err != nil {
		return wrap("new salt", err)
	}
	raw, err := json.Marshal(passwordMaterial{Salt: salt, Verifier: srp.Verifier(p.shortName(), u.Username, password, salt)})
	if err != nil {
		return wrap("encode credentials", err)
	}
	u.Credentials = s.sealer.Seal(raw, credentialsAAD(p.ID, u.Username))
	return nil
}

// credentialsOf opens u's password material; ok is false when it has none.
func (s *Service) credentialsOf(p *pool, u *store.User) (passwordMaterial, bool, error) {
	if len(u.Credentials) == 0 {
		return passwordMaterial{}, false, nil
	}
	raw, err := s.sealer.Open(u.Credentials, credentialsAAD(p.ID, u.Username))
	if err != nil {
		return passwordMaterial{}, false, wrap("open credentials", err)
	}
	var c passwordMaterial
	if err := json.Unmarshal(raw, &c); err != nil {
		return passwordMaterial{}, false, wrap("decode credentials", err)
	}
	return c, true, nil
}

// checkUserPassword verifies password against u's verifier.
func (s *Service) checkUserPassword(p *pool, u *store.User, password string) (bool, error) {
	c, ok, err := s.credentialsOf(p, u)
	if err != nil || !ok {
		return false, err
	}
	return srp.VerifyPassword(p.shortName(), u.Username, password, c.Salt, c.Verifier), nil
}

// secretHash is base64(HMAC-SHA256(secret, username+clientID)).
func secretHash(secret, username, clientID string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(username + clientID))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func constantTimeEqual(a, b string) bool { return hmac.Equal([]byte(a), []byte(b)) }

func secretHashEqual(secret, username, clientID, given string) bool {
	return hmac.Equal([]byte(secretHash(secret, username, clientID)), []byte(given))
}

// keyedHash is HMAC-SHA256(key, parts joined by "|").
func keyedHash(key []byte, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strings.Join(parts, "|")))
	return m.Sum(nil)
}
