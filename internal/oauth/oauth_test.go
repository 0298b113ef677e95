package oauth

import (
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/secret"
	"github.com/cognate-dev/cognate/internal/store/sqlite"
)

func TestPKCEMatches(t *testing.T) {
	verifier := strings.Repeat("a1-._~", 8) // 48 unreserved characters
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	if !pkceMatches(challenge, verifier) {
		t.Fatal("the right verifier is refused")
	}
	for name, v := range map[string]string{
		"other verifier": strings.Repeat("b", 48),
		"too short":      verifier[:42],
		"too long":       strings.Repeat("a", 129),
		"bad character":  verifier[:47] + "+",
		"the challenge":  challenge, // plain-method downgrade: verifier == challenge
		"empty":          "",
	} {
		if pkceMatches(challenge, v) {
			t.Errorf("%s accepted", name)
		}
	}
}

// newTestServer is a Server over a real SQLite store with a fake clock
// (no user pools: only code storage is exercised).
func newTestServer(t *testing.T, now *time.Time) *Server {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sealer, err := secret.NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	return New(Options{Store: st, Sealer: sealer, Now: func() time.Time { return *now }})
}

func TestCodesAreSingleUseBoundAndExpire(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	s := newTestServer(t, &now)
	ctx := t.Context()
	st := codeState{ClientID: "c1", RedirectURI: "https://app.example/cb", Username: "alice", Scopes: []string{"openid"}, OriginJTI: "o1"}
	code, err := s.newCode(ctx, "us-east-1_pool", st)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.takeCode(ctx, "us-east-1_other", code); ok {
		t.Fatal("a code was redeemed at another pool")
	}
	code, _ = s.newCode(ctx, "us-east-1_pool", st)
	got, ok, err := s.takeCode(ctx, "us-east-1_pool", code)
	if err != nil || !ok || got.ClientID != "c1" || got.RedirectURI != st.RedirectURI || got.OriginJTI != "o1" {
		t.Fatalf("redeem: %v %v %+v", ok, err, got)
	}
	if _, ok, _ := s.takeCode(ctx, "us-east-1_pool", code); ok {
		t.Fatal("a code was redeemed twice")
	}
	// Five minutes of life, not a millisecond more.
	code, _ = s.newCode(ctx, "us-east-1_pool", st)
	now = now.Add(CodeTTL)
	if _, ok, _ := s.takeCode(ctx, "us-east-1_pool", code); ok {
		t.Fatal("an expired code was redeemed")
	}
	for _, bad := range []string{"", strings.Repeat("x", 600), "not-a-code"} {
		if _, ok, _ := s.takeCode(ctx, "us-east-1_pool", bad); ok {
			t.Fatalf("%q redeemed", bad)
		}
	}
}
