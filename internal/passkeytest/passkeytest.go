// Package passkeytest is a software WebAuthn authenticator for tests: it
// answers the creation and request options a relying party hands out with
// "none" attestations and ES256 assertions, as a browser and a platform
// authenticator would.
package passkeytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

// Authenticator holds one passkey. Origin is what the "browser" writes in
// the client data; RPID, when set, overrides the relying party id the
// authenticator binds to (to forge a mismatch).
type Authenticator struct {
	Origin string
	RPID   string
	// NoUserVerification makes assertions with user presence only (UV flag clear).
	NoUserVerification bool
	key                *ecdsa.PrivateKey
	credID             []byte
	userHandle         []byte
	counter            uint32
}

// New returns an authenticator whose client runs at origin.
func New(origin string) *Authenticator {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	return &Authenticator{Origin: origin, key: key, credID: id}
}

// CredentialID is the passkey's id, base64url as Cognito lists it.
func (a *Authenticator) CredentialID() string { return b64(a.credID) }

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

type options struct {
	Challenge string `json:"challenge"`
	RPID      string `json:"rpId"`
	RP        struct {
		ID string `json:"id"`
	} `json:"rp"`
	User struct {
		ID string `json:"id"`
	} `json:"user"`
}

func (a *Authenticator) clientData(typ, challenge string) []byte {
	raw, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	return raw
}

func (a *Authenticator) authData(rpID string, attested bool) []byte {
	if a.RPID != "" {
		rpID = a.RPID
	}
	h := sha256.Sum256([]byte(rpID))
	out := append([]byte{}, h[:]...)
	flags := byte(0x01 | 0x04) // user present, user verified
	if a.NoUserVerification {
		flags = 0x01
	}
	if attested {
		flags |= 0x40
	}
	a.counter++
	out = append(out, flags)
	out = binary.BigEndian.AppendUint32(out, a.counter)
	if attested {
		out = append(out, make([]byte, 16)...) // AAGUID
		out = binary.BigEndian.AppendUint16(out, uint16(len(a.credID)))
		out = append(out, a.credID...)
		pub := a.key.PublicKey
		x, y := make([]byte, 32), make([]byte, 32)
		pub.X.FillBytes(x)
		pub.Y.FillBytes(y)
		cose, err := webauthncbor.Marshal(webauthncose.EC2PublicKeyData{
			PublicKeyData: webauthncose.PublicKeyData{KeyType: int64(webauthncose.EllipticKey), Algorithm: int64(webauthncose.AlgES256)},
			Curve:         int64(webauthncose.P256), XCoord: x, YCoord: y})
		if err != nil {
			panic(err)
		}
		out = append(out, cose...)
	}
	return out
}

// Create answers PublicKeyCredentialCreationOptions (JSON) with the
// registration response JSON a browser would send.
func (a *Authenticator) Create(creationOptions []byte) ([]byte, error) {
	var o options
	if err := json.Unmarshal(creationOptions, &o); err != nil {
		return nil, fmt.Errorf("creation options: %w", err)
	}
	handle, err := base64.RawURLEncoding.DecodeString(o.User.ID)
	if err != nil {
		return nil, fmt.Errorf("user id: %w", err)
	}
	a.userHandle = handle
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": a.authData(o.RP.ID, true)})
	if err != nil {
		return nil, fmt.Errorf("attestation object: %w", err)
	}
	return json.Marshal(map[string]any{
		"id": b64(a.credID), "rawId": b64(a.credID), "type": "public-key", "authenticatorAttachment": "platform",
		"clientExtensionResults": map[string]any{},
		"response": map[string]any{"clientDataJSON": b64(a.clientData("webauthn.create", o.Challenge)),
			"attestationObject": b64(att), "transports": []string{"internal"}},
	})
}

// Get answers PublicKeyCredentialRequestOptions (JSON) with a signed
// assertion response JSON.
func (a *Authenticator) Get(requestOptions []byte) ([]byte, error) {
	var o options
	if err := json.Unmarshal(requestOptions, &o); err != nil {
		return nil, fmt.Errorf("request options: %w", err)
	}
	cd := a.clientData("webauthn.get", o.Challenge)
	ad := a.authData(o.RPID, false)
	h := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return json.Marshal(map[string]any{
		"id": b64(a.credID), "rawId": b64(a.credID), "type": "public-key", "authenticatorAttachment": "platform",
		"clientExtensionResults": map[string]any{},
		"response": map[string]any{"clientDataJSON": b64(cd), "authenticatorData": b64(ad), "signature": b64(sig),
			"userHandle": b64(a.userHandle)},
	})
}
