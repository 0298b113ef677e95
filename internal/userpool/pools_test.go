package userpool

import (
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

func TestPoolLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out, err := e.api.CreateUserPool(e.ctx, &cip.CreateUserPoolInput{
		PoolName:               aws.String("notes-users"),
		AutoVerifiedAttributes: []types.VerifiedAttributeType{"email"},
		UsernameConfiguration:  &types.UsernameConfigurationType{CaseSensitive: aws.Bool(false)},
		Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{
			MinimumLength: aws.Int32(10), RequireNumbers: true}},
		Schema: []types.SchemaAttributeType{{Name: aws.String("tenant"), AttributeDataType: types.AttributeDataTypeString,
			StringAttributeConstraints: &types.StringAttributeConstraintsType{MaxLength: aws.String("8")}}},
		UserPoolTags: map[string]string{"team": "notes"},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := out.UserPool
	if !regexp.MustCompile(`^us-east-1_[A-Za-z0-9]{9}$`).MatchString(*p.Id) {
		t.Errorf("pool id %q", *p.Id)
	}
	if *p.Name != "notes-users" || p.CreationDate == nil || p.Policies.PasswordPolicy.TemporaryPasswordValidityDays != 7 ||
		*p.Policies.PasswordPolicy.MinimumLength != 10 || p.UserPoolTags["team"] != "notes" || *p.Arn == "" {
		t.Errorf("created pool %+v", p)
	}
	custom := false
	for _, a := range p.SchemaAttributes {
		if *a.Name == "custom:tenant" && *a.StringAttributeConstraints.MaxLength == "8" {
			custom = true
		}
	}
	if !custom {
		t.Error("custom:tenant missing from schema")
	}

	desc, err := e.api.DescribeUserPool(e.ctx, &cip.DescribeUserPoolInput{UserPoolId: p.Id})
	if err != nil {
		t.Fatal(err)
	}
	if *desc.UserPool.Id != *p.Id || desc.UserPool.AutoVerifiedAttributes[0] != "email" ||
		*desc.UserPool.UsernameConfiguration.CaseSensitive {
		t.Errorf("described %+v", desc.UserPool)
	}

	e.pool(t, func(in *cip.CreateUserPoolInput) { in.PoolName = aws.String("second") })
	first, err := e.api.ListUserPools(e.ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.UserPools) != 1 || first.NextToken == nil {
		t.Fatalf("page 1: %+v", first)
	}
	second := must(e.api.ListUserPools(e.ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(1), NextToken: first.NextToken}))
	if len(second.UserPools) != 1 || *second.UserPools[0].Id == *first.UserPools[0].Id {
		t.Fatalf("page 2: %+v", second)
	}

	if _, err := e.api.UpdateUserPool(e.ctx, &cip.UpdateUserPoolInput{UserPoolId: p.Id,
		DeletionProtection: types.DeletionProtectionTypeActive}); err != nil {
		t.Fatal(err)
	}
	desc = must(e.api.DescribeUserPool(e.ctx, &cip.DescribeUserPoolInput{UserPoolId: p.Id}))
	if desc.UserPool.DeletionProtection != types.DeletionProtectionTypeActive || len(desc.UserPool.AutoVerifiedAttributes) != 0 ||
		*desc.UserPool.Policies.PasswordPolicy.MinimumLength != 8 {
		t.Errorf("update should replace settings: %+v", desc.UserPool)
	}
	_, err = e.api.DeleteUserPool(e.ctx, &cip.DeleteUserPoolInput{UserPoolId: p.Id})
	wantErr(t, err, "InvalidParameterException", "")
	must(e.api.UpdateUserPool(e.ctx, &cip.UpdateUserPoolInput{UserPoolId: p.Id}))
	must(e.api.DeleteUserPool(e.ctx, &cip.DeleteUserPoolInput{UserPoolId: p.Id}))
	_, err = e.api.DescribeUserPool(e.ctx, &cip.DescribeUserPoolInput{UserPoolId: p.Id})
	wantErr(t, err, "ResourceNotFoundException", "User pool "+*p.Id+" does not exist.")
}

func TestPoolErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name string
		in   *cip.CreateUserPoolInput
		code string
	}{
		{"alias and username attributes", &cip.CreateUserPoolInput{PoolName: aws.String("p"),
			AliasAttributes: []types.AliasAttributeType{"email"}, UsernameAttributes: []types.UsernameAttributeType{"email"}}, "InvalidParameterException"},
		{"short minimum length", &cip.CreateUserPoolInput{PoolName: aws.String("p"), Policies: &types.UserPoolPolicyType{
			PasswordPolicy: &types.PasswordPolicyType{MinimumLength: aws.Int32(3)}}}, "InvalidParameterException"},
		{"required custom attribute", &cip.CreateUserPoolInput{PoolName: aws.String("p"), Schema: []types.SchemaAttributeType{
			{Name: aws.String("x"), Required: aws.Bool(true)}}}, "InvalidParameterException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.api.CreateUserPool(e.ctx, tc.in)
			wantErr(t, err, tc.code, "")
		})
	}
	_, err := e.api.ListUserPools(e.ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(0)})
	wantErr(t, err, "InvalidParameterException", "")
	_, err = e.api.DeleteUserPool(e.ctx, &cip.DeleteUserPoolInput{UserPoolId: aws.String("us-east-1_nope")})
	wantErr(t, err, "ResourceNotFoundException", "User pool us-east-1_nope does not exist.")
}
