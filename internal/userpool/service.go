// Package userpool implements Cognito user pools: pools, app clients, users,
// groups, sign-up and password reset with codes, the USER_SRP_AUTH,
// USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH and REFRESH_TOKEN_AUTH flows,
// token issuance, sign-out and revocation, and lockout.
//
// Service.Handler serves the AWS JSON 1.1 protocol
// (X-Amz-Target: AWSCognitoIdentityProviderService.<Op>) so that AWS SDKs and
// amazon-cognito-identity-js work by changing only the endpoint. The Ensure*
// methods let configuration code create pools, clients and users
// idempotently.
//
// Secrets at rest: SRP salts and verifiers, client secrets and each pool's
// anti-enumeration secret are sealed with the server key (secret.Sealer);
// verification codes are stored only as keyed hashes; refresh tokens are
// sealed state, never stored (see refresh_tokens.go).
// Nothing secret (passwords, codes, tokens) is ever logged, except codes by a
// LogSender explicitly told to reveal them for local development.
package userpool

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/internal/awsjson"
	"github.com/cognate-dev/cognate/internal/secret"
	"github.com/cognate-dev/cognate/internal/store"
	"github.com/cognate-dev/cognate/internal/tokens"
)

// ServiceName is the X-Amz-Target prefix of the Cognito user pools API.
const ServiceName = "AWSCognitoIdentityProviderService"

// Config carries a Service's dependencies.
type Config struct {
	Store  store.Store
	Sealer *secret.Sealer
	Keys   *tokens.KeyRing
	// Revocations is the revocation feed: sign-outs and RevokeToken write
	// to it, and it is consulted for access and refresh tokens.
	Revocations *tokens.Revocations
	// Issuer returns the iss claim of a pool's tokens.
	Issuer func(poolID string) string
	// Region prefixes pool ids ("us-east-1" when empty).
	Region string
	// AccountID is the account in pool ARNs ("000000000000" when empty).
	AccountID string
	// BaseURL is the public URL of the listener (user import jobs'
	// PreSignedUrl points at it).
	BaseURL string
	// Sender delivers verification codes (a LogSender that hides codes when nil).
	Sender CodeSender
	// Guard checks the callers of signed (admin) operations; nil serves
	// every operation unsigned (tests and embedded use only).
	Guard awsjson.Guard
	// Now is the clock (time.Now when nil).
	Now    func() time.Time
	Logger *slog.Logger
	// Triggers runs the functions of pools' LambdaConfig (nil: every
	// trigger fails as an unknown function would).
	Triggers Invoker
	// TriggerTimeout bounds each trigger invocation (TriggerTimeout when 0).
	TriggerTimeout time.Duration
	// SenderKeys returns the 32-byte key a KMSKeyID names, with which codes
	// for custom sender triggers are encrypted (see encryptCode).
	SenderKeys func(keyID string) ([]byte, bool)
	// Limits bounds code issuance, code guesses and each source address's
	// request rate (see Limits for the defaults).
	Limits Limits
	// Metrics counts sign-ins by outcome (optional).
	Metrics Metrics
	// PagesURL returns the base URL of a pool's managed login pages on
	// Cognate's own host (confirmation links of pools with no domain).
	PagesURL func(poolID string) string
}

// Service is the user pools service. It is safe for concurrent use.
type Service struct {
	store    store.Store
	sealer   *secret.Sealer
	keys     *tokens.KeyRing
	revs     *tokens.Revocations
	verifier *tokens.Verifier
	issuer   func(string) string
	region   string
	sender   CodeSender
	now      func() time.Time
	log      *slog.Logger
	lockout  *lockout
	limits   Limits
	sources  *sourceLimiter // nil when off
	// codePad is how long real code requests take, to pad unknown users' answers.
	codePad timingPad
	// guessPad is how long real code entries take, to pad hidden mismatches.
	guessPad timingPad
	handler  http.Handler
	cache    *configCache
	metrics  Metrics

	triggers       Invoker
	triggerTimeout time.Duration
	senderKeys     func(string) ([]byte, bool)

	poolSecrets sync.Map   // poolID → []byte (unsealed anti-enumeration secret)
	scan        scanLimits // zero: scanPage, scanBudget
	accountID   string
	baseURL     string         // PreSignedUrl's scheme and host
	bg          sync.WaitGroup // import jobs running on this node
	pagesURL    func(string) string
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Sealer == nil || cfg.Keys == nil || cfg.Revocations == nil || cfg.Issuer == nil {
		return nil, errors.New("userpool: Store, Sealer, Keys, Revocations and Issuer are required")
	}
	s := &Service{
		store:     cfg.Store,
		sealer:    cfg.Sealer,
		keys:      cfg.Keys,
		revs:      cfg.Revocations,
		issuer:    cfg.Issuer,
		region:    cfg.Region,
		accountID: cfg.AccountID,
		baseURL:   strings.TrimSuffix(cfg.BaseURL, "/"),
		pagesURL:  cfg.PagesURL,
		sender:    cfg.Sender,
		now:       cfg.Now,
		log:       cfg.Logger,

		triggers:       cfg.Triggers,
		triggerTimeout: cfg.TriggerTimeout,
		senderKeys:     cfg.SenderKeys,
	}
	if s.triggerTimeout <= 0 {
		s.triggerTimeout = TriggerTimeout
	}
	if cfg.Metrics != nil {
		s.metrics = cfg.Metrics
	}
	if s.accountID == "" {
		s.accountID = "000000000000"
	}
	if s.region == "" {
		s.region = "us-east-1"
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.sender == nil {
		s.sender = &LogSender{Logger: s.log}
	}
	s.lockout = &lockout{store: cfg.Store, now: s.now}
	s.limits = cfg.Limits.withDefaults()
	s.sources = newSourceLimiter(s.limits.SourceRate, s.limits.SourceBurst, s.now)
	s.cache = newConfigCache()
	s.verifier = tokens.NewVerifier(cfg.Keys, tokens.VerifierOptions{Now: s.now, Revocations: s.revs})
	s.handler = behindProxies(s.limits.TrustedProxies, withSDKVersion(
		awsjson.NewHandler(ServiceName, s.instrument(s.throttled(s.operations())), awsjson.Options{Logger: s.log, Guard: cfg.Guard})))
	return s, nil
}

// Handler returns the JSON 1.1 protocol handler (POST /).
func (s *Service) Handler() http.Handler { return s.handler }

func (s *Service) operations() map[string]awsjson.Op {
	return map[string]awsjson.Op{
		"CreateUserPool":   awsjson.Typed(s.createUserPool),
		"DescribeUserPool": awsjson.Typed(s.describeUserPool),
		"ListUserPools":    awsjson.Typed(s.listUserPools),
		"UpdateUserPool":   awsjson.Typed(s.updateUserPool),
		"DeleteUserPool":   awsjson.Typed(s.deleteUserPool),

		"CreateUserPoolClient":   awsjson.Typed(s.createUserPoolClient),
		"DescribeUserPoolClient": awsjson.Typed(s.describeUserPoolClient),
		"ListUserPoolClients":    awsjson.Typed(s.listUserPoolClients),
		"UpdateUserPoolClient":   awsjson.Typed(s.updateUserPoolClient),
		"DeleteUserPoolClient":   awsjson.Typed(s.deleteUserPoolClient),

		"AdminCreateUser":           awsjson.Typed(s.adminCreateUser),
		"AdminSetUserPassword":      awsjson.Typed(s.adminSetUserPassword),
		"AdminGetUser":              awsjson.Typed(s.adminGetUser),
		"AdminDeleteUser":           awsjson.Typed(s.adminDeleteUser),
		"AdminUpdateUserAttributes": awsjson.Typed(s.adminUpdateUserAttributes),
		"AdminDeleteUserAttributes": awsjson.Typed(s.adminDeleteUserAttributes),
		"AdminDisableUser":          awsjson.Typed(s.adminDisableUser),
		"AdminEnableUser":           awsjson.Typed(s.adminEnableUser),
		"AdminConfirmSignUp":        awsjson.Typed(s.adminConfirmSignUp),
		"AdminResetUserPassword":    awsjson.Typed(s.adminResetUserPassword),
		"ListUsers":                 awsjson.Typed(s.listUsers),

		"SignUp":                           awsjson.Typed(s.signUp),
		"ConfirmSignUp":                    awsjson.Typed(s.confirmSignUp),
		"ResendConfirmationCode":           awsjson.Typed(s.resendConfirmationCode),
		"ForgotPassword":                   awsjson.Typed(s.forgotPassword),
		"ConfirmForgotPassword":            awsjson.Typed(s.confirmForgotPassword),
		"ChangePassword":                   awsjson.Typed(s.changePassword),
		"GetUser":                          awsjson.Typed(s.getUser),
		"UpdateUserAttributes":             awsjson.Typed(s.updateUserAttributes),
		"VerifyUserAttribute":              awsjson.Typed(s.verifyUserAttribute),
		"GetUserAttributeVerificationCode": awsjson.Typed(s.getUserAttributeVerificationCode),
		"DeleteUser":                       awsjson.Typed(s.deleteUser),

		"CreateGroup":              awsjson.Typed(s.createGroup),
		"GetGroup":                 awsjson.Typed(s.getGroup),
		"ListGroups":               awsjson.Typed(s.listGroups),
		"DeleteGroup":              awsjson.Typed(s.deleteGroup),
		"AdminAddUserToGroup":      awsjson.Typed(s.adminAddUserToGroup),
		"AdminRemoveUserFromGroup": awsjson.Typed(s.adminRemoveUserFromGroup),
		"AdminListGroupsForUser":   awsjson.Typed(s.adminListGroupsForUser),
		"ListUsersInGroup":         awsjson.Typed(s.listUsersInGroup),

		"InitiateAuth":                awsjson.Typed(s.initiateAuth),
		"AdminInitiateAuth":           awsjson.Typed(s.adminInitiateAuth),
		"RespondToAuthChallenge":      awsjson.Typed(s.respondToAuthChallenge),
		"AdminRespondToAuthChallenge": awsjson.Typed(s.adminRespondToAuthChallenge),
		"GlobalSignOut":               awsjson.Typed(s.globalSignOut),
		"AdminUserGlobalSignOut":      awsjson.Typed(s.adminUserGlobalSignOut),
		"RevokeToken":                 awsjson.Typed(s.revokeToken),

		"SetUserPoolMfaConfig":         awsjson.Typed(s.setUserPoolMfaConfig),
		"GetUserPoolMfaConfig":         awsjson.Typed(s.getUserPoolMfaConfig),
		"AssociateSoftwareToken":       awsjson.Typed(s.associateSoftwareToken),
		"VerifySoftwareToken":          awsjson.Typed(s.verifySoftwareToken),
		"SetUserMFAPreference":         awsjson.Typed(s.setUserMFAPreference),
		"AdminSetUserMFAPreference":    awsjson.Typed(s.adminSetUserMFAPreference),
		"ConfirmDevice":                awsjson.Typed(s.confirmDevice),
		"ListDevices":                  awsjson.Typed(s.listDevices),
		"AdminListDevices":             awsjson.Typed(s.adminListDevices),
		"GetDevice":                    awsjson.Typed(s.getDevice),
		"AdminGetDevice":               awsjson.Typed(s.adminGetDevice),
		"UpdateDeviceStatus":           awsjson.Typed(s.updateDeviceStatus),
		"AdminUpdateDeviceStatus":      awsjson.Typed(s.adminUpdateDeviceStatus),
		"ForgetDevice":                 awsjson.Typed(s.forgetDevice),
		"AdminForgetDevice":            awsjson.Typed(s.adminForgetDevice),
		"GetUserAuthFactors":           awsjson.Typed(s.getUserAuthFactors),
		"GetTokensFromRefreshToken":    awsjson.Typed(s.getTokensFromRefreshToken),
		"UpdateGroup":                  awsjson.Typed(s.updateGroup),
		"AddCustomAttributes":          awsjson.Typed(s.addCustomAttributes),
		"DeleteUserAttributes":         awsjson.Typed(s.deleteUserAttributes),
		"GetCSVHeader":                 awsjson.Typed(s.getCSVHeader),
		"AddUserPoolClientSecret":      awsjson.Typed(s.addUserPoolClientSecret),
		"ListUserPoolClientSecrets":    awsjson.Typed(s.listUserPoolClientSecrets),
		"DeleteUserPoolClientSecret":   awsjson.Typed(s.deleteUserPoolClientSecret),
		"AdminListUserAuthEvents":      awsjson.Typed(s.adminListUserAuthEvents),
		"AdminUpdateAuthEventFeedback": awsjson.Typed(s.adminUpdateAuthEventFeedback),
		"UpdateAuthEventFeedback":      awsjson.Typed(s.updateAuthEventFeedback),
		"GetSigningCertificate":        awsjson.Typed(s.getSigningCertificate),
		"CreateUserImportJob":          awsjson.Typed(s.createUserImportJob),
		"StartUserImportJob":           awsjson.Typed(s.startUserImportJob),
		"DescribeUserImportJob":        awsjson.Typed(s.describeUserImportJob),
		"ListUserImportJobs":           awsjson.Typed(s.listUserImportJobs),
		"StopUserImportJob":            awsjson.Typed(s.stopUserImportJob),
		"TagResource":                  awsjson.Typed(s.tagResource),
		"UntagResource":                awsjson.Typed(s.untagResource),
		"ListTagsForResource":          awsjson.Typed(s.listTagsForResource),
		"SetLogDeliveryConfiguration":  awsjson.Typed(s.setLogDeliveryConfiguration),
		"GetLogDeliveryConfiguration":  awsjson.Typed(s.getLogDeliveryConfiguration),
		"SetRiskConfiguration":         awsjson.Typed(s.setRiskConfiguration),
		"DescribeRiskConfiguration":    awsjson.Typed(s.describeRiskConfiguration),
		"AdminSetUserSettings":         awsjson.Typed(s.adminSetUserSettings),
		"SetUserSettings":              awsjson.Typed(s.setUserSettings),
		"CreateTerms":                  awsjson.Typed(s.createTerms),
		"DescribeTerms":                awsjson.Typed(s.describeTerms),
		"UpdateTerms":                  awsjson.Typed(s.updateTerms),
		"DeleteTerms":                  awsjson.Typed(s.deleteTerms),
		"ListTerms":                    awsjson.Typed(s.listTerms),
		"StartWebAuthnRegistration":    awsjson.Typed(s.startWebAuthnRegistration),
		"CompleteWebAuthnRegistration": awsjson.Typed(s.completeWebAuthnRegistration),
		"ListWebAuthnCredentials":      awsjson.Typed(s.listWebAuthnCredentials),
		"DeleteWebAuthnCredential":     awsjson.Typed(s.deleteWebAuthnCredential),

		"CreateUserPoolDomain":            awsjson.Typed(s.createUserPoolDomain),
		"DescribeUserPoolDomain":          awsjson.Typed(s.describeUserPoolDomain),
		"UpdateUserPoolDomain":            awsjson.Typed(s.updateUserPoolDomain),
		"DeleteUserPoolDomain":            awsjson.Typed(s.deleteUserPoolDomain),
		"CreateIdentityProvider":          awsjson.Typed(s.createIdentityProvider),
		"DescribeIdentityProvider":        awsjson.Typed(s.describeIdentityProvider),
		"ListIdentityProviders":           awsjson.Typed(s.listIdentityProviders),
		"UpdateIdentityProvider":          awsjson.Typed(s.updateIdentityProvider),
		"DeleteIdentityProvider":          awsjson.Typed(s.deleteIdentityProvider),
		"GetIdentityProviderByIdentifier": awsjson.Typed(s.getIdentityProviderByIdentifier),
		"AdminLinkProviderForUser":        awsjson.Typed(s.adminLinkProviderForUser),
		"AdminDisableProviderForUser":     awsjson.Typed(s.adminDisableProviderForUser),
		"SetUICustomization":              awsjson.Typed(s.setUICustomization),
		"GetUICustomization":              awsjson.Typed(s.getUICustomization),
		"CreateResourceServer":            awsjson.Typed(s.createResourceServer),
		"DescribeResourceServer":          awsjson.Typed(s.describeResourceServer),
		"ListResourceServers":             awsjson.Typed(s.listResourceServers),
		"UpdateResourceServer":            awsjson.Typed(s.updateResourceServer),
		"DeleteResourceServer":            awsjson.Typed(s.deleteResourceServer),
	}
}

// empty is the output of operations that return nothing.
type empty struct{}

// wrap adds context to a store or infrastructure error.
func wrap(what string, err error) error { return fmt.Errorf("%s: %w", what, err) }

func (s *Service) clock() time.Time { return s.now().UTC() }
