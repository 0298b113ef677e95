package userpool

import (
	"encoding/json"
	"strconv"
	"time"
)

// epoch is a time encoded as AWS JSON does: seconds since the epoch as a
// number with a fractional part.
type epoch time.Time

// MarshalJSON implements json.Marshaler.
func (e epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(e).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

func ts(t time.Time) *epoch { e := epoch(t); return &e }

// attributeType is AWS's AttributeType.
type attributeType struct {
	Name  string
	Value *string `json:",omitempty"`
}

func strp(s string) *string { return &s }

// passwordPolicy is AWS's PasswordPolicyType.
type passwordPolicy struct {
	MinimumLength                 *int32 `json:",omitempty"`
	RequireUppercase              bool
	RequireLowercase              bool
	RequireNumbers                bool
	RequireSymbols                bool
	PasswordHistorySize           *int32 `json:",omitempty"`
	TemporaryPasswordValidityDays int32
}

// poolPolicies is AWS's UserPoolPolicyType.
type poolPolicies struct {
	PasswordPolicy *passwordPolicy `json:",omitempty"`
	SignInPolicy   json.RawMessage `json:",omitempty"`
}

// adminCreateUserConfig is AWS's AdminCreateUserConfigType.
type adminCreateUserConfig struct {
	AllowAdminCreateUserOnly  bool
	UnusedAccountValidityDays int32           `json:",omitempty"`
	InviteMessageTemplate     json.RawMessage `json:",omitempty"`
}

// usernameConfiguration is AWS's UsernameConfigurationType.
type usernameConfiguration struct {
	CaseSensitive *bool `json:",omitempty"`
}

// schemaAttribute is AWS's SchemaAttributeType.
type schemaAttribute struct {
	Name                       string
	AttributeDataType          string             `json:",omitempty"`
	DeveloperOnlyAttribute     *bool              `json:",omitempty"`
	Mutable                    *bool              `json:",omitempty"`
	Required                   *bool              `json:",omitempty"`
	StringAttributeConstraints *stringConstraints `json:",omitempty"`
	NumberAttributeConstraints *numberConstraints `json:",omitempty"`
}

type stringConstraints struct {
	MinLength *string `json:",omitempty"`
	MaxLength *string `json:",omitempty"`
}

type numberConstraints struct {
	MinValue *string `json:",omitempty"`
	MaxValue *string `json:",omitempty"`
}

// poolSettings are the pool fields that CreateUserPool and UpdateUserPool
// accept and DescribeUserPool returns. Settings Cognate does not act on are
// kept verbatim and echoed back.
type poolSettings struct {
	Policies                    *poolPolicies          `json:",omitempty"`
	AutoVerifiedAttributes      []string               `json:",omitempty"`
	AdminCreateUserConfig       *adminCreateUserConfig `json:",omitempty"`
	MfaConfiguration            string                 `json:",omitempty"`
	DeletionProtection          string                 `json:",omitempty"`
	UserPoolTags                map[string]string      `json:",omitempty"`
	UserPoolTier                string                 `json:",omitempty"`
	AccountRecoverySetting      json.RawMessage        `json:",omitempty"`
	DeviceConfiguration         json.RawMessage        `json:",omitempty"`
	EmailConfiguration          json.RawMessage        `json:",omitempty"`
	EmailVerificationMessage    *string                `json:",omitempty"`
	EmailVerificationSubject    *string                `json:",omitempty"`
	LambdaConfig                *lambdaConfig          `json:",omitempty"`
	SmsAuthenticationMessage    *string                `json:",omitempty"`
	SmsConfiguration            json.RawMessage        `json:",omitempty"`
	SmsVerificationMessage      *string                `json:",omitempty"`
	UserAttributeUpdateSettings json.RawMessage        `json:",omitempty"`
	UserPoolAddOns              json.RawMessage        `json:",omitempty"`
	VerificationMessageTemplate json.RawMessage        `json:",omitempty"`
}

// poolConfig is what store.Pool.Config holds.
type poolConfig struct {
	poolSettings
	AliasAttributes       []string               `json:",omitempty"`
	UsernameAttributes    []string               `json:",omitempty"`
	UsernameConfiguration *usernameConfiguration `json:",omitempty"`
	SchemaAttributes      []schemaAttribute      `json:",omitempty"`
	// MFA holds SetUserPoolMfaConfig's factor settings.
	MFA *mfaSettings `json:"CognateMFA,omitempty"`
	// Secret is the sealed per-pool secret keying fake SRP material for
	// unknown users and code hashes.
	Secret []byte `json:"CognateSecret,omitempty"`
}

// tokenValidityUnits is AWS's TokenValidityUnitsType.
type tokenValidityUnits struct {
	AccessToken  string `json:",omitempty"`
	IdToken      string `json:",omitempty"`
	RefreshToken string `json:",omitempty"`
}

// clientSettings are the app client fields that Create/UpdateUserPoolClient
// accept and DescribeUserPoolClient returns.
type clientSettings struct {
	AccessTokenValidity                      *int32              `json:",omitempty"`
	IdTokenValidity                          *int32              `json:",omitempty"`
	RefreshTokenValidity                     int32               `json:",omitempty"`
	TokenValidityUnits                       *tokenValidityUnits `json:",omitempty"`
	AuthSessionValidity                      *int32              `json:",omitempty"`
	ExplicitAuthFlows                        []string            `json:",omitempty"`
	PreventUserExistenceErrors               string              `json:",omitempty"`
	EnableTokenRevocation                    *bool               `json:",omitempty"`
	ReadAttributes                           []string            `json:",omitempty"`
	WriteAttributes                          []string            `json:",omitempty"`
	AllowedOAuthFlows                        []string            `json:",omitempty"`
	AllowedOAuthFlowsUserPoolClient          bool                `json:",omitempty"`
	AllowedOAuthScopes                       []string            `json:",omitempty"`
	AnalyticsConfiguration                   json.RawMessage     `json:",omitempty"`
	CallbackURLs                             []string            `json:",omitempty"`
	DefaultRedirectURI                       *string             `json:",omitempty"`
	EnablePropagateAdditionalUserContextData *bool               `json:",omitempty"`
	LogoutURLs                               []string            `json:",omitempty"`
	RefreshTokenRotation                     json.RawMessage     `json:",omitempty"`
	SupportedIdentityProviders               []string            `json:",omitempty"`
}

// pendingCode is a verification code waiting to be entered.
type pendingCode struct {
	Hash      []byte    `json:"h"`
	ExpiresAt time.Time `json:"exp"`
	Attribute string    `json:"attr,omitempty"`
}

// userPrivate is what store.User.Private holds.
type userPrivate struct {
	Codes          map[string]*pendingCode `json:"codes,omitempty"`
	TempPasswordAt time.Time               `json:"tempAt,omitzero"`
	SignedOutAt    time.Time               `json:"outAt,omitzero"`
	// Factors are the user's MFA settings, devices and passkeys.
	Factors *userFactors `json:"f,omitempty"`
}

// userStatus values.
const (
	statusUnconfirmed         = "UNCONFIRMED"
	statusConfirmed           = "CONFIRMED"
	statusForceChangePassword = "FORCE_CHANGE_PASSWORD"
	statusResetRequired       = "RESET_REQUIRED"
)

// userType is AWS's UserType.
type userType struct {
	Username             string
	Attributes           []attributeType
	UserCreateDate       *epoch
	UserLastModifiedDate *epoch
	Enabled              bool
	UserStatus           string
}

// groupType is AWS's GroupType.
type groupType struct {
	GroupName        string
	UserPoolId       string
	Description      *string `json:",omitempty"`
	RoleArn          *string `json:",omitempty"`
	Precedence       *int32  `json:",omitempty"`
	CreationDate     *epoch
	LastModifiedDate *epoch
}

// codeDeliveryDetails is AWS's CodeDeliveryDetailsType.
type codeDeliveryDetails struct {
	AttributeName  string
	DeliveryMedium string
	Destination    string
}
