package e2e

import (
	"bytes"
	"html"
	"image"
	"image/png"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"golang.org/x/oauth2"
)

// authURL is an authorization request of the web client with PKCE.
func (e *oauthEnv) authURL(state string) string {
	v := url.Values{"response_type": {"code"}, "client_id": {e.webClient}, "redirect_uri": {callbackURL}, "state": {state},
		"scope": {"openid email"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())}, "code_challenge_method": {"S256"}}
	return e.issuer + "/oauth2/authorize?" + v.Encode()
}

// loginPage follows an authorization URL to the sign-in page.
func (e *oauthEnv) loginPage(t *testing.T, b *http.Client, state string) string {
	t.Helper()
	res, _ := fetch(t, b, e.authURL(state))
	_, page := fetch(t, b, e.srv.URL+res.Header.Get("Location"))
	return page
}

// follow GETs a redirect's target on the server and returns the page.
func (e *oauthEnv) follow(t *testing.T, b *http.Client, res *http.Response) string {
	t.Helper()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("want a redirect, got %d", res.StatusCode)
	}
	r, page := fetch(t, b, e.srv.URL+res.Header.Get("Location"))
	if r.StatusCode != 200 {
		t.Fatalf("%s: %d", res.Header.Get("Location"), r.StatusCode)
	}
	return page
}

func wantCallback(t *testing.T, res *http.Response, state string) {
	t.Helper()
	loc, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || !strings.HasPrefix(loc.String(), callbackURL) || loc.Query().Get("code") == "" || loc.Query().Get("state") != state {
		t.Fatalf("want the callback with a code and state %s, got %d %s", state, res.StatusCode, loc)
	}
}

// TestManagedLoginSignUpConfirmSignIn signs up through the page, confirms
// with the code the server sent (read from the development sender's log)
// and arrives at the callback.
func TestManagedLoginSignUpConfirmSignIn(t *testing.T) {
	e := setupOAuth(t)
	b := e.browser(t)
	login := e.loginPage(t, b, "s1")
	signupURL := e.srv.URL + html.UnescapeString(regexpFind(t, `href="([^"]*/signup\?[^"]*)"`, login))
	_, page := fetch(t, b, signupURL)
	for _, label := range []string{`<label for="username">`, `<label for="email">`, `<label for="password">`, `<label for="confirm_password">`} {
		if !strings.Contains(page, label) {
			t.Fatalf("sign-up page lacks %s", label)
		}
	}
	res, page := submit(t, b, e.srv.URL, page, url.Values{"username": {"bob"}, "email": {"bob@example.com"}, "password": {"short"}, "confirm_password": {"short"}})
	if res.StatusCode != 400 || !strings.Contains(page, "Password") {
		t.Fatalf("weak password: %d", res.StatusCode)
	}
	res, _ = submit(t, b, e.srv.URL, page, url.Values{"username": {"bob"}, "email": {"bob@example.com"}, "password": {"Bob-Passw0rd!"}, "confirm_password": {"Bob-Passw0rd!"}})
	page = e.follow(t, b, res)
	if !strings.Contains(page, `<label for="code">`) {
		t.Fatalf("no confirmation page:\n%s", page)
	}
	res, page = submit(t, b, e.srv.URL, page, url.Values{"username": {"bob"}, "code": {"000000"}})
	if res.StatusCode != 400 || !strings.Contains(page, "Invalid verification code") {
		t.Fatalf("wrong code: %d", res.StatusCode)
	}
	res, _ = submit(t, b, e.srv.URL, page, url.Values{"username": {"bob"}, "code": {e.code(t, "bob")}})
	page = e.follow(t, b, res)
	if !strings.Contains(page, "Your account is confirmed") {
		t.Fatalf("no confirmation notice:\n%s", page)
	}
	res, _ = submit(t, b, e.srv.URL, page, url.Values{"username": {"bob"}, "password": {"Bob-Passw0rd!"}})
	wantCallback(t, res, "s1")
}

// TestManagedLoginForgotPassword resets a password through the pages.
func TestManagedLoginForgotPassword(t *testing.T) {
	e := setupOAuth(t)
	b := e.browser(t)
	login := e.loginPage(t, b, "s2")
	_, page := fetch(t, b, e.srv.URL+html.UnescapeString(regexpFind(t, `href="([^"]*/forgotPassword\?[^"]*)"`, login)))
	res, _ := submit(t, b, e.srv.URL, page, url.Values{"username": {"alice"}})
	page = e.follow(t, b, res)
	res, _ = submit(t, b, e.srv.URL, page, url.Values{"username": {"alice"}, "code": {e.code(t, "alice")},
		"password": {"New-Alice-Passw0rd!"}, "confirm_password": {"New-Alice-Passw0rd!"}})
	page = e.follow(t, b, res)
	res, page = submit(t, b, e.srv.URL, page, url.Values{"username": {"alice"}, "password": {"Alice-Passw0rd!"}})
	if res.StatusCode != 400 {
		t.Fatalf("old password still works: %d", res.StatusCode)
	}
	res, _ = submit(t, b, e.srv.URL, page, url.Values{"username": {"alice"}, "password": {"New-Alice-Passw0rd!"}})
	wantCallback(t, res, "s2")
	// Unknown users see the same next page (no enumeration).
	_, page = fetch(t, b, e.srv.URL+html.UnescapeString(regexpFind(t, `href="([^"]*/forgotPassword\?[^"]*)"`, login)))
	res, _ = submit(t, b, e.srv.URL, page, url.Values{"username": {"nobody"}})
	if res.StatusCode != http.StatusFound || !strings.Contains(res.Header.Get("Location"), "/confirmForgotPassword?") {
		t.Fatalf("unknown user: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
}

// TestManagedLoginNewPasswordRequired completes NEW_PASSWORD_REQUIRED for an
// invited user on the page.
func TestManagedLoginNewPasswordRequired(t *testing.T) {
	e := setupOAuth(t)
	if _, err := e.idp.AdminCreateUser(t.Context(), &cip.AdminCreateUserInput{UserPoolId: aws.String(e.poolID), Username: aws.String("carol"),
		TemporaryPassword: aws.String("Temp-Passw0rd!"), MessageAction: ciptypes.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	page := e.loginPage(t, b, "s3")
	res, page := submit(t, b, e.srv.URL, page, url.Values{"username": {"carol"}, "password": {"Temp-Passw0rd!"}})
	if res.StatusCode != 200 || !strings.Contains(page, `<label for="new_password">`) {
		t.Fatalf("no new-password step: %d\n%s", res.StatusCode, page)
	}
	res, page = submit(t, b, e.srv.URL, page, url.Values{"username": {"carol"}, "step": {"new_password"}, "session": {regexpFind(t, `name="session" value="([^"]+)"`, page)},
		"new_password": {"Carol-Passw0rd!"}, "confirm_password": {"Carol-Passw0rd!"}})
	wantCallback(t, res, "s3")
	// The session now skips the form.
	res, _ = fetch(t, b, e.authURL("s4"))
	wantCallback(t, res, "s4")
}

func regexpFind(t *testing.T, pattern, s string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("%s not found in:\n%s", pattern, s)
	}
	return m[1]
}

// TestManagedLoginUICustomization: SetUICustomization's CSS and logo show
// on the pages (the client's over the pool's ALL), markup in CSS is refused.
func TestManagedLoginUICustomization(t *testing.T) {
	e := setupOAuth(t)
	ctx := t.Context()
	var logo bytes.Buffer
	png.Encode(&logo, image.NewRGBA(image.Rect(0, 0, 2, 2)))
	if _, err := e.idp.SetUICustomization(ctx, &cip.SetUICustomizationInput{UserPoolId: aws.String(e.poolID), CSS: aws.String(".banner-customizable{background:#123456}")}); err != nil {
		t.Fatal(err)
	}
	out, err := e.idp.SetUICustomization(ctx, &cip.SetUICustomizationInput{UserPoolId: aws.String(e.poolID), ClientId: aws.String(e.webClient),
		CSS: aws.String(".submitButton-customizable{background:#654321}"), ImageFile: logo.Bytes()})
	if err != nil || !strings.HasPrefix(aws.ToString(out.UICustomization.ImageUrl), "data:image/png;base64,") {
		t.Fatalf("set: %v %+v", err, out)
	}
	if _, err := e.idp.SetUICustomization(ctx, &cip.SetUICustomizationInput{UserPoolId: aws.String(e.poolID), CSS: aws.String("</style><script>alert(1)</script>")}); err == nil {
		t.Fatal("markup in CSS accepted")
	}
	got, err := e.idp.GetUICustomization(ctx, &cip.GetUICustomizationInput{UserPoolId: aws.String(e.poolID)})
	if err != nil || aws.ToString(got.UICustomization.CSS) != ".banner-customizable{background:#123456}" {
		t.Fatalf("get ALL: %v %+v", err, got)
	}
	page := e.loginPage(t, e.browser(t), "ui")
	if !strings.Contains(page, ".submitButton-customizable{background:#654321}") || !strings.Contains(page, `src="data:image/png;base64,`) {
		t.Fatalf("customization not on the page:\n%s", page)
	}
}

// TestManagedLoginThrottled: the per-source bucket of Cognito's public
// operations (authThrottling) also limits the sign-in form and the token
// endpoint.
func TestManagedLoginThrottled(t *testing.T) {
	d := startDemoConfig(t, "authThrottling: {rateLimit: 0.01, burstLimit: 3}")
	ctx := t.Context()
	c, err := d.idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(d.poolID), ClientName: aws.String("web"),
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []ciptypes.OAuthFlowType{ciptypes.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid", "email"}, CallbackURLs: []string{callbackURL}})
	if err != nil {
		t.Fatal(err)
	}
	e := &oauthEnv{srv: d.srv, issuer: d.srv.URL + "/" + d.poolID, webClient: aws.ToString(c.UserPoolClient.ClientId)}
	jar, _ := cookiejar.New(nil)
	b := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page := e.loginPage(t, b, "t1")
	statuses := []int{}
	for range 5 {
		res, p := submit(t, b, d.srv.URL, page, url.Values{"username": {"nobody"}, "password": {"Wrong-Passw0rd!"}})
		statuses = append(statuses, res.StatusCode)
		if res.StatusCode == 400 {
			page = p
		}
	}
	if statuses[0] != 400 || statuses[len(statuses)-1] != http.StatusTooManyRequests {
		t.Fatalf("sign-in form statuses %v: want 400s, then 429", statuses)
	}
	st, body, _ := oauthPost(t, http.DefaultClient, e.issuer+"/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"x"}}, "", "")
	if st != http.StatusTooManyRequests || body["error"] != "slow_down" {
		t.Fatalf("token endpoint: %d %v", st, body)
	}
}
