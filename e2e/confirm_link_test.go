package e2e

import (
	"encoding/json"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/messages"
)

// TestConfirmWithLink: a pool whose VerificationMessageTemplate says
// CONFIRM_WITH_LINK mails EmailSubjectByLink / EmailMessageByLink with
// {##…##} as a link to /confirmUser; following the link (a plain HTTP
// client, as a mail reader would) confirms the user; a used or tampered
// link does not.
func TestConfirmWithLink(t *testing.T) {
	srv := startServer(t, "")
	idp := newIDP(srv.URL)
	ctx := t.Context()
	pool, err := idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("links"),
		AutoVerifiedAttributes: []ciptypes.VerifiedAttributeType{ciptypes.VerifiedAttributeTypeEmail},
		EmailConfiguration:     &ciptypes.EmailConfigurationType{EmailSendingAccount: ciptypes.EmailSendingAccountTypeDeveloper, From: aws.String("links@example.test")},
		VerificationMessageTemplate: &ciptypes.VerificationMessageTemplateType{DefaultEmailOption: ciptypes.DefaultEmailOptionTypeConfirmWithLink,
			EmailSubjectByLink: aws.String("Confirm your account"), EmailMessageByLink: aws.String("Welcome! {##Click here to confirm##} Thanks.")}})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	clientID := oauthCodeClient(t, idp, poolID, "http://localhost/callback")
	for _, name := range []string{"lena", "max"} {
		if _, err := idp.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(clientID), Username: aws.String(name), Password: aws.String("Link-Passw0rd!"),
			UserAttributes: []ciptypes.AttributeType{{Name: aws.String("email"), Value: aws.String(name + "@example.test")}}}); err != nil {
			t.Fatal(err)
		}
	}
	link := func(user string) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/_cognate/outbox/"+poolID+"?username="+user+"&limit=1", nil)
		signAt(t, req, nil, "cognate", "AKIDLINKS", "secret", time.Now())
		status, _, body := doRaw(t, req)
		var page messages.ListResponse
		if status != http.StatusOK || json.Unmarshal([]byte(body), &page) != nil || len(page.Messages) != 1 {
			t.Fatalf("outbox: %d %s", status, body)
		}
		m := page.Messages[0]
		if m.Kind != "signup" || m.Subject != "Confirm your account" || !strings.HasPrefix(m.Body, "Welcome! <a href=\"") || !strings.HasSuffix(m.Body, "\">Click here to confirm</a> Thanks.") {
			t.Fatalf("link message: %+v", m)
		}
		href := html.UnescapeString(regexpFind(t, `href="([^"]+)"`, m.Body))
		want := srv.URL + "/" + poolID + "/confirmUser?"
		if !strings.HasPrefix(href, want) || !strings.Contains(href, "client_id="+clientID) || !strings.Contains(href, "user_name="+user) ||
			!strings.Contains(href, "confirmation_code="+m.Code) {
			t.Fatalf("link %s, want %s… with the client, user and code", href, want)
		}
		return href
	}
	status := func(user string) ciptypes.UserStatusType {
		t.Helper()
		u, err := idp.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String(user)})
		if err != nil {
			t.Fatal(err)
		}
		return u.UserStatus
	}

	lena := link("lena")
	code, _, page := rawGet(t, lena)
	if code != http.StatusOK || !strings.Contains(page, "Your account is confirmed") {
		t.Fatalf("following the link: %d\n%s", code, page)
	}
	if s := status("lena"); s != ciptypes.UserStatusTypeConfirmed {
		t.Fatalf("lena is %s after the link", s)
	}
	if code, _, _ = rawGet(t, lena); code != http.StatusBadRequest {
		t.Fatalf("a used link: %d", code)
	}

	max := link("max")
	tampered := strings.Replace(max, "confirmation_code=", "confirmation_code=9", 1)
	if code, _, _ = rawGet(t, tampered); code != http.StatusBadRequest {
		t.Fatalf("a tampered link: %d", code)
	}
	if code, _, _ = rawGet(t, strings.Replace(max, "client_id="+clientID, "client_id=nosuchclient", 1)); code != http.StatusBadRequest {
		t.Fatalf("a link of another client: %d", code)
	}
	if s := status("max"); s != ciptypes.UserStatusTypeUnconfirmed {
		t.Fatalf("max is %s after bad links", s)
	}
	if code, _, _ = rawGet(t, max); code != http.StatusOK || status("max") != ciptypes.UserStatusTypeConfirmed {
		t.Fatalf("max's own link: %d", code)
	}
}
