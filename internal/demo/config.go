package demo

import _ "embed"

// configYAML is the demo's configuration file (see demo.yaml).
//
//go:embed demo.yaml
var configYAML []byte

// ConfigYAML returns the built-in demo configuration, in the config file format.
func ConfigYAML() []byte { return configYAML }
