package userpool

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/tokens"
)

func TestResourceServers(t *testing.T) {
	e := newEnv(t)
	poolID := e.pool(t)
	in := &cip.CreateResourceServerInput{UserPoolId: aws.String(poolID), Identifier: aws.String("https://api.example.com"), Name: aws.String("api"),
		Scopes: []types.ResourceServerScopeType{{ScopeName: aws.String("read"), ScopeDescription: aws.String("read it")}}}
	out := must(e.api.CreateResourceServer(e.ctx, in))
	if aws.ToString(out.ResourceServer.Identifier) != "https://api.example.com" || len(out.ResourceServer.Scopes) != 1 {
		t.Fatalf("create: %+v", out.ResourceServer)
	}
	_, err := e.api.CreateResourceServer(e.ctx, in)
	wantErr(t, err, excInvalidParameter, "")
	bad := *in
	bad.Scopes = []types.ResourceServerScopeType{{ScopeName: aws.String("has/slash"), ScopeDescription: aws.String("x")}}
	bad.Identifier = aws.String("other")
	_, err = e.api.CreateResourceServer(e.ctx, &bad)
	wantErr(t, err, excInvalidParameter, "")
	must(e.api.UpdateResourceServer(e.ctx, &cip.UpdateResourceServerInput{UserPoolId: aws.String(poolID), Identifier: aws.String("https://api.example.com"),
		Name: aws.String("api v2"), Scopes: []types.ResourceServerScopeType{{ScopeName: aws.String("read"), ScopeDescription: aws.String("r")}, {ScopeName: aws.String("write"), ScopeDescription: aws.String("w")}}}))
	d := must(e.api.DescribeResourceServer(e.ctx, &cip.DescribeResourceServerInput{UserPoolId: aws.String(poolID), Identifier: aws.String("https://api.example.com")}))
	if aws.ToString(d.ResourceServer.Name) != "api v2" || len(d.ResourceServer.Scopes) != 2 {
		t.Fatalf("describe after update: %+v", d.ResourceServer)
	}
	l := must(e.api.ListResourceServers(e.ctx, &cip.ListResourceServersInput{UserPoolId: aws.String(poolID), MaxResults: aws.Int32(10)}))
	if len(l.ResourceServers) != 1 {
		t.Fatalf("list: %d", len(l.ResourceServers))
	}
	must(e.api.DeleteResourceServer(e.ctx, &cip.DeleteResourceServerInput{UserPoolId: aws.String(poolID), Identifier: aws.String("https://api.example.com")}))
	_, err = e.api.DescribeResourceServer(e.ctx, &cip.DescribeResourceServerInput{UserPoolId: aws.String(poolID), Identifier: aws.String("https://api.example.com")})
	wantErr(t, err, excResourceNotFound, "")
}

func TestClientOAuthSettingsValidated(t *testing.T) {
	e := newEnv(t)
	poolID := e.pool(t)
	must(e.api.CreateResourceServer(e.ctx, &cip.CreateResourceServerInput{UserPoolId: aws.String(poolID), Identifier: aws.String("api"), Name: aws.String("api"),
		Scopes: []types.ResourceServerScopeType{{ScopeName: aws.String("read"), ScopeDescription: aws.String("read")}}}))
	mk := func(f func(*cip.CreateUserPoolClientInput)) error {
		in := &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("c"), AllowedOAuthFlowsUserPoolClient: true,
			AllowedOAuthFlows: []types.OAuthFlowType{"code"}, AllowedOAuthScopes: []string{"openid"}, CallbackURLs: []string{"https://app.example/cb"}}
		f(in)
		_, err := e.api.CreateUserPoolClient(e.ctx, in)
		return err
	}
	if err := mk(func(*cip.CreateUserPoolClientInput) {}); err != nil {
		t.Fatalf("valid client refused: %v", err)
	}
	cases := map[string]struct {
		f    func(*cip.CreateUserPoolClientInput)
		code string
	}{
		"unknown flow": {func(in *cip.CreateUserPoolClientInput) { in.AllowedOAuthFlows = []types.OAuthFlowType{"password"} }, excInvalidParameter},
		"cc with code": {func(in *cip.CreateUserPoolClientInput) {
			in.AllowedOAuthFlows = []types.OAuthFlowType{"code", "client_credentials"}
			in.GenerateSecret = true
		}, excInvalidOAuthFlow},
		"cc without secret": {func(in *cip.CreateUserPoolClientInput) {
			in.AllowedOAuthFlows = []types.OAuthFlowType{"client_credentials"}
			in.AllowedOAuthScopes = []string{"api/read"}
		}, excInvalidOAuthFlow},
		"cc standard scope": {func(in *cip.CreateUserPoolClientInput) {
			in.AllowedOAuthFlows = []types.OAuthFlowType{"client_credentials"}
			in.GenerateSecret = true
		}, excInvalidOAuthFlow},
		"unknown scope":     {func(in *cip.CreateUserPoolClientInput) { in.AllowedOAuthScopes = []string{"api/write"} }, excScopeDoesNotExist},
		"http callback":     {func(in *cip.CreateUserPoolClientInput) { in.CallbackURLs = []string{"http://app.example/cb"} }, excInvalidParameter},
		"fragment callback": {func(in *cip.CreateUserPoolClientInput) { in.CallbackURLs = []string{"https://app.example/cb#x"} }, excInvalidParameter},
		"relative callback": {func(in *cip.CreateUserPoolClientInput) { in.CallbackURLs = []string{"/cb"} }, excInvalidParameter},
		"no callback":       {func(in *cip.CreateUserPoolClientInput) { in.CallbackURLs = nil }, excInvalidParameter},
		"default not callback": {func(in *cip.CreateUserPoolClientInput) {
			in.DefaultRedirectURI = aws.String("https://app.example/other")
		}, excInvalidParameter},
		"unknown idp":         {func(in *cip.CreateUserPoolClientInput) { in.SupportedIdentityProviders = []string{"Google"} }, excInvalidParameter},
		"oauth without flows": {func(in *cip.CreateUserPoolClientInput) { in.AllowedOAuthFlows = nil }, excInvalidParameter},
	}
	for name, c := range cases {
		err := mk(c.f)
		if err == nil {
			t.Errorf("%s accepted", name)
			continue
		}
		if !strings.Contains(err.Error(), c.code) {
			t.Errorf("%s: %v, want %s", name, err, c.code)
		}
	}
	if err := mk(func(in *cip.CreateUserPoolClientInput) {
		in.AllowedOAuthFlows = []types.OAuthFlowType{"client_credentials"}
		in.AllowedOAuthScopes = []string{"api/read"}
		in.GenerateSecret = true
		in.CallbackURLs = nil
	}); err != nil {
		t.Fatalf("machine client refused: %v", err)
	}
	if err := mk(func(in *cip.CreateUserPoolClientInput) { in.CallbackURLs = []string{"http://localhost:3000/cb"} }); err != nil {
		t.Fatalf("http://localhost callback refused: %v", err)
	}
}

func TestDomains(t *testing.T) {
	e := newEnv(t)
	poolID, other := e.pool(t), e.pool(t)
	must(e.api.CreateUserPoolDomain(e.ctx, &cip.CreateUserPoolDomainInput{UserPoolId: aws.String(poolID), Domain: aws.String("my-app")}))
	_, err := e.api.CreateUserPoolDomain(e.ctx, &cip.CreateUserPoolDomainInput{UserPoolId: aws.String(other), Domain: aws.String("my-app")})
	wantErr(t, err, excInvalidParameter, "Domain already associated with another user pool.")
	_, err = e.api.CreateUserPoolDomain(e.ctx, &cip.CreateUserPoolDomainInput{UserPoolId: aws.String(poolID), Domain: aws.String("second")})
	wantErr(t, err, excInvalidParameter, "User pool already has a domain configured.")
	for _, bad := range []string{"My_App", "-x", "cognito-app", strings.Repeat("a", 64)} {
		_, err = e.api.CreateUserPoolDomain(e.ctx, &cip.CreateUserPoolDomainInput{UserPoolId: aws.String(other), Domain: aws.String(bad)})
		wantErr(t, err, excInvalidParameter, "")
	}
	custom := must(e.api.CreateUserPoolDomain(e.ctx, &cip.CreateUserPoolDomainInput{UserPoolId: aws.String(poolID), Domain: aws.String("auth.example.com"),
		CustomDomainConfig: &types.CustomDomainConfigType{CertificateArn: aws.String("arn:aws:acm:us-east-1:123456789012:certificate/x")}}))
	if aws.ToString(custom.CloudFrontDomain) == "" {
		t.Fatal("custom domain without CloudFrontDomain")
	}
	d := must(e.api.DescribeUserPoolDomain(e.ctx, &cip.DescribeUserPoolDomainInput{Domain: aws.String("my-app")}))
	if aws.ToString(d.DomainDescription.UserPoolId) != poolID || d.DomainDescription.Status != types.DomainStatusTypeActive {
		t.Fatalf("describe: %+v", d.DomainDescription)
	}
	if p, ok := e.svc.DomainPool(e.ctx, "my-app.auth.us-east-1.amazoncognito.com"); !ok || p != poolID {
		t.Fatal("prefix domain host not resolved")
	}
	if p, ok := e.svc.DomainPool(e.ctx, "AUTH.example.com."); !ok || p != poolID {
		t.Fatal("custom domain host not resolved")
	}
	none := must(e.api.DescribeUserPoolDomain(e.ctx, &cip.DescribeUserPoolDomainInput{Domain: aws.String("nope")}))
	if none.DomainDescription.UserPoolId != nil {
		t.Fatal("unknown domain described")
	}
	_, err = e.api.DeleteUserPoolDomain(e.ctx, &cip.DeleteUserPoolDomainInput{UserPoolId: aws.String(other), Domain: aws.String("my-app")})
	wantErr(t, err, excInvalidParameter, "")
	must(e.api.DeleteUserPoolDomain(e.ctx, &cip.DeleteUserPoolDomainInput{UserPoolId: aws.String(poolID), Domain: aws.String("my-app")}))
	if _, ok := e.svc.DomainPool(e.ctx, "my-app.auth.us-east-1.amazoncognito.com"); ok {
		t.Fatal("deleted domain still resolves")
	}
}

func TestOAuthTokensCarryScopesNonceAndAtHash(t *testing.T) {
	e := newEnv(t)
	poolID, _ := e.setup(t)
	clientID := e.client(t, poolID, func(in *cip.CreateUserPoolClientInput) {
		in.AllowedOAuthFlowsUserPoolClient = true
		in.AllowedOAuthFlows = []types.OAuthFlowType{"code"}
		in.AllowedOAuthScopes = []string{"openid", "email"}
		in.CallbackURLs = []string{"https://app.example/cb"}
	})
	si, err := e.svc.PasswordSignIn(e.ctx, clientID, "alice", goodPassword)
	if err != nil || si.Username != "alice" {
		t.Fatalf("sign in: %v", err)
	}
	if _, err := e.svc.PasswordSignIn(e.ctx, clientID, "alice", "wrong"); err == nil {
		t.Fatal("wrong password accepted")
	}
	toks, err := e.svc.IssueOAuthTokens(e.ctx, OAuthGrant{ClientID: clientID, Username: "alice", Scopes: []string{"openid", "email"}, Nonce: "n1", AuthTime: si.AuthTime}, true)
	if err != nil {
		t.Fatal(err)
	}
	id, err := e.svc.verifier.Verify(e.ctx, toks.IDToken, tokensExpectID(e, poolID))
	if err != nil {
		t.Fatal(err)
	}
	if id.String("nonce") != "n1" || id.String("at_hash") == "" {
		t.Fatalf("id token claims %v", id)
	}
	info, err := e.svc.UserInfo(e.ctx, toks.AccessToken)
	if err != nil || info["email"] != "alice@example.com" || info["username"] != "alice" {
		t.Fatalf("userInfo: %v %v", err, info)
	}
	// API tokens (no openid scope) are refused by userInfo, as in AWS.
	api := must(e.passwordAuth(e.client(t, poolID), "alice", goodPassword))
	if _, err := e.svc.UserInfo(e.ctx, *api.AuthenticationResult.AccessToken); err == nil {
		t.Fatal("userInfo accepted an API access token")
	}
	again, err := e.svc.RefreshOAuthTokens(e.ctx, clientID, toks.RefreshToken)
	if err != nil || again.IDToken == "" {
		t.Fatalf("refresh: %v", err)
	}
	e.clock.Advance(31 * 24 * time.Hour)
	if _, err := e.svc.RefreshOAuthTokens(e.ctx, clientID, toks.RefreshToken); err != ErrInvalidGrant {
		t.Fatalf("expired refresh token: %v", err)
	}
}

func tokensExpectID(e *env, poolID string) tokens.Expect {
	return tokens.Expect{PoolID: poolID, Issuer: e.svc.issuer(poolID), TokenUse: tokens.UseID}
}
