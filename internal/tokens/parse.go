package tokens

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxHeaderLen bounds the encoded JWS header; ours is about 80 characters.
const maxHeaderLen = 512

// allowedHeader lists the only header parameters a token may carry. Anything
// else (jwk, jku, x5u, x5c, crit, ...) is rejected, not ignored.
var allowedHeader = map[string]bool{"alg": true, "kid": true, "typ": true}

// jws is a structurally valid compact JWS whose signature is not yet checked.
type jws struct {
	kid          string
	signingInput string
	claims       Claims
	signature    []byte
}

// parseJWS splits and decodes a compact JWS, enforcing the header rules. It
// does no cryptography. Errors are reasons, to be wrapped in ErrInvalidToken.
func parseJWS(token string) (*jws, error) {
	h, rest, ok := strings.Cut(token, ".")
	if !ok {
		return nil, errors.New("not a compact JWS")
	}
	p, s, ok := strings.Cut(rest, ".")
	if !ok || strings.IndexByte(s, '.') >= 0 {
		return nil, errors.New("not a compact JWS")
	}
	if h == "" || p == "" || s == "" {
		return nil, errors.New("empty JWS part")
	}
	if len(h) > maxHeaderLen {
		return nil, errors.New("header too large")
	}
	hb, err := base64.RawURLEncoding.Strict().DecodeString(h)
	if err != nil {
		return nil, fmt.Errorf("header encoding: %w", err)
	}
	header, err := decodeObject(hb)
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	for name := range header {
		if !allowedHeader[name] {
			return nil, fmt.Errorf("header parameter %q not allowed", name)
		}
	}
	alg, ok := header["alg"].(string)
	if !ok {
		return nil, errors.New("alg missing or not a string")
	}
	if alg != "RS256" {
		return nil, fmt.Errorf("alg %.20q not allowed", alg)
	}
	if typ, ok := header["typ"]; ok && typ != "JWT" {
		return nil, errors.New("typ is not JWT")
	}
	kid, _ := header["kid"].(string)
	if !validKid(kid) {
		return nil, errors.New("missing or malformed kid")
	}
	pb, err := base64.RawURLEncoding.Strict().DecodeString(p)
	if err != nil {
		return nil, fmt.Errorf("payload encoding: %w", err)
	}
	claims, err := decodeObject(pb)
	if err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	sig, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("signature encoding: %w", err)
	}
	return &jws{kid: kid, signingInput: token[:len(h)+1+len(p)], claims: claims, signature: sig}, nil
}

// decodeObject decodes one JSON object, rejecting duplicate top-level names
// (parsers disagree on which one wins) and trailing data.
func decodeObject(b []byte) (Claims, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	out := make(Claims, 16)
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("bad JSON: %w", err)
		}
		name, ok := t.(string)
		if !ok {
			return nil, errors.New("bad JSON object")
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("duplicate member %.40q", name)
		}
		var v any
		if err := d.Decode(&v); err != nil {
			return nil, fmt.Errorf("bad JSON: %w", err)
		}
		out[name] = v
	}
	if _, err := d.Token(); err != nil { // the closing brace
		return nil, fmt.Errorf("bad JSON: %w", err)
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("trailing data after JSON object")
	}
	return out, nil
}
