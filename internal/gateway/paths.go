package gateway

import (
	"fmt"
	"strings"
)

// EscapedSlashAction says what the gateway does with an encoded slash
// (%2F) or backslash (%5C) inside a path segment, as Envoy's
// path_with_escaped_slashes_action does.
type EscapedSlashAction string

// Escaped-slash actions.
const (
	// KeepUnchanged (the default) routes "a%2Fb" as one segment whose
	// parameter value is "a/b" and forwards it to HTTP backends still encoded,
	// exactly as received. A dot segment hidden behind an encoded slash
	// ("..%2F", "%2F.") is refused, since a backend decoding the slash would
	// see a "..".
	KeepUnchanged EscapedSlashAction = "KEEP_UNCHANGED"
	// RejectRequest refuses any path with %2F or %5C in a segment (403
	// MISSING_AUTHENTICATION_TOKEN, API Gateway's answer to a path it does not
	// route).
	RejectRequest EscapedSlashAction = "REJECT_REQUEST"
	// UnescapeAndForward decodes %2F and %5C into separators before routing:
	// "a%2Fb" is the two segments "a" and "b", and dot segments among them
	// are refused like literal ones.
	UnescapeAndForward EscapedSlashAction = "UNESCAPE_AND_FORWARD"
)

// ParseEscapedSlashAction accepts the action names (case-insensitive);
// empty means KeepUnchanged.
func ParseEscapedSlashAction(s string) (EscapedSlashAction, error) {
	switch a := EscapedSlashAction(strings.ToUpper(strings.TrimSpace(s))); a {
	case "":
		return KeepUnchanged, nil
	case KeepUnchanged, RejectRequest, UnescapeAndForward:
		return a, nil
	}
	return "", fmt.Errorf("escaped slash action %q: want KEEP_UNCHANGED, REJECT_REQUEST or UNESCAPE_AND_FORWARD", s)
}

// splitPath splits an escaped request path (after the stage) into decoded
// and raw segments, applying the escaped-slash action. Empty segments are
// merged, as API Gateway routes "/x//y" like "/x/y" (so does "//stage/x");
// one trailing slash is thereby ignored too. It refuses undecodable escapes,
// NUL bytes and dot segments ("." and "..", also encoded as %2e, or hidden
// behind an encoded slash or a backslash), so no path trick reaches a route
// or a backend URL. Decoded values keep %2B as sent: API Gateway does not
// decode it in path or pathParameters.
func splitPath(escaped string, action EscapedSlashAction) (decoded, raw []string, ok bool) {
	if escaped == "" || escaped == "/" {
		return nil, nil, true
	}
	if escaped[0] != '/' {
		return nil, nil, false
	}
	n := strings.Count(escaped, "/")
	decoded, raw = make([]string, 0, n), make([]string, 0, n)
	for s := range strings.SplitSeq(escaped[1:], "/") {
		if s == "" {
			continue
		}
		if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '\\') < 0 {
			if s == "." || s == ".." {
				return nil, nil, false
			}
			decoded, raw = append(decoded, s), append(raw, s)
			continue
		}
		pieces := splitEscapedSlashes(s)
		if len(pieces) > 1 && action == RejectRequest {
			return nil, nil, false
		}
		if len(pieces) > 1 && action == UnescapeAndForward {
			for _, p := range pieces {
				if p == "" {
					continue
				}
				d, ok := decodeSegment(p)
				if !ok {
					return nil, nil, false
				}
				decoded, raw = append(decoded, d), append(raw, p)
			}
			continue
		}
		for _, p := range pieces {
			if _, ok := decodeSegment(p); !ok {
				return nil, nil, false
			}
		}
		d, ok := decodeSegment(s)
		if !ok {
			return nil, nil, false
		}
		decoded, raw = append(decoded, d), append(raw, s)
	}
	return decoded, raw, true
}

// splitEscapedSlashes splits a raw segment at %2F, %5C (any case) and
// literal backslashes.
func splitEscapedSlashes(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\':
			out = append(out, s[start:i])
			start = i + 1
		case s[i] == '%' && i+2 < len(s) && (s[i+1] == '2' && (s[i+2] == 'f' || s[i+2] == 'F') ||
			s[i+1] == '5' && (s[i+2] == 'c' || s[i+2] == 'C')):
			out = append(out, s[start:i])
			start = i + 3
			i += 2
		}
	}
	return append(out, s[start:])
}

// decodeSegment percent-decodes one raw segment, keeping %2B as sent; it
// fails on a bad escape, a NUL byte or a dot segment.
func decodeSegment(s string) (string, bool) {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			if b != nil {
				b = append(b, c)
			}
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", false
		}
		v := unhex(s[i+1])<<4 | unhex(s[i+2])
		if b == nil {
			b = append(make([]byte, 0, len(s)), s[:i]...)
		}
		if v == '+' {
			b = append(b, s[i:i+3]...)
		} else {
			b = append(b, v)
		}
		i += 2
	}
	d := s
	if b != nil {
		d = string(b)
	}
	if d == "." || d == ".." || strings.IndexByte(d, 0) >= 0 {
		return "", false
	}
	return d, true
}

// decodePathKeepPlus decodes an escaped path once, keeping %2B as sent.
func decodePathKeepPlus(p string) string {
	if strings.IndexByte(p, '%') < 0 {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '%' && i+2 < len(p) && isHex(p[i+1]) && isHex(p[i+2]) {
			if v := unhex(p[i+1])<<4 | unhex(p[i+2]); v != '+' {
				b.WriteByte(v)
				i += 2
				continue
			}
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// joinSegments is the routed path ("/a/b") of raw or decoded segments.
func joinSegments(segs []string) string {
	if len(segs) == 0 {
		return "/"
	}
	n := len(segs)
	for _, s := range segs {
		n += len(s)
	}
	var b strings.Builder
	b.Grow(n)
	for _, s := range segs {
		b.WriteByte('/')
		b.WriteString(s)
	}
	return b.String()
}

// collapseSlashes merges runs of '/' in an escaped path ("/a//b" → "/a/b").
func collapseSlashes(p string) string {
	if !strings.Contains(p, "//") {
		return p
	}
	b := make([]byte, 0, len(p))
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && len(b) > 0 && b[len(b)-1] == '/' {
			continue
		}
		b = append(b, p[i])
	}
	return string(b)
}
