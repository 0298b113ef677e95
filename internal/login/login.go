// Package login serves the managed login pages of user pools (Cognito's
// hosted UI): sign-in, NEW_PASSWORD_REQUIRED, sign-up and confirmation, and
// forgotten-password reset. Pages are server-rendered HTML (html/template,
// no JavaScript needed, every input labelled), every form carries a CSRF
// token bound to a cookie, and a successful sign-in starts a session (the
// "cognito" cookie, HttpOnly, SameSite=Lax, Secure over https) kept in the
// store, so a second authorization request within it skips the form on
// every node. The session id is minted fresh at each sign-in (no fixation).
//
// Every page validates the authorization request it carries (its query
// string) through the authorization server first, and every sign-in goes
// through the user pool's own flows.
package login

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/awsjson"
	"github.com/cognate-dev/cognate/internal/oauth"
	"github.com/cognate-dev/cognate/internal/store"
)

// SessionTTL is how long a managed-login session lasts (Cognito: one hour).
const SessionTTL = time.Hour

const (
	sessionCookie = "cognito"
	csrfCookie    = "XSRF-TOKEN"
	itemSession   = "login-session"
)

// Pages serves the managed login pages and keeps their sessions.
type Pages struct {
	srv *oauth.Server
}

// New returns the pages of an authorization server and registers their sessions with it.
func New(srv *oauth.Server) *Pages {
	p := &Pages{srv: srv}
	srv.SetSessions(p)
	return p
}

// Handler serves the pages of one target.
func (p *Pages) Handler(t oauth.Target) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'")
		w.Header().Set("Referrer-Policy", "no-referrer")
		switch t.Path {
		case "/login":
			p.login(w, r, t)
		case "/signup":
			p.signup(w, r, t)
		case "/confirm":
			p.confirm(w, r, t)
		case "/forgotPassword":
			p.forgot(w, r, t)
		case "/confirmForgotPassword":
			p.reset(w, r, t)
		case "/confirmUser":
			p.confirmUser(w, r, t)
		case "/error":
			p.render(w, r, http.StatusBadRequest, "error", &view{Title: "Error", Error: "An error was encountered with the requested page."})
		default:
			p.render(w, r, http.StatusNotFound, "error", &view{Title: "Not found", Error: "This page does not exist."})
		}
	})
}

// Route serves a request for the authorization server or the managed login
// pages of a pool (on its domains, and under /{poolId}/ on every host) and
// reports whether it was one.
func (p *Pages) Route(w http.ResponseWriter, r *http.Request) bool {
	t, ok := p.srv.Match(r)
	if !ok {
		return false
	}
	// Browsers (oidc-client-ts, Amplify) call the token, userInfo and revoke endpoints cross-origin.
	switch t.Path {
	case "/oauth2/token", "/oauth2/userInfo", "/oauth2/revoke":
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
			w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Amz-User-Agent, Cache-Control")
			w.Header().Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return true
		}
	}
	p.srv.Serve(w, r, t, p.Handler(t))
	return true
}

func cookiePath(t oauth.Target) string { return t.Prefix + "/" }

func secure(r *http.Request) bool { return r.TLS != nil }

// Current implements oauth.SessionReader.
func (p *Pages) Current(r *http.Request, poolID string) (*oauth.Session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" || len(c.Value) > 256 {
		return nil, false
	}
	id := hashID(c.Value)
	it, err := p.srv.Store().GetItem(r.Context(), itemSession, id, p.srv.Now())
	if err != nil || it.PoolID != poolID {
		return nil, false
	}
	raw, err := p.srv.Sealer().Open(it.Data, sessionAAD(id))
	if err != nil {
		return nil, false
	}
	var s oauth.Session
	if json.Unmarshal(raw, &s) != nil || s.PoolID != poolID {
		return nil, false
	}
	if !p.srv.Pools().SessionValid(r.Context(), poolID, s.Username, s.Sub, time.Unix(s.AuthTime, 0)) {
		return nil, false
	}
	return &s, true
}

// End implements oauth.SessionReader: the session is deleted and its cookie cleared.
func (p *Pages) End(w http.ResponseWriter, r *http.Request, poolID string) {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" && len(c.Value) <= 256 {
		p.srv.Store().DeleteItem(r.Context(), itemSession, hashID(c.Value))
	}
	t, _ := p.srv.Match(r)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: cookiePath(t), MaxAge: -1, HttpOnly: true, Secure: secure(r), SameSite: http.SameSiteLaxMode})
}

// Start implements oauth.SessionReader.
func (p *Pages) Start(w http.ResponseWriter, r *http.Request, t oauth.Target, s *oauth.Session) error {
	return p.start(r.Context(), w, r, t, s)
}

func sessionAAD(id string) []byte { return []byte("login-session|" + id) }

// start begins a new session (a new id, whatever the browser presented).
func (p *Pages) start(ctx context.Context, w http.ResponseWriter, r *http.Request, t oauth.Target, s *oauth.Session) error {
	if old, err := r.Cookie(sessionCookie); err == nil && old.Value != "" && len(old.Value) <= 256 {
		p.srv.Store().DeleteItem(ctx, itemSession, hashID(old.Value))
	}
	tok := randomToken(32)
	id := hashID(tok)
	raw, err := json.Marshal(s)
	if err != nil {
		return err
	}
	now := p.srv.Now()
	if err := p.srv.Store().CreateItem(ctx, store.Item{Kind: itemSession, Key: id, PoolID: t.PoolID,
		Data: p.srv.Sealer().Seal(raw, sessionAAD(id)), ExpiresAt: now.Add(SessionTTL), CreatedAt: now, UpdatedAt: now}); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok, Path: cookiePath(t), MaxAge: int(SessionTTL / time.Second),
		HttpOnly: true, Secure: secure(r), SameSite: http.SameSiteLaxMode})
	return nil
}

// csrfToken returns the form token for the browser's CSRF cookie, setting one if needed.
func (p *Pages) csrfToken(w http.ResponseWriter, r *http.Request, t oauth.Target) string {
	val := ""
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 43 {
		val = c.Value
	} else {
		val = randomToken(32)
		http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: val, Path: cookiePath(t), HttpOnly: true, Secure: secure(r), SameSite: http.SameSiteLaxMode})
	}
	return base64.RawURLEncoding.EncodeToString(p.srv.Sealer().Seal([]byte(val), []byte("csrf|"+t.PoolID)))
}

// checkCSRF verifies a POST: same-origin when the browser says, and the
// form token opening to the CSRF cookie's value.
func (p *Pages) checkCSRF(r *http.Request, t oauth.Target) bool {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || !strings.EqualFold(u.Host, r.Host) {
			return false
		}
	}
	c, err := r.Cookie(csrfCookie)
	if err != nil || c.Value == "" {
		return false
	}
	sealed, err := base64.RawURLEncoding.DecodeString(r.PostFormValue("_csrf"))
	if err != nil {
		return false
	}
	raw, err := p.srv.Sealer().Open(sealed, []byte("csrf|"+t.PoolID))
	return err == nil && subtle.ConstantTimeCompare(raw, []byte(c.Value)) == 1
}

// request validates the authorization request a page carries; on error it
// has answered.
func (p *Pages) request(w http.ResponseWriter, r *http.Request, t oauth.Target) (*oauth.Request, bool) {
	req, perr := p.srv.ParseAuthorize(r.Context(), t, r.URL.Query())
	if perr != nil {
		p.srv.Fail(w, r, req, perr)
		return nil, false
	}
	return req, true
}

// readPost parses a page's form and checks CSRF; on failure it has answered.
func (p *Pages) readPost(w http.ResponseWriter, r *http.Request, t oauth.Target) bool {
	r.Body = http.MaxBytesReader(w, r.Body, oauth.MaxFormBytes)
	if err := r.ParseForm(); err != nil {
		p.render(w, r, http.StatusBadRequest, "error", &view{Title: "Error", Error: "The form could not be read."})
		return false
	}
	for _, v := range r.PostForm {
		if len(v) > 1 || len(v[0]) > 2048 {
			p.render(w, r, http.StatusBadRequest, "error", &view{Title: "Error", Error: "The form could not be read."})
			return false
		}
	}
	if !p.checkCSRF(r, t) {
		p.render(w, r, http.StatusForbidden, "error", &view{Title: "Error", Error: "This form has expired or did not come from this site. Go back, reload the page and try again."})
		return false
	}
	return true
}

// apiMessage is the user-facing text of a user pool error.
func apiMessage(err error) (typ, msg string) {
	var ae *awsjson.Error
	if errors.As(err, &ae) {
		return ae.Type, ae.Message
	}
	return "InternalErrorException", "Something went wrong. Please try again."
}

// pageURL is a page of the target with the authorization request's query and extras.
func pageURL(t oauth.Target, page string, q url.Values, extra map[string]string) string {
	v := url.Values{}
	for k, vals := range q {
		if k != "username" && k != "msg" {
			v[k] = vals
		}
	}
	for k, val := range extra {
		v.Set(k, val)
	}
	return t.Prefix + page + "?" + v.Encode()
}
