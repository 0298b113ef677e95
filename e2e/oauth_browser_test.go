package e2e

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// appPage is the single-page app of the browser test: oidc-client-ts with
// the issuer only (discovery does the rest).
const appPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Notes app</title>
<script src="/oidc-client-ts.min.js"></script></head><body><h1>Notes app</h1>
<button id="signin">Sign in</button><pre id="out"></pre>
<script>
const mgr = new oidc.UserManager({ authority: %q, client_id: %q, redirect_uri: location.origin + '/callback.html',
  response_type: 'code', scope: 'openid email profile' });
document.getElementById('signin').onclick = () => mgr.signinRedirect();
if (location.pathname === '/callback.html') {
  mgr.signinRedirectCallback().then((u) => {
    document.getElementById('out').textContent = JSON.stringify({ email: u.profile.email, scope: u.scope, hasRefresh: !!u.refresh_token });
  }, (e) => { document.getElementById('out').textContent = 'error: ' + e.message; });
}
</script></body></html>`

// TestBrowserManagedLogin: oidc-client-ts in headless Chromium signs in
// through the managed login over https (the local CA trusted by its SPKI
// hash), signs up and confirms with the code from the pool's outbox, and resets
// a forgotten password; screenshots of every page land in a temp dir
// (SCREENSHOT_DIR) and, with COGNATE_SCREENSHOTS=DIR, are copied there.
func TestBrowserManagedLogin(t *testing.T) {
	requireChromium(t)
	requireNode(t)
	e := setupOAuth(t)
	ctx := t.Context()
	bundle := filepath.Join(repoRoot(), "e2e", "node", "node_modules", "oidc-client-ts", "dist", "browser", "oidc-client-ts.min.js")
	if _, err := os.Stat(bundle); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("oidc-client-ts is required in CI (cd e2e/node && npm ci): %v", err)
		}
		t.Skipf("oidc-client-ts not installed (cd e2e/node && npm ci): %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	appURL := "http://" + ln.Addr().String()
	setupUpstream(t, e)
	client, err := e.idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(e.poolID), ClientName: aws.String("spa"),
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []ciptypes.OAuthFlowType{ciptypes.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid", "email", "profile"}, CallbackURLs: []string{appURL + "/callback.html"},
		SupportedIdentityProviders: []string{"COGNITO", "Upstream"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.idp.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(e.poolID), Username: aws.String("frank"),
		MessageAction: ciptypes.MessageActionTypeSuppress, UserAttributes: []ciptypes.AttributeType{
			{Name: aws.String("email"), Value: aws.String("frank@example.com")}, {Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.idp.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(e.poolID), Username: aws.String("frank"),
		Password: aws.String("Frank-Passw0rd!"), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf(appPage, e.issuer, aws.ToString(client.UserPoolClient.ClientId))
	app := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oidc-client-ts.min.js" {
			w.Header().Set("Content-Type", "text/javascript")
			http.ServeFile(w, r, bundle)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(page))
	})}}
	app.Start()
	defer app.Close()
	codes := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := outboxCode("http://127.0.0.1:"+e.port, e.poolID, r.URL.Query().Get("username"))
		if c == "" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(c))
	}))
	defer codes.Close()
	spki, err := runCLI(t, ctx, "", "ca", "--data", e.srv.DataDir, "--spki")
	if err != nil {
		t.Fatal(err)
	}
	bad := e.issuer + "/oauth2/authorize?" + url.Values{"response_type": {"code"}, "client_id": {aws.ToString(client.UserPoolClient.ClientId)},
		"redirect_uri": {"https://evil.example/callback"}}.Encode()
	shots := os.Getenv("COGNATE_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	runBrowserTest(t, "managed-login.test.js", "APP_URL="+appURL, "CODES_URL="+codes.URL, "CA_SPKI="+strings.TrimSpace(spki),
		"BAD_AUTHORIZE_URL="+bad, "ISSUER="+e.issuer, "SCREENSHOT_DIR="+shots)
	for _, name := range []string{"sign-in", "sign-in-error", "federated-upstream-sign-in", "signed-in-app", "sign-up", "confirm", "forgot-password", "reset-password", "error"} {
		if _, err := os.Stat(filepath.Join(shots, name+".png")); err != nil {
			t.Errorf("screenshot %s missing: %v", name, err)
		}
	}
}

// TestBrowserAmplifySignInWithRedirect: Amplify v6 (bundled with esbuild
// for the test) signs in with signInWithRedirect against the pool's prefix
// domain over https.
func TestBrowserAmplifySignInWithRedirect(t *testing.T) {
	requireChromium(t)
	_, dir := requireNode(t)
	esbuild := filepath.Join(dir, "node_modules", ".bin", "esbuild")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "aws-amplify")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("aws-amplify and esbuild are required in CI (cd e2e/node && npm ci): %v", err)
		}
		t.Skipf("aws-amplify not installed (cd e2e/node && npm ci): %v", err)
	}
	e := setupOAuth(t)
	ctx := t.Context()
	bundle := filepath.Join(t.TempDir(), "app.js")
	build := exec.CommandContext(ctx, esbuild, "browser/amplify/app.js", "--bundle", "--format=iife", "--outfile="+bundle)
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("esbuild: %v\n%s", err, out)
	}
	if _, err := e.idp.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: aws.String(e.poolID), Domain: aws.String("notes-app")}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	appURL := "http://" + ln.Addr().String()
	client, err := e.idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(e.poolID), ClientName: aws.String("amplify"),
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []ciptypes.OAuthFlowType{ciptypes.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid", "email"}, CallbackURLs: []string{appURL + "/"}, LogoutURLs: []string{appURL + "/"}})
	if err != nil {
		t.Fatal(err)
	}
	host := "notes-app.auth.us-east-1.amazoncognito.com"
	page := fmt.Sprintf(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Amplify app</title>
<script>window.AMPLIFY_TEST = {poolId: %q, clientId: %q, domain: %q};</script><script src="/app.js"></script></head>
<body><h1>Amplify app</h1></body></html>`, e.poolID, aws.ToString(client.UserPoolClient.ClientId), host+":"+e.port)
	app := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/app.js" {
			w.Header().Set("Content-Type", "text/javascript")
			http.ServeFile(w, r, bundle)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(page))
	})}}
	app.Start()
	defer app.Close()
	spki, err := runCLI(t, ctx, "", "ca", "--data", e.srv.DataDir, "--spki")
	if err != nil {
		t.Fatal(err)
	}
	shots := os.Getenv("COGNATE_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	runBrowserTest(t, "amplify.test.js", "APP_URL="+appURL, "CA_SPKI="+strings.TrimSpace(spki), "DOMAIN_HOST="+host, "SCREENSHOT_DIR="+shots)
}
