package iam

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/cognate-dev/cognate/internal/auth"
	"github.com/cognate-dev/cognate/internal/iampolicy"
	"github.com/cognate-dev/cognate/internal/store/sqlite"
)

const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

func setup(t *testing.T) (*Service, string) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := New(st, "123456789012", nil, nil)
	reader := auth.UserPrincipal("123456789012", "reader", "AIDAREADER", []*iampolicy.Policy{
		must(iampolicy.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}]}`)))})
	keys := auth.NewRegistry(auth.NewAccessKey("AKIAROOT", "rootsecretrootsecret", auth.RootPrincipal("123456789012")),
		auth.NewAccessKey("AKIAREADER", "readersecretreadersecret", reader))
	authority := auth.NewAuthority(auth.NewVerifier(auth.VerifierOptions{Keys: keys, Account: "123456789012"}), auth.AuthorityOptions{})
	srv := httptest.NewServer(authority.QueryMiddleware(Namespace, 1<<20, svc.Rule, svc.Handler()))
	t.Cleanup(srv.Close)
	return svc, srv.URL
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func clients(endpoint, id, secret string) (*iam.Client, *sts.Client) {
	creds := credentials.NewStaticCredentialsProvider(id, secret, "")
	return iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: creds, RetryMaxAttempts: 1}),
		sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: creds, RetryMaxAttempts: 1})
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae interface{ ErrorCode() string }
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}

func TestCallerIdentity(t *testing.T) {
	_, endpoint := setup(t)
	_, root := clients(endpoint, "AKIAROOT", "rootsecretrootsecret")
	id := must(root.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}))
	if aws.ToString(id.Arn) != "arn:aws:iam::123456789012:root" || aws.ToString(id.Account) != "123456789012" || aws.ToString(id.UserId) != "123456789012" {
		t.Fatalf("root identity = %+v", id)
	}
	// Any principal may ask who it is, without a policy allowing sts:GetCallerIdentity.
	_, reader := clients(endpoint, "AKIAREADER", "readersecretreadersecret")
	id = must(reader.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}))
	if aws.ToString(id.Arn) != "arn:aws:iam::123456789012:user/reader" || aws.ToString(id.UserId) != "AIDAREADER" {
		t.Fatalf("reader identity = %+v", id)
	}
	_, wrong := clients(endpoint, "AKIAROOT", "not-the-secret-at-all")
	_, err := wrong.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	wantCode(t, err, "SignatureDoesNotMatch")
}

func TestRoles(t *testing.T) {
	svc, endpoint := setup(t)
	ctx := context.Background()
	c, _ := clients(endpoint, "AKIAROOT", "rootsecretrootsecret")
	r := must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("fn"), AssumeRolePolicyDocument: aws.String(trust),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}}))
	if aws.ToString(r.Role.Arn) != "arn:aws:iam::123456789012:role/fn" || !strings.HasPrefix(aws.ToString(r.Role.RoleId), "AROA") {
		t.Fatalf("CreateRole = %+v", r.Role)
	}
	_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("FN"), AssumeRolePolicyDocument: aws.String(trust)})
	var exists *types.EntityAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Fatalf("duplicate role (names are case-insensitive): %v", err)
	}
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("x"), AssumeRolePolicyDocument: aws.String("{")})
	var malformed *types.MalformedPolicyDocumentException
	if !errors.As(err, &malformed) {
		t.Fatalf("malformed trust policy: %v", err)
	}
	got := must(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("fn")}))
	if doc, _ := url.QueryUnescape(aws.ToString(got.Role.AssumeRolePolicyDocument)); doc != trust {
		t.Fatalf("GetRole trust policy = %q", aws.ToString(got.Role.AssumeRolePolicyDocument))
	}
	_, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("nope")})
	var noSuch *types.NoSuchEntityException
	if !errors.As(err, &noSuch) || !strings.Contains(err.Error(), "The role with name nope cannot be found.") {
		t.Fatalf("missing role: %v", err)
	}
	basic := "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
	must(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("fn"), PolicyArn: aws.String(basic)}))
	must(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("fn"), PolicyName: aws.String("inline"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"}]}`)}))
	att := must(c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("fn")}))
	if len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyName) != "AWSLambdaBasicExecutionRole" {
		t.Fatalf("ListAttachedRolePolicies = %+v", att.AttachedPolicies)
	}
	if names := must(c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("fn")})); len(names.PolicyNames) != 1 {
		t.Fatalf("ListRolePolicies = %+v", names.PolicyNames)
	}
	if ok, _ := svc.RoleExists(ctx, "arn:aws:iam::123456789012:role/fn"); !ok {
		t.Fatal("RoleExists(fn) = false")
	}
	if ok, _ := svc.RoleExists(ctx, "arn:aws:iam::999999999999:role/fn"); ok {
		t.Fatal("a role of another account exists")
	}
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("fn")})
	var inUse *types.DeleteConflictException
	if !errors.As(err, &inUse) {
		t.Fatalf("DeleteRole with policies: %v", err)
	}
	must(c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("fn"), PolicyArn: aws.String(basic)}))
	must(c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("fn"), PolicyName: aws.String("inline")}))
	must(c.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String("fn")}))
	must(c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("fn")}))
	if l := must(c.ListRoles(ctx, &iam.ListRolesInput{})); len(l.Roles) != 0 {
		t.Fatalf("ListRoles after delete = %+v", l.Roles)
	}

	// Policies apply: the reader may read but not create.
	reader, _ := clients(endpoint, "AKIAREADER", "readersecretreadersecret")
	_, err = reader.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust)})
	wantCode(t, err, "AccessDenied")
	_, err = reader.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("nope")})
	wantCode(t, err, "NoSuchEntity")
	_, err = c.ListUsers(ctx, &iam.ListUsersInput{})
	wantCode(t, err, "InvalidAction")
}
