package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// TestPoolAPICompleteness drives the user-pool API with aws-sdk-go-v2 the way
// scripts do and checks AWS's documented behaviour: schema validation, the
// default blocks of Create/DescribeUserPool, the API default of
// PreventUserExistenceErrors, check order, AccountRecoverySetting, and the
// pool-level operations (UpdateGroup, AddCustomAttributes,
// DeleteUserAttributes, GetCSVHeader, tags, log delivery, risk settings).
func TestPoolAPICompleteness(t *testing.T) {
	d := startEnforced(t)
	idp := d.idp
	ctx := context.Background()
	str := func(n string) *string { return aws.String(n) }

	t.Run("schema rules", func(t *testing.T) {
		cases := []struct {
			name   string
			schema []types.SchemaAttributeType
			msg    string
		}{
			{"max length above 2048", []types.SchemaAttributeType{{Name: str("big"), AttributeDataType: types.AttributeDataTypeString,
				StringAttributeConstraints: &types.StringAttributeConstraintsType{MaxLength: str("2049")}}}, "cannot have a MaxLength of more than 2048"},
			{"min above max", []types.SchemaAttributeType{{Name: str("mm"), AttributeDataType: types.AttributeDataTypeString,
				StringAttributeConstraints: &types.StringAttributeConstraintsType{MinLength: str("10"), MaxLength: str("5")}}}, "Min length cannot be greater than max length"},
			{"invalid number", []types.SchemaAttributeType{{Name: str("n"), AttributeDataType: types.AttributeDataTypeNumber,
				NumberAttributeConstraints: &types.NumberAttributeConstraintsType{MinValue: str("ten")}}}, "MinValue must be an integer"},
			{"min value above max value", []types.SchemaAttributeType{{Name: str("n"), AttributeDataType: types.AttributeDataTypeNumber,
				NumberAttributeConstraints: &types.NumberAttributeConstraintsType{MinValue: str("9"), MaxValue: str("1")}}}, "Min value cannot be greater than max value"},
			{"custom without data type", []types.SchemaAttributeType{{Name: str("untyped")}},
				"Invalid AttributeDataType input, consider using the provided AttributeDataType enum."},
			{"standard type change", []types.SchemaAttributeType{{Name: str("email"), AttributeDataType: types.AttributeDataTypeNumber}},
				"You can not change AttributeDataType or set developerOnlyAttribute for standard schema attribute email"},
			{"standard developer-only", []types.SchemaAttributeType{{Name: str("name"), DeveloperOnlyAttribute: aws.Bool(true)}},
				"standard schema attribute name"},
			{"unknown data type", []types.SchemaAttributeType{{Name: str("x"), AttributeDataType: "Float"}},
				"1 validation error detected: Value 'Float' at 'schema.1.member.attributeDataType' failed to satisfy constraint: Member must satisfy enum value set: [Boolean, Number, String, DateTime]"},
			{"required custom", []types.SchemaAttributeType{{Name: str("req"), AttributeDataType: types.AttributeDataTypeString, Required: aws.Bool(true)}},
				"Required custom attributes are not supported currently."},
		}
		for _, c := range cases {
			_, err := idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: str("bad-" + strings.ReplaceAll(c.name, " ", "-")), Schema: c.schema})
			if err == nil {
				t.Errorf("%s: accepted", c.name)
				continue
			}
			wantAPIErrorContaining(t, err, "InvalidParameterException", c.msg)
		}
	})

	created, err := idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: str("complete"),
		VerificationMessageTemplate: &types.VerificationMessageTemplateType{SmsMessage: str("SMS code {####}"),
			EmailMessage: str("Mail code {####}"), EmailSubject: str("Your code")},
		Schema: []types.SchemaAttributeType{
			{Name: str("secret"), AttributeDataType: types.AttributeDataTypeString, DeveloperOnlyAttribute: aws.Bool(true)},
			{Name: str("tier"), AttributeDataType: types.AttributeDataTypeString,
				StringAttributeConstraints: &types.StringAttributeConstraintsType{MinLength: str("1"), MaxLength: str("16")}},
			{Name: str("level"), AttributeDataType: types.AttributeDataTypeNumber,
				NumberAttributeConstraints: &types.NumberAttributeConstraintsType{MinValue: str("0"), MaxValue: str("10")}},
		},
		UserPoolTags: map[string]string{"team": "auth"},
	})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(created.UserPool.Id)
	arn := "arn:aws:cognito-idp:us-east-1:" + testAccount + ":userpool/" + poolID

	checkPool := func(t *testing.T, p *types.UserPoolType, users int32) {
		t.Helper()
		if aws.ToString(p.Arn) != arn {
			t.Errorf("Arn = %q, want %q", aws.ToString(p.Arn), arn)
		}
		if ec := p.EmailConfiguration; ec == nil || ec.EmailSendingAccount != types.EmailSendingAccountTypeCognitoDefault {
			t.Errorf("EmailConfiguration = %+v, want EmailSendingAccount COGNITO_DEFAULT", ec)
		}
		if p.LambdaConfig == nil || aws.ToString(p.LambdaConfig.PreSignUp) != "" {
			t.Errorf("LambdaConfig = %+v, want an empty block", p.LambdaConfig)
		}
		vt := p.VerificationMessageTemplate
		if vt == nil || vt.DefaultEmailOption != types.DefaultEmailOptionTypeConfirmWithCode ||
			aws.ToString(vt.SmsMessage) != "SMS code {####}" || aws.ToString(vt.EmailMessage) != "Mail code {####}" || aws.ToString(vt.EmailSubject) != "Your code" {
			t.Errorf("VerificationMessageTemplate = %+v", vt)
		}
		if aws.ToString(p.SmsVerificationMessage) != "SMS code {####}" || aws.ToString(p.EmailVerificationMessage) != "Mail code {####}" ||
			aws.ToString(p.EmailVerificationSubject) != "Your code" {
			t.Errorf("legacy messages = %q %q %q", aws.ToString(p.SmsVerificationMessage), aws.ToString(p.EmailVerificationMessage), aws.ToString(p.EmailVerificationSubject))
		}
		if ac := p.AdminCreateUserConfig; ac == nil || ac.AllowAdminCreateUserOnly || ac.UnusedAccountValidityDays != 7 {
			t.Errorf("AdminCreateUserConfig = %+v", ac)
		}
		if p.EstimatedNumberOfUsers != users {
			t.Errorf("EstimatedNumberOfUsers = %d, want %d", p.EstimatedNumberOfUsers, users)
		}
		attrs := map[string]types.SchemaAttributeType{}
		for _, a := range p.SchemaAttributes {
			attrs[aws.ToString(a.Name)] = a
		}
		if b := attrs["birthdate"].StringAttributeConstraints; b == nil || aws.ToString(b.MinLength) != "10" || aws.ToString(b.MaxLength) != "10" {
			t.Errorf("birthdate constraints = %+v", b)
		}
		if dev, ok := attrs["dev:custom:secret"]; !ok || !aws.ToBool(dev.DeveloperOnlyAttribute) {
			t.Errorf("developer-only attribute missing as dev:custom:secret: %v", slices.Collect(func(y func(string) bool) {
				for k := range attrs {
					if !y(k) {
						return
					}
				}
			}))
		}
		if tier := attrs["custom:tier"].StringAttributeConstraints; tier == nil || aws.ToString(tier.MaxLength) != "16" {
			t.Errorf("custom:tier constraints = %+v", tier)
		}
	}
	t.Run("create response defaults", func(t *testing.T) { checkPool(t, created.UserPool, 0) })

	t.Run("describe defaults and user count", func(t *testing.T) {
		for _, u := range []string{"u1", "u2"} {
			if _, err := idp.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: str(u),
				MessageAction: types.MessageActionTypeSuppress}); err != nil {
				t.Fatal(err)
			}
		}
		out, err := idp.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: &poolID})
		if err != nil {
			t.Fatal(err)
		}
		checkPool(t, out.UserPool, 2)
		if _, err := idp.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: &poolID, Username: str("u2")}); err != nil {
			t.Fatal(err)
		}
		out, err = idp.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: &poolID})
		if err != nil {
			t.Fatal(err)
		}
		if out.UserPool.EstimatedNumberOfUsers != 1 {
			t.Errorf("EstimatedNumberOfUsers after delete = %d, want 1", out.UserPool.EstimatedNumberOfUsers)
		}
	})

	t.Run("attribute values follow the schema", func(t *testing.T) {
		_, err := idp.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: &poolID, Username: str("u1"),
			UserAttributes: []types.AttributeType{{Name: str("custom:tier"), Value: str(strings.Repeat("x", 17))}}})
		wantAPIErrorContaining(t, err, "InvalidParameterException", "custom:tier")
		_, err = idp.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: &poolID, Username: str("u1"),
			UserAttributes: []types.AttributeType{{Name: str("birthdate"), Value: str("1990-1-1")}}})
		wantAPIErrorContaining(t, err, "InvalidParameterException", "birthdate")
		if _, err := idp.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: &poolID, Username: str("u1"),
			UserAttributes: []types.AttributeType{{Name: str("birthdate"), Value: str("1990-01-01")}, {Name: str("dev:custom:secret"), Value: str("s")}}}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("client API default is LEGACY", func(t *testing.T) {
		out, err := idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: str("api")})
		if err != nil {
			t.Fatal(err)
		}
		if out.UserPoolClient.PreventUserExistenceErrors != types.PreventUserExistenceErrorTypesLegacy {
			t.Errorf("PreventUserExistenceErrors = %q, want LEGACY", out.UserPoolClient.PreventUserExistenceErrors)
		}
		demoClient, err := idp.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: &d.poolID, ClientId: &d.clientID})
		if err != nil {
			t.Fatal(err)
		}
		if demoClient.UserPoolClient.PreventUserExistenceErrors != types.PreventUserExistenceErrorTypesEnabled {
			t.Errorf("config-file client PreventUserExistenceErrors = %q, want ENABLED", demoClient.UserPoolClient.PreventUserExistenceErrors)
		}
	})

	t.Run("AdminDeleteUserAttributes reports a missing user first", func(t *testing.T) {
		_, err := idp.AdminDeleteUserAttributes(ctx, &cip.AdminDeleteUserAttributesInput{UserPoolId: &poolID, Username: str("ghost"),
			UserAttributeNames: []string{"not-an-attribute"}})
		wantAPIError(t, err, "UserNotFoundException", "User does not exist.")
		_, err = idp.AdminDeleteUserAttributes(ctx, &cip.AdminDeleteUserAttributesInput{UserPoolId: &poolID, Username: str("u1"),
			UserAttributeNames: []string{"not-an-attribute"}})
		wantAPIErrorContaining(t, err, "InvalidParameterException", "not-an-attribute")
	})

	t.Run("ForgotPassword under admin_only", func(t *testing.T) {
		p, err := idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: str("admin-only"),
			AccountRecoverySetting: &types.AccountRecoverySettingType{RecoveryMechanisms: []types.RecoveryOptionType{{Name: types.RecoveryOptionNameTypeAdminOnly, Priority: aws.Int32(1)}}}})
		if err != nil {
			t.Fatal(err)
		}
		c, err := idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: p.UserPool.Id, ClientName: str("c")})
		if err != nil {
			t.Fatal(err)
		}
		_, err = idp.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: c.UserPoolClient.ClientId, Username: str("anyone")})
		wantAPIError(t, err, "NotAuthorizedException", "Contact administrator to reset password.")
		_, err = idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: str("mixed"),
			AccountRecoverySetting: &types.AccountRecoverySettingType{RecoveryMechanisms: []types.RecoveryOptionType{
				{Name: types.RecoveryOptionNameTypeAdminOnly, Priority: aws.Int32(1)}, {Name: types.RecoveryOptionNameTypeVerifiedEmail, Priority: aws.Int32(2)}}}})
		wantAPIErrorContaining(t, err, "InvalidParameterException", "admin_only")
	})

	t.Run("UpdateGroup", func(t *testing.T) {
		if _, err := idp.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: &poolID, GroupName: str("staff"), Description: str("old"), Precedence: aws.Int32(3)}); err != nil {
			t.Fatal(err)
		}
		out, err := idp.UpdateGroup(ctx, &cip.UpdateGroupInput{UserPoolId: &poolID, GroupName: str("staff"), Description: str("new")})
		if err != nil {
			t.Fatal(err)
		}
		if g := out.Group; aws.ToString(g.Description) != "new" || aws.ToInt32(g.Precedence) != 3 || aws.ToString(g.GroupName) != "staff" || aws.ToString(g.UserPoolId) != poolID {
			t.Errorf("group = %+v", g)
		}
		got, err := idp.GetGroup(ctx, &cip.GetGroupInput{UserPoolId: &poolID, GroupName: str("staff")})
		if err != nil || aws.ToString(got.Group.Description) != "new" {
			t.Errorf("GetGroup after update = %+v, %v", got, err)
		}
		_, err = idp.UpdateGroup(ctx, &cip.UpdateGroupInput{UserPoolId: &poolID, GroupName: str("nobody")})
		wantAPIError(t, err, "ResourceNotFoundException", "Group not found.")
		_, err = idp.UpdateGroup(ctx, &cip.UpdateGroupInput{UserPoolId: &poolID, GroupName: str("staff"), RoleArn: str("not-an-arn")})
		wantAPIErrorContaining(t, err, "InvalidParameterException", "roleArn")
	})

	t.Run("AddCustomAttributes", func(t *testing.T) {
		if _, err := idp.AddCustomAttributes(ctx, &cip.AddCustomAttributesInput{UserPoolId: &poolID,
			CustomAttributes: []types.SchemaAttributeType{{Name: str("plan"), AttributeDataType: types.AttributeDataTypeString}}}); err != nil {
			t.Fatal(err)
		}
		out, err := idp.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: &poolID})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(out.UserPool.SchemaAttributes, func(a types.SchemaAttributeType) bool {
			return aws.ToString(a.Name) == "custom:plan" && a.AttributeDataType == types.AttributeDataTypeString && aws.ToBool(a.Mutable)
		}) {
			t.Error("custom:plan not in the schema")
		}
		_, err = idp.AddCustomAttributes(ctx, &cip.AddCustomAttributesInput{UserPoolId: &poolID,
			CustomAttributes: []types.SchemaAttributeType{{Name: str("plan"), AttributeDataType: types.AttributeDataTypeString}}})
		wantAPIError(t, err, "InvalidParameterException", "Existing attribute already has name custom:plan.")
		_, err = idp.AddCustomAttributes(ctx, &cip.AddCustomAttributesInput{UserPoolId: &poolID,
			CustomAttributes: []types.SchemaAttributeType{{Name: str("big"), AttributeDataType: types.AttributeDataTypeString,
				StringAttributeConstraints: &types.StringAttributeConstraintsType{MaxLength: str("4096")}}}})
		wantAPIErrorContaining(t, err, "InvalidParameterException", "2048")
		_, err = idp.AddCustomAttributes(ctx, &cip.AddCustomAttributesInput{UserPoolId: str("us-east-1_nope"),
			CustomAttributes: []types.SchemaAttributeType{{Name: str("x"), AttributeDataType: types.AttributeDataTypeString}}})
		wantAPIErrorContaining(t, err, "ResourceNotFoundException", "")
	})

	t.Run("GetCSVHeader", func(t *testing.T) {
		out, err := idp.GetCSVHeader(ctx, &cip.GetCSVHeaderInput{UserPoolId: &poolID})
		if err != nil {
			t.Fatal(err)
		}
		h := out.CSVHeader
		if aws.ToString(out.UserPoolId) != poolID || len(h) < 21 || h[0] != "name" || h[19] != "cognito:mfa_enabled" || h[20] != "cognito:username" ||
			!slices.Contains(h, "custom:tier") || !slices.Contains(h, "custom:plan") || slices.Contains(h, "sub") {
			t.Errorf("CSVHeader = %v", h)
		}
	})

	t.Run("tags", func(t *testing.T) {
		if _, err := idp.TagResource(ctx, &cip.TagResourceInput{ResourceArn: &arn, Tags: map[string]string{"env": "test"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := idp.UntagResource(ctx, &cip.UntagResourceInput{ResourceArn: &arn, TagKeys: []string{"team"}}); err != nil {
			t.Fatal(err)
		}
		out, err := idp.ListTagsForResource(ctx, &cip.ListTagsForResourceInput{ResourceArn: &arn})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Tags) != 1 || out.Tags["env"] != "test" {
			t.Errorf("Tags = %v, want env=test", out.Tags)
		}
		desc, err := idp.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: &poolID})
		if err != nil || desc.UserPool.UserPoolTags["env"] != "test" {
			t.Errorf("UserPoolTags = %v, %v", desc.UserPool.UserPoolTags, err)
		}
		_, err = idp.ListTagsForResource(ctx, &cip.ListTagsForResourceInput{ResourceArn: str("arn:aws:cognito-idp:us-east-1:" + testAccount + ":userpool/us-east-1_missing")})
		wantAPIErrorContaining(t, err, "ResourceNotFoundException", "")
		_, err = idp.TagResource(ctx, &cip.TagResourceInput{ResourceArn: str("nonsense"), Tags: map[string]string{"a": "b"}})
		wantAPIErrorContaining(t, err, "InvalidParameterException", "ResourceArn")
	})

	t.Run("log delivery configuration", func(t *testing.T) {
		got, err := idp.GetLogDeliveryConfiguration(ctx, &cip.GetLogDeliveryConfigurationInput{UserPoolId: &poolID})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.LogDeliveryConfiguration.LogConfigurations) != 0 {
			t.Errorf("initial configurations = %+v", got.LogDeliveryConfiguration.LogConfigurations)
		}
		group := "arn:aws:logs:us-east-1:" + testAccount + ":log-group:cognito"
		set, err := idp.SetLogDeliveryConfiguration(ctx, &cip.SetLogDeliveryConfigurationInput{UserPoolId: &poolID,
			LogConfigurations: []types.LogConfigurationType{{LogLevel: types.LogLevelError, EventSource: types.EventSourceNameUserNotification,
				CloudWatchLogsConfiguration: &types.CloudWatchLogsConfigurationType{LogGroupArn: &group}}}})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(set.LogDeliveryConfiguration.UserPoolId) != poolID {
			t.Errorf("UserPoolId = %q", aws.ToString(set.LogDeliveryConfiguration.UserPoolId))
		}
		got, err = idp.GetLogDeliveryConfiguration(ctx, &cip.GetLogDeliveryConfigurationInput{UserPoolId: &poolID})
		if err != nil {
			t.Fatal(err)
		}
		lc := got.LogDeliveryConfiguration.LogConfigurations
		if len(lc) != 1 || lc[0].LogLevel != types.LogLevelError || lc[0].EventSource != types.EventSourceNameUserNotification ||
			lc[0].CloudWatchLogsConfiguration == nil || aws.ToString(lc[0].CloudWatchLogsConfiguration.LogGroupArn) != group {
			t.Errorf("stored configurations = %+v", lc)
		}
		_, err = idp.SetLogDeliveryConfiguration(ctx, &cip.SetLogDeliveryConfigurationInput{UserPoolId: &poolID,
			LogConfigurations: []types.LogConfigurationType{{LogLevel: "DEBUG", EventSource: types.EventSourceNameUserNotification,
				CloudWatchLogsConfiguration: &types.CloudWatchLogsConfigurationType{LogGroupArn: &group}}}})
		wantAPIErrorContaining(t, err, "InvalidParameterException", "logLevel")
	})

	t.Run("risk configuration", func(t *testing.T) {
		set, err := idp.SetRiskConfiguration(ctx, &cip.SetRiskConfigurationInput{UserPoolId: &poolID,
			RiskExceptionConfiguration: &types.RiskExceptionConfigurationType{BlockedIPRangeList: []string{"192.0.2.0/24"}}})
		if err != nil {
			t.Fatal(err)
		}
		if rc := set.RiskConfiguration; aws.ToString(rc.UserPoolId) != poolID || rc.LastModifiedDate == nil {
			t.Errorf("set = %+v", rc)
		}
		got, err := idp.DescribeRiskConfiguration(ctx, &cip.DescribeRiskConfigurationInput{UserPoolId: &poolID})
		if err != nil {
			t.Fatal(err)
		}
		if rec := got.RiskConfiguration.RiskExceptionConfiguration; rec == nil || !slices.Equal(rec.BlockedIPRangeList, []string{"192.0.2.0/24"}) {
			t.Errorf("described = %+v", got.RiskConfiguration)
		}
		_, err = idp.DescribeRiskConfiguration(ctx, &cip.DescribeRiskConfigurationInput{UserPoolId: &poolID, ClientId: str("nosuchclient")})
		wantAPIErrorContaining(t, err, "ResourceNotFoundException", "")
	})

	t.Run("DeleteUserAttributes", func(t *testing.T) {
		c, err := idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: str("self"),
			ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := idp.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: &poolID, Username: str("u1"),
			UserAttributes: []types.AttributeType{{Name: str("custom:tier"), Value: str("gold")}, {Name: str("nickname"), Value: str("uno")}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := idp.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: &poolID, Username: str("u1"), Password: str("Passw0rd!x"), Permanent: true}); err != nil {
			t.Fatal(err)
		}
		auth, err := idp.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: c.UserPoolClient.ClientId, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": "u1", "PASSWORD": "Passw0rd!x"}})
		if err != nil {
			t.Fatal(err)
		}
		tok := auth.AuthenticationResult.AccessToken
		if _, err := idp.DeleteUserAttributes(ctx, &cip.DeleteUserAttributesInput{AccessToken: tok, UserAttributeNames: []string{"custom:tier", "nickname"}}); err != nil {
			t.Fatal(err)
		}
		u, err := idp.GetUser(ctx, &cip.GetUserInput{AccessToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range u.UserAttributes {
			if n := aws.ToString(a.Name); n == "custom:tier" || n == "nickname" {
				t.Errorf("%s still set", n)
			}
		}
		_, err = idp.DeleteUserAttributes(ctx, &cip.DeleteUserAttributesInput{AccessToken: tok, UserAttributeNames: []string{"dev:custom:secret"}})
		wantAPIError(t, err, "NotAuthorizedException", "A client attempted to write unauthorized attribute")
		_, err = idp.DeleteUserAttributes(ctx, &cip.DeleteUserAttributesInput{AccessToken: str("garbage"), UserAttributeNames: []string{"nickname"}})
		wantAPIErrorContaining(t, err, "NotAuthorizedException", "")
	})

	t.Run("AdminSetUserSettings and SetUserSettings", func(t *testing.T) {
		if _, err := idp.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: &poolID, Username: str("u1"),
			UserAttributes: []types.AttributeType{{Name: str("phone_number"), Value: str("+15555550100")}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := idp.AdminSetUserSettings(ctx, &cip.AdminSetUserSettingsInput{UserPoolId: &poolID, Username: str("u1"),
			MFAOptions: []types.MFAOptionType{{DeliveryMedium: types.DeliveryMediumTypeSms, AttributeName: str("phone_number")}}}); err != nil {
			t.Fatal(err)
		}
		u, err := idp.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &poolID, Username: str("u1")})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(u.UserMFASettingList, "SMS_MFA") || len(u.MFAOptions) != 1 || aws.ToString(u.MFAOptions[0].AttributeName) != "phone_number" {
			t.Errorf("after AdminSetUserSettings: UserMFASettingList %v MFAOptions %+v", u.UserMFASettingList, u.MFAOptions)
		}
		_, err = idp.AdminSetUserSettings(ctx, &cip.AdminSetUserSettingsInput{UserPoolId: &poolID, Username: str("ghost"),
			MFAOptions: []types.MFAOptionType{}})
		wantAPIError(t, err, "UserNotFoundException", "User does not exist.")
		_, err = idp.AdminSetUserSettings(ctx, &cip.AdminSetUserSettingsInput{UserPoolId: &poolID, Username: str("u1"),
			MFAOptions: []types.MFAOptionType{{DeliveryMedium: types.DeliveryMediumTypeEmail, AttributeName: str("email")}}})
		wantAPIErrorContaining(t, err, "InvalidParameterException", "SMS")

		c, err := idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: str("settings"),
			ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := idp.AdminSetUserSettings(ctx, &cip.AdminSetUserSettingsInput{UserPoolId: &poolID, Username: str("u1"), MFAOptions: []types.MFAOptionType{}}); err != nil {
			t.Fatal(err)
		}
		auth, err := idp.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: &poolID, ClientId: c.UserPoolClient.ClientId,
			AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "u1", "PASSWORD": "Passw0rd!x"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := idp.SetUserSettings(ctx, &cip.SetUserSettingsInput{AccessToken: auth.AuthenticationResult.AccessToken,
			MFAOptions: []types.MFAOptionType{{DeliveryMedium: types.DeliveryMediumTypeSms, AttributeName: str("phone_number")}}}); err != nil {
			t.Fatal(err)
		}
		me, err := idp.GetUser(ctx, &cip.GetUserInput{AccessToken: auth.AuthenticationResult.AccessToken})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(me.UserMFASettingList, "SMS_MFA") {
			t.Errorf("after SetUserSettings: UserMFASettingList %v", me.UserMFASettingList)
		}
		_, err = idp.SetUserSettings(ctx, &cip.SetUserSettingsInput{AccessToken: str("garbage"), MFAOptions: []types.MFAOptionType{}})
		wantAPIErrorContaining(t, err, "NotAuthorizedException", "")
	})

	t.Run("terms documents", func(t *testing.T) {
		c, err := idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: str("terms")})
		if err != nil {
			t.Fatal(err)
		}
		cid := c.UserPoolClient.ClientId
		links := map[string]string{"cognito:default": "https://example.test/terms"}
		created, err := idp.CreateTerms(ctx, &cip.CreateTermsInput{UserPoolId: &poolID, ClientId: cid, TermsName: str("terms-of-use"),
			TermsSource: types.TermsSourceTypeLink, Enforcement: types.TermsEnforcementTypeNone, Links: links})
		if err != nil {
			t.Fatal(err)
		}
		tt := created.Terms
		if aws.ToString(tt.TermsId) == "" || aws.ToString(tt.ClientId) != aws.ToString(cid) || aws.ToString(tt.UserPoolId) != poolID ||
			tt.TermsSource != types.TermsSourceTypeLink || tt.Enforcement != types.TermsEnforcementTypeNone || tt.Links["cognito:default"] != links["cognito:default"] ||
			tt.CreationDate == nil || tt.LastModifiedDate == nil {
			t.Errorf("created terms = %+v", tt)
		}
		_, err = idp.CreateTerms(ctx, &cip.CreateTermsInput{UserPoolId: &poolID, ClientId: cid, TermsName: str("terms-of-use"),
			TermsSource: types.TermsSourceTypeLink, Enforcement: types.TermsEnforcementTypeNone, Links: links})
		wantAPIErrorContaining(t, err, "TermsExistsException", "")
		_, err = idp.CreateTerms(ctx, &cip.CreateTermsInput{UserPoolId: &poolID, ClientId: cid, TermsName: str("cookies"),
			TermsSource: types.TermsSourceTypeLink, Enforcement: types.TermsEnforcementTypeNone, Links: links})
		wantAPIErrorContaining(t, err, "InvalidParameterException", "terms-of-use or privacy-policy")
		_, err = idp.CreateTerms(ctx, &cip.CreateTermsInput{UserPoolId: &poolID, ClientId: str("nosuchclient"), TermsName: str("privacy-policy"),
			TermsSource: types.TermsSourceTypeLink, Enforcement: types.TermsEnforcementTypeNone, Links: links})
		wantAPIErrorContaining(t, err, "ResourceNotFoundException", "")

		up, err := idp.UpdateTerms(ctx, &cip.UpdateTermsInput{UserPoolId: &poolID, TermsId: tt.TermsId,
			Links: map[string]string{"cognito:default": "https://example.test/v2", "cognito:spanish": "https://example.test/es"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(up.Terms.Links) != 2 || aws.ToString(up.Terms.TermsName) != "terms-of-use" {
			t.Errorf("updated = %+v", up.Terms)
		}
		desc, err := idp.DescribeTerms(ctx, &cip.DescribeTermsInput{UserPoolId: &poolID, TermsId: tt.TermsId})
		if err != nil || desc.Terms.Links["cognito:spanish"] != "https://example.test/es" {
			t.Errorf("described = %+v, %v", desc, err)
		}
		list, err := idp.ListTerms(ctx, &cip.ListTermsInput{UserPoolId: &poolID})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Terms) != 1 || aws.ToString(list.Terms[0].TermsId) != aws.ToString(tt.TermsId) || aws.ToString(list.Terms[0].TermsName) != "terms-of-use" {
			t.Errorf("listed = %+v", list.Terms)
		}
		if _, err := idp.DeleteTerms(ctx, &cip.DeleteTermsInput{UserPoolId: &poolID, TermsId: tt.TermsId}); err != nil {
			t.Fatal(err)
		}
		_, err = idp.DescribeTerms(ctx, &cip.DescribeTermsInput{UserPoolId: &poolID, TermsId: tt.TermsId})
		wantAPIErrorContaining(t, err, "ResourceNotFoundException", "")
	})
}
