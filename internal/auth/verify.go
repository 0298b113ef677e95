package auth

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Verifier checks SigV4 signatures against a set of access keys.
type Verifier struct {
	keys    Keys
	open    bool
	region  string
	account string
	now     func() time.Time
	cache   signingKeys
}

// VerifierOptions configure a Verifier.
type VerifierOptions struct {
	// Keys holds the access keys. With Open, it may be empty.
	Keys Keys
	// Open accepts any well-formed, current signature as the root user
	// without checking it: the loopback convenience when no credentials exist.
	Open bool
	// Region is the one region credentials must be scoped to (default us-east-1).
	Region string
	// Account is the account id of the root principal in open mode.
	Account string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// NewVerifier returns a Verifier.
func NewVerifier(o VerifierOptions) *Verifier {
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Account == "" {
		o.Account = "000000000000"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Keys == nil {
		o.Keys = NewRegistry()
	}
	return &Verifier{keys: o.Keys, open: o.Open, region: o.Region, account: o.Account, now: o.Now}
}

// Open reports whether the verifier accepts unchecked signatures.
func (v *Verifier) Open() bool { return v.open }

// Region is the region credentials are scoped to.
func (v *Verifier) Region() string { return v.region }

// Account is the account id principals belong to.
func (v *Verifier) Account() string { return v.account }

// Verify authenticates r, whose body has been read into body, for service
// (the credential scope's service, e.g. "cognito-idp"). regions lists other
// regions the scope may name (IAM and STS sign for us-east-1). It returns
// the principal and the payload: body itself, or the decoded payload of an
// aws-chunked body.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte, service string, regions ...string) (*Principal, []byte, error) {
	sig, aerr := parseSignature(r)
	if aerr != nil {
		return nil, nil, aerr
	}
	if sig.service != service {
		return nil, nil, invalidSignature("Credential should be scoped to correct service: '%s'. ", service)
	}
	if sig.region != v.region && !contains(regions, sig.region) {
		return nil, nil, invalidSignature("Credential should be scoped to a valid region. ")
	}
	if aerr := sig.checkTime(v.now()); aerr != nil {
		return nil, nil, aerr
	}
	declared := r.Header.Get("X-Amz-Content-Sha256")
	if sig.presigned {
		declared = r.URL.Query().Get("X-Amz-Content-Sha256")
	}
	streaming := declared == streamingPayload
	if v.open {
		if streaming {
			payload, aerr := decodeChunks(body, nil)
			if aerr != nil {
				return nil, nil, aerr
			}
			return RootPrincipal(v.account), payload, nil
		}
		return RootPrincipal(v.account), body, nil
	}
	key, ok, err := v.keys.AccessKey(ctx, sig.accessKey)
	if err != nil {
		return nil, nil, fmt.Errorf("look up access key: %w", err)
	}
	if !ok || r.Header.Get("X-Amz-Security-Token") != "" || r.URL.Query().Has("X-Amz-Security-Token") {
		// Cognate issues no session tokens: a token names credentials it cannot know.
		return nil, nil, unrecognized()
	}
	payloadHash := hashHex(body)
	switch {
	case streaming:
		payloadHash = streamingPayload
	case declared == unsignedPayload && sig.presigned:
		payloadHash = unsignedPayload
	case declared != "" && declared != payloadHash:
		return nil, nil, invalidSignature("The provided 'x-amz-content-sha256' header does not match what was computed.")
	}
	canonical := sig.canonicalRequest(r, payloadHash)
	sts := sig.stringToSign(canonical)
	signingKey := v.cache.get(key.secret, sig)
	if !equalHMAC(hmacSHA256(signingKey, sts), sig.signature) {
		return nil, nil, signatureMismatch(canonical, sts)
	}
	if streaming {
		payload, aerr := decodeChunks(body, &chunkSigner{key: signingKey, sig: sig, prev: hex.EncodeToString(sig.signature)})
		if aerr != nil {
			return nil, nil, aerr
		}
		if n := r.Header.Get("X-Amz-Decoded-Content-Length"); n != "" && n != strconv.Itoa(len(payload)) {
			return nil, nil, incomplete("X-Amz-Decoded-Content-Length does not match the decoded payload.")
		}
		return key.Principal, payload, nil
	}
	return key.Principal, body, nil
}

func hashHex(b []byte) string {
	if len(b) == 0 {
		return emptyPayloadHash
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// chunkSigner checks each chunk's signature of an aws-chunked payload, each
// chaining on the previous one (the seed is the request's signature).
type chunkSigner struct {
	key  []byte
	sig  *signature
	prev string
}

func (c *chunkSigner) check(chunk []byte, got string) bool {
	sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + c.sig.amzDate + "\n" + c.sig.scope() + "\n" + c.prev + "\n" + emptyPayloadHash + "\n" + hashHex(chunk)
	want := hmacSHA256(c.key, sts)
	gotb, err := hex.DecodeString(got)
	if err != nil || !equalHMAC(want, gotb) {
		return false
	}
	c.prev = got
	return true
}

// decodeChunks decodes an aws-chunked body ("SIZE;chunk-signature=SIG\r\n
// DATA\r\n" … ending with a zero-size chunk), checking each chunk's
// signature when signer is not nil.
func decodeChunks(body []byte, signer *chunkSigner) ([]byte, *Error) {
	br := bufio.NewReader(bytes.NewReader(body))
	var out []byte
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, incomplete("Malformed aws-chunked payload: a chunk header is incomplete.")
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		sizeHex, ext, _ := strings.Cut(line, ";")
		size, err := strconv.ParseInt(sizeHex, 16, 64)
		if err != nil || size < 0 || size > int64(len(body)) {
			return nil, incomplete("Malformed aws-chunked payload: bad chunk size %q.", sizeHex)
		}
		chunkSig, ok := strings.CutPrefix(ext, "chunk-signature=")
		if !ok {
			return nil, incomplete("Malformed aws-chunked payload: a chunk has no chunk-signature.")
		}
		data := make([]byte, size)
		if _, err := io.ReadFull(br, data); err != nil {
			return nil, incomplete("Malformed aws-chunked payload: a chunk is shorter than its size.")
		}
		if crlf, err := br.ReadString('\n'); err != nil || strings.TrimRight(crlf, "\r\n") != "" {
			return nil, incomplete("Malformed aws-chunked payload: a chunk does not end with CRLF.")
		}
		if signer != nil && !signer.check(data, chunkSig) {
			return nil, &Error{CodeInvalidSignature, "The chunk signature we calculated does not match the signature you provided."}
		}
		if size == 0 {
			return out, nil
		}
		out = append(out, data...)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
