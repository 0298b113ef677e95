package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"golang.org/x/oauth2"
)

// TestOAuthTwoNodesOnPostgres: codes and managed-login sessions live in the
// store, so a user who signs in on node A gets a code B redeems, and B's
// authorize endpoint honours A's session cookie.
func TestOAuthTwoNodesOnPostgres(t *testing.T) {
	storeURL := postgresURL(t)
	key := make([]byte, 32)
	rand.Read(key)
	env := []string{"COGNATE_SERVER_KEY=" + hex.EncodeToString(key)}
	args := []string{"--store", storeURL, "--public-url", "http://cognate.internal:4566"}
	a := startServerEnv(t, "", env, args...)
	b := startServerEnv(t, "", env, args...)
	idp := newIDP(a.URL)
	ctx := t.Context()
	pool, err := idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("cluster-oauth")})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	c, err := idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("web"),
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []ciptypes.OAuthFlowType{ciptypes.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid"}, CallbackURLs: []string{callbackURL}})
	if err != nil {
		t.Fatal(err)
	}
	clientID := aws.ToString(c.UserPoolClient.ClientId)
	if _, err := idp.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("ivan"), MessageAction: ciptypes.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	if _, err := idp.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String("ivan"),
		Password: aws.String("Ivan-Passw0rd!"), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	verifier := oauth2.GenerateVerifier()
	authz := func(base, state string) string {
		return base + "/" + poolID + "/oauth2/authorize?" + url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {callbackURL},
			"state": {state}, "code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}}.Encode()
	}
	// The jar sends A's cookies to B (cookies ignore ports): one browser, two nodes.
	jar, _ := cookiejar.New(nil)
	br := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, _ := fetch(t, br, authz(a.URL, "n1"))
	_, page := fetch(t, br, a.URL+res.Header.Get("Location"))
	res, _ = submit(t, br, a.URL, page, url.Values{"username": {"ivan"}, "password": {"Ivan-Passw0rd!"}})
	wantCallback(t, res, "n1")
	cb, _ := url.Parse(res.Header.Get("Location"))
	redeem := func(base, code string) map[string]string {
		st, body, _ := oauthPost(t, http.DefaultClient, base+"/"+poolID+"/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "client_id": {clientID},
			"code": {code}, "redirect_uri": {callbackURL}, "code_verifier": {verifier}}, "", "")
		if st != 200 {
			t.Fatalf("redeem on %s: %d %v", base, st, body)
		}
		return body
	}
	tok := redeem(b.URL, cb.Query().Get("code"))
	if jwtClaims(t, tok["id_token"])["iss"] != "http://cognate.internal:4566/"+poolID {
		t.Fatalf("iss %v", jwtClaims(t, tok["id_token"])["iss"])
	}
	// B's authorize finds the session A started.
	res, _ = fetch(t, br, authz(b.URL, "n2"))
	wantCallback(t, res, "n2")
	cb, _ = url.Parse(res.Header.Get("Location"))
	redeem(a.URL, cb.Query().Get("code"))
	if !strings.Contains(a.output()+b.output(), "managed login") {
		t.Fatal("no managed-login sign-in logged")
	}
}
