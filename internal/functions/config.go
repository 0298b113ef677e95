package functions

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Runtime kinds, as FunctionConfig.Runtime after normalisation.
const (
	RuntimeBuiltin  = "builtin"
	RuntimeProvided = "provided"
	RuntimeNodeJS   = "nodejs"
)

// Defaults applied by Apply.
const (
	DefaultTimeout             = 3 * time.Second
	DefaultMemorySize          = 128
	DefaultReservedConcurrency = 10
)

// FunctionConfig declares a function. It decodes from the config file's
// YAML: timeout is in seconds (a number, or a Go duration such as "1500ms").
type FunctionConfig struct {
	Name string `yaml:"name"`
	// Runtime is "builtin", "provided" (aliases provided.al2,
	// provided.al2023) or "nodejs" (aliases nodejs18.x, nodejs20.x ...).
	Runtime string `yaml:"runtime"`
	// Handler is _HANDLER: "index.handler" for nodejs; free-form for
	// provided.
	Handler string `yaml:"handler"`
	// Command runs a provided function: executable and arguments; a
	// relative path is taken from Dir. Default: ./bootstrap.
	Command []string `yaml:"command"`
	// Dir is the task root (LAMBDA_TASK_ROOT, working directory).
	Dir                 string            `yaml:"dir"`
	Environment         map[string]string `yaml:"environment"`
	Timeout             time.Duration     `yaml:"timeout"`
	MemorySize          int               `yaml:"memorySize"`
	ReservedConcurrency int               `yaml:"reservedConcurrency"`
	// CodeVersion identifies the code in Dir (CodeFingerprint): Apply
	// replaces a function whose code changed even if nothing else did.
	CodeVersion string `yaml:"-"`
	// Version is a published version's number ("1", "2" ...); empty is
	// $LATEST. A version runs beside $LATEST under the key NAME:VERSION.
	Version string `yaml:"-"`
}

// Key is the runner's name for the function: Name for $LATEST,
// Name:Version for a published version.
func (cfg FunctionConfig) Key() string {
	if cfg.Version == "" {
		return cfg.Name
	}
	return cfg.Name + ":" + cfg.Version
}

var versionNumber = regexp.MustCompile(`^[1-9][0-9]{0,9}$`)

var functionName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// normalise validates cfg and fills in the defaults.
func (cfg FunctionConfig) normalise() (FunctionConfig, error) {
	if !functionName.MatchString(cfg.Name) {
		return cfg, fmt.Errorf("function name %q: want 1-64 letters, digits, - or _", cfg.Name)
	}
	if cfg.Version != "" && !versionNumber.MatchString(cfg.Version) {
		return cfg, fmt.Errorf("function %s: version %q: want a published version number", cfg.Name, cfg.Version)
	}
	rt := strings.ToLower(strings.TrimSpace(cfg.Runtime))
	switch {
	case rt == RuntimeBuiltin:
	case rt == RuntimeProvided || strings.HasPrefix(rt, "provided."):
		rt = RuntimeProvided
		if len(cfg.Command) == 0 {
			// Like Lambda's OS-only runtimes: the task root's bootstrap.
			cfg.Command = []string{"./bootstrap"}
		}
		if cfg.Command[0] == "" {
			return cfg, fmt.Errorf("function %s: empty command", cfg.Name)
		}
	case rt == RuntimeNodeJS || (strings.HasPrefix(rt, "nodejs") && strings.HasSuffix(rt, ".x")):
		rt = RuntimeNodeJS
		if i := strings.LastIndexByte(cfg.Handler, '.'); i <= 0 || i == len(cfg.Handler)-1 {
			return cfg, fmt.Errorf("function %s: nodejs handler %q: want file.export, e.g. index.handler", cfg.Name, cfg.Handler)
		}
	default:
		return cfg, fmt.Errorf("function %s: unknown runtime %q", cfg.Name, cfg.Runtime)
	}
	cfg.Runtime = rt
	if cfg.Timeout < 0 || cfg.MemorySize < 0 || cfg.ReservedConcurrency < 0 {
		return cfg, fmt.Errorf("function %s: timeout, memorySize and reservedConcurrency must not be negative", cfg.Name)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MemorySize == 0 {
		cfg.MemorySize = DefaultMemorySize
	}
	if cfg.ReservedConcurrency == 0 {
		cfg.ReservedConcurrency = DefaultReservedConcurrency
	}
	return cfg, nil
}

// yamlKeys are the keys UnmarshalYAML accepts.
var yamlKeys = map[string]bool{
	"name": true, "runtime": true, "handler": true, "command": true, "dir": true,
	"environment": true, "timeout": true, "memorySize": true, "reservedConcurrency": true,
}

// UnmarshalYAML decodes a function entry strictly (unknown keys are errors),
// reading timeout as seconds and command as a list or a single string.
func (cfg *FunctionConfig) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: function: want a mapping", node.Line)
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		if k := node.Content[i]; !yamlKeys[k.Value] {
			return fmt.Errorf("line %d: function: unknown field %q", k.Line, k.Value)
		}
	}
	var raw struct {
		Name                string            `yaml:"name"`
		Runtime             string            `yaml:"runtime"`
		Handler             string            `yaml:"handler"`
		Command             yaml.Node         `yaml:"command"`
		Dir                 string            `yaml:"dir"`
		Environment         map[string]string `yaml:"environment"`
		Timeout             string            `yaml:"timeout"`
		MemorySize          int               `yaml:"memorySize"`
		ReservedConcurrency int               `yaml:"reservedConcurrency"`
	}
	if err := node.Decode(&raw); err != nil {
		return fmt.Errorf("function: %w", err)
	}
	out := FunctionConfig{
		Name: raw.Name, Runtime: raw.Runtime, Handler: raw.Handler, Dir: raw.Dir,
		Environment: raw.Environment, MemorySize: raw.MemorySize, ReservedConcurrency: raw.ReservedConcurrency,
	}
	switch raw.Command.Kind {
	case 0:
	case yaml.ScalarNode:
		out.Command = []string{raw.Command.Value}
	default:
		if err := raw.Command.Decode(&out.Command); err != nil {
			return fmt.Errorf("function %s: command: %w", raw.Name, err)
		}
	}
	if raw.Timeout != "" {
		d, err := parseTimeout(raw.Timeout)
		if err != nil {
			return fmt.Errorf("function %s: timeout: %w", raw.Name, err)
		}
		out.Timeout = d
	}
	*cfg = out
	return nil
}

// parseTimeout reads "3" or "2.5" as seconds, or a Go duration ("1500ms").
func parseTimeout(s string) (time.Duration, error) {
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Duration(secs * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("want seconds or a duration: %w", err)
	}
	return d, nil
}
