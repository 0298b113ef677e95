// Package oauth is the OAuth 2.0 / OpenID Connect authorization server of
// user pools, as Cognito serves it on a pool's domain: /oauth2/authorize,
// /oauth2/token, /oauth2/userInfo, /oauth2/revoke and /logout, plus the
// discovery fields of the issuer's openid-configuration.
//
// It never checks a password itself: managed login (package login) signs
// users in through the user pool's own flows and hands the proven sign-in to
// Complete, and tokens come from the user pool's issuer. Authorization codes
// are single-use store sessions (5 minutes, bound to the client, the
// redirect URI, the PKCE challenge and the sign-in), so every node of a
// cluster redeems the codes of every other.
//
// Endpoints answer on a pool's domain (Host PREFIX.auth.REGION.amazoncognito.com
// or a custom domain) at their AWS paths, and on Cognate's own host under the
// issuer path: {base}/{poolId}/oauth2/authorize and so on.
package oauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/internal/secret"
	"github.com/cognate-dev/cognate/internal/store"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// CodeTTL is the life of an authorization code, as Cognito's.
const CodeTTL = 5 * time.Minute

// MaxFormBytes bounds the body of token, revoke and login requests.
const MaxFormBytes = 64 << 10

// Store is the part of the store the server uses.
type Store interface {
	store.Sessions
	store.Items
}

// Session is a managed-login session: who signed in, when.
type Session struct {
	PoolID    string `json:"p"`
	Username  string `json:"u"`
	Sub       string `json:"s"`
	AuthTime  int64  `json:"a"`
	OriginJTI string `json:"o"`
}

// SessionReader finds the managed-login session of a request (package login implements it).
type SessionReader interface {
	Current(r *http.Request, poolID string) (*Session, bool)
	End(w http.ResponseWriter, r *http.Request, poolID string)
	// Start begins a session (a fresh id) for a proven sign-in.
	Start(w http.ResponseWriter, r *http.Request, t Target, s *Session) error
}

// Options configure a Server.
type Options struct {
	Pools  *userpool.Service
	Store  Store
	Sealer *secret.Sealer
	// Issuer returns a pool's iss; AWSStyle issuers are not served here, so
	// discovery then names endpoints on the requested host.
	Issuer func(poolID string) string
	Now    func() time.Time
	Logger *slog.Logger
}

// Server is the authorization server of every pool.
type Server struct {
	pools    *userpool.Service
	st       Store
	sealer   *secret.Sealer
	issuer   func(string) string
	now      func() time.Time
	log      *slog.Logger
	sessions SessionReader

	domains    domainCache
	provs      providerCache
	samlMeta   metadataCache
	httpClient *http.Client
}

// New returns a Server; SetSessions must be called before serving.
func New(o Options) *Server {
	s := &Server{pools: o.Pools, st: o.Store, sealer: o.Sealer, issuer: o.Issuer, now: o.Now, log: o.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.domains.entries = map[string]domainEntry{}
	return s
}

// SetSessions wires managed login's sessions in.
func (s *Server) SetSessions(r SessionReader) { s.sessions = r }

// Pools is the user pool service the server works for.
func (s *Server) Pools() *userpool.Service { return s.pools }

// Now is the server's clock.
func (s *Server) Now() time.Time { return s.now().UTC() }

// Sealer seals state the server hands to browsers.
func (s *Server) Sealer() *secret.Sealer { return s.sealer }

// Store is the server's store.
func (s *Server) Store() Store { return s.st }

// Logger is the server's logger.
func (s *Server) Logger() *slog.Logger { return s.log }

// poolIDPattern matches user pool ids such as us-east-1_AbC123xyZ.
var poolIDPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]_[0-9A-Za-z]+$`)

// endpoints are the paths served under a pool's prefix.
var endpoints = map[string]bool{
	"/oauth2/authorize": true, "/oauth2/token": true, "/oauth2/userInfo": true, "/oauth2/revoke": true,
	"/oauth2/idpresponse": true, "/logout": true, "/login": true, "/signup": true, "/confirm": true,
	"/forgotPassword": true, "/confirmForgotPassword": true, "/error": true, "/confirmUser": true,
	"/saml2/idpresponse": true, "/saml2/metadata": true,
}

// Target is where a request goes: a pool and the prefix its endpoints live under.
type Target struct {
	PoolID string
	// Prefix is "" on a domain host and "/{poolId}" on Cognate's own host.
	Prefix string
	// Path is the endpoint path ("/oauth2/token").
	Path string
}

// Match reports whether r is for the authorization server or its pages.
func (s *Server) Match(r *http.Request) (Target, bool) {
	if pool, ok := s.DomainPool(r.Context(), r.Host); ok {
		return Target{PoolID: pool, Path: r.URL.Path}, true
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/")
	if !ok {
		return Target{}, false
	}
	pool, path, ok := strings.Cut(rest, "/")
	if !ok || !endpoints["/"+path] || !poolIDPattern.MatchString(pool) {
		return Target{}, false
	}
	return Target{PoolID: pool, Prefix: "/" + pool, Path: "/" + path}, true
}

// domainCache remembers which hosts are user pool domains, briefly, so
// the Host check and routing cost no store read per request.
type domainCache struct {
	mu      sync.Mutex
	entries map[string]domainEntry
}

type domainEntry struct {
	pool    string
	ok      bool
	expires time.Time
}

// DomainPool returns the pool a Host (with or without port) is a domain of.
func (s *Server) DomainPool(ctx context.Context, hostport string) (string, bool) {
	host := hostport
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		host = host[:i]
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "" || !strings.Contains(host, ".") || strings.ContainsAny(host, "[]") {
		return "", false
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return "", false
	}
	now := s.now()
	s.domains.mu.Lock()
	e, hit := s.domains.entries[host]
	s.domains.mu.Unlock()
	if hit && now.Before(e.expires) {
		return e.pool, e.ok
	}
	pool, ok := s.pools.DomainPool(ctx, host)
	ttl := 10 * time.Second
	if !ok {
		ttl = 2 * time.Second
	}
	s.domains.mu.Lock()
	if len(s.domains.entries) > 10000 {
		clear(s.domains.entries)
	}
	s.domains.entries[host] = domainEntry{pool: pool, ok: ok, expires: now.Add(ttl)}
	s.domains.mu.Unlock()
	return pool, ok
}

// IsDomain reports whether host is a user pool domain (for the Host allow-list).
func (s *Server) IsDomain(host string) bool {
	_, ok := s.DomainPool(context.Background(), host)
	return ok
}

// ServeHTTP serves the authorization server's endpoints; pages are served by next.
func (s *Server) Serve(w http.ResponseWriter, r *http.Request, t Target, pages http.Handler) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodPost && !s.pools.AllowSource(PeerIP(r)) {
		// The per-source bucket of the public operations covers the forms and the token endpoint too.
		w.Header().Set("Retry-After", "1")
		if strings.HasPrefix(t.Path, "/oauth2/") {
			writeOAuthError(w, &oauthError{Code: "slow_down", Description: "Rate exceeded", status: http.StatusTooManyRequests})
		} else {
			errorPage(w, http.StatusTooManyRequests, "too_many_requests", "Too many attempts from your address. Wait a moment and try again.")
		}
		return
	}
	switch t.Path {
	case "/oauth2/authorize":
		s.authorize(w, r, t)
	case "/oauth2/token":
		s.token(w, r, t)
	case "/oauth2/userInfo":
		s.userInfo(w, r, t)
	case "/oauth2/revoke":
		s.revoke(w, r, t)
	case "/logout":
		s.logout(w, r, t)
	case "/oauth2/idpresponse":
		s.idpResponse(w, r, t)
	case "/saml2/idpresponse":
		s.samlResponse(w, r, t)
	case "/saml2/metadata":
		s.samlMetadataDoc(w, r, t)
	default:
		pages.ServeHTTP(w, r)
	}
}

// PeerIP is the request's peer address (X-Forwarded-For is not trusted here).
func PeerIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// oauthError is an RFC 6749 error.
type oauthError struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
	status      int
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Description }

func oerr(code, desc string) *oauthError {
	return &oauthError{Code: code, Description: desc, status: http.StatusBadRequest}
}

// writeJSON answers a token-style JSON body, never cached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeOAuthError(w http.ResponseWriter, e *oauthError) {
	status := e.status
	if status == 0 {
		status = http.StatusBadRequest
	}
	writeJSON(w, status, e)
}

// scheme is the request's scheme as the client sees it.
func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// BaseURL is the absolute URL of a target's prefix as the client reached it.
func BaseURL(r *http.Request, t Target) string {
	return scheme(r) + "://" + r.Host + t.Prefix
}

// codeState is what an authorization code stands for.
type codeState struct {
	ClientID      string   `json:"c"`
	RedirectURI   string   `json:"r"`
	Username      string   `json:"u"`
	Scopes        []string `json:"s"`
	Nonce         string   `json:"n,omitempty"`
	CodeChallenge string   `json:"cc,omitempty"`
	AuthTime      int64    `json:"a"`
	OriginJTI     string   `json:"o"`
}

const (
	kindCode     = "oauth-code"
	kindCodeUsed = "oauth-code-used"
)

func hashID(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}

func codeAAD(id string) []byte { return []byte("oauth-code|" + id) }

// newCode stores a code's state and returns the code.
func (s *Server) newCode(ctx context.Context, poolID string, st codeState) (string, error) {
	code := randomToken(32)
	raw, err := json.Marshal(st)
	if err != nil {
		return "", fmt.Errorf("encode code: %w", err)
	}
	id := hashID(code)
	if err := s.st.PutSession(ctx, store.Session{ID: id, PoolID: poolID, Kind: kindCode,
		Data: s.sealer.Seal(raw, codeAAD(id)), ExpiresAt: s.Now().Add(CodeTTL)}); err != nil {
		return "", fmt.Errorf("store code: %w", err)
	}
	return code, nil
}

// takeCode redeems a code once. A second redemption finds the tombstone the
// first left and revokes every token the code produced (RFC 6749 §4.1.2).
func (s *Server) takeCode(ctx context.Context, poolID, code string) (codeState, bool, error) {
	if code == "" || len(code) > 512 {
		return codeState{}, false, nil
	}
	id := hashID(code)
	sess, err := s.st.TakeSession(ctx, id, s.Now())
	if errors.Is(err, store.ErrNotFound) {
		if used, err := s.st.TakeSession(ctx, id+".used", s.Now()); err == nil && s.pools != nil {
			s.pools.RevokeSignIn(ctx, used.PoolID, string(used.Data))
			s.log.WarnContext(ctx, "authorization code replayed: its tokens are revoked", "pool", used.PoolID)
		}
		return codeState{}, false, nil
	}
	if err != nil {
		return codeState{}, false, fmt.Errorf("take code: %w", err)
	}
	if sess.Kind != kindCode || sess.PoolID != poolID {
		return codeState{}, false, nil
	}
	raw, err := s.sealer.Open(sess.Data, codeAAD(id))
	if err != nil {
		return codeState{}, false, nil
	}
	var st codeState
	if err := json.Unmarshal(raw, &st); err != nil {
		return codeState{}, false, nil
	}
	s.st.PutSession(ctx, store.Session{ID: id + ".used", PoolID: poolID, Kind: kindCodeUsed, Data: []byte(st.OriginJTI),
		ExpiresAt: s.Now().Add(CodeTTL)})
	return st, true, nil
}

// errorPage answers an error that must not be redirected (unknown client,
// bad redirect URI): a page for the user, never a redirect.
func errorPage(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	errorTemplate.Execute(w, map[string]string{"Code": code, "Description": desc})
}

// redirectError sends an RFC 6749 §4.1.2.1 error to the client's redirect URI.
func redirectError(w http.ResponseWriter, r *http.Request, redirectURI, state, code, desc string, fragment bool) {
	v := url.Values{"error": {code}}
	if desc != "" {
		v.Set("error_description", desc)
	}
	if state != "" {
		v.Set("state", state)
	}
	redirectWith(w, r, redirectURI, v, fragment)
}

func redirectWith(w http.ResponseWriter, r *http.Request, target string, v url.Values, fragment bool) {
	u, _ := url.Parse(target)
	if fragment {
		u.Fragment = ""
		u.RawFragment = ""
		target = u.String() + "#" + v.Encode()
	} else {
		q := u.Query()
		for k, vals := range v {
			q[k] = vals
		}
		u.RawQuery = q.Encode()
		target = u.String()
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusFound)
}

func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
