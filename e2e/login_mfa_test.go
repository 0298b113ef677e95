package e2e

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// mfaOAuth is setupOAuth with MFA required (authenticator app and email
// codes) in the pool.
func mfaOAuth(t *testing.T) *oauthEnv {
	t.Helper()
	e := setupOAuth(t)
	ctx := t.Context()
	if _, err := e.idp.UpdateUserPool(ctx, &cip.UpdateUserPoolInput{UserPoolId: aws.String(e.poolID),
		AutoVerifiedAttributes: []ciptypes.VerifiedAttributeType{ciptypes.VerifiedAttributeTypeEmail},
		EmailConfiguration:     &ciptypes.EmailConfigurationType{EmailSendingAccount: ciptypes.EmailSendingAccountTypeDeveloper, From: aws.String("login@example.test")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.idp.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(e.poolID), MfaConfiguration: ciptypes.UserPoolMfaTypeOn,
		SoftwareTokenMfaConfiguration: &ciptypes.SoftwareTokenMfaConfigType{Enabled: true},
		SmsMfaConfiguration: &ciptypes.SmsMfaConfigType{SmsAuthenticationMessage: aws.String("Sign-in code {####}"),
			SmsConfiguration: &ciptypes.SmsConfigurationType{SnsCallerArn: aws.String("arn:aws:iam::000000000000:role/sms")}},
		EmailMfaConfiguration: &ciptypes.EmailMfaConfigType{Subject: aws.String("Sign-in code"), Message: aws.String("Your sign-in code is {####}")}}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *oauthEnv) addUser(t *testing.T, name, pw string, attrs ...ciptypes.AttributeType) {
	t.Helper()
	ctx := t.Context()
	if _, err := e.idp.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(e.poolID), Username: aws.String(name),
		MessageAction: ciptypes.MessageActionTypeSuppress, UserAttributes: attrs}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.idp.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(e.poolID), Username: aws.String(name),
		Password: aws.String(pw), Permanent: true}); err != nil {
		t.Fatal(err)
	}
}

func wantLabels(t *testing.T, page string, labels ...string) {
	t.Helper()
	for _, l := range labels {
		if !strings.Contains(page, `<label for="`+l+`"`) {
			t.Fatalf("page lacks a label for %s:\n%s", l, page)
		}
	}
}

// TestManagedLoginMFASteps signs in through every MFA step of the managed
// login pages: MFA_SETUP with an authenticator app (QR code and secret,
// a wrong first code, then the right one), SOFTWARE_TOKEN_MFA, EMAIL_OTP,
// SELECT_MFA_TYPE and MFA_SETUP with an email address.
func TestManagedLoginMFASteps(t *testing.T) {
	e := mfaOAuth(t)
	ctx := t.Context()
	const pw = "Dave-Passw0rd!"
	e.addUser(t, "dave", pw)

	// MFA_SETUP: dave has no factor and no email, so both can be set up.
	b := e.browser(t)
	page := e.loginPage(t, b, "m1")
	res, page := submit(t, b, e.srv.URL, page, url.Values{"username": {"dave"}, "password": {pw}})
	if res.StatusCode != 200 || !strings.Contains(page, `name="step" value="setup_choose"`) {
		t.Fatalf("no MFA set-up choice: %d\n%s", res.StatusCode, page)
	}
	wantLabels(t, page, "factor-SOFTWARE_TOKEN_MFA", "factor-EMAIL_OTP")
	res, page = submit(t, b, e.srv.URL, page, url.Values{"username": {"dave"}, "step": {"setup_choose"}, "factor": {"SOFTWARE_TOKEN_MFA"},
		"session": {regexpFind(t, `name="session" value="([^"]+)"`, page)}})
	if res.StatusCode != 200 || !strings.Contains(page, `id="totp-qr" src="data:image/png;base64,`) {
		t.Fatalf("no QR code: %d\n%s", res.StatusCode, page)
	}
	wantLabels(t, page, "code")
	secret := regexpFind(t, `<code id="totp-secret">([A-Z2-7]+)</code>`, page)
	session := regexpFind(t, `name="session" value="([^"]+)"`, page)
	res, page = submit(t, b, e.srv.URL, page, url.Values{"username": {"dave"}, "step": {"setup_totp"}, "session": {session}, "secret": {secret}, "code": {"000000"}})
	if res.StatusCode != 400 || !strings.Contains(page, "Code mismatch") || !strings.Contains(page, secret) {
		t.Fatalf("wrong first code: %d\n%s", res.StatusCode, page)
	}
	res, _ = submit(t, b, e.srv.URL, page, url.Values{"username": {"dave"}, "step": {"setup_totp"}, "session": {session}, "secret": {secret}, "code": {totpNow(t, secret, 0)}})
	wantCallback(t, res, "m1")

	// SOFTWARE_TOKEN_MFA in a new browser: a wrong code keeps the step, the right one signs in.
	b = e.browser(t)
	page = e.loginPage(t, b, "m2")
	res, page = submit(t, b, e.srv.URL, page, url.Values{"username": {"dave"}, "password": {pw}})
	if res.StatusCode != 200 || !strings.Contains(page, `name="challenge" value="SOFTWARE_TOKEN_MFA"`) || !strings.Contains(page, "authenticator app") {
		t.Fatalf("no TOTP step: %d\n%s", res.StatusCode, page)
	}
	wantLabels(t, page, "code")
	session = regexpFind(t, `name="session" value="([^"]+)"`, page)
	res, page = submit(t, b, e.srv.URL, page, url.Values{"username": {"dave"}, "step": {"mfa"}, "challenge": {"SOFTWARE_TOKEN_MFA"}, "session": {session}, "code": {"000000"}})
	if res.StatusCode != 400 || !strings.Contains(page, "Invalid code") || !strings.Contains(page, `name="challenge" value="SOFTWARE_TOKEN_MFA"`) {
		t.Fatalf("wrong TOTP code: %d\n%s", res.StatusCode, page)
	}
	res, _ = submit(t, b, e.srv.URL, page, url.Values{"username": {"dave"}, "step": {"mfa"}, "challenge": {"SOFTWARE_TOKEN_MFA"}, "session": {session}, "code": {totpNow(t, secret, 30*time.Second)}})
	wantCallback(t, res, "m2")
	// The session now skips the form and MFA.
	res, _ = fetch(t, b, e.authURL("m3"))
	wantCallback(t, res, "m3")

	// EMAIL_OTP: alice has a verified email, which MFA ON uses.
	b = e.browser(t)
	page = e.loginPage(t, b, "m4")
	res, page = submit(t, b, e.srv.URL, page, url.Values{"username": {"alice"}, "password": {"Alice-Passw0rd!"}})
	if res.StatusCode != 200 || !strings.Contains(page, `name="challenge" value="EMAIL_OTP"`) || !strings.Contains(page, "We sent a code to") {
		t.Fatalf("no email code step: %d\n%s", res.StatusCode, page)
	}
	res, _ = submit(t, b, e.srv.URL, page, url.Values{"username": {"alice"}, "step": {"mfa"}, "challenge": {"EMAIL_OTP"},
		"session": {regexpFind(t, `name="session" value="([^"]+)"`, page)}, "code": {e.code(t, "alice")}})
	wantCallback(t, res, "m4")

	// SELECT_MFA_TYPE: dave with a verified email and no preferred factor.
	if _, err := e.idp.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: aws.String(e.poolID), Username: aws.String("dave"),
		UserAttributes: []ciptypes.AttributeType{{Name: aws.String("email"), Value: aws.String("dave@example.com")}, {Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.idp.AdminSetUserMFAPreference(ctx, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: aws.String(e.poolID), Username: aws.String("dave"),
		SoftwareTokenMfaSettings: &ciptypes.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: false},
		EmailMfaSettings:         &ciptypes.EmailMfaSettingsType{Enabled: true, PreferredMfa: false}}); err != nil {
		t.Fatal(err)
	}
	b = e.browser(t)
	page = e.loginPage(t, b, "m5")
	res, page = submit(t, b, e.srv.URL, page, url.Values{"username": {"dave"}, "password": {pw}})
	if res.StatusCode != 200 || !strings.Contains(page, `name="challenge" value="SELECT_MFA_TYPE"`) {
		t.Fatalf("no MFA choice: %d\n%s", res.StatusCode, page)
	}
	wantLabels(t, page, "factor-SOFTWARE_TOKEN_MFA", "factor-EMAIL_OTP")
	res, page = submit(t, b, e.srv.URL, page, url.Values{"username": {"dave"}, "step": {"mfa"}, "challenge": {"SELECT_MFA_TYPE"}, "factor": {"EMAIL_OTP"},
		"session": {regexpFind(t, `name="session" value="([^"]+)"`, page)}})
	if res.StatusCode != 200 || !strings.Contains(page, `name="challenge" value="EMAIL_OTP"`) {
		t.Fatalf("choosing email: %d\n%s", res.StatusCode, page)
	}
	res, _ = submit(t, b, e.srv.URL, page, url.Values{"username": {"dave"}, "step": {"mfa"}, "challenge": {"EMAIL_OTP"},
		"session": {regexpFind(t, `name="session" value="([^"]+)"`, page)}, "code": {e.code(t, "dave")}})
	wantCallback(t, res, "m5")

	// MFA_SETUP with an email address.
	e.addUser(t, "erin", "Erin-Passw0rd!")
	b = e.browser(t)
	page = e.loginPage(t, b, "m6")
	_, page = submit(t, b, e.srv.URL, page, url.Values{"username": {"erin"}, "password": {"Erin-Passw0rd!"}})
	res, page = submit(t, b, e.srv.URL, page, url.Values{"username": {"erin"}, "step": {"setup_choose"}, "factor": {"EMAIL_OTP"},
		"session": {regexpFind(t, `name="session" value="([^"]+)"`, page)}})
	if res.StatusCode != 200 || !strings.Contains(page, `name="step" value="setup_email"`) {
		t.Fatalf("no email set-up page: %d\n%s", res.StatusCode, page)
	}
	wantLabels(t, page, "email")
	session = regexpFind(t, `name="session" value="([^"]+)"`, page)
	res, page = submit(t, b, e.srv.URL, page, url.Values{"username": {"erin"}, "step": {"setup_email"}, "session": {session}, "email": {"not-an-address"}})
	if res.StatusCode != 400 || !strings.Contains(page, "Invalid email address") {
		t.Fatalf("bad address: %d\n%s", res.StatusCode, page)
	}
	res, page = submit(t, b, e.srv.URL, page, url.Values{"username": {"erin"}, "step": {"setup_email"}, "session": {session}, "email": {"erin@example.com"}})
	if res.StatusCode != 200 || !strings.Contains(page, `name="challenge" value="EMAIL_OTP"`) {
		t.Fatalf("no code step after the address: %d\n%s", res.StatusCode, page)
	}
	res, _ = submit(t, b, e.srv.URL, page, url.Values{"username": {"erin"}, "step": {"mfa"}, "challenge": {"EMAIL_OTP"},
		"session": {regexpFind(t, `name="session" value="([^"]+)"`, page)}, "code": {e.code(t, "erin")}})
	wantCallback(t, res, "m6")

	// SMS_MFA: sam has only a phone number.
	e.addUser(t, "sam", "Sam-Passw0rd!", ciptypes.AttributeType{Name: aws.String("phone_number"), Value: aws.String("+15555550123")},
		ciptypes.AttributeType{Name: aws.String("phone_number_verified"), Value: aws.String("true")})
	b = e.browser(t)
	page = e.loginPage(t, b, "m8")
	res, page = submit(t, b, e.srv.URL, page, url.Values{"username": {"sam"}, "password": {"Sam-Passw0rd!"}})
	if res.StatusCode != 200 || !strings.Contains(page, `name="challenge" value="SMS_MFA"`) || !strings.Contains(page, "We sent a code to &#43;*******0123") {
		t.Fatalf("no SMS code step: %d\n%s", res.StatusCode, page)
	}
	wantLabels(t, page, "code")
	res, _ = submit(t, b, e.srv.URL, page, url.Values{"username": {"sam"}, "step": {"mfa"}, "challenge": {"SMS_MFA"},
		"session": {regexpFind(t, `name="session" value="([^"]+)"`, page)}, "code": {e.code(t, "sam")}})
	wantCallback(t, res, "m8")

	// A step posted without the form's CSRF token is refused.
	b = e.browser(t)
	page = e.loginPage(t, b, "m7")
	r, err := b.PostForm(e.srv.URL+html.UnescapeString(regexpFind(t, `<form method="post" action="([^"]+)"`, page)),
		url.Values{"username": {"erin"}, "step": {"mfa"}, "challenge": {"EMAIL_OTP"}, "session": {"x"}, "code": {"123456"}})
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusForbidden {
		t.Fatalf("step without CSRF token: %d", r.StatusCode)
	}
}

// oauthCodeClient creates a public authorization-code client of a pool
// whose callback is callback.
func oauthCodeClient(t *testing.T, idp *cip.Client, poolID, callback string) string {
	t.Helper()
	c, err := idp.CreateUserPoolClient(t.Context(), &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("web"),
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []ciptypes.OAuthFlowType{ciptypes.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid", "email"}, CallbackURLs: []string{callback}, SupportedIdentityProviders: []string{"COGNITO"}})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(c.UserPoolClient.ClientId)
}

// TestBrowserManagedLoginMFAAndPasskeys: headless Chromium through plain
// authorization redirects to the managed login pages: a user required to
// use MFA sets up an authenticator app from the QR page's secret and signs
// in again with a TOTP code (computed by the test); another user accepts the
// passkey registration prompt after a password sign-in (CDP virtual
// authenticator) and then signs in with the passkey alone.
func TestBrowserManagedLoginMFAAndPasskeys(t *testing.T) {
	requireChromium(t)
	srv := startServer(t, "")
	idp := newIDP(srv.URL)
	ctx := t.Context()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	// The pages are reached as http://localhost:PORT (a secure context whose
	// host is the passkey pool's relying-party id).
	base := "http://localhost:" + port
	// The app's callback is on another origin than the pages, as in real apps.
	callback := "http://127.0.0.1:" + port + "/callback"

	totpPool, err := idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("totp-login")})
	if err != nil {
		t.Fatal(err)
	}
	totpPoolID := aws.ToString(totpPool.UserPool.Id)
	if _, err := idp.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(totpPoolID), MfaConfiguration: ciptypes.UserPoolMfaTypeOn,
		SoftwareTokenMfaConfiguration: &ciptypes.SoftwareTokenMfaConfigType{Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	totpClient := oauthCodeClient(t, idp, totpPoolID, callback)
	(&oauthEnv{idp: idp, poolID: totpPoolID}).addUser(t, "tina", "Tina-Passw0rd!")

	passkeyPoolID, _ := passkeyPool(t, idp, "pat", "Pat-Passw0rd!")
	passkeyClient := oauthCodeClient(t, idp, passkeyPoolID, callback)

	runBrowserTest(t, "managed-login-mfa.test.js", "BASE_URL="+base, "CALLBACK_URL="+callback,
		"TOTP_POOL_ID="+totpPoolID, "TOTP_CLIENT_ID="+totpClient, "PASSKEY_POOL_ID="+passkeyPoolID, "PASSKEY_CLIENT_ID="+passkeyClient)
	keys, err := idp.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(totpPoolID), Username: aws.String("tina")})
	if err != nil || len(keys.UserMFASettingList) != 1 || keys.UserMFASettingList[0] != "SOFTWARE_TOKEN_MFA" {
		t.Fatalf("tina's MFA after the set-up page: %v %+v", err, keys)
	}
}
