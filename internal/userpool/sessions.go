package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

// Session kinds.
const (
	sessionSRP         = "srp"
	sessionNewPassword = "new_password"
	sessionCustom      = "custom"
)

// challengeState is the server side of an auth challenge, sealed in a
// store.Session whose id is a hash of the bearer value the client holds
// (the SECRET_BLOCK or the Session string).
type challengeState struct {
	PoolID   string `json:"p"`
	ClientID string `json:"c"`
	// Username is the stored username, or for an unknown user the name the
	// challenge was issued to.
	Username string `json:"u"`
	// Login is the (normalized) name the user signed in with.
	Login string `json:"n,omitempty"`
	// LockKey is the lockout key of the login.
	LockKey string `json:"l"`
	// Key is the SRP session key (PASSWORD_VERIFIER only).
	Key  []byte `json:"k,omitempty"`
	Fake bool   `json:"f,omitempty"`
	// Admin says the challenge came from AdminInitiateAuth.
	Admin bool `json:"a,omitempty"`
	// Custom is the state of a CUSTOM_AUTH flow.
	Custom *customState `json:"cu,omitempty"`
}

func sessionAAD(kind, id string) []byte { return []byte("session|" + kind + "|" + id) }

// putChallenge stores st and returns the bearer value for the client. A
// non-empty bearer is used as is (the SRP SECRET_BLOCK).
func (s *Service) putChallenge(ctx context.Context, kind, bearer string, st challengeState, ttl time.Duration) (string, error) {
	id := ""
	if bearer == "" {
		bearer, id = newOpaqueToken(96)
	} else {
		id = tokenID(bearer)
	}
	raw, err := json.Marshal(st)
	if err != nil {
		return "", wrap("encode session", err)
	}
	sess := store.Session{ID: id, PoolID: st.PoolID, Kind: kind, Data: s.sealer.Seal(raw, sessionAAD(kind, id)),
		ExpiresAt: s.clock().Add(ttl)}
	if err := s.store.PutSession(ctx, sess); err != nil {
		return "", wrap("store session", err)
	}
	return bearer, nil
}

// takeChallenge consumes the session a bearer names; ok is false when it is
// missing, expired, already used or of another kind.
func (s *Service) takeChallenge(ctx context.Context, kind, bearer string) (challengeState, bool, error) {
	if bearer == "" || len(bearer) > 8192 {
		return challengeState{}, false, nil
	}
	id := tokenID(bearer)
	sess, err := s.store.TakeSession(ctx, id, s.clock())
	if errors.Is(err, store.ErrNotFound) {
		return challengeState{}, false, nil
	}
	if err != nil {
		return challengeState{}, false, wrap("take session", err)
	}
	if sess.Kind != kind {
		return challengeState{}, false, nil
	}
	raw, err := s.sealer.Open(sess.Data, sessionAAD(kind, id))
	if err != nil {
		return challengeState{}, false, nil
	}
	var st challengeState
	if err := json.Unmarshal(raw, &st); err != nil {
		return challengeState{}, false, wrap("decode session", err)
	}
	return st, true, nil
}
