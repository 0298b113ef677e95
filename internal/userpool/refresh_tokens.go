package userpool

import (
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/cognate-dev/cognate/internal/tokens"
)

// Refresh tokens are sealed, not stored: the token is the server-key
// encryption of its own state, so issuing one costs no durable write (a
// sign-in stays within reach of the bare cryptography's speed). They are
// opaque to clients and revocable through the revocation feed: RevokeToken
// revokes the sign-in's origin_jti, a global sign-out the subject up to its
// time, and both entries live as long as the refresh tokens they cover.

// refreshAAD binds sealed refresh tokens to their purpose.
var refreshAAD = []byte("refresh-token|v1")

// refreshState is what a refresh token carries.
type refreshState struct {
	PoolID    string `json:"p"`
	ClientID  string `json:"c"`
	Username  string `json:"u"`
	Sub       string `json:"s"`
	OriginJTI string `json:"o"`
	AuthTime  int64  `json:"a"`
	IssuedAt  int64  `json:"i"`
	ExpiresAt int64  `json:"e"`
	// Scopes are the OAuth scopes granted (space-separated; "" for the API's tokens).
	Scopes string `json:"sc,omitempty"`
}

func (s *Service) sealRefreshToken(st refreshState) (string, error) {
	raw, err := json.Marshal(st)
	if err != nil {
		return "", wrap("encode refresh token", err)
	}
	return base64.RawURLEncoding.EncodeToString(s.sealer.Seal(raw, refreshAAD)), nil
}

// openRefreshToken returns a token's state; ok is false for anything that is
// not a refresh token this server sealed.
func (s *Service) openRefreshToken(tok string) (refreshState, bool) {
	if len(tok) < 32 || len(tok) > 4096 {
		return refreshState{}, false
	}
	sealed, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return refreshState{}, false
	}
	raw, err := s.sealer.Open(sealed, refreshAAD)
	if err != nil {
		return refreshState{}, false
	}
	var st refreshState
	if json.Unmarshal(raw, &st) != nil || st.PoolID == "" || st.OriginJTI == "" {
		return refreshState{}, false
	}
	return st, true
}

// refreshRevoked reports whether a refresh token's sign-in or subject was revoked.
func (s *Service) refreshRevoked(st refreshState) bool {
	return s.revs.IsRevoked(st.PoolID, tokens.Claims{"origin_jti": st.OriginJTI, "sub": st.Sub, "iat": float64(st.IssuedAt)})
}

// newRefreshState describes a refresh token issued now.
func newRefreshState(p *pool, c *client, username, sub string, ev authEvent, now time.Time) refreshState {
	return refreshState{PoolID: p.ID, ClientID: c.ID, Username: username, Sub: sub, OriginJTI: ev.originJTI,
		AuthTime: ev.authTime.Unix(), IssuedAt: now.Unix(), ExpiresAt: now.Add(c.validity("refresh")).Unix()}
}
