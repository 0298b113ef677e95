package oauth

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/userpool"
	"github.com/cognate-dev/cognate/internal/uuid"
)

// maxParam bounds every authorize parameter (URLs are limited elsewhere too).
const maxParam = 2048

// Request is a validated authorization request.
type Request struct {
	Target       Target
	Client       *userpool.OAuthClient
	ResponseType string
	RedirectURI  string
	State        string
	Scopes       []string
	Nonce        string
	Challenge    string
	Provider     string
	Prompt       string
	// Query is the request's parameters, carried through the login pages.
	Query url.Values
}

// Fragment reports whether the response goes in the URL fragment (implicit grant).
func (q *Request) Fragment() bool { return q.ResponseType == "token" }

// ParseError is an authorization request error: Redirect says whether it
// goes back to the client (a valid client and redirect URI), else it is shown.
type ParseError struct {
	Redirect    bool
	Code        string
	Description string
}

// ParseAuthorize validates authorization request parameters in the order
// RFC 6749 §4.1.2.1 requires: client and redirect URI first (errors shown to
// the user, never redirected), then the rest (errors sent to the client).
func (s *Server) ParseAuthorize(ctx context.Context, t Target, q url.Values) (*Request, *ParseError) {
	for k, v := range q {
		if len(v) > 1 {
			return nil, &ParseError{Code: "invalid_request", Description: "parameter " + k + " given more than once"}
		}
		if len(v[0]) > maxParam || len(k) > 64 {
			return nil, &ParseError{Code: "invalid_request", Description: "parameter too long"}
		}
	}
	clientID := q.Get("client_id")
	if clientID == "" {
		return nil, &ParseError{Code: "invalid_request", Description: "client_id is required"}
	}
	c, err := s.pools.OAuthClientByID(ctx, clientID)
	if err != nil || c.PoolID != t.PoolID {
		return nil, &ParseError{Code: "invalid_client", Description: "Client does not exist."}
	}
	redirect := q.Get("redirect_uri")
	if redirect == "" || !slices.Contains(c.CallbackURLs, redirect) {
		// Exact string match only: no prefix, no normalization, no open redirect.
		return nil, &ParseError{Code: "redirect_mismatch", Description: "redirect_uri is not one of the client's callback URLs"}
	}
	req := &Request{Target: t, Client: c, RedirectURI: redirect, State: q.Get("state"), Nonce: q.Get("nonce"),
		ResponseType: q.Get("response_type"), Prompt: q.Get("prompt"), Query: q}
	fail := func(code, desc string) (*Request, *ParseError) {
		return req, &ParseError{Redirect: true, Code: code, Description: desc}
	}
	if !c.OAuthEnabled {
		return fail("unauthorized_client", "Client is not enabled for OAuth2.0 flows.")
	}
	switch req.ResponseType {
	case "code":
		if !c.AllowsFlow("code") {
			return fail("unauthorized_client", "Client is not allowed the authorization code grant.")
		}
	case "token":
		if !c.AllowsFlow("implicit") {
			return fail("unauthorized_client", "Client is not allowed the implicit grant.")
		}
	case "":
		return fail("invalid_request", "response_type is required")
	default:
		return fail("unsupported_response_type", "response_type must be code or token")
	}
	if sc := q.Get("scope"); sc != "" {
		for _, s := range strings.Fields(sc) {
			if !slices.Contains(c.AllowedOAuthScopes, s) {
				return fail("invalid_scope", "scope "+s+" is not allowed for this client")
			}
			if !slices.Contains(req.Scopes, s) {
				req.Scopes = append(req.Scopes, s)
			}
		}
	} else {
		req.Scopes = slices.Clone(c.AllowedOAuthScopes)
	}
	method, challenge := q.Get("code_challenge_method"), q.Get("code_challenge")
	switch {
	case challenge == "" && method != "":
		return fail("invalid_request", "code_challenge_method without code_challenge")
	case challenge != "" && method != "S256":
		// Cognito supports S256 only; "plain" would be a PKCE downgrade.
		return fail("invalid_request", "code_challenge_method must be S256")
	case challenge != "" && (len(challenge) != 43 || strings.Trim(challenge, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != ""):
		return fail("invalid_request", "code_challenge must be a base64url SHA-256 (43 characters)")
	case challenge == "" && req.ResponseType == "code" && !c.HasSecret:
		// RFC 9700 §2.1.1: public clients must use PKCE.
		return fail("invalid_request", "code_challenge is required for public clients (PKCE, S256)")
	}
	req.Challenge = challenge
	if challenge != "" && req.ResponseType == "token" {
		return fail("invalid_request", "PKCE applies to the authorization code grant only")
	}
	switch req.Prompt {
	case "", "none", "login", "select_account", "consent":
	default:
		return fail("invalid_request", "prompt must be none, login, select_account or consent")
	}
	idp := q.Get("identity_provider")
	if idp == "" && q.Get("idp_identifier") != "" {
		name, ok := s.pools.ProviderByIdentifier(ctx, t.PoolID, q.Get("idp_identifier"))
		if !ok {
			return fail("invalid_request", "no identity provider has the identifier "+q.Get("idp_identifier"))
		}
		idp = name
	}
	if idp != "" && idp != "COGNITO" {
		if !slices.Contains(c.SupportedIdentityProviders, idp) {
			return fail("invalid_request", "identity provider "+idp+" is not supported by this client")
		}
		req.Provider = idp
	}
	if idp == "COGNITO" && len(c.SupportedIdentityProviders) > 0 && !slices.Contains(c.SupportedIdentityProviders, "COGNITO") {
		return fail("invalid_request", "the user pool directory is not an identity provider of this client")
	}
	return req, nil
}

// authorize serves GET /oauth2/authorize: a valid session completes at
// once, otherwise the user goes to the sign-in page with the same parameters.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, t Target) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET")
		errorPage(w, http.StatusMethodNotAllowed, "invalid_request", "The authorize endpoint accepts GET only.")
		return
	}
	req, perr := s.ParseAuthorize(r.Context(), t, r.URL.Query())
	if perr != nil {
		s.fail(w, r, req, perr)
		return
	}
	if req.Provider != "" {
		s.federate(w, r, req)
		return
	}
	if req.Prompt != "login" && req.Prompt != "select_account" && s.sessions != nil {
		if sess, ok := s.sessions.Current(r, t.PoolID); ok {
			s.Complete(w, r, req, sess)
			return
		}
	}
	if req.Prompt == "none" {
		redirectError(w, r, req.RedirectURI, req.State, "login_required", "", req.Fragment())
		return
	}
	http.Redirect(w, r, t.Prefix+"/login?"+r.URL.RawQuery, http.StatusFound)
}

// Fail answers a request error: shown for client and redirect errors, sent to the client otherwise.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, req *Request, e *ParseError) {
	if !e.Redirect || req == nil {
		errorPage(w, http.StatusBadRequest, e.Code, e.Description)
		return
	}
	redirectError(w, r, req.RedirectURI, req.State, e.Code, e.Description, req.Fragment())
}

// Fail is fail for the login pages.
func (s *Server) Fail(w http.ResponseWriter, r *http.Request, req *Request, e *ParseError) {
	s.fail(w, r, req, e)
}

// Complete ends an authorization request for a signed-in user: a code (or,
// for the implicit grant, tokens) sent to the redirect URI with the state.
func (s *Server) Complete(w http.ResponseWriter, r *http.Request, req *Request, sess *Session) {
	ctx := r.Context()
	// Each grant is its own sign-in for revocation: revoking one app's
	// refresh token (or a replayed code) leaves the session's other grants.
	origin := uuid.New()
	if req.ResponseType == "token" {
		toks, err := s.pools.IssueOAuthTokens(ctx, userpool.OAuthGrant{ClientID: req.Client.ClientID, Username: sess.Username,
			Scopes: req.Scopes, Nonce: req.Nonce, AuthTime: time.Unix(sess.AuthTime, 0), OriginJTI: origin}, false)
		if err != nil {
			s.log.ErrorContext(ctx, "issue tokens", "err", err)
			redirectError(w, r, req.RedirectURI, req.State, "server_error", "", true)
			return
		}
		v := map[string][]string{"access_token": {toks.AccessToken}, "token_type": {"Bearer"},
			"expires_in": {itoa(toks.ExpiresIn)}}
		if toks.IDToken != "" {
			v["id_token"] = []string{toks.IDToken}
		}
		if req.State != "" {
			v["state"] = []string{req.State}
		}
		redirectWith(w, r, req.RedirectURI, v, true)
		return
	}
	code, err := s.newCode(ctx, req.Target.PoolID, codeState{ClientID: req.Client.ClientID, RedirectURI: req.RedirectURI,
		Username: sess.Username, Scopes: req.Scopes, Nonce: req.Nonce, CodeChallenge: req.Challenge,
		AuthTime: sess.AuthTime, OriginJTI: origin})
	if err != nil {
		s.log.ErrorContext(ctx, "authorization code", "err", err)
		redirectError(w, r, req.RedirectURI, req.State, "server_error", "", false)
		return
	}
	v := url.Values{"code": {code}}
	if req.State != "" {
		v.Set("state", req.State)
	}
	redirectWith(w, r, req.RedirectURI, v, false)
}
