package login

import (
	"html/template"
	"net/http"
	"net/url"

	"github.com/cognate-dev/cognate/internal/oauth"
)

// confirmUser serves the link of CONFIRM_WITH_LINK sign-up emails:
// GET /confirmUser?client_id=…&user_name=…&confirmation_code=… confirms the
// user as ConfirmSignUp would (the code is the proof; no CSRF token can
// travel in an email). AWS documents the link, not the page after it: this
// one says the account is confirmed and links to the sign-in page when the
// client has a single callback URL to return to.
func (p *Pages) confirmUser(w http.ResponseWriter, r *http.Request, t oauth.Target) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		p.render(w, r, http.StatusMethodNotAllowed, "error", &view{Title: "Error", Error: "This link must be opened, not posted to."})
		return
	}
	q := r.URL.Query()
	clientID, username, code := q.Get("client_id"), q.Get("user_name"), q.Get("confirmation_code")
	bad := func(msg string) {
		p.render(w, r, http.StatusBadRequest, "error", &view{Title: "Account not confirmed", Error: msg})
	}
	if clientID == "" || username == "" || code == "" || len(clientID) > 128 || len(username) > 128 || len(code) > 2048 {
		bad("This confirmation link is incomplete.")
		return
	}
	c, err := p.srv.Pools().OAuthClientByID(r.Context(), clientID)
	if err != nil || c.PoolID != t.PoolID {
		bad("This confirmation link is not valid.")
		return
	}
	if err := p.srv.Pools().ConfirmSignUpCode(r.Context(), clientID, username, code); err != nil {
		_, msg := apiMessage(err)
		bad(msg)
		return
	}
	v := &view{Title: "Account confirmed", Notice: "Your account is confirmed. You can now sign in.", Client: c.Name, Links: map[string]string{}}
	redirect := c.DefaultRedirectURI
	if redirect == "" && len(c.CallbackURLs) == 1 {
		redirect = c.CallbackURLs[0]
	}
	if c.AllowsFlow("code") && redirect != "" {
		v.Links["login"] = t.Prefix + "/login?" + url.Values{"client_id": {clientID}, "response_type": {"code"}, "redirect_uri": {redirect}, "username": {username}}.Encode()
	}
	p.render(w, r, http.StatusOK, "confirmed", v)
}

var _ = template.Must(pages.Parse(`{{define "confirmed"}}{{template "head" .}}
{{with index .Links "login"}}<nav><p><a href="{{.}}">Sign in</a></p></nav>{{end}}
{{template "foot"}}{{end}}`))
