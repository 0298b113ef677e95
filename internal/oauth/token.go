package oauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/awsjson"
	"github.com/cognate-dev/cognate/internal/userpool"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// readForm parses an application/x-www-form-urlencoded body of at most MaxFormBytes.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, *oauthError) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		e := oerr("invalid_request", "POST is required")
		e.status = http.StatusMethodNotAllowed
		return nil, e
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, oerr("invalid_request", "Content-Type must be application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, oerr("invalid_request", "malformed or oversized form body")
	}
	for k, v := range r.PostForm {
		if len(v) > 1 {
			return nil, oerr("invalid_request", "parameter "+k+" given more than once")
		}
	}
	return r.PostForm, nil
}

// authClient authenticates the client of a token or revoke request:
// client_secret_basic or client_secret_post (never both), or a public
// client naming itself with client_id. RFC 6749 §5.2: a failed Basic
// authentication answers 401 with WWW-Authenticate.
func (s *Server) authClient(w http.ResponseWriter, r *http.Request, t Target, form url.Values) (*userpool.OAuthClient, string, *oauthError) {
	id, secret, basic := r.BasicAuth()
	if basic {
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			return nil, "", oerr("invalid_request", "malformed Basic credentials")
		}
		if form.Get("client_secret") != "" {
			return nil, "", oerr("invalid_request", "more than one client authentication method")
		}
		if fid := form.Get("client_id"); fid != "" && fid != id {
			return nil, "", oerr("invalid_request", "client_id does not match the Basic credentials")
		}
	} else {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	bad := func() (*userpool.OAuthClient, string, *oauthError) {
		e := oerr("invalid_client", "Client authentication failed.")
		if basic {
			e.status = http.StatusUnauthorized
			w.Header().Set("WWW-Authenticate", `Basic realm="cognito"`)
		}
		return nil, "", e
	}
	if id == "" {
		return nil, "", oerr("invalid_request", "client_id is required")
	}
	c, err := s.pools.OAuthClientByID(r.Context(), id)
	if err != nil || c.PoolID != t.PoolID {
		return bad()
	}
	switch {
	case c.HasSecret && !c.CheckSecret(secret):
		return bad()
	case !c.HasSecret && secret != "":
		return bad()
	}
	return c, secret, nil
}

// tokenResponse is RFC 6749 §5.1's body.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
}

// token serves POST /oauth2/token.
func (s *Server) token(w http.ResponseWriter, r *http.Request, t Target) {
	form, e := readForm(w, r)
	if e != nil {
		writeOAuthError(w, e)
		return
	}
	c, _, e := s.authClient(w, r, t, form)
	if e != nil {
		writeOAuthError(w, e)
		return
	}
	ctx := r.Context()
	switch gt := form.Get("grant_type"); gt {
	case "authorization_code":
		if !c.AllowsFlow("code") {
			writeOAuthError(w, oerr("unauthorized_client", "Client is not allowed the authorization code grant."))
			return
		}
		st, ok, err := s.takeCode(ctx, t.PoolID, form.Get("code"))
		if err != nil {
			s.log.ErrorContext(ctx, "redeem code", "err", err)
			writeOAuthError(w, &oauthError{Code: "server_error", status: http.StatusInternalServerError})
			return
		}
		switch {
		case form.Get("code") == "":
			writeOAuthError(w, oerr("invalid_request", "code is required"))
			return
		case !ok || st.ClientID != c.ClientID:
			writeOAuthError(w, oerr("invalid_grant", "The authorization code is invalid, expired, already used or issued to another client."))
			return
		case form.Get("redirect_uri") != st.RedirectURI:
			writeOAuthError(w, oerr("invalid_grant", "redirect_uri does not match the authorization request."))
			return
		case st.CodeChallenge != "" && !pkceMatches(st.CodeChallenge, form.Get("code_verifier")):
			writeOAuthError(w, oerr("invalid_grant", "code_verifier does not match the code_challenge."))
			return
		case st.CodeChallenge == "" && form.Get("code_verifier") != "":
			writeOAuthError(w, oerr("invalid_grant", "code_verifier given for a code issued without code_challenge."))
			return
		}
		toks, err := s.pools.IssueOAuthTokens(ctx, userpool.OAuthGrant{ClientID: c.ClientID, Username: st.Username, Scopes: st.Scopes,
			Nonce: st.Nonce, AuthTime: time.Unix(st.AuthTime, 0), OriginJTI: st.OriginJTI}, true)
		if err != nil {
			var ae *awsjson.Error
			if errors.As(err, &ae) {
				writeOAuthError(w, oerr("invalid_grant", ae.Message))
				return
			}
			s.log.ErrorContext(ctx, "issue tokens", "err", err)
			writeOAuthError(w, &oauthError{Code: "server_error", status: http.StatusInternalServerError})
			return
		}
		writeJSON(w, http.StatusOK, tokenResponse{AccessToken: toks.AccessToken, IDToken: toks.IDToken, RefreshToken: toks.RefreshToken,
			TokenType: "Bearer", ExpiresIn: toks.ExpiresIn})
	case "refresh_token":
		rt := form.Get("refresh_token")
		if rt == "" {
			writeOAuthError(w, oerr("invalid_request", "refresh_token is required"))
			return
		}
		toks, err := s.pools.RefreshOAuthTokens(ctx, c.ClientID, rt)
		if errors.Is(err, userpool.ErrInvalidGrant) {
			writeOAuthError(w, oerr("invalid_grant", "Invalid Refresh Token"))
			return
		}
		if err != nil {
			s.log.ErrorContext(ctx, "refresh tokens", "err", err)
			writeOAuthError(w, &oauthError{Code: "server_error", status: http.StatusInternalServerError})
			return
		}
		writeJSON(w, http.StatusOK, tokenResponse{AccessToken: toks.AccessToken, IDToken: toks.IDToken, TokenType: "Bearer", ExpiresIn: toks.ExpiresIn})
	case "client_credentials":
		if !c.HasSecret || !c.AllowsFlow("client_credentials") {
			writeOAuthError(w, oerr("unauthorized_client", "Client is not allowed the client credentials grant."))
			return
		}
		scopes := slices.Clone(c.AllowedOAuthScopes)
		if sc := form.Get("scope"); sc != "" {
			scopes = nil
			for _, s := range strings.Fields(sc) {
				if !slices.Contains(c.AllowedOAuthScopes, s) {
					writeOAuthError(w, oerr("invalid_scope", "scope "+s+" is not allowed for this client"))
					return
				}
				if !slices.Contains(scopes, s) {
					scopes = append(scopes, s)
				}
			}
		}
		meta, e := clientMetadata(form.Get("aws_client_metadata"))
		if e != nil {
			writeOAuthError(w, e)
			return
		}
		tok, exp, err := s.pools.ClientCredentialsToken(ctx, c.ClientID, scopes, meta)
		var ae *awsjson.Error
		if errors.As(err, &ae) {
			// A pre token generation trigger's failure; AWS does not document
			// this answer: invalid_request with the trigger's message.
			writeOAuthError(w, oerr("invalid_request", ae.Message))
			return
		}
		if err != nil {
			s.log.ErrorContext(ctx, "client credentials token", "err", err)
			writeOAuthError(w, &oauthError{Code: "server_error", status: http.StatusInternalServerError})
			return
		}
		writeJSON(w, http.StatusOK, tokenResponse{AccessToken: tok, TokenType: "Bearer", ExpiresIn: exp})
	case "":
		writeOAuthError(w, oerr("invalid_request", "grant_type is required"))
	default:
		writeOAuthError(w, oerr("unsupported_grant_type", "grant_type must be authorization_code, refresh_token or client_credentials"))
	}
}

// pkceMatches checks RFC 7636 S256: BASE64URL(SHA256(verifier)) == challenge,
// with a verifier of 43 to 128 unreserved characters.
func pkceMatches(challenge, verifier string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	for _, c := range verifier {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}

// maxClientMetadata bounds aws_client_metadata (AWS documents no limit;
// 16 KiB is far above any real use and keeps trigger events small).
const maxClientMetadata = 16 << 10

// clientMetadata reads aws_client_metadata, the JSON object of strings a
// client-credentials request passes to the pre token generation trigger.
func clientMetadata(raw string) (map[string]string, *oauthError) {
	if raw == "" {
		return nil, nil
	}
	var m map[string]string
	if len(raw) > maxClientMetadata || json.Unmarshal([]byte(raw), &m) != nil || m == nil {
		return nil, oerr("invalid_request", "aws_client_metadata must be a JSON object of strings")
	}
	return m, nil
}
