package userpool

import "encoding/json"

// PublicOperations are the operations Cognito serves without a SigV4
// signature: the sign-up and sign-in flows (authorized by the app client id,
// a session or a code) and the self-service operations authorized by the
// user's access token. Every other operation is an IAM-authorized admin
// operation. The list follows AWS's "Amazon Cognito user pools API
// operations grouped by authorization model"; add new operations here when
// AWS serves them unauthenticated.
var PublicOperations = map[string]bool{
	// Unauthenticated (client id, session or code).
	"SignUp": true, "ConfirmSignUp": true, "ResendConfirmationCode": true,
	"ForgotPassword": true, "ConfirmForgotPassword": true,
	"InitiateAuth": true, "RespondToAuthChallenge": true, "RevokeToken": true,
	"GetTokensFromRefreshToken": true,
	// Access-token authorized (or session, for MFA set-up during sign-in).
	"GetUser": true, "ChangePassword": true, "GlobalSignOut": true, "DeleteUser": true,
	"UpdateUserAttributes": true, "DeleteUserAttributes": true, "VerifyUserAttribute": true,
	"GetUserAttributeVerificationCode": true, "SetUserSettings": true,
	"AssociateSoftwareToken": true, "VerifySoftwareToken": true, "SetUserMFAPreference": true,
	"ConfirmDevice": true, "ForgetDevice": true, "GetDevice": true, "ListDevices": true, "UpdateDeviceStatus": true,
	"UpdateAuthEventFeedback": true, "GetUserAuthFactors": true,
	"StartWebAuthnRegistration": true, "CompleteWebAuthnRegistration": true,
	"ListWebAuthnCredentials": true, "DeleteWebAuthnCredential": true,
}

// PoolARN is the ARN of a user pool, the resource IAM policies name.
func PoolARN(region, account, poolID string) string {
	return "arn:aws:cognito-idp:" + region + ":" + account + ":userpool/" + poolID
}

// ResourceFor returns the resource an admin operation acts on: its pool's
// ARN when the request names a UserPoolId (or a pool ARN as ResourceArn),
// else "*" (CreateUserPool, ListUserPools …), as IAM's Cognito reference says.
func ResourceFor(region, account string) func(op string, body []byte) string {
	return func(_ string, body []byte) string {
		var in struct {
			UserPoolID  string `json:"UserPoolId"`
			ResourceArn string `json:"ResourceArn"`
		}
		if json.Unmarshal(body, &in) == nil {
			if in.UserPoolID != "" {
				return PoolARN(region, account, in.UserPoolID)
			}
			if in.ResourceArn != "" {
				return in.ResourceArn
			}
		}
		return "*"
	}
}
