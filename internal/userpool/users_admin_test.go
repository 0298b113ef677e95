package userpool

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

func attrMap(list []types.AttributeType) map[string]string {
	m := map[string]string{}
	for _, a := range list {
		m[*a.Name] = aws.ToString(a.Value)
	}
	return m
}

func customPool(in *cip.CreateUserPoolInput) {
	in.Schema = []types.SchemaAttributeType{
		{Name: aws.String("tenant"), AttributeDataType: types.AttributeDataTypeString,
			StringAttributeConstraints: &types.StringAttributeConstraintsType{MaxLength: aws.String("5")}},
		{Name: aws.String("level"), AttributeDataType: types.AttributeDataTypeNumber, Mutable: aws.Bool(false)},
	}
}

func TestAdminCreateUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	poolID := e.pool(t, customPool)
	out, err := e.api.AdminCreateUser(e.ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("bob"),
		TemporaryPassword: aws.String("Temp-Passw0rd"), UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String("bob@example.com")},
			{Name: aws.String("custom:tenant"), Value: aws.String("acme")},
			{Name: aws.String("custom:level"), Value: aws.String("3")}}})
	if err != nil {
		t.Fatal(err)
	}
	u := out.User
	attrs := attrMap(u.Attributes)
	if *u.Username != "bob" || u.UserStatus != types.UserStatusTypeForceChangePassword || !u.Enabled ||
		len(attrs["sub"]) != 36 || attrs["custom:tenant"] != "acme" || u.UserCreateDate == nil {
		t.Errorf("user %+v attrs %v", u, attrs)
	}
	if d, ok := e.inbox.LastDelivery(poolID, "bob"); !ok || d.Kind != CodeInvite || d.Code != "Temp-Passw0rd" || d.Destination != "bob@example.com" {
		t.Errorf("invitation %+v", d)
	}

	tests := []struct {
		name string
		in   cip.AdminCreateUserInput
		code string
		msg  string
	}{
		{"exists", cip.AdminCreateUserInput{Username: aws.String("bob")}, "UsernameExistsException", "User account already exists"},
		{"weak temporary password", cip.AdminCreateUserInput{Username: aws.String("c"), TemporaryPassword: aws.String("short")},
			"InvalidPasswordException", "Password did not conform with policy: Password not long enough"},
		{"no symbol", cip.AdminCreateUserInput{Username: aws.String("c"), TemporaryPassword: aws.String("Abcdefgh1")},
			"InvalidPasswordException", "Password did not conform with policy: Password must have symbol characters"},
		{"unknown attribute", cip.AdminCreateUserInput{Username: aws.String("c"), UserAttributes: []types.AttributeType{
			{Name: aws.String("custom:nope"), Value: aws.String("x")}}}, "InvalidParameterException",
			"Attributes did not conform to the schema: custom:nope: Attribute does not exist in the schema."},
		{"too long custom value", cip.AdminCreateUserInput{Username: aws.String("c"), UserAttributes: []types.AttributeType{
			{Name: aws.String("custom:tenant"), Value: aws.String("toolong")}}}, "InvalidParameterException",
			"Attributes did not conform to the schema: custom:tenant: String must be no longer than 5 characters"},
		{"not a number", cip.AdminCreateUserInput{Username: aws.String("c"), UserAttributes: []types.AttributeType{
			{Name: aws.String("custom:level"), Value: aws.String("high")}}}, "InvalidParameterException", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.UserPoolId = aws.String(poolID)
			_, err := e.api.AdminCreateUser(e.ctx, &in)
			wantErr(t, err, tc.code, tc.msg)
		})
	}
	_, err = e.api.AdminUpdateUserAttributes(e.ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: aws.String(poolID), Username: aws.String("bob"),
		UserAttributes: []types.AttributeType{{Name: aws.String("custom:level"), Value: aws.String("4")}}})
	wantErr(t, err, "InvalidParameterException", "Attributes did not conform to the schema: custom:level: Attribute cannot be updated. (changing an immutable attribute)")
}

func TestAdminUserOperations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	poolID, _ := e.setup(t)
	pool := aws.String(poolID)
	alice := aws.String("alice")

	got := must(e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: pool, Username: alice}))
	if got.UserStatus != types.UserStatusTypeConfirmed || attrMap(got.UserAttributes)["email"] != "alice@example.com" {
		t.Fatalf("get %+v", got)
	}
	must(e.api.AdminUpdateUserAttributes(e.ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: pool, Username: alice,
		UserAttributes: []types.AttributeType{{Name: aws.String("name"), Value: aws.String("Alice")},
			{Name: aws.String("email"), Value: aws.String("alice@new.example")}}}))
	attrs := attrMap(must(e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: pool, Username: alice})).UserAttributes)
	if attrs["name"] != "Alice" || attrs["email"] != "alice@new.example" || attrs["email_verified"] != "false" {
		t.Errorf("after update: %v", attrs)
	}
	must(e.api.AdminDeleteUserAttributes(e.ctx, &cip.AdminDeleteUserAttributesInput{UserPoolId: pool, Username: alice, UserAttributeNames: []string{"name"}}))
	attrs = attrMap(must(e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: pool, Username: alice})).UserAttributes)
	if _, ok := attrs["name"]; ok {
		t.Errorf("name not deleted: %v", attrs)
	}
	_, err := e.api.AdminDeleteUserAttributes(e.ctx, &cip.AdminDeleteUserAttributesInput{UserPoolId: pool, Username: alice, UserAttributeNames: []string{"sub"}})
	wantErr(t, err, "InvalidParameterException", "")

	must(e.api.AdminDisableUser(e.ctx, &cip.AdminDisableUserInput{UserPoolId: pool, Username: alice}))
	if g := must(e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: pool, Username: alice})); g.Enabled {
		t.Error("still enabled")
	}
	must(e.api.AdminEnableUser(e.ctx, &cip.AdminEnableUserInput{UserPoolId: pool, Username: alice}))

	must(e.api.AdminSetUserPassword(e.ctx, &cip.AdminSetUserPasswordInput{UserPoolId: pool, Username: alice, Password: aws.String("Other-Passw0rd"), Permanent: false}))
	if g := must(e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: pool, Username: alice})); g.UserStatus != types.UserStatusTypeForceChangePassword {
		t.Errorf("status %s", g.UserStatus)
	}
	_, err = e.api.AdminSetUserPassword(e.ctx, &cip.AdminSetUserPasswordInput{UserPoolId: pool, Username: alice, Password: aws.String("nouppercase1!"), Permanent: true})
	wantErr(t, err, "InvalidPasswordException", "Password did not conform with policy: Password must have uppercase characters")

	_, err = e.api.AdminConfirmSignUp(e.ctx, &cip.AdminConfirmSignUpInput{UserPoolId: pool, Username: alice})
	wantErr(t, err, "NotAuthorizedException", "User cannot be confirmed. Current status is FORCE_CHANGE_PASSWORD")

	must(e.api.AdminUpdateUserAttributes(e.ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: pool, Username: alice,
		UserAttributes: []types.AttributeType{{Name: aws.String("email_verified"), Value: aws.String("true")}}}))
	must(e.api.AdminResetUserPassword(e.ctx, &cip.AdminResetUserPasswordInput{UserPoolId: pool, Username: alice}))
	if g := must(e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: pool, Username: alice})); g.UserStatus != types.UserStatusTypeResetRequired {
		t.Errorf("status %s", g.UserStatus)
	}
	if d, ok := e.inbox.LastDelivery(poolID, "alice"); !ok || d.Kind != CodeForgotPassword || len(d.Code) != 6 {
		t.Errorf("reset code %+v", d)
	}

	must(e.api.AdminDeleteUser(e.ctx, &cip.AdminDeleteUserInput{UserPoolId: pool, Username: alice}))
	for name, call := range map[string]func() error{
		"get": func() error {
			_, err := e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: pool, Username: alice})
			return err
		},
		"delete": func() error {
			_, err := e.api.AdminDeleteUser(e.ctx, &cip.AdminDeleteUserInput{UserPoolId: pool, Username: alice})
			return err
		},
		"disable": func() error {
			_, err := e.api.AdminDisableUser(e.ctx, &cip.AdminDisableUserInput{UserPoolId: pool, Username: alice})
			return err
		},
		"enable": func() error {
			_, err := e.api.AdminEnableUser(e.ctx, &cip.AdminEnableUserInput{UserPoolId: pool, Username: alice})
			return err
		},
		"confirm": func() error {
			_, err := e.api.AdminConfirmSignUp(e.ctx, &cip.AdminConfirmSignUpInput{UserPoolId: pool, Username: alice})
			return err
		},
		"reset": func() error {
			_, err := e.api.AdminResetUserPassword(e.ctx, &cip.AdminResetUserPasswordInput{UserPoolId: pool, Username: alice})
			return err
		},
		"password": func() error {
			_, err := e.api.AdminSetUserPassword(e.ctx, &cip.AdminSetUserPasswordInput{UserPoolId: pool, Username: alice, Password: aws.String(goodPassword), Permanent: true})
			return err
		},
	} {
		t.Run(name, func(t *testing.T) { wantErr(t, call(), "UserNotFoundException", "User does not exist.") })
	}
}

func TestListUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	poolID := e.pool(t)
	pool := aws.String(poolID)
	e.user(t, poolID, "ann", "email", "ann@example.com", "given_name", "Ann")
	e.user(t, poolID, "bob", "email", "bob@example.com", "given_name", "Bob")
	e.user(t, poolID, "bella", "email", "bella@other.example", "given_name", "Bella")
	must(e.api.AdminDisableUser(e.ctx, &cip.AdminDisableUserInput{UserPoolId: pool, Username: aws.String("bob")}))

	names := func(out *cip.ListUsersOutput) []string {
		var n []string
		for _, u := range out.Users {
			n = append(n, *u.Username)
		}
		return n
	}
	tests := []struct {
		filter string
		want   string
	}{
		{``, "[ann bella bob]"},
		{`username ^= "b"`, "[bella bob]"},
		{`username ^= "bob"`, "[bob]"},
		{`username ^= "c"`, "[]"},
		{`username = "bella"`, "[bella]"},
		{`username = "Bella"`, "[]"},
		{`email = "ann@example.com"`, "[ann]"},
		{`given_name = "Bella"`, "[bella]"},
		{`status = "Disabled"`, "[bob]"},
		{`cognito:user_status = "CONFIRMED"`, "[ann bella bob]"},
		{`email ^= "nobody"`, "[]"},
	}
	for _, tc := range tests {
		t.Run(tc.filter, func(t *testing.T) {
			out := must(e.api.ListUsers(e.ctx, &cip.ListUsersInput{UserPoolId: pool, Filter: aws.String(tc.filter)}))
			if got := fmt.Sprint(names(out)); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
	page1 := must(e.api.ListUsers(e.ctx, &cip.ListUsersInput{UserPoolId: pool, Limit: aws.Int32(2), AttributesToGet: []string{"email"}}))
	if fmt.Sprint(names(page1)) != "[ann bella]" || page1.PaginationToken == nil || len(page1.Users[0].Attributes) != 1 {
		t.Fatalf("page 1: %v %+v", names(page1), page1.Users[0].Attributes)
	}
	page2 := must(e.api.ListUsers(e.ctx, &cip.ListUsersInput{UserPoolId: pool, Limit: aws.Int32(2), PaginationToken: page1.PaginationToken}))
	if fmt.Sprint(names(page2)) != "[bob]" || page2.PaginationToken != nil {
		t.Fatalf("page 2: %v", names(page2))
	}
	// A prefix filter pages through its key range.
	pre1 := must(e.api.ListUsers(e.ctx, &cip.ListUsersInput{UserPoolId: pool, Limit: aws.Int32(1), Filter: aws.String(`username ^= "b"`)}))
	if fmt.Sprint(names(pre1)) != "[bella]" || pre1.PaginationToken == nil {
		t.Fatalf("prefix page 1: %v", names(pre1))
	}
	pre2 := must(e.api.ListUsers(e.ctx, &cip.ListUsersInput{UserPoolId: pool, Limit: aws.Int32(1), Filter: aws.String(`username ^= "b"`), PaginationToken: pre1.PaginationToken}))
	if fmt.Sprint(names(pre2)) != "[bob]" || pre2.PaginationToken != nil {
		t.Fatalf("prefix page 2: %v", names(pre2))
	}
	for _, bad := range []string{`email = ann`, `nickname = "x"`, `email ~ "x"`} {
		_, err := e.api.ListUsers(e.ctx, &cip.ListUsersInput{UserPoolId: pool, Filter: aws.String(bad)})
		wantErr(t, err, "InvalidParameterException", "")
	}
}
