package login

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/cognate-dev/cognate/internal/oauth"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// This file is the MFA and passkey part of the sign-in page: the
// SOFTWARE_TOKEN_MFA, SMS_MFA and EMAIL_OTP code steps, SELECT_MFA_TYPE,
// MFA_SETUP (an authenticator app with its QR code and secret, or an email
// address), passkey sign-in and the passkey registration prompt after a
// sign-in. Each step is a form posted back to /login with a "step" field;
// the challenge session travels in the form, the CSRF token as everywhere.
// Only the passkey steps run script (WebAuthn has no form equivalent),
// allowed by a per-response nonce.

// Steps of the sign-in form beyond the password.
const (
	stepMFA             = "mfa"              // a code, or the SELECT_MFA_TYPE choice
	stepSetupChoose     = "setup_choose"     // MFA_SETUP: TOTP or EMAIL
	stepSetupTOTP       = "setup_totp"       // MFA_SETUP: the authenticator's first code
	stepSetupEmail      = "setup_email"      // MFA_SETUP: the email address
	stepPasskeyStart    = "passkey_start"    // "Sign in with passkey" on the sign-in form
	stepPasskey         = "passkey"          // the WEB_AUTHN assertion
	stepPasskeyRegister = "passkey_register" // the prompt's new credential
	stepPasskeySkip     = "passkey_skip"     // the prompt declined
)

// stepView is what the MFA and passkey templates render.
type stepView struct {
	Challenge   string
	Options     []option
	Destination string
	DeviceName  string
	Secret      string
	QR          template.URL
	// WebAuthn is the JSON of the ceremony's options; Mode is "get" or "create".
	WebAuthn string
	Mode     string
	Nonce    string
}

// option is a labelled radio choice.
type option struct{ Value, Label string }

var factorLabels = map[string]string{
	"SOFTWARE_TOKEN_MFA": "Authenticator app",
	"SMS_MFA":            "Text message (SMS)",
	"EMAIL_OTP":          "Email message",
}

func options(names []string) []option {
	out := make([]option, 0, len(names))
	for _, n := range names {
		if l, ok := factorLabels[n]; ok {
			out = append(out, option{Value: n, Label: l})
		}
	}
	return out
}

// signInStep handles a posted step of the sign-in form other than the
// password and NEW_PASSWORD_REQUIRED.
func (p *Pages) signInStep(w http.ResponseWriter, r *http.Request, t oauth.Target, req *oauth.Request, v *view, step string) {
	ctx := r.Context()
	pools := p.srv.Pools()
	client := req.Client.ClientID
	username := v.Username
	session := r.PostFormValue("session")
	challenge := r.PostFormValue("challenge")
	again := func(err error, ch *userpool.Challenge) {
		_, v.Error = apiMessage(err)
		if ch == nil {
			v.Title, v.Session = "Sign in", ""
			p.renderLogin(w, r, t, http.StatusBadRequest, v)
			return
		}
		p.showChallenge(w, r, t, req, v, &userpool.SignIn{Username: username, Challenge: ch}, http.StatusBadRequest)
	}
	// retry keeps the page of a wrong answer: the challenge session stays usable.
	retry := func(err error) {
		typ, _ := apiMessage(err)
		if typ == "CodeMismatchException" || typ == "InvalidParameterException" || typ == "EnableSoftwareTokenMFAException" {
			again(err, &userpool.Challenge{Name: challenge, Session: session, Destination: r.PostFormValue("destination"),
				Options: strings.Fields(r.PostFormValue("options"))})
			return
		}
		again(err, nil)
	}
	switch step {
	case stepMFA:
		answer := strings.TrimSpace(r.PostFormValue("code"))
		if challenge == "SELECT_MFA_TYPE" {
			answer = r.PostFormValue("factor")
		}
		si, err := pools.RespondChallenge(ctx, client, session, username, challenge, answer)
		if err != nil {
			retry(err)
			return
		}
		p.afterStep(w, r, t, req, v, si)
	case stepSetupChoose:
		switch r.PostFormValue("factor") {
		case "SOFTWARE_TOKEN_MFA":
			p.showTOTPSetup(w, r, t, req, v, session, http.StatusOK)
		case "EMAIL_OTP":
			v.Session, v.Title = session, "Set up email MFA"
			p.renderStep(w, r, http.StatusOK, "mfa_setup_email", v, &stepView{Challenge: "MFA_SETUP"})
		default:
			v.Session, v.Title, v.Error = session, "Set up multi-factor authentication", "Choose how to verify your sign-ins."
			p.renderStep(w, r, http.StatusBadRequest, "mfa_setup_choose", v, &stepView{Challenge: "MFA_SETUP", Options: options(strings.Fields(r.PostFormValue("options")))})
		}
	case stepSetupEmail:
		si, err := pools.RespondChallenge(ctx, client, session, username, "MFA_SETUP", strings.TrimSpace(r.PostFormValue("email")))
		if err != nil {
			if typ, _ := apiMessage(err); typ == "InvalidParameterException" || typ == "AliasExistsException" {
				_, v.Error = apiMessage(err)
				v.Session, v.Title = session, "Set up email MFA"
				p.renderStep(w, r, http.StatusBadRequest, "mfa_setup_email", v, &stepView{Challenge: "MFA_SETUP"})
				return
			}
			again(err, nil)
			return
		}
		p.afterStep(w, r, t, req, v, si)
	case stepSetupTOTP:
		si, err := pools.VerifySetupTOTP(ctx, client, session, username, strings.TrimSpace(r.PostFormValue("code")))
		if err != nil {
			// A wrong first code leaves the set-up session and its secret
			// usable: the same page again (the secret is the user's own,
			// already on the page).
			if typ, _ := apiMessage(err); typ == "EnableSoftwareTokenMFAException" && validSecret(r.PostFormValue("secret")) {
				_, v.Error = apiMessage(err)
				p.renderTOTPSetup(w, r, req, v, r.PostFormValue("secret"), session, http.StatusBadRequest)
				return
			}
			again(err, nil)
			return
		}
		p.afterStep(w, r, t, req, v, si)
	case stepPasskeyStart:
		if username == "" {
			// AWS's passkey sign-in starts from a username (see PasskeySignIn).
			v.Error = "Enter your username, then choose Sign in with passkey."
			p.renderLogin(w, r, t, http.StatusBadRequest, v)
			return
		}
		si, err := pools.PasskeySignIn(ctx, client, username)
		if err != nil {
			again(err, nil)
			return
		}
		p.showChallenge(w, r, t, req, v, si, http.StatusOK)
	case stepPasskey:
		si, err := pools.RespondChallenge(ctx, client, session, username, "WEB_AUTHN", r.PostFormValue("credential"))
		if err != nil {
			again(err, nil)
			return
		}
		p.afterStep(w, r, t, req, v, si)
	case stepPasskeyRegister, stepPasskeySkip:
		sess, ok := p.Current(r, t.PoolID)
		if !ok {
			v.Error = "Your session has ended. Sign in again."
			p.renderLogin(w, r, t, http.StatusBadRequest, v)
			return
		}
		if step == stepPasskeyRegister {
			if err := pools.RegisterPasskey(ctx, client, sess.Username, r.PostFormValue("credential")); err != nil {
				p.srv.Logger().InfoContext(ctx, "managed login passkey registration refused", "pool", t.PoolID, "err", err)
				_, v.Error = apiMessage(err)
				p.showPasskeyPrompt(w, r, t, req, v, sess, http.StatusBadRequest)
				return
			}
		}
		p.srv.Complete(w, r, req, sess)
	default:
		v.Error = "The form could not be read."
		p.renderLogin(w, r, t, http.StatusBadRequest, v)
	}
}

// afterStep shows the next challenge, or ends the sign-in.
func (p *Pages) afterStep(w http.ResponseWriter, r *http.Request, t oauth.Target, req *oauth.Request, v *view, si *userpool.SignIn) {
	if si.Challenge != nil {
		p.showChallenge(w, r, t, req, v, si, http.StatusOK)
		return
	}
	p.signedIn(w, r, t, req, v, si, false)
}

// signedIn starts the session; after a sign-in without a passkey it offers
// one (AWS's managed login prompts for passkey registration), else it
// completes the authorization request.
func (p *Pages) signedIn(w http.ResponseWriter, r *http.Request, t oauth.Target, req *oauth.Request, v *view, si *userpool.SignIn, viaPasskey bool) {
	sess := &oauth.Session{PoolID: t.PoolID, Username: si.Username, Sub: si.Sub, AuthTime: si.AuthTime.Unix()}
	if err := p.start(r.Context(), w, r, t, sess); err != nil {
		p.srv.Logger().ErrorContext(r.Context(), "start login session", "err", err)
		p.render(w, r, http.StatusInternalServerError, "error", &view{Title: "Error", Error: "Something went wrong. Please try again."})
		return
	}
	if !viaPasskey && p.showPasskeyPrompt(w, r, t, req, v, sess, http.StatusOK) {
		return
	}
	p.srv.Complete(w, r, req, sess)
}

// showPasskeyPrompt renders the passkey registration prompt when the user
// could add one; it reports whether it did.
func (p *Pages) showPasskeyPrompt(w http.ResponseWriter, r *http.Request, t oauth.Target, req *oauth.Request, v *view, sess *oauth.Session, status int) bool {
	if !p.srv.Pools().PasskeysEnabled(r.Context(), t.PoolID) {
		return false
	}
	opts, err := p.srv.Pools().PasskeyPrompt(r.Context(), req.Client.ClientID, sess.Username)
	if err != nil {
		p.srv.Logger().InfoContext(r.Context(), "passkey prompt unavailable", "pool", t.PoolID, "err", err)
		return false
	}
	if opts == "" {
		return false
	}
	v.Title, v.Username, v.Session = "Sign in faster with a passkey", sess.Username, ""
	p.renderStep(w, r, status, "passkey_register", v, &stepView{WebAuthn: opts, Mode: "create"})
	return true
}

// showChallenge renders the page of a challenge.
func (p *Pages) showChallenge(w http.ResponseWriter, r *http.Request, t oauth.Target, req *oauth.Request, v *view, si *userpool.SignIn, status int) {
	ch := si.Challenge
	if si.Username != "" {
		v.Username = si.Username
	}
	v.Session = ch.Session
	sv := &stepView{Challenge: ch.Name, Destination: ch.Destination, DeviceName: ch.DeviceName, Options: options(ch.Options)}
	switch ch.Name {
	case "SOFTWARE_TOKEN_MFA", "SMS_MFA", "EMAIL_OTP":
		v.Title = "Verify your sign-in"
		p.renderStep(w, r, status, "mfa_code", v, sv)
	case "SELECT_MFA_TYPE":
		v.Title = "Choose how to verify your sign-in"
		p.renderStep(w, r, status, "mfa_select", v, sv)
	case "MFA_SETUP":
		switch {
		case len(sv.Options) == 1 && sv.Options[0].Value == "SOFTWARE_TOKEN_MFA":
			p.showTOTPSetup(w, r, t, req, v, ch.Session, status)
		case len(sv.Options) == 1 && sv.Options[0].Value == "EMAIL_OTP":
			v.Title = "Set up email MFA"
			p.renderStep(w, r, status, "mfa_setup_email", v, sv)
		default:
			v.Title = "Set up multi-factor authentication"
			p.renderStep(w, r, status, "mfa_setup_choose", v, sv)
		}
	case "WEB_AUTHN":
		v.Title = "Sign in with a passkey"
		sv.WebAuthn, sv.Mode = ch.RequestOptions, "get"
		p.renderStep(w, r, status, "passkey", v, sv)
	default:
		v.Error = "This sign-in step is not available here."
		p.renderLogin(w, r, t, http.StatusBadRequest, v)
	}
}

// showTOTPSetup hands out an authenticator secret (AssociateSoftwareToken
// with the MFA_SETUP session) and renders it as a QR code and as text.
func (p *Pages) showTOTPSetup(w http.ResponseWriter, r *http.Request, t oauth.Target, req *oauth.Request, v *view, session string, status int) {
	secret, next, err := p.srv.Pools().SetupTOTP(r.Context(), session)
	if err != nil {
		_, v.Error = apiMessage(err)
		v.Title, v.Session = "Sign in", ""
		p.renderLogin(w, r, t, http.StatusBadRequest, v)
		return
	}
	p.renderTOTPSetup(w, r, req, v, secret, next, status)
}

// validSecret accepts a base32 TOTP secret as AssociateSoftwareToken makes them.
func validSecret(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range s {
		if (c < 'A' || c > 'Z') && (c < '2' || c > '7') {
			return false
		}
	}
	return true
}

// renderTOTPSetup renders an authenticator secret as a QR code and as text.
func (p *Pages) renderTOTPSetup(w http.ResponseWriter, r *http.Request, req *oauth.Request, v *view, secret, session string, status int) {
	// The otpauth URI as authenticator apps read it; the issuer label is
	// the app client's name (AWS does not document the one it uses).
	issuer := req.Client.Name
	if issuer == "" {
		issuer = "Cognito"
	}
	uri := (&url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + issuer + ":" + v.Username,
		RawQuery: url.Values{"secret": {secret}, "issuer": {issuer}}.Encode()}).String()
	qr, err := qrDataURL(uri)
	if err != nil {
		p.srv.Logger().ErrorContext(r.Context(), "render totp qr", "err", err)
	}
	v.Title, v.Session = "Set up an authenticator app", session
	p.renderStep(w, r, status, "mfa_setup_totp", v, &stepView{Challenge: "MFA_SETUP", Secret: secret, QR: qr})
}

// renderLogin renders the sign-in form.
func (p *Pages) renderLogin(w http.ResponseWriter, r *http.Request, t oauth.Target, status int, v *view) {
	v.Passkeys = p.srv.Pools().PasskeysEnabled(r.Context(), t.PoolID)
	p.render(w, r, status, "login", v)
}

// renderStep renders an MFA or passkey template; passkey pages get a
// script nonce in their Content-Security-Policy.
func (p *Pages) renderStep(w http.ResponseWriter, r *http.Request, status int, page string, v *view, sv *stepView) {
	if sv.Mode != "" {
		// No form-action: the sign-in's last answer redirects to the
		// client's callback, on another origin.
		sv.Nonce = randomToken(18)
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+sv.Nonce+"'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'")
	}
	v.Step = sv
	p.render(w, r, status, page, v)
}

var _ = template.Must(pages.Parse(`
{{define "step_fields"}}<input type="hidden" name="_csrf" value="{{.CSRF}}">
<input type="hidden" name="session" value="{{.Session}}">
<input type="hidden" name="username" value="{{.Username}}">{{end}}

{{define "mfa_code"}}{{template "head" .}}
{{if eq .Step.Challenge "SOFTWARE_TOKEN_MFA"}}<p id="code-help">Enter the code from your authenticator app{{with .Step.DeviceName}} ({{.}}){{end}}.</p>
{{else}}<p id="code-help">We sent a code to {{.Step.Destination}}. Enter it below.</p>{{end}}
<form method="post" action="{{.Action}}" novalidate>
{{template "step_fields" .}}
<input type="hidden" name="step" value="mfa">
<input type="hidden" name="challenge" value="{{.Step.Challenge}}">
<input type="hidden" name="destination" value="{{.Step.Destination}}">
<label for="code">Code</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required aria-describedby="code-help{{if .Error}} form-error{{end}}">
<button type="submit">Sign in</button>
</form>
<nav><p><a href="{{index .Links "login"}}">Back to sign in</a></p></nav>
{{template "foot"}}{{end}}

{{define "mfa_select"}}{{template "head" .}}
<form method="post" action="{{.Action}}" novalidate>
{{template "step_fields" .}}
<input type="hidden" name="step" value="mfa">
<input type="hidden" name="challenge" value="SELECT_MFA_TYPE">
<input type="hidden" name="options" value="{{range .Step.Options}}{{.Value}} {{end}}">
<fieldset><legend>Verify with</legend>
{{range $i, $o := .Step.Options}}<p><input type="radio" id="factor-{{$o.Value}}" name="factor" value="{{$o.Value}}"{{if eq $i 0}} checked{{end}}>
<label for="factor-{{$o.Value}}" style="display:inline">{{$o.Label}}</label></p>
{{end}}</fieldset>
<button type="submit">Continue</button>
</form>
{{template "foot"}}{{end}}

{{define "mfa_setup_choose"}}{{template "head" .}}
<p>This account needs a second way to verify sign-ins. Choose one to set up.</p>
<form method="post" action="{{.Action}}" novalidate>
{{template "step_fields" .}}
<input type="hidden" name="step" value="setup_choose">
<input type="hidden" name="challenge" value="MFA_SETUP">
<input type="hidden" name="options" value="{{range .Step.Options}}{{.Value}} {{end}}">
<fieldset><legend>Set up</legend>
{{range $i, $o := .Step.Options}}<p><input type="radio" id="factor-{{$o.Value}}" name="factor" value="{{$o.Value}}"{{if eq $i 0}} checked{{end}}>
<label for="factor-{{$o.Value}}" style="display:inline">{{$o.Label}}</label></p>
{{end}}</fieldset>
<button type="submit">Continue</button>
</form>
{{template "foot"}}{{end}}

{{define "mfa_setup_totp"}}{{template "head" .}}
<p id="totp-help">Scan this QR code with your authenticator app, or enter the secret key by hand, then enter the code the app shows.</p>
{{with .Step.QR}}<p><img id="totp-qr" src="{{.}}" alt="QR code of the authenticator secret" width="240" height="240" style="max-width:100%;height:auto"></p>{{end}}
<p>Secret key: <code id="totp-secret">{{.Step.Secret}}</code></p>
<form method="post" action="{{.Action}}" novalidate>
{{template "step_fields" .}}
<input type="hidden" name="step" value="setup_totp">
<input type="hidden" name="secret" value="{{.Step.Secret}}">
<label for="code">Code from the app</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required aria-describedby="totp-help">
<button type="submit">Verify and sign in</button>
</form>
{{template "foot"}}{{end}}

{{define "mfa_setup_email"}}{{template "head" .}}
<p id="email-help">Enter the email address where sign-in codes should go. We will send a code to confirm it.</p>
<form method="post" action="{{.Action}}" novalidate>
{{template "step_fields" .}}
<input type="hidden" name="step" value="setup_email">
<label for="email">Email address</label>
<input id="email" name="email" type="email" autocomplete="email" required aria-describedby="email-help">
<button type="submit">Send code</button>
</form>
{{template "foot"}}{{end}}

{{define "passkey"}}{{template "head" .}}
<p id="passkey-help">Use the passkey saved on this device or your security key.</p>
<div class="error" role="alert" id="passkey-error" hidden></div>
<form method="post" action="{{.Action}}" id="passkey-form" data-mode="{{.Step.Mode}}" data-options="{{.Step.WebAuthn}}">
{{template "step_fields" .}}
<input type="hidden" name="step" value="passkey">
<input type="hidden" name="credential" value="">
<button type="submit" aria-describedby="passkey-help">Continue with passkey</button>
</form>
<nav><p><a href="{{index .Links "login"}}">Sign in another way</a></p></nav>
{{template "webauthn_script" .}}
{{template "foot"}}{{end}}

{{define "passkey_register"}}{{template "head" .}}
<p id="passkey-help">Next time, sign in with your fingerprint, face or screen lock instead of a password.</p>
<div class="error" role="alert" id="passkey-error" hidden></div>
<form method="post" action="{{.Action}}" id="passkey-form" data-mode="{{.Step.Mode}}" data-options="{{.Step.WebAuthn}}">
<input type="hidden" name="_csrf" value="{{.CSRF}}">
<input type="hidden" name="step" value="passkey_register">
<input type="hidden" name="credential" value="">
<button type="submit" aria-describedby="passkey-help">Add a passkey</button>
</form>
<form method="post" action="{{.Action}}">
<input type="hidden" name="_csrf" value="{{.CSRF}}">
<input type="hidden" name="step" value="passkey_skip">
<button type="submit" class="secondary">Not now</button>
</form>
{{template "webauthn_script" .}}
{{template "foot"}}{{end}}

{{define "webauthn_script"}}<script nonce="{{.Step.Nonce}}">
(function () {
  var form = document.getElementById('passkey-form');
  var fail = document.getElementById('passkey-error');
  function bytes(s) { s = s.replace(/-/g, '+').replace(/_/g, '/'); while (s.length % 4) s += '='; return Uint8Array.from(atob(s), function (c) { return c.charCodeAt(0); }); }
  function text(b) { var s = ''; new Uint8Array(b).forEach(function (x) { s += String.fromCharCode(x); }); return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''); }
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    if (!window.PublicKeyCredential) { fail.textContent = 'This browser does not support passkeys.'; fail.hidden = false; return; }
    var o = JSON.parse(form.dataset.options);
    o.challenge = bytes(o.challenge);
    var run;
    if (form.dataset.mode === 'get') {
      (o.allowCredentials || []).forEach(function (c) { c.id = bytes(c.id); });
      run = navigator.credentials.get({ publicKey: o }).then(function (c) {
        return { id: c.id, rawId: text(c.rawId), type: c.type, authenticatorAttachment: c.authenticatorAttachment || undefined,
          clientExtensionResults: c.getClientExtensionResults(),
          response: { clientDataJSON: text(c.response.clientDataJSON), authenticatorData: text(c.response.authenticatorData),
            signature: text(c.response.signature), userHandle: c.response.userHandle ? text(c.response.userHandle) : undefined } };
      });
    } else {
      o.user.id = bytes(o.user.id);
      (o.excludeCredentials || []).forEach(function (c) { c.id = bytes(c.id); });
      run = navigator.credentials.create({ publicKey: o }).then(function (c) {
        return { id: c.id, rawId: text(c.rawId), type: c.type, authenticatorAttachment: c.authenticatorAttachment || undefined,
          clientExtensionResults: c.getClientExtensionResults(),
          response: { clientDataJSON: text(c.response.clientDataJSON), attestationObject: text(c.response.attestationObject),
            transports: c.response.getTransports ? c.response.getTransports() : [] } };
      });
    }
    run.then(function (cred) {
      form.elements.credential.value = JSON.stringify(cred);
      form.submit();
    }, function (e) { fail.textContent = 'The passkey was not used: ' + e.message; fail.hidden = false; });
  });
})();
</script>{{end}}
`))
