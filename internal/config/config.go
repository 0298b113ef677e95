// Package config reads Cognate's YAML configuration file: the user pools,
// functions and APIs to apply at start. Decoding is strict (unknown keys are
// errors), ${ENV} references in values are expanded, and Validate reports
// every problem at once. References to things whose ids are generated at
// apply time (${pool:NAME}, ${client:POOL/CLIENT}, ${issuer:POOL}) are left
// for the applier to resolve.
package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// MaxFileSize bounds a configuration file (and each OpenAPI file it names).
const MaxFileSize = 4 << 20

// File is the configuration file's schema.
type File struct {
	// Region is the AWS region pool ids and ARNs use (default us-east-1).
	Region string `yaml:"region"`
	// AccountID is the account id in ARNs (default 000000000000).
	AccountID string `yaml:"accountId"`
	// PublicURL is the base URL clients reach Cognate at (default http://ADDR).
	PublicURL string `yaml:"publicUrl"`
	// IssuerStyle is "local" ({publicUrl}/{poolId}) or "aws" (cognito-idp.{region}.amazonaws.com).
	IssuerStyle string `yaml:"issuerStyle"`
	// Throttling is every stage's token bucket (AWS's default 10,000 requests/s, burst 5,000).
	Throttling *Throttling `yaml:"throttling"`
	// AuthThrottling is each source IP's token bucket on Cognito's public
	// (unsigned) operations, per node (default 50 requests/s, burst 100).
	AuthThrottling *AuthThrottling `yaml:"authThrottling"`
	// Gateway holds gateway-wide settings.
	Gateway *Gateway `yaml:"gateway"`
	// Security holds the access keys and policies of the AWS APIs, and the
	// allowed Host names and browser origins.
	Security *Security `yaml:"security"`
	// Messages configures code and invitation delivery (SMTP, SMS webhook, outbox).
	Messages *Messages `yaml:"messages"`
	// Pools are the user pools to find by name or create.
	Pools []Pool `yaml:"pools"`
	// Functions are the functions of the function runner.
	Functions []Function `yaml:"functions"`
	// APIs are the REST APIs of the API gateway.
	APIs []API `yaml:"apis"`
	// HTTPAPIs are the HTTP APIs (API Gateway v2): JWT and Lambda
	// authorizers, payload format 2.0, CORS configuration.
	HTTPAPIs []HTTPAPI `yaml:"httpApis"`
	// KMSKeys are the local keys standing in for KMS keys: custom sender
	// triggers get their codes encrypted with the key a pool's kmsKeyId names.
	KMSKeys []KMSKey `yaml:"kmsKeys"`
	// APIKeys and UsagePlans meter apiKeyRequired methods.
	APIKeys []APIKey `yaml:"apiKeys"`
	// UsagePlans give API keys a throttle and a quota on API stages.
	UsagePlans []UsagePlan `yaml:"usagePlans"`

	// Dir is the directory relative paths in the file are resolved against.
	Dir string `yaml:"-"`
}

// Security configures who may call the signed AWS APIs and from where.
type Security struct {
	// AllowedHosts are Host names served besides loopback names, IP
	// addresses, the public URL's host and {apiId}.execute-api.* ("*.example.com" allowed).
	AllowedHosts []string `yaml:"allowedHosts"`
	// AllowedOrigins are browser origins (https://admin.example.com, or "*")
	// allowed to call signed operations; none by default.
	AllowedOrigins []string `yaml:"allowedOrigins"`
	// Users are IAM-style users with access keys and identity policies.
	Users []IAMUser `yaml:"users"`
}

// IAMUser is a principal arn:aws:iam::ACCOUNT:user/NAME.
type IAMUser struct {
	// Name is the user's name, the last part of its ARN.
	Name string `yaml:"name"`
	// AccessKeys are the user's access key pairs.
	AccessKeys []AccessKey `yaml:"accessKeys"`
	// Policies are the user's identity policies.
	Policies []Policy `yaml:"policies"`
}

// AccessKey is an access key pair; keep the secret out of the file with ${ENV}.
type AccessKey struct {
	// ID is the access key id (AKIA...).
	ID string `yaml:"id"`
	// Secret is the secret access key; write ${ENV} to keep it out of the file.
	Secret string `yaml:"secret"`
}

// Policy is a named identity policy: Document is IAM's JSON grammar, as a
// JSON string or the same structure in YAML.
type Policy struct {
	// Name names the policy in error messages.
	Name string `yaml:"name"`
	// Document is the IAM policy: a JSON string, or the same structure in YAML.
	Document any `yaml:"document"`
}

// DocumentJSON returns the policy document as JSON text.
func (p Policy) DocumentJSON() ([]byte, error) {
	if s, ok := p.Document.(string); ok {
		return []byte(s), nil
	}
	return json.Marshal(p.Document)
}

// AuthThrottling sets each source address's request rate limit on
// Cognito's public operations; rateLimit -1 turns it off, 0 keeps the default.
type AuthThrottling struct {
	// RateLimit is requests per second per source address (-1: off; default 50).
	RateLimit float64 `yaml:"rateLimit"`
	// BurstLimit is the bucket's size (default 100).
	BurstLimit int `yaml:"burstLimit"`
	// TrustedProxies are the addresses or CIDR ranges of the proxies in front
	// of Cognate: from those peers, the client is the last address in
	// X-Forwarded-For that is not a trusted proxy itself.
	TrustedProxies []string `yaml:"trustedProxies"`
}

// Throttling sets a stage's request rate limit; rateLimit -1 turns it off.
type Throttling struct {
	// RateLimit is the steady rate in requests per second (-1: no limit).
	RateLimit float64 `yaml:"rateLimit"`
	// BurstLimit is the bucket size: requests allowed at once above the rate.
	BurstLimit int `yaml:"burstLimit"`
}

// Gateway holds settings of the API gateway as a whole.
type Gateway struct {
	// EscapedSlashes is what %2F / %5C inside a path segment do:
	// KEEP_UNCHANGED (default), REJECT_REQUEST or UNESCAPE_AND_FORWARD.
	EscapedSlashes string `yaml:"escapedSlashes"`
	// MaxConcurrentRequests is how many requests the gateway executes at once
	// (default 1024; -1: no limit), so that a saturated gateway leaves the rest
	// of the process (health, readiness, the Cognito API) responsive.
	MaxConcurrentRequests int `yaml:"maxConcurrentRequests"`
	// MaxQueuedRequests is how many more requests may wait for a slot, each
	// at most 5 s (default 4096); the others get the THROTTLED gateway
	// response (429 Too Many Requests).
	MaxQueuedRequests int `yaml:"maxQueuedRequests"`
	// ViewerCountry is the CloudFront-Viewer-Country header (an ISO 3166-1
	// alpha-2 code such as US) that proxy events and REQUEST authorizers
	// see, as CloudFront adds it in front of edge-optimized APIs. Cognate has
	// no geolocation data, so the country is this setting for every
	// request; empty (the default) leaves the header out.
	ViewerCountry string `yaml:"viewerCountry"`
}

// APIKey declares an API key (sent in x-api-key, or returned by a Lambda
// authorizer as usageIdentifierKey). Value is a secret: use ${ENV}.
type APIKey struct {
	// Name identifies the key in usage plans.
	Name string `yaml:"name"`
	// Value is the key clients send in x-api-key (use ${ENV} to keep it out of the file).
	Value string `yaml:"value"`
	// Enabled defaults to true.
	Enabled *bool `yaml:"enabled"`
}

// UsagePlan declares a usage plan: the API stages it covers, a per-key
// throttle and quota, and its keys.
type UsagePlan struct {
	// Name is the plan's name.
	Name string `yaml:"name"`
	// APIStages are the API stages the plan covers.
	APIStages []UsagePlanAPI `yaml:"apiStages"`
	// Throttle is each key's token bucket, kept in the store and shared by
	// every node (the rate holds across the cluster).
	Throttle *Throttling `yaml:"throttle"`
	// Quota is each key's request allowance per period.
	Quota *UsagePlanQuota `yaml:"quota"`
	// APIKeys names the keys (apiKeys[].name) in the plan.
	APIKeys []string `yaml:"apiKeys"`
}

// UsagePlanAPI names an API (by its name in this file) and a stage.
type UsagePlanAPI struct {
	// API is the API's name in this file.
	API string `yaml:"api"`
	// Stage is the stage's name.
	Stage string `yaml:"stage"`
}

// UsagePlanQuota is requests per DAY, WEEK or MONTH.
type UsagePlanQuota struct {
	// Limit is the number of requests allowed per period.
	Limit int64 `yaml:"limit"`
	// Period is DAY, WEEK or MONTH.
	Period string `yaml:"period"`
}

// Pool declares a user pool, found by name or created.
type Pool struct {
	// Name is the pool's name (PoolName); pools are matched by it.
	Name string `yaml:"name"`
	// UsernameAttributes lets users sign in with email and/or phone_number instead of a user name.
	UsernameAttributes []string `yaml:"usernameAttributes"`
	// AliasAttributes lets users also sign in with email, phone_number or preferred_username.
	AliasAttributes []string `yaml:"aliasAttributes"`
	// AutoVerifiedAttributes are verified by a code at sign-up (email, phone_number).
	AutoVerifiedAttributes []string `yaml:"autoVerifiedAttributes"`
	// CaseSensitive makes user names case-sensitive (when absent, the API's default: case-sensitive).
	CaseSensitive *bool `yaml:"caseSensitive"`
	// PasswordPolicy is the pool's password rules (Cognito's defaults when absent).
	PasswordPolicy *PasswordPolicy `yaml:"passwordPolicy"`
	// CustomAttributes are custom string attributes, named without the custom: prefix.
	CustomAttributes []string `yaml:"customAttributes"`
	// Clients are the pool's app clients.
	Clients []Client `yaml:"clients"`
	// Groups are the pool's groups.
	Groups []Group `yaml:"groups"`
	// Users are created confirmed, with a permanent password, if missing.
	Users []User `yaml:"users"`
	// LambdaConfig names the pool's triggers (applied at every start).
	LambdaConfig *LambdaConfig `yaml:"lambdaConfig"`
}

// LambdaConfig mirrors Cognito's LambdaConfigType: each trigger is a
// function name of this file or a full function ARN.
type LambdaConfig struct {
	// PreSignUp runs before a sign-up is accepted.
	PreSignUp string `yaml:"preSignUp"`
	// PostConfirmation runs after a user is confirmed.
	PostConfirmation string `yaml:"postConfirmation"`
	// PreAuthentication runs before a sign-in is checked.
	PreAuthentication string `yaml:"preAuthentication"`
	// PostAuthentication runs after a successful sign-in.
	PostAuthentication string `yaml:"postAuthentication"`
	// PreTokenGeneration may change the claims of issued tokens.
	PreTokenGeneration string `yaml:"preTokenGeneration"`
	// PreTokenGenerationVersion is V1_0 (default), V2_0 or V3_0.
	PreTokenGenerationVersion string `yaml:"preTokenGenerationVersion"`
	// UserMigration signs in or recovers users unknown to the pool.
	UserMigration string `yaml:"userMigration"`
	// CustomMessage writes the messages that carry codes.
	CustomMessage string `yaml:"customMessage"`
	// DefineAuthChallenge drives the CUSTOM_AUTH flow.
	DefineAuthChallenge string `yaml:"defineAuthChallenge"`
	// CreateAuthChallenge creates a CUSTOM_AUTH challenge.
	CreateAuthChallenge string `yaml:"createAuthChallenge"`
	// VerifyAuthChallengeResponse checks a CUSTOM_AUTH answer.
	VerifyAuthChallengeResponse string `yaml:"verifyAuthChallengeResponse"`
	// CustomEmailSender delivers email codes (encrypted with kmsKeyId's key).
	CustomEmailSender string `yaml:"customEmailSender"`
	// CustomSMSSender delivers SMS codes (encrypted with kmsKeyId's key).
	CustomSMSSender string `yaml:"customSMSSender"`
	// KMSKeyID names one of kmsKeys (its id or ARN); required with custom senders.
	KMSKeyID string `yaml:"kmsKeyId"`
}

// Triggers returns the configured triggers by LambdaConfigType field name.
func (l *LambdaConfig) Triggers() map[string]string {
	out := map[string]string{}
	for k, v := range map[string]string{
		"PreSignUp": l.PreSignUp, "PostConfirmation": l.PostConfirmation, "PreAuthentication": l.PreAuthentication,
		"PostAuthentication": l.PostAuthentication, "PreTokenGeneration": l.PreTokenGeneration, "UserMigration": l.UserMigration,
		"CustomMessage": l.CustomMessage, "DefineAuthChallenge": l.DefineAuthChallenge, "CreateAuthChallenge": l.CreateAuthChallenge,
		"VerifyAuthChallengeResponse": l.VerifyAuthChallengeResponse, "CustomEmailSender": l.CustomEmailSender, "CustomSMSSender": l.CustomSMSSender,
	} {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// KMSKey is a local symmetric key: Key is 32 bytes, base64-encoded (use
// ${ENV}); its ARN is arn:aws:kms:REGION:ACCOUNT:key/ID.
type KMSKey struct {
	// ID is the key's id, the last part of its ARN.
	ID string `yaml:"id"`
	// Key is 32 bytes, base64-encoded; write ${ENV} to keep it out of the file.
	Key string `yaml:"key"`
}

// PasswordPolicy mirrors Cognito's PasswordPolicyType.
type PasswordPolicy struct {
	// MinimumLength is the shortest password allowed (6 to 99; Cognito's default 8).
	MinimumLength int `yaml:"minimumLength"`
	// RequireUppercase demands an upper-case letter.
	RequireUppercase bool `yaml:"requireUppercase"`
	// RequireLowercase demands a lower-case letter.
	RequireLowercase bool `yaml:"requireLowercase"`
	// RequireNumbers demands a digit.
	RequireNumbers bool `yaml:"requireNumbers"`
	// RequireSymbols demands one of Cognito's special characters.
	RequireSymbols bool `yaml:"requireSymbols"`
	// TemporaryPasswordValidityDays is how long an admin-set temporary password lasts.
	TemporaryPasswordValidityDays int `yaml:"temporaryPasswordValidityDays"`
}

// Client declares an app client of a pool, found by name or created.
type Client struct {
	// Name is the client's name (ClientName); clients are matched by it within the pool.
	Name string `yaml:"name"`
	// GenerateSecret gives the client a secret (then every call needs SECRET_HASH).
	GenerateSecret bool `yaml:"generateSecret"`
	// ExplicitAuthFlows are the allowed flows (ALLOW_USER_SRP_AUTH, ALLOW_REFRESH_TOKEN_AUTH ...).
	ExplicitAuthFlows []string `yaml:"explicitAuthFlows"`
	// IDTokenValidity is the id token lifetime, a Go duration in whole
	// minutes ("1h"; default 1h). Lifetimes apply when the client is created.
	IDTokenValidity string `yaml:"idTokenValidity"`
	// AccessTokenValidity is the access token lifetime ("15m"; default 1h).
	AccessTokenValidity string `yaml:"accessTokenValidity"`
	// RefreshTokenValidity is the refresh token lifetime (default 720h, 30 days).
	RefreshTokenValidity string `yaml:"refreshTokenValidity"`
}

// Group declares a group of a pool.
type Group struct {
	// Name is the group's name.
	Name string `yaml:"name"`
	// Description is free text.
	Description string `yaml:"description"`
	// Precedence orders the groups in cognito:groups (lower first).
	Precedence *int32 `yaml:"precedence"`
}

// User declares a confirmed user with a permanent password.
type User struct {
	// Username is the user name (required).
	Username string `yaml:"username"`
	// Password is the permanent password; write ${ENV} to keep it out of the file.
	Password string `yaml:"password"`
	// Attributes are user attributes (email, email_verified, custom:...).
	Attributes map[string]string `yaml:"attributes"`
	// Groups are groups of the same pool the user belongs to.
	Groups []string `yaml:"groups"`
}

// Function declares a function of the function runner.
type Function struct {
	// Name is the function's name (1-64 letters, digits, - or _).
	Name string `yaml:"name"`
	// Runtime is builtin, provided (provided.al2, provided.al2023, go1.x) or nodejs (nodejs18.x, nodejs20.x, nodejs22.x).
	Runtime string `yaml:"runtime"`
	// Handler is "file.export" for Node.js, or the builtin's name.
	Handler string `yaml:"handler"`
	// Command runs a "provided" function: argv, the first element relative to Dir.
	Command []string `yaml:"command"`
	// Build is run once in Dir before the function is registered (go build, npm ci ...).
	Build []string `yaml:"build"`
	// Dir is the task root, relative to the file: it must exist and hold the handler module or command.
	Dir string `yaml:"dir"`
	// Environment is the function's environment; values may use ${pool:NAME}-style references.
	Environment map[string]string `yaml:"environment"`
	// Timeout in seconds (default 3, as Lambda; at most 900).
	Timeout int `yaml:"timeout"`
	// MemorySize in MB is reported in REPORT lines (default 128).
	MemorySize int `yaml:"memorySize"`
	// ReservedConcurrency is how many invocations run at once (default 10); more wait in a queue.
	ReservedConcurrency int `yaml:"reservedConcurrency"`
}

// API declares a REST API from an OpenAPI 3 / Swagger 2 document with
// x-amazon-apigateway-* extensions: a file (OpenAPI) or inline (Definition).
type API struct {
	// Name is the API's name; its id is derived from it.
	Name string `yaml:"name"`
	// OpenAPI is the path of the OpenAPI 3 or Swagger 2 file (YAML or JSON).
	OpenAPI string `yaml:"openapi"`
	// Definition is the OpenAPI document inline (instead of openapi).
	Definition *Document `yaml:"definition"`
	// Default serves the API at /{stage}/... without a Host or /restapis prefix.
	Default bool `yaml:"default"`
	// Stages are the API's stages (at least one).
	Stages []Stage `yaml:"stages"`
}

// HTTPAPI declares an HTTP API (API Gateway v2) from an OpenAPI 3 document
// with the HTTP API x-amazon-apigateway-* extensions (x-amazon-apigateway-integration
// of type aws_proxy or http_proxy, x-amazon-apigateway-authorizer of type
// jwt or request, x-amazon-apigateway-cors): a file (OpenAPI) or inline
// (Definition). Its id is derived from its name; the apigatewayv2 control
// plane lists and edits it like any other.
type HTTPAPI struct {
	// Name is the API's name; its id is derived from it.
	Name string `yaml:"name"`
	// OpenAPI is the path of the OpenAPI 3 file (YAML or JSON).
	OpenAPI string `yaml:"openapi"`
	// Definition is the OpenAPI document inline (instead of openapi).
	Definition *Document `yaml:"definition"`
	// Stages are the API's stages (default: one $default stage).
	Stages []HTTPStage `yaml:"stages"`
}

// HTTPStage declares a stage of an HTTP API.
type HTTPStage struct {
	// Name is the stage's name: $default (served at the invoke URL's root)
	// or a name that is the first path segment.
	Name string `yaml:"name"`
	// Variables are the stage variables (event.stageVariables).
	Variables map[string]string `yaml:"variables"`
	// ThrottlingRateLimit is the stage's steady request rate per second (default unlimited).
	ThrottlingRateLimit *float64 `yaml:"throttlingRateLimit"`
	// ThrottlingBurstLimit is the stage's burst (default unlimited).
	ThrottlingBurstLimit *int `yaml:"throttlingBurstLimit"`
}

// HTTPAPIDocument returns an HTTP API's OpenAPI document bytes (YAML or JSON).
func (f *File) HTTPAPIDocument(a HTTPAPI) ([]byte, error) {
	return f.OpenAPIDocument(API{Name: a.Name, OpenAPI: a.OpenAPI, Definition: a.Definition})
}

// Document is an inline document kept as YAML, decoded by its consumer.
type Document struct {
	node *yaml.Node
}

// UnmarshalYAML keeps the node as it is (strict decoding does not apply inside).
func (d *Document) UnmarshalYAML(n *yaml.Node) error {
	d.node = n
	return nil
}

// Stage declares a stage of an API.
type Stage struct {
	// Name is the stage's name, the first path segment.
	Name string `yaml:"name"`
	// Variables are the stage variables ($stageVariables in templates).
	Variables map[string]string `yaml:"variables"`
}

// Load reads, expands and strictly decodes a configuration file, then validates it.
func Load(path string) (*File, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, err
	}
	f, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	abs, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("resolve config directory: %w", err)
	}
	f.Dir = abs
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Parse expands ${ENV} references and strictly decodes YAML; it does not validate.
func Parse(data []byte) (*File, error) {
	expanded, err := ExpandEnv(string(data), os.LookupEnv)
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(strings.NewReader(expanded))
	dec.KnownFields(true)
	var f File
	if err := dec.Decode(&f); err != nil {
		var root yaml.Node
		if yaml.Unmarshal([]byte(expanded), &root) == nil {
			return nil, explainDecodeError(&root, err)
		}
		return nil, fmt.Errorf("decode config: %w", err)
	}
	f.applyDefaults()
	return &f, nil
}

func (f *File) applyDefaults() {
	if f.Region == "" {
		f.Region = "us-east-1"
	}
	if f.AccountID == "" {
		f.AccountID = "000000000000"
	}
	if f.IssuerStyle == "" {
		f.IssuerStyle = "local"
	}
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}`)

// ExpandEnv replaces ${NAME} and ${NAME:-default} with environment values; an
// unset variable without a default is an error. ${pool:..}-style references
// (lower-case prefix and colon) are left alone.
func ExpandEnv(s string, lookup func(string) (string, bool)) (string, error) {
	var missing []string
	out := envRef.ReplaceAllStringFunc(s, func(m string) string {
		sub := envRef.FindStringSubmatch(m)
		if v, ok := lookup(sub[1]); ok {
			return v
		}
		if sub[2] != "" {
			return sub[2][2:]
		}
		missing = append(missing, sub[1])
		return m
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("environment variables not set: %s", strings.Join(missing, ", "))
	}
	return out, nil
}

// OpenAPIDocument returns the API's OpenAPI document bytes (YAML or JSON).
func (f *File) OpenAPIDocument(a API) ([]byte, error) {
	if a.Definition != nil {
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		if err := enc.Encode(a.Definition.node); err != nil {
			return nil, fmt.Errorf("api %s: encode definition: %w", a.Name, err)
		}
		return buf.Bytes(), nil
	}
	return readLimited(f.Path(a.OpenAPI))
}

// Path resolves p against the configuration file's directory.
func (f *File) Path(p string) string {
	if p == "" || filepath.IsAbs(p) || f.Dir == "" {
		return p
	}
	return filepath.Join(f.Dir, p)
}

func readLimited(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, MaxFileSize)
	}
	return data, nil
}

// Proxies parses TrustedProxies; a bare address is a one-address range.
func (t *AuthThrottling) Proxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range t.TrustedProxies {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address or CIDR range", s)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
