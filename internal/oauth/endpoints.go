package oauth

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/cognate-dev/cognate/internal/awsjson"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// userInfo serves GET|POST /oauth2/userInfo (OIDC Core §5.3) with a bearer access token.
func (s *Server) userInfo(w http.ResponseWriter, r *http.Request, t Target) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		writeOAuthError(w, &oauthError{Code: "invalid_request", Description: "GET or POST is required", status: http.StatusMethodNotAllowed})
		return
	}
	auth := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || tok == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="cognito"`)
		writeOAuthError(w, &oauthError{Code: "invalid_request", Description: "an access token is required (Authorization: Bearer)", status: http.StatusUnauthorized})
		return
	}
	info, err := s.pools.UserInfo(r.Context(), strings.TrimSpace(tok))
	if err == nil {
		if iss := s.pools.Issuer(t.PoolID); iss != "" {
			// The token must be this pool's.
			if _, verr := s.pools.VerifyAccessToken(r.Context(), t.PoolID, strings.TrimSpace(tok)); verr != nil {
				err = userpool.ErrInvalidToken
			}
		}
	}
	if err != nil {
		desc := "Access token is expired, disabled, or deleted, or the user has globally signed out."
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+desc+`"`)
		writeOAuthError(w, &oauthError{Code: "invalid_token", Description: desc, status: http.StatusUnauthorized})
		return
	}
	writeJSON(w, http.StatusOK, info)
}

// revoke serves POST /oauth2/revoke (RFC 7009) for refresh tokens.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request, t Target) {
	form, e := readForm(w, r)
	if e != nil {
		writeOAuthError(w, e)
		return
	}
	tok := form.Get("token")
	if tok == "" {
		writeOAuthError(w, oerr("invalid_request", "token is required"))
		return
	}
	c, secret, e := s.authClient(w, r, t, form)
	if e != nil {
		writeOAuthError(w, e)
		return
	}
	if hint := form.Get("token_type_hint"); hint != "" && hint != "refresh_token" {
		writeOAuthError(w, oerr("unsupported_token_type", "only refresh tokens are revoked here"))
		return
	}
	err := s.pools.RevokeRefreshToken(r.Context(), c.ClientID, secret, tok)
	var ae *awsjson.Error
	switch {
	case err == nil:
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
	case errors.As(err, &ae) && ae.Type == "UnsupportedTokenTypeException":
		writeOAuthError(w, oerr("unsupported_token_type", "only refresh tokens are revoked here"))
	case errors.As(err, &ae) && ae.Type == "UnsupportedOperationException":
		writeOAuthError(w, oerr("unauthorized_client", "token revocation is not enabled for this client"))
	case errors.As(err, &ae) && ae.Type == "UnauthorizedException":
		writeOAuthError(w, oerr("invalid_client", "Client authentication failed."))
	default:
		s.log.ErrorContext(r.Context(), "revoke", "err", err)
		writeOAuthError(w, &oauthError{Code: "server_error", status: http.StatusInternalServerError})
	}
}

// logout serves GET /logout: it ends the managed-login session and sends
// the user to a sign-out URL of the client (logout_uri), or back to sign-in
// (redirect_uri plus the authorize parameters). Either must be registered.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, t Target) {
	q := r.URL.Query()
	c, err := s.pools.OAuthClientByID(r.Context(), q.Get("client_id"))
	if err != nil || c.PoolID != t.PoolID {
		errorPage(w, http.StatusBadRequest, "invalid_request", "client_id is missing or names no client of this user pool.")
		return
	}
	if lu := q.Get("logout_uri"); lu != "" {
		if !slices.Contains(c.LogoutURLs, lu) {
			errorPage(w, http.StatusBadRequest, "invalid_request", "logout_uri is not one of the client's sign-out URLs.")
			return
		}
		if s.sessions != nil {
			s.sessions.End(w, r, t.PoolID)
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, lu, http.StatusFound)
		return
	}
	if ru := q.Get("redirect_uri"); ru != "" {
		if _, perr := s.ParseAuthorize(r.Context(), t, q); perr != nil && !perr.Redirect {
			errorPage(w, http.StatusBadRequest, perr.Code, perr.Description)
			return
		}
		if s.sessions != nil {
			s.sessions.End(w, r, t.PoolID)
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, t.Prefix+"/login?"+r.URL.RawQuery, http.StatusFound)
		return
	}
	errorPage(w, http.StatusBadRequest, "invalid_request", "logout_uri or redirect_uri is required.")
}

// Discovery returns the OpenID configuration fields of the authorization
// server of a pool, with endpoints under base (the issuer, or the host the
// document was fetched from for AWS-style issuers).
func Discovery(base string) map[string]any {
	return map[string]any{
		"authorization_endpoint":                     base + "/oauth2/authorize",
		"token_endpoint":                             base + "/oauth2/token",
		"userinfo_endpoint":                          base + "/oauth2/userInfo",
		"revocation_endpoint":                        base + "/oauth2/revoke",
		"end_session_endpoint":                       base + "/logout",
		"response_types_supported":                   []string{"code", "token"},
		"grant_types_supported":                      []string{"authorization_code", "refresh_token", "client_credentials", "implicit"},
		"code_challenge_methods_supported":           []string{"S256"},
		"token_endpoint_auth_methods_supported":      []string{"client_secret_basic", "client_secret_post"},
		"revocation_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"scopes_supported":                           userpool.StandardScopes,
		"response_modes_supported":                   []string{"query", "fragment"},
	}
}

// DiscoveryBase is where a pool's endpoints are, seen from a discovery request.
func DiscoveryBase(r *http.Request, issuer, poolID string) string {
	if u, err := url.Parse(issuer); err == nil && !strings.HasSuffix(u.Host, ".amazonaws.com") {
		return issuer
	}
	return scheme(r) + "://" + r.Host + "/" + poolID
}

var errorTemplate = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Error</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a}
h1{font-size:1.4rem}code{background:#f3f3f3;padding:.1rem .3rem}</style></head>
<body><main><h1>An error was encountered with the requested page.</h1>
<p role="alert"><code>{{.Code}}</code> {{.Description}}</p></main></body></html>
`))
