package login

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/cognate-dev/cognate/internal/oauth"
)

func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashID(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}

// view is what a page template renders.
type view struct {
	Title    string
	Action   string
	CSRF     string
	Error    string
	Notice   string
	Username string
	Session  string
	Required []string
	Links    map[string]string
	Client   string
	// Providers are the client's federated identity providers, as sign-in buttons.
	Providers []provider
	// CSS and Logo come from SetUICustomization (CSS is validated there: no markup).
	CSS  template.CSS
	Logo template.URL
	// Passkeys shows "Sign in with passkey" on the sign-in form.
	Passkeys bool
	// Step is the MFA or passkey step a page renders (mfa.go).
	Step *stepView
}

// provider is a federated sign-in button: the authorization request again, through that provider.
type provider struct {
	Name string
	URL  string
}

// notices are the fixed messages a page may show from its msg parameter.
var notices = map[string]string{
	"confirmed": "Your account is confirmed. Sign in to continue.",
	"reset":     "Your password has been reset. Sign in with your new password.",
	"sent":      "We sent a code to your email or phone. Enter it below.",
}

func (p *Pages) base(w http.ResponseWriter, r *http.Request, t oauth.Target, req *oauth.Request, title, page string) *view {
	q := req.Query
	v := &view{Title: title, Action: pageURL(t, page, q, nil), CSRF: p.csrfToken(w, r, t), Username: r.URL.Query().Get("username"),
		Notice: notices[r.URL.Query().Get("msg")], Client: req.Client.Name,
		Links: map[string]string{
			"login":  pageURL(t, "/login", q, nil),
			"signup": pageURL(t, "/signup", q, nil),
			"forgot": pageURL(t, "/forgotPassword", q, nil),
		}}
	if len(v.Username) > 128 {
		v.Username = ""
	}
	for _, name := range req.Client.SupportedIdentityProviders {
		if name == "COGNITO" {
			continue
		}
		fq := url.Values{}
		for k, vals := range q {
			if k != "username" && k != "msg" && k != "identity_provider" && k != "idp_identifier" {
				fq[k] = vals
			}
		}
		fq.Set("identity_provider", name)
		v.Providers = append(v.Providers, provider{Name: name, URL: t.Prefix + "/oauth2/authorize?" + fq.Encode()})
	}
	css, logo := p.srv.Pools().UICustomization(r.Context(), t.PoolID, req.Client.ClientID)
	v.CSS = template.CSS(css)
	if strings.HasPrefix(logo, "data:image/png;base64,") || strings.HasPrefix(logo, "data:image/jpeg;base64,") {
		v.Logo = template.URL(logo)
	}
	return v
}

// login serves the sign-in page and its NEW_PASSWORD_REQUIRED step.
func (p *Pages) login(w http.ResponseWriter, r *http.Request, t oauth.Target) {
	req, ok := p.request(w, r, t)
	if !ok {
		return
	}
	if r.Method != http.MethodPost {
		p.renderLogin(w, r, t, http.StatusOK, p.base(w, r, t, req, "Sign in", "/login"))
		return
	}
	if !p.readPost(w, r, t) {
		return
	}
	ctx := r.Context()
	pools := p.srv.Pools()
	username := strings.TrimSpace(r.PostFormValue("username"))
	v := p.base(w, r, t, req, "Sign in", "/login")
	v.Username = username
	if step := r.PostFormValue("step"); step != "" && step != "new_password" {
		p.signInStep(w, r, t, req, v, step)
		return
	}
	if r.PostFormValue("step") == "new_password" {
		pw, again := r.PostFormValue("new_password"), r.PostFormValue("confirm_password")
		v.Title, v.Session = "Change password", r.PostFormValue("session")
		attrs := map[string]string{}
		for k, vals := range r.PostForm {
			if name, ok := strings.CutPrefix(k, "attr_"); ok && name != "" {
				attrs[name] = vals[0]
				v.Required = append(v.Required, name)
			}
		}
		if pw != again {
			v.Error = "The passwords do not match."
			p.render(w, r, http.StatusBadRequest, "newpassword", v)
			return
		}
		si, err := pools.CompleteNewPassword(ctx, req.Client.ClientID, v.Session, username, pw, attrs)
		if err != nil {
			typ, msg := apiMessage(err)
			v.Error = msg
			if typ == "NotAuthorizedException" {
				v.Title, v.Session = "Sign in", ""
				p.renderLogin(w, r, t, http.StatusBadRequest, v)
				return
			}
			p.render(w, r, http.StatusBadRequest, "newpassword", v)
			return
		}
		p.afterStep(w, r, t, req, v, si)
		return
	}
	si, err := pools.PasswordSignIn(ctx, req.Client.ClientID, username, r.PostFormValue("password"))
	if err != nil {
		typ, msg := apiMessage(err)
		if typ == "UserNotConfirmedException" {
			pools.ResendSignUpCode(ctx, req.Client.ClientID, username)
			http.Redirect(w, r, pageURL(t, "/confirm", req.Query, map[string]string{"username": username, "msg": "sent"}), http.StatusFound)
			return
		}
		if typ == "PasswordResetRequiredException" {
			pools.ForgotPasswordCode(ctx, req.Client.ClientID, username)
			http.Redirect(w, r, pageURL(t, "/confirmForgotPassword", req.Query, map[string]string{"username": username, "msg": "sent"}), http.StatusFound)
			return
		}
		v.Error = msg
		p.renderLogin(w, r, t, http.StatusBadRequest, v)
		return
	}
	if si.NewPasswordSession != "" {
		v.Title, v.Session, v.Required = "Change password", si.NewPasswordSession, si.RequiredAttributes
		p.render(w, r, http.StatusOK, "newpassword", v)
		return
	}
	p.afterStep(w, r, t, req, v, si)
}

// signup serves the sign-up page.
func (p *Pages) signup(w http.ResponseWriter, r *http.Request, t oauth.Target) {
	req, ok := p.request(w, r, t)
	if !ok {
		return
	}
	v := p.base(w, r, t, req, "Sign up", "/signup")
	if r.Method != http.MethodPost {
		p.render(w, r, http.StatusOK, "signup", v)
		return
	}
	if !p.readPost(w, r, t) {
		return
	}
	username := strings.TrimSpace(r.PostFormValue("username"))
	v.Username = username
	attrs := map[string]string{}
	if e := strings.TrimSpace(r.PostFormValue("email")); e != "" {
		attrs["email"] = e
	}
	if r.PostFormValue("password") != r.PostFormValue("confirm_password") {
		v.Error = "The passwords do not match."
		p.render(w, r, http.StatusBadRequest, "signup", v)
		return
	}
	confirmed, _, err := p.srv.Pools().SignUpUser(r.Context(), req.Client.ClientID, username, r.PostFormValue("password"), attrs)
	if err != nil {
		_, v.Error = apiMessage(err)
		p.render(w, r, http.StatusBadRequest, "signup", v)
		return
	}
	if confirmed {
		http.Redirect(w, r, pageURL(t, "/login", req.Query, map[string]string{"username": username, "msg": "confirmed"}), http.StatusFound)
		return
	}
	http.Redirect(w, r, pageURL(t, "/confirm", req.Query, map[string]string{"username": username, "msg": "sent"}), http.StatusFound)
}

// confirm serves the sign-up confirmation page.
func (p *Pages) confirm(w http.ResponseWriter, r *http.Request, t oauth.Target) {
	req, ok := p.request(w, r, t)
	if !ok {
		return
	}
	v := p.base(w, r, t, req, "Confirm your account", "/confirm")
	if r.Method != http.MethodPost {
		p.render(w, r, http.StatusOK, "confirm", v)
		return
	}
	if !p.readPost(w, r, t) {
		return
	}
	username := strings.TrimSpace(r.PostFormValue("username"))
	v.Username = username
	pools := p.srv.Pools()
	if r.PostFormValue("resend") != "" {
		if err := pools.ResendSignUpCode(r.Context(), req.Client.ClientID, username); err != nil {
			_, v.Error = apiMessage(err)
			p.render(w, r, http.StatusBadRequest, "confirm", v)
			return
		}
		v.Notice = notices["sent"]
		p.render(w, r, http.StatusOK, "confirm", v)
		return
	}
	if err := pools.ConfirmSignUpCode(r.Context(), req.Client.ClientID, username, strings.TrimSpace(r.PostFormValue("code"))); err != nil {
		_, v.Error = apiMessage(err)
		p.render(w, r, http.StatusBadRequest, "confirm", v)
		return
	}
	http.Redirect(w, r, pageURL(t, "/login", req.Query, map[string]string{"username": username, "msg": "confirmed"}), http.StatusFound)
}

// forgot serves the forgotten-password page: a code is sent.
func (p *Pages) forgot(w http.ResponseWriter, r *http.Request, t oauth.Target) {
	req, ok := p.request(w, r, t)
	if !ok {
		return
	}
	v := p.base(w, r, t, req, "Forgot your password?", "/forgotPassword")
	if r.Method != http.MethodPost {
		p.render(w, r, http.StatusOK, "forgot", v)
		return
	}
	if !p.readPost(w, r, t) {
		return
	}
	username := strings.TrimSpace(r.PostFormValue("username"))
	if err := p.srv.Pools().ForgotPasswordCode(r.Context(), req.Client.ClientID, username); err != nil {
		typ, msg := apiMessage(err)
		if typ != "UserNotFoundException" { // no enumeration: unknown users go on as if a code were sent
			v.Username, v.Error = username, msg
			p.render(w, r, http.StatusBadRequest, "forgot", v)
			return
		}
	}
	http.Redirect(w, r, pageURL(t, "/confirmForgotPassword", req.Query, map[string]string{"username": username, "msg": "sent"}), http.StatusFound)
}

// reset serves the password-reset page: code and new password.
func (p *Pages) reset(w http.ResponseWriter, r *http.Request, t oauth.Target) {
	req, ok := p.request(w, r, t)
	if !ok {
		return
	}
	v := p.base(w, r, t, req, "Reset your password", "/confirmForgotPassword")
	if r.Method != http.MethodPost {
		p.render(w, r, http.StatusOK, "reset", v)
		return
	}
	if !p.readPost(w, r, t) {
		return
	}
	username := strings.TrimSpace(r.PostFormValue("username"))
	v.Username = username
	if r.PostFormValue("password") != r.PostFormValue("confirm_password") {
		v.Error = "The passwords do not match."
		p.render(w, r, http.StatusBadRequest, "reset", v)
		return
	}
	err := p.srv.Pools().ConfirmForgotPasswordCode(r.Context(), req.Client.ClientID, username, strings.TrimSpace(r.PostFormValue("code")), r.PostFormValue("password"))
	if err != nil {
		_, v.Error = apiMessage(err)
		p.render(w, r, http.StatusBadRequest, "reset", v)
		return
	}
	http.Redirect(w, r, pageURL(t, "/login", req.Query, map[string]string{"username": username, "msg": "reset"}), http.StatusFound)
}

func (p *Pages) render(w http.ResponseWriter, r *http.Request, status int, page string, v *view) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := pages.ExecuteTemplate(w, page, v); err != nil {
		p.srv.Logger().ErrorContext(r.Context(), "render page", "page", page, "err", err)
	}
}

var pages = template.Must(template.New("pages").Parse(`
{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f2f3f3;color:#16191f;margin:0}
main{max-width:24rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:.5rem;box-shadow:0 1px 4px rgba(0,0,0,.15)}
h1{font-size:1.4rem;margin-top:0}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
input{box-sizing:border-box;width:100%;padding:.6rem;border:1px solid #8c8c94;border-radius:.25rem;font-size:1rem}
input:focus{outline:3px solid #0972d3;outline-offset:1px}
button{margin-top:1.5rem;width:100%;padding:.7rem;background:#0972d3;color:#fff;border:0;border-radius:1rem;font-size:1rem;font-weight:700;cursor:pointer}
button.secondary{background:#fff;color:#0972d3;border:2px solid #0972d3}
.error{background:#fff1f0;border-left:4px solid #d91515;padding:.6rem;margin:1rem 0}
.notice{background:#f2f8fd;border-left:4px solid #0972d3;padding:.6rem;margin:1rem 0}
nav{margin-top:1.5rem;font-size:.95rem}nav a{color:#0972d3}
.client{color:#5f6b7a;font-size:.9rem}
a.provider{display:block;text-align:center;padding:.6rem;border:2px solid #0972d3;border-radius:1rem;text-decoration:none;font-weight:700}
</style>{{with .CSS}}<style>{{.}}</style>{{end}}</head><body><main>
{{with .Logo}}<img class="logo-customizable" src="{{.}}" alt="" style="max-width:100%;max-height:6rem">{{end}}
<h1>{{.Title}}</h1>
{{with .Client}}<p class="client">to continue to {{.}}</p>{{end}}
{{with .Error}}<div class="error" role="alert" id="form-error">{{.}}</div>{{end}}
{{with .Notice}}<div class="notice" role="status">{{.}}</div>{{end}}
{{end}}
{{define "foot"}}</main></body></html>{{end}}

{{define "login"}}{{template "head" .}}
<form method="post" action="{{.Action}}" novalidate>
<input type="hidden" name="_csrf" value="{{.CSRF}}">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" required value="{{.Username}}"{{if .Error}} aria-describedby="form-error"{{end}}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
{{if .Passkeys}}<button type="submit" name="step" value="passkey_start" class="secondary">Sign in with passkey</button>{{end}}
</form>
{{with .Providers}}<section aria-label="Sign in with another provider"><p>Or sign in with</p>
{{range .}}<p><a class="provider" href="{{.URL}}">Continue with {{.Name}}</a></p>{{end}}</section>{{end}}
<nav><p><a href="{{index .Links "forgot"}}">Forgot your password?</a></p>
<p>Need an account? <a href="{{index .Links "signup"}}">Sign up</a></p></nav>
{{template "foot"}}{{end}}

{{define "newpassword"}}{{template "head" .}}
<p>Your password must be changed before you can sign in.</p>
<form method="post" action="{{.Action}}" novalidate>
<input type="hidden" name="_csrf" value="{{.CSRF}}">
<input type="hidden" name="step" value="new_password">
<input type="hidden" name="session" value="{{.Session}}">
<input type="hidden" name="username" value="{{.Username}}">
<label for="new_password">New password</label>
<input id="new_password" name="new_password" type="password" autocomplete="new-password" required>
<label for="confirm_password">Enter the new password again</label>
<input id="confirm_password" name="confirm_password" type="password" autocomplete="new-password" required>
{{range .Required}}<label for="attr_{{.}}">{{.}}</label>
<input id="attr_{{.}}" name="attr_{{.}}" type="text" required>
{{end}}
<button type="submit">Change password</button>
</form>
{{template "foot"}}{{end}}

{{define "signup"}}{{template "head" .}}
<form method="post" action="{{.Action}}" novalidate>
<input type="hidden" name="_csrf" value="{{.CSRF}}">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" required value="{{.Username}}">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="email" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="new-password" required>
<label for="confirm_password">Enter the password again</label>
<input id="confirm_password" name="confirm_password" type="password" autocomplete="new-password" required>
<button type="submit">Sign up</button>
</form>
<nav><p>Already have an account? <a href="{{index .Links "login"}}">Sign in</a></p></nav>
{{template "foot"}}{{end}}

{{define "confirm"}}{{template "head" .}}
<form method="post" action="{{.Action}}" novalidate>
<input type="hidden" name="_csrf" value="{{.CSRF}}">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" required value="{{.Username}}">
<label for="code">Confirmation code</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required>
<button type="submit">Confirm account</button>
<button type="submit" name="resend" value="1" class="secondary">Send a new code</button>
</form>
{{template "foot"}}{{end}}

{{define "forgot"}}{{template "head" .}}
<p>Enter your username and we will send you a code to reset your password.</p>
<form method="post" action="{{.Action}}" novalidate>
<input type="hidden" name="_csrf" value="{{.CSRF}}">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" required value="{{.Username}}">
<button type="submit">Send code</button>
</form>
<nav><p><a href="{{index .Links "login"}}">Back to sign in</a></p></nav>
{{template "foot"}}{{end}}

{{define "reset"}}{{template "head" .}}
<form method="post" action="{{.Action}}" novalidate>
<input type="hidden" name="_csrf" value="{{.CSRF}}">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" required value="{{.Username}}">
<label for="code">Code</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required>
<label for="password">New password</label>
<input id="password" name="password" type="password" autocomplete="new-password" required>
<label for="confirm_password">Enter the new password again</label>
<input id="confirm_password" name="confirm_password" type="password" autocomplete="new-password" required>
<button type="submit">Reset password</button>
</form>
{{template "foot"}}{{end}}

{{define "error"}}{{template "head" .}}{{template "foot"}}{{end}}
`))
