package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Algorithm is the only signing algorithm accepted.
const Algorithm = "AWS4-HMAC-SHA256"

// MaxSkew is how far a request's signing time may be from the server's clock.
const MaxSkew = 15 * time.Minute

// MaxPresignExpiry is the longest X-Amz-Expires a presigned request may ask for (7 days).
const MaxPresignExpiry = 7 * 24 * time.Hour

const (
	amzDateLayout     = "20060102T150405Z"
	scopeDateLayout   = "20060102"
	unsignedPayload   = "UNSIGNED-PAYLOAD"
	streamingPayload  = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	emptyPayloadHash  = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	maxAuthorization  = 4 << 10
	maxSignedHeaders  = 64
	signingKeyEntries = 4096
)

// signature is a parsed SigV4 signature, from the Authorization header or the query string.
type signature struct {
	accessKey     string
	date          string // scope date, YYYYMMDD
	region        string
	service       string
	signedHeaders []string
	signature     []byte
	amzDate       string
	at            time.Time
	presigned     bool
	expires       time.Duration
}

func (s *signature) scope() string {
	return s.date + "/" + s.region + "/" + s.service + "/aws4_request"
}

// parseSignature reads the signature of r, or answers why it cannot.
func parseSignature(r *http.Request) (*signature, *Error) {
	if h := r.Header.Get("Authorization"); h != "" {
		return parseHeader(r, h)
	}
	if q := r.URL.Query(); q.Has("X-Amz-Algorithm") || q.Has("X-Amz-Signature") || q.Has("X-Amz-Credential") {
		return parseQuery(q)
	}
	return nil, missingToken()
}

func parseHeader(r *http.Request, h string) (*signature, *Error) {
	if len(h) > maxAuthorization {
		return nil, incomplete("Authorization header is too long.")
	}
	alg, rest, _ := strings.Cut(h, " ")
	if alg != Algorithm {
		return nil, incomplete("Authorization header requires '%s' as the algorithm (got %q).", Algorithm, alg)
	}
	params := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, incomplete("'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.", strings.TrimSpace(part), h)
		}
		params[k] = v
	}
	var missing []string
	for _, k := range []string{"Credential", "Signature", "SignedHeaders"} {
		if params[k] == "" {
			missing = append(missing, "Authorization header requires '"+k+"' parameter.")
		}
	}
	amzDate := r.Header.Get("X-Amz-Date")
	if amzDate == "" {
		if d := r.Header.Get("Date"); d != "" {
			if t, err := http.ParseTime(d); err == nil {
				amzDate = t.UTC().Format(amzDateLayout)
			}
		}
	}
	if amzDate == "" {
		missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(missing) > 0 {
		return nil, incomplete("%s Authorization=%s", strings.Join(missing, " "), h)
	}
	return finishParse(params["Credential"], params["SignedHeaders"], params["Signature"], amzDate, false, "")
}

func parseQuery(q url.Values) (*signature, *Error) {
	var missing []string
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"} {
		if q.Get(k) == "" {
			missing = append(missing, "AWS query-string parameters must include '"+k+"'.")
		}
	}
	if len(missing) > 0 {
		return nil, incomplete("%s Re-examine the query-string parameters.", strings.Join(missing, " "))
	}
	if q.Get("X-Amz-Algorithm") != Algorithm {
		return nil, incomplete("X-Amz-Algorithm only supports '%s'.", Algorithm)
	}
	return finishParse(q.Get("X-Amz-Credential"), q.Get("X-Amz-SignedHeaders"), q.Get("X-Amz-Signature"), q.Get("X-Amz-Date"), true, q.Get("X-Amz-Expires"))
}

func finishParse(credential, signed, sig, amzDate string, presigned bool, expires string) (*signature, *Error) {
	parts := strings.Split(credential, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[0] == "" {
		return nil, incomplete("Credential should be scoped to a valid region, service and terminated by 'aws4_request' (got '%s').", credential)
	}
	s := &signature{accessKey: parts[0], date: parts[1], region: parts[2], service: parts[3], amzDate: amzDate, presigned: presigned}
	t, err := time.Parse(amzDateLayout, amzDate)
	if err != nil {
		return nil, incomplete("Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", amzDate)
	}
	s.at = t
	if s.date != t.Format(scopeDateLayout) {
		return nil, invalidSignature("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", s.date, t.Format(scopeDateLayout), amzDate)
	}
	s.signedHeaders = strings.Split(signed, ";")
	if len(s.signedHeaders) > maxSignedHeaders {
		return nil, incomplete("Too many signed headers.")
	}
	hasHost := false
	for _, h := range s.signedHeaders {
		if h == "host" || h == ":authority" {
			hasHost = true
		}
		if h == "" || h != strings.ToLower(h) {
			return nil, incomplete("SignedHeaders must be lower-case header names separated by ';' (got '%s').", signed)
		}
	}
	if !hasHost {
		return nil, invalidSignature("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	if len(sig) != 64 {
		return nil, invalidSignature("The request signature must be 64 hexadecimal characters.")
	}
	if s.signature, err = hex.DecodeString(sig); err != nil {
		return nil, invalidSignature("The request signature must be 64 hexadecimal characters.")
	}
	if presigned {
		n, err := strconv.Atoi(expires)
		if err != nil || n <= 0 {
			return nil, incomplete("X-Amz-Expires must be a positive number of seconds.")
		}
		if time.Duration(n)*time.Second > MaxPresignExpiry {
			return nil, incomplete("X-Amz-Expires must be less than a week (in seconds) that is 604800.")
		}
		s.expires = time.Duration(n) * time.Second
	}
	return s, nil
}

// checkTime applies the clock window (header form) or the expiry (query form).
func (s *signature) checkTime(now time.Time) *Error {
	now = now.UTC().Truncate(time.Second)
	f := func(t time.Time) string { return t.UTC().Format(amzDateLayout) }
	if s.presigned {
		if now.After(s.at.Add(s.expires)) {
			return invalidSignature("Signature expired: %s is now earlier than %s (%s - %d sec.)", f(s.at), f(now.Add(-s.expires)), f(now), int(s.expires/time.Second))
		}
		if s.at.After(now.Add(MaxSkew)) {
			return invalidSignature("Signature not yet current: %s is still later than %s (%s + 15 min.)", f(s.at), f(now.Add(MaxSkew)), f(now))
		}
		return nil
	}
	if s.at.Before(now.Add(-MaxSkew)) {
		return invalidSignature("Signature expired: %s is now earlier than %s (%s - 15 min.)", f(s.at), f(now.Add(-MaxSkew)), f(now))
	}
	if s.at.After(now.Add(MaxSkew)) {
		return invalidSignature("Signature not yet current: %s is still later than %s (%s + 15 min.)", f(s.at), f(now.Add(MaxSkew)), f(now))
	}
	return nil
}

// canonicalRequest builds SigV4's canonical request for r with the given payload hash.
func (s *signature) canonicalRequest(r *http.Request, payloadHash string) string {
	var b strings.Builder
	b.Grow(256)
	b.WriteString(r.Method)
	b.WriteByte('\n')
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	// Every SDK escapes the already escaped path once more for services other than S3.
	b.WriteString(escape(path, false))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery, s.presigned))
	b.WriteByte('\n')
	for _, h := range s.signedHeaders {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(headerValue(r, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(s.signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

func (s *signature) stringToSign(canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return Algorithm + "\n" + s.amzDate + "\n" + s.scope() + "\n" + hex.EncodeToString(sum[:])
}

// headerValue is a signed header's canonical value: values trimmed, inner
// runs of spaces collapsed, several values joined by commas.
func headerValue(r *http.Request, name string) string {
	switch name {
	case "host", ":authority":
		return r.Host
	case "content-length":
		if v := r.Header.Get("Content-Length"); v != "" {
			return v
		}
		if r.ContentLength >= 0 {
			return strconv.FormatInt(r.ContentLength, 10)
		}
	case "transfer-encoding":
		return strings.Join(r.TransferEncoding, ",")
	}
	vals := r.Header.Values(name)
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(out, ",")
}

// canonicalQuery sorts the query's parameters by name, then value, each
// escaped as SigV4 does; the query form's own signature is left out.
func canonicalQuery(raw string, presigned bool) string {
	if raw == "" {
		return ""
	}
	type kv struct{ k, v string }
	var pairs []kv
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			dk, dv = k, v // escape() below keeps such bytes visible to the mismatch report
		}
		if presigned && dk == "X-Amz-Signature" {
			continue
		}
		pairs = append(pairs, kv{escape(dk, true), escape(dv, true)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// escape percent-encodes every byte but RFC 3986's unreserved characters
// (and '/', unless encodeSlash), upper-case hex, as SigV4 requires.
func escape(s string, encodeSlash bool) string {
	const hexdigits = "0123456789ABCDEF"
	clean := true
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) && (encodeSlash || s[i] != '/') {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (!encodeSlash && c == '/') {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexdigits[c>>4])
		b.WriteByte(hexdigits[c&15])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// signingKeys caches derived signing keys: deriving one costs four HMACs,
// and a key is good for a whole day, region and service.
type signingKeys struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (c *signingKeys) get(secret []byte, s *signature) []byte {
	id := string(secret) + "\x00" + s.scope()
	c.mu.Lock()
	k, ok := c.m[id]
	c.mu.Unlock()
	if ok {
		return k
	}
	k = hmacSHA256([]byte("AWS4"+string(secret)), s.date)
	k = hmacSHA256(k, s.region)
	k = hmacSHA256(k, s.service)
	k = hmacSHA256(k, "aws4_request")
	c.mu.Lock()
	if c.m == nil || len(c.m) >= signingKeyEntries {
		c.m = make(map[string][]byte)
	}
	c.m[id] = k
	c.mu.Unlock()
	return k
}
