package tokens

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
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
	// encodedSig is the third part, signature before decoding.
	encodedSig string
}

// payloadBufSize is the payload size (decoded) parse decodes on the stack;
// larger payloads get a heap buffer.
const payloadBufSize = 2048

// parseJWS splits and decodes a compact JWS, enforcing the header rules. It
// does no cryptography. Errors are reasons, to be wrapped in ErrInvalidToken.
func parseJWS(token string) (*jws, error) {
	t := new(jws)
	if err := t.parse(token); err != nil {
		return nil, err
	}
	sig, err := decodeSignature(nil, t.encodedSig)
	if err != nil {
		return nil, err
	}
	t.signature = sig
	return t, nil
}

// parse is parseJWS without decoding the signature (decodeSignature does,
// into a buffer of the caller's): everything but t.signature.
func (t *jws) parse(token string) error {
	h, rest, ok := strings.Cut(token, ".")
	if !ok {
		return errors.New("not a compact JWS")
	}
	p, s, ok := strings.Cut(rest, ".")
	if !ok || strings.IndexByte(s, '.') >= 0 {
		return errors.New("not a compact JWS")
	}
	if h == "" || p == "" || s == "" {
		return errors.New("empty JWS part")
	}
	if len(h) > maxHeaderLen {
		return errors.New("header too large")
	}
	kid, err := headers.parse(h)
	if err != nil {
		return err
	}
	enc := base64.RawURLEncoding.Strict()
	var pbuf [payloadBufSize]byte
	pb := pbuf[:]
	if n := enc.DecodedLen(len(p)); n > len(pb) {
		pb = make([]byte, n)
	}
	n, err := enc.Decode(pb, []byte(p))
	if err != nil {
		return fmt.Errorf("payload encoding: %w", err)
	}
	// One copy of the payload, whose substrings become the claims' strings
	// and numbers; what scanObject cannot decide goes to decodeObject (on
	// another copy, so that pbuf stays on the stack).
	ps := string(pb[:n])
	claims, ok := scanObject(ps)
	if !ok {
		if claims, err = decodeObject([]byte(ps)); err != nil {
			return fmt.Errorf("payload: %w", err)
		}
	}
	t.kid, t.signingInput, t.claims, t.encodedSig = kid, token[:len(h)+1+len(p)], claims, s
	return nil
}

// decodeSignature decodes an encoded signature into buf when it fits, else
// into a new slice.
func decodeSignature(buf []byte, s string) ([]byte, error) {
	enc := base64.RawURLEncoding.Strict()
	if n := enc.DecodedLen(len(s)); n > len(buf) {
		buf = make([]byte, n)
	}
	n, err := enc.Decode(buf, []byte(s))
	if err != nil {
		return nil, fmt.Errorf("signature encoding: %w", err)
	}
	return buf[:n], nil
}

// parseHeader decodes an encoded JWS header and enforces the header rules,
// returning the kid.
func parseHeader(h string) (string, error) {
	hb, err := base64.RawURLEncoding.Strict().DecodeString(h)
	if err != nil {
		return "", fmt.Errorf("header encoding: %w", err)
	}
	header, err := decodeObject(hb)
	if err != nil {
		return "", fmt.Errorf("header: %w", err)
	}
	for name := range header {
		if !allowedHeader[name] {
			return "", fmt.Errorf("header parameter %q not allowed", name)
		}
	}
	alg, ok := header["alg"].(string)
	if !ok {
		return "", errors.New("alg missing or not a string")
	}
	if alg != "RS256" {
		return "", fmt.Errorf("alg %.20q not allowed", alg)
	}
	if typ, ok := header["typ"]; ok && typ != "JWT" {
		return "", errors.New("typ is not JWT")
	}
	kid, _ := header["kid"].(string)
	if !validKid(kid) {
		return "", errors.New("missing or malformed kid")
	}
	return kid, nil
}

// headerCacheSize bounds the header cache. A pool's tokens carry one header
// per signing key, so a handful of entries serve every genuine token; when
// the cache is full (someone sending many distinct headers) it starts over,
// which costs only the decoding it saves.
const headerCacheSize = 256

// headerCache remembers parseHeader's answer (kid, or the error Verify
// returns: it wraps ErrInvalidToken) per encoded
// header: decoding the header with the duplicate-member checks costs more
// than the rest of a rejection, and the headers seen are few.
type headerCache struct {
	mu sync.RWMutex
	m  map[string]headerResult
}

type headerResult struct {
	kid string
	err error
}

// headers is the process-wide cache (entries depend only on the header text).
var headers = &headerCache{m: make(map[string]headerResult, headerCacheSize)}

// parse is parseHeader, cached. h is at most maxHeaderLen bytes.
func (c *headerCache) parse(h string) (string, error) {
	c.mu.RLock()
	r, ok := c.m[h]
	c.mu.RUnlock()
	if ok {
		return r.kid, r.err
	}
	kid, err := parseHeader(h)
	if err != nil {
		// Stored as Verify reports it, so a cached rejection allocates nothing.
		err = invalid("%v", err)
	}
	c.mu.Lock()
	if len(c.m) >= headerCacheSize {
		clear(c.m)
	}
	c.m[strings.Clone(h)] = headerResult{kid, err}
	c.mu.Unlock()
	return kid, err
}

// decodeObject decodes one JSON object, rejecting duplicate top-level names
// (parsers disagree on which one wins) and trailing data.
func decodeObject(b []byte) (Claims, error) {
	if out, ok := decodeObjectFast(b); ok {
		return out, nil
	}
	return decodeObjectStrict(b)
}

// decodeObjectFast decodes b in one pass (a map with json.Number numbers,
// as decodeObjectStrict builds it): with scanObject, on one string copy of
// b whose substrings become the strings and numbers, when it can; else with
// encoding/json, whose result it accepts only if b is one object followed
// by nothing but whitespace and its top-level member count equals the
// map's size (no duplicate names). Anything else, ok false, goes to
// decodeObjectStrict, which finds and names the problem.
func decodeObjectFast(b []byte) (Claims, bool) {
	if out, ok := scanObject(string(b)); ok {
		return out, true
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	out := make(Claims, 16)
	if err := d.Decode(&out); err != nil || out == nil {
		return nil, false
	}
	for _, c := range b[d.InputOffset():] {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return nil, false
		}
	}
	if topLevelMembers(b) != len(out) {
		return nil, false
	}
	return out, true
}

// topLevelMembers counts the member names of the JSON object b (valid JSON,
// already decoded): the strings that follow '{' or ',' at depth 1.
func topLevelMembers(b []byte) int {
	depth, n := 0, 0
	inStr, esc, expectKey := false, false, false
	for _, c := range b {
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
			if depth == 1 && expectKey {
				n++
				expectKey = false
			}
		case '{', '[':
			depth++
			if depth == 1 {
				expectKey = c == '{'
			}
		case '}', ']':
			depth--
		case ',':
			if depth == 1 {
				expectKey = true
			}
		}
	}
	return n
}

// decodeObjectStrict is decodeObject member by member, with the precise
// reasons for refusing.
func decodeObjectStrict(b []byte) (Claims, error) {
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
