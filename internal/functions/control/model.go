// Package control is Lambda's management API (the REST-JSON paths of
// lambda 2015-03-31): CreateFunction from a zip, Get/List/Update/Delete,
// versions, aliases, resource policies and tags. Functions and their code
// live in the store, so every node serves them: each node unpacks a
// function's code into its own cache and swaps it into the runner, while
// invocations already running finish on the previous code.
package control

import (
	"time"
)

// Store object kinds.
const (
	kindFunction = "lambda.function"
	kindCode     = "lambda.code"
)

// record is a function as stored.
type record struct {
	Name         string            `json:"name"`
	Runtime      string            `json:"runtime"`
	Handler      string            `json:"handler"`
	Role         string            `json:"role"`
	Description  string            `json:"description,omitempty"`
	Timeout      int               `json:"timeout"`
	MemorySize   int               `json:"memorySize"`
	Environment  map[string]string `json:"environment,omitempty"`
	Architecture string            `json:"architecture"`
	CodeSha256   string            `json:"codeSha256"` // hex
	CodeSize     int64             `json:"codeSize"`
	LastModified time.Time         `json:"lastModified"`
	RevisionID   string            `json:"revisionId"`
	Tags         map[string]string `json:"tags,omitempty"`
	// Versions are the published, immutable snapshots ("1", "2" ...).
	Versions    []version         `json:"versions,omitempty"`
	NextVersion int               `json:"nextVersion"`
	Aliases     map[string]*alias `json:"aliases,omitempty"`
	// Policy holds the resource policy's statements by Sid.
	Policy map[string]statement `json:"policy,omitempty"`
	// Concurrency is PutFunctionConcurrency's reserved concurrency (nil: unreserved).
	Concurrency *int `json:"concurrency,omitempty"`
}

// version is a published snapshot of a function's code and configuration.
type version struct {
	Version      string            `json:"version"`
	Description  string            `json:"description,omitempty"`
	Runtime      string            `json:"runtime"`
	Handler      string            `json:"handler"`
	Role         string            `json:"role"`
	Timeout      int               `json:"timeout"`
	MemorySize   int               `json:"memorySize"`
	Environment  map[string]string `json:"environment,omitempty"`
	CodeSha256   string            `json:"codeSha256"`
	CodeSize     int64             `json:"codeSize"`
	LastModified time.Time         `json:"lastModified"`
	RevisionID   string            `json:"revisionId"`
}

// alias names a version.
type alias struct {
	Name            string             `json:"name"`
	FunctionVersion string             `json:"functionVersion"`
	Description     string             `json:"description,omitempty"`
	RevisionID      string             `json:"revisionId"`
	RoutingConfig   map[string]float64 `json:"routingConfig,omitempty"`
}

// statement is one resource-policy statement as AddPermission builds it.
type statement struct {
	Sid           string `json:"sid"`
	Action        string `json:"action"`
	Principal     string `json:"principal"`
	SourceArn     string `json:"sourceArn,omitempty"`
	SourceAccount string `json:"sourceAccount,omitempty"`
	Qualifier     string `json:"qualifier,omitempty"`
}

// --- wire shapes (lambda 2015-03-31) ---

type environment struct {
	Variables map[string]string `json:"Variables"`
}

type envResponse struct {
	Variables map[string]string `json:"Variables,omitempty"`
}

type functionCode struct {
	ZipFile   []byte  `json:"ZipFile"`
	S3Bucket  *string `json:"S3Bucket"`
	S3Key     *string `json:"S3Key"`
	ImageURI  *string `json:"ImageUri"`
	ObjectVer *string `json:"S3ObjectVersion"`
}

type createFunctionInput struct {
	FunctionName  string            `json:"FunctionName"`
	Runtime       string            `json:"Runtime"`
	Role          string            `json:"Role"`
	Handler       string            `json:"Handler"`
	Code          *functionCode     `json:"Code"`
	Description   string            `json:"Description"`
	Timeout       *int              `json:"Timeout"`
	MemorySize    *int              `json:"MemorySize"`
	Publish       bool              `json:"Publish"`
	Environment   *environment      `json:"Environment"`
	PackageType   string            `json:"PackageType"`
	Architectures []string          `json:"Architectures"`
	Tags          map[string]string `json:"Tags"`
}

type updateConfigInput struct {
	Runtime     *string      `json:"Runtime"`
	Role        *string      `json:"Role"`
	Handler     *string      `json:"Handler"`
	Description *string      `json:"Description"`
	Timeout     *int         `json:"Timeout"`
	MemorySize  *int         `json:"MemorySize"`
	Environment *environment `json:"Environment"`
	RevisionID  string       `json:"RevisionId"`
}

type updateCodeInput struct {
	ZipFile       []byte   `json:"ZipFile"`
	S3Bucket      *string  `json:"S3Bucket"`
	ImageURI      *string  `json:"ImageUri"`
	Publish       bool     `json:"Publish"`
	DryRun        bool     `json:"DryRun"`
	RevisionID    string   `json:"RevisionId"`
	Architectures []string `json:"Architectures"`
}

type tracingConfig struct {
	Mode string `json:"Mode"`
}

type ephemeralStorage struct {
	Size int `json:"Size"`
}

type loggingConfig struct {
	LogFormat string `json:"LogFormat"`
	LogGroup  string `json:"LogGroup"`
}

type snapStart struct {
	ApplyOn            string `json:"ApplyOn"`
	OptimizationStatus string `json:"OptimizationStatus"`
}

// functionConfiguration is Lambda's FunctionConfiguration.
type functionConfiguration struct {
	FunctionName     string           `json:"FunctionName"`
	FunctionArn      string           `json:"FunctionArn"`
	Runtime          string           `json:"Runtime"`
	Role             string           `json:"Role"`
	Handler          string           `json:"Handler"`
	CodeSize         int64            `json:"CodeSize"`
	Description      string           `json:"Description"`
	Timeout          int              `json:"Timeout"`
	MemorySize       int              `json:"MemorySize"`
	LastModified     string           `json:"LastModified"`
	CodeSha256       string           `json:"CodeSha256"`
	Version          string           `json:"Version"`
	Environment      *envResponse     `json:"Environment,omitempty"`
	TracingConfig    tracingConfig    `json:"TracingConfig"`
	RevisionID       string           `json:"RevisionId"`
	State            string           `json:"State"`
	LastUpdateStatus string           `json:"LastUpdateStatus"`
	PackageType      string           `json:"PackageType"`
	Architectures    []string         `json:"Architectures"`
	EphemeralStorage ephemeralStorage `json:"EphemeralStorage"`
	LoggingConfig    loggingConfig    `json:"LoggingConfig"`
	SnapStart        snapStart        `json:"SnapStart"`
}

type functionCodeLocation struct {
	RepositoryType string `json:"RepositoryType"`
	Location       string `json:"Location"`
}

type concurrency struct {
	ReservedConcurrentExecutions *int `json:"ReservedConcurrentExecutions,omitempty"`
}

type getFunctionOutput struct {
	Configuration functionConfiguration `json:"Configuration"`
	Code          functionCodeLocation  `json:"Code"`
	Tags          map[string]string     `json:"Tags,omitempty"`
	Concurrency   *concurrency          `json:"Concurrency,omitempty"`
}

type aliasConfiguration struct {
	AliasArn        string          `json:"AliasArn"`
	Name            string          `json:"Name"`
	FunctionVersion string          `json:"FunctionVersion"`
	Description     string          `json:"Description"`
	RevisionID      string          `json:"RevisionId"`
	RoutingConfig   *routingWeights `json:"RoutingConfig,omitempty"`
}

type routingWeights struct {
	AdditionalVersionWeights map[string]float64 `json:"AdditionalVersionWeights,omitempty"`
}

type aliasInput struct {
	Name            string          `json:"Name"`
	FunctionVersion *string         `json:"FunctionVersion"`
	Description     *string         `json:"Description"`
	RevisionID      string          `json:"RevisionId"`
	RoutingConfig   *routingWeights `json:"RoutingConfig"`
}

type addPermissionInput struct {
	StatementID   string `json:"StatementId"`
	Action        string `json:"Action"`
	Principal     string `json:"Principal"`
	SourceArn     string `json:"SourceArn"`
	SourceAccount string `json:"SourceAccount"`
	RevisionID    string `json:"RevisionId"`
}

type publishVersionInput struct {
	CodeSha256  string `json:"CodeSha256"`
	Description string `json:"Description"`
	RevisionID  string `json:"RevisionId"`
}
