package functions

import (
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestFunctionConfigYAML(t *testing.T) {
	tests := []struct {
		name, doc string
		want      FunctionConfig
		err       string
	}{
		{
			name: "node function",
			doc: `{name: notes, runtime: nodejs20.x, handler: index.handler, dir: ./fn, timeout: 3,
				environment: {TABLE: notes}, memorySize: 256, reservedConcurrency: 5}`,
			want: FunctionConfig{Name: "notes", Runtime: "nodejs20.x", Handler: "index.handler", Dir: "./fn",
				Timeout: 3 * time.Second, Environment: map[string]string{"TABLE": "notes"}, MemorySize: 256, ReservedConcurrency: 5},
		},
		{
			name: "command list and fractional seconds",
			doc:  `{name: go, runtime: provided.al2023, command: [./bootstrap, -v], timeout: 1.5}`,
			want: FunctionConfig{Name: "go", Runtime: "provided.al2023", Command: []string{"./bootstrap", "-v"}, Timeout: 1500 * time.Millisecond},
		},
		{
			name: "command string and duration",
			doc:  `{name: go, runtime: provided, command: ./bootstrap, timeout: 250ms}`,
			want: FunctionConfig{Name: "go", Runtime: "provided", Command: []string{"./bootstrap"}, Timeout: 250 * time.Millisecond},
		},
		{name: "unknown field", doc: `{name: x, runtime: nodejs, memory: 128}`, err: `unknown field "memory"`},
		{name: "bad timeout", doc: `{name: x, timeout: soon}`, err: "timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got FunctionConfig
			err := yaml.Unmarshal([]byte(tc.doc), &got)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != tc.want.Name || got.Runtime != tc.want.Runtime || got.Handler != tc.want.Handler || got.Dir != tc.want.Dir ||
				got.Timeout != tc.want.Timeout || got.MemorySize != tc.want.MemorySize || got.ReservedConcurrency != tc.want.ReservedConcurrency ||
				strings.Join(got.Command, " ") != strings.Join(tc.want.Command, " ") || len(got.Environment) != len(tc.want.Environment) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestFunctionConfigNormalise(t *testing.T) {
	tests := []struct {
		name    string
		cfg     FunctionConfig
		runtime string
		err     string
	}{
		{"node alias", FunctionConfig{Name: "a", Runtime: "nodejs22.x", Handler: "index.handler"}, RuntimeNodeJS, ""},
		{"provided alias", FunctionConfig{Name: "a", Runtime: "provided.al2", Command: []string{"x"}}, RuntimeProvided, ""},
		{"provided default bootstrap", FunctionConfig{Name: "a", Runtime: "provided"}, RuntimeProvided, ""},
		{"builtin", FunctionConfig{Name: "a", Runtime: "builtin"}, RuntimeBuiltin, ""},
		{"bad name", FunctionConfig{Name: "a b", Runtime: "builtin"}, "", "function name"},
		{"empty command", FunctionConfig{Name: "a", Runtime: "provided", Command: []string{""}}, "", "empty command"},
		{"bad handler", FunctionConfig{Name: "a", Runtime: "nodejs", Handler: "index"}, "", "file.export"},
		{"unknown runtime", FunctionConfig{Name: "a", Runtime: "python3.12"}, "", "unknown runtime"},
		{"negative timeout", FunctionConfig{Name: "a", Runtime: "builtin", Timeout: -1}, "", "negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.cfg.normalise()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Runtime == RuntimeProvided && len(got.Command) == 0 {
				t.Fatalf("provided function without a command: %+v", got)
			}
			if got.Runtime != tc.runtime || got.Timeout != DefaultTimeout || got.MemorySize != DefaultMemorySize || got.ReservedConcurrency != DefaultReservedConcurrency {
				t.Fatalf("got %+v", got)
			}
		})
	}
}

func TestSplitFunctionName(t *testing.T) {
	tests := []struct{ in, name, qualifier string }{
		{"notes", "notes", ""},
		{"notes:$LATEST", "notes", "$LATEST"},
		{"123456789012:function:notes", "notes", ""},
		{"arn:aws:lambda:us-east-1:123456789012:function:notes", "notes", ""},
		{"arn:aws:lambda:us-east-1:123456789012:function:notes:prod", "notes", "prod"},
	}
	for _, tc := range tests {
		if n, q := splitFunctionName(tc.in); n != tc.name || q != tc.qualifier {
			t.Errorf("%s: got %q %q", tc.in, n, q)
		}
	}
}
