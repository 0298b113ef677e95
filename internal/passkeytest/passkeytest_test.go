package passkeytest

import (
	"encoding/json"
	"testing"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

type user struct{ creds []webauthn.Credential }

func (u *user) WebAuthnID() []byte                         { return []byte("user-1") }
func (u *user) WebAuthnName() string                       { return "alice" }
func (u *user) WebAuthnDisplayName() string                { return "alice" }
func (u *user) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// TestAuthenticatorAgainstGoWebAuthn: what the software authenticator
// makes verifies with go-webauthn, and a tampered assertion does not.
func TestAuthenticatorAgainstGoWebAuthn(t *testing.T) {
	wa, err := webauthn.New(&webauthn.Config{RPID: "localhost", RPDisplayName: "test", RPOrigins: []string{"http://localhost:9"}})
	if err != nil {
		t.Fatal(err)
	}
	u := &user{}
	creation, session, err := wa.BeginRegistration(u)
	if err != nil {
		t.Fatal(err)
	}
	opts, _ := json.Marshal(creation.Response)
	a := New("http://localhost:9")
	resp, err := a.Create(opts)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(resp)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := wa.CreateCredential(u, *session, parsed)
	if err != nil {
		t.Fatalf("registration: %v", err)
	}
	u.creds = append(u.creds, *cred)
	assertion, lsession, err := wa.BeginLogin(u)
	if err != nil {
		t.Fatal(err)
	}
	ropts, _ := json.Marshal(assertion.Response)
	got, err := a.Get(ropts)
	if err != nil {
		t.Fatal(err)
	}
	pa, err := protocol.ParseCredentialRequestResponseBytes(got)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wa.ValidateLogin(u, *lsession, pa); err != nil {
		t.Fatalf("login: %v", err)
	}
	other := New("http://localhost:9")
	forged, _ := other.Get(ropts)
	var m, g map[string]any
	_ = json.Unmarshal(forged, &m)
	_ = json.Unmarshal(got, &g)
	m["id"], m["rawId"] = g["id"], g["rawId"]
	forged, _ = json.Marshal(m)
	pf, err := protocol.ParseCredentialRequestResponseBytes(forged)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wa.ValidateLogin(u, *lsession, pf); err == nil {
		t.Fatal("an assertion signed by another key verified")
	}
}
