package functions

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func nodeFunction(name, dir, handler string) FunctionConfig {
	return FunctionConfig{Name: name, Runtime: "nodejs20.x", Handler: handler,
		Dir: filepath.Join("testdata", "node", dir), Timeout: time.Second}
}

func TestNodeReferenceHandlers(t *testing.T) {
	needNode(t)
	r := newTestRunner(t, Options{})
	for _, cfg := range []FunctionConfig{
		nodeFunction("listAccountNotes", "notes", "index.handler"),
		nodeFunction("authorizer", "authorizer", "index.handler"),
	} {
		if err := register(r, cfg); err != nil {
			t.Fatal(err)
		}
	}
	notes := mustInvoke(t, r, "listAccountNotes", `{"policyContext":{"principalId":"p","username":"alice","email":"a@example.com"}}`)
	var nr struct {
		Title string
		Notes []struct{ Title, Contents string }
	}
	if err := json.Unmarshal(notes.Payload, &nr); err != nil || notes.FunctionError != "" {
		t.Fatalf("notes: %s %v", notes.Payload, err)
	}
	if nr.Title != "Notes for alice" || len(nr.Notes) != 2 || nr.Notes[1].Title != "about the sunlight" {
		t.Fatalf("notes answer %+v", nr)
	}
	anon := mustInvoke(t, r, "listAccountNotes", `{}`)
	if !strings.Contains(string(anon.Payload), `"title":"Notes for anonymous"`) {
		t.Fatalf("anonymous notes: %s", anon.Payload)
	}

	allow := mustInvoke(t, r, "authorizer", `{"type":"TOKEN","authorizationToken":"Bearer allow-me","methodArn":"arn:aws:execute-api:us-east-1:1:api/dev/GET/notes"}`)
	var policy struct {
		PrincipalID    string `json:"principalId"`
		PolicyDocument struct {
			Statement []struct{ Effect, Resource string }
		} `json:"policyDocument"`
		Context map[string]string `json:"context"`
	}
	if err := json.Unmarshal(allow.Payload, &policy); err != nil || allow.FunctionError != "" {
		t.Fatalf("allow: %s %v", allow.Payload, err)
	}
	if policy.PrincipalID != "user-123" || policy.PolicyDocument.Statement[0].Effect != "Allow" ||
		policy.PolicyDocument.Statement[0].Resource != "arn:aws:execute-api:us-east-1:1:api/dev/GET/notes" || policy.Context["username"] != "alice" {
		t.Fatalf("policy %+v", policy)
	}
	deny := decodeError(t, mustInvoke(t, r, "authorizer", `{"type":"TOKEN","authorizationToken":"Bearer nope"}`))
	if deny.ErrorMessage != "Unauthorized" {
		t.Fatalf("context.fail: errorMessage %q, want Unauthorized", deny.ErrorMessage)
	}
}

func TestNodeRuntimeContract(t *testing.T) {
	needNode(t)
	r := newTestRunner(t, Options{})
	handlers := []string{"async", "throws", "callbackError", "sync", "context", "done", "sleep", "exit", "big", "nothing"}
	for _, h := range handlers {
		cfg := nodeFunction(h, "behaviours", "index."+h)
		cfg.Environment = map[string]string{"GREETING": "hi"}
		if err := register(r, cfg); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, function, payload string
		want                    string // exact success payload
		errType, errMessage     string // failure
	}{
		{name: "async handler with node_modules", function: "async", payload: `{"a":1}`, want: `{"echo":{"a":1},"greeting":"hello node"}`},
		{name: "async throw", function: "throws", errType: "TypeError", errMessage: "bad input"},
		{name: "callback error", function: "callbackError", errType: "Error", errMessage: "callback failure"},
		{name: "synchronous throw", function: "sync", errType: "RangeError", errMessage: "sync throw"},
		{name: "context.done", function: "done", want: `{"via":"done"}`},
		{name: "no answer", function: "nothing", want: `null`},
		{name: "timeout", function: "sleep", payload: `{"millis":5000}`, errType: "Sandbox.Timedout", errMessage: "Task timed out after 1.00 seconds"},
		{name: "crash", function: "exit", errType: "Runtime.ExitError", errMessage: "exit status 7"},
		{name: "oversized reply", function: "big", payload: `{"size":7000000}`, errType: "Function.ResponseSizeTooLarge", errMessage: "maximum allowed payload size"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			payload := tc.payload
			if payload == "" {
				payload = "{}"
			}
			res := mustInvoke(t, r, tc.function, payload)
			if tc.errType == "" {
				if res.FunctionError != "" || string(res.Payload) != tc.want {
					t.Fatalf("got %q %s, want %s", res.FunctionError, res.Payload, tc.want)
				}
				return
			}
			doc := decodeError(t, res)
			if doc.ErrorType != tc.errType || !strings.Contains(doc.ErrorMessage, tc.errMessage) {
				t.Fatalf("got %s/%q, want %s/%q", doc.ErrorType, doc.ErrorMessage, tc.errType, tc.errMessage)
			}
		})
	}

	t.Run("context object", func(t *testing.T) {
		t.Setenv("COGNATE_TEST_SECRET", "parent-secret")
		res := mustInvoke(t, r, "context", `{}`)
		var c struct {
			AwsRequestID       string `json:"awsRequestId"`
			FunctionName       string `json:"functionName"`
			FunctionVersion    string `json:"functionVersion"`
			InvokedFunctionArn string `json:"invokedFunctionArn"`
			MemoryLimitInMB    string `json:"memoryLimitInMB"`
			Remaining          int64  `json:"remaining"`
			Waits              bool   `json:"waits"`
			Root               string `json:"root"`
			Secret             *string
			Greeting           string `json:"greeting"`
		}
		if err := json.Unmarshal(res.Payload, &c); err != nil {
			t.Fatalf("%s: %v", res.Payload, err)
		}
		root, _ := filepath.Abs(filepath.Join("testdata", "node", "behaviours"))
		if c.AwsRequestID != res.RequestID || c.FunctionName != "context" || c.FunctionVersion != "$LATEST" ||
			c.InvokedFunctionArn != "arn:aws:lambda:us-east-1:000000000000:function:context" || c.MemoryLimitInMB != "128" ||
			c.Remaining <= 0 || c.Remaining > 1000 || !c.Waits || c.Root != root || c.Secret != nil || c.Greeting != "hi" {
			t.Fatalf("context %+v (request %s)", c, res.RequestID)
		}
	})
}

func TestNodeInstanceReuseAndEventLoop(t *testing.T) {
	needNode(t)
	r := newTestRunner(t, Options{})
	for _, h := range []string{"counter", "waitsForTimer", "noWait"} {
		if err := register(r, nodeFunction(h, "behaviours", "index."+h)); err != nil {
			t.Fatal(err)
		}
	}
	var pid int
	for want := 1; want <= 3; want++ {
		var c struct{ Count, Pid int }
		if err := json.Unmarshal(mustInvoke(t, r, "counter", `{}`).Payload, &c); err != nil {
			t.Fatal(err)
		}
		if c.Count != want || (pid != 0 && c.Pid != pid) {
			t.Fatalf("count %d in pid %d, want %d in pid %d", c.Count, c.Pid, want, pid)
		}
		pid = c.Pid
	}
	// callbackWaitsForEmptyEventLoop (default true): the callback's answer
	// is sent once the pending timer has run.
	waited := mustInvoke(t, r, "waitsForTimer", `{}`)
	if string(waited.Payload) != `"done"` || !strings.Contains(string(waited.LogTail), "timer fired\nEND RequestId") {
		t.Fatalf("waitsForTimer: %s, log:\n%s", waited.Payload, waited.LogTail)
	}
	early := mustInvoke(t, r, "noWait", `{}`)
	if string(early.Payload) != `"early"` || strings.Contains(string(early.LogTail), "late timer fired") {
		t.Fatalf("noWait: %s, log:\n%s", early.Payload, early.LogTail)
	}
}

func TestNodeInitFailures(t *testing.T) {
	needNode(t)
	r := newTestRunner(t, Options{})
	for _, cfg := range []FunctionConfig{
		nodeFunction("syntax", "badsyntax", "index.handler"),
		nodeFunction("nomodule", "notes", "missing.handler"),
		nodeFunction("nohandler", "notes", "index.absent"),
		nodeFunction("esm", "esm", "index.handler"),
	} {
		if err := register(r, cfg); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct{ function, errType, errMessage string }{
		{"syntax", "Runtime.UserCodeSyntaxError", "SyntaxError"},
		{"nomodule", "Runtime.ImportModuleError", "Cannot find module 'missing'"},
		{"nohandler", "Runtime.HandlerNotFound", "index.absent is undefined or not exported"},
	}
	for _, tc := range tests {
		t.Run(tc.function, func(t *testing.T) {
			doc := decodeError(t, mustInvoke(t, r, tc.function, `{}`))
			if doc.ErrorType != tc.errType || !strings.Contains(doc.ErrorMessage, tc.errMessage) {
				t.Fatalf("got %s/%q, want %s/%q", doc.ErrorType, doc.ErrorMessage, tc.errType, tc.errMessage)
			}
			if n := len(r.lookup(tc.function).pids()); n != 0 {
				t.Fatalf("%d instances kept after an init failure", n)
			}
		})
	}
	t.Run("esm module", func(t *testing.T) {
		res := mustInvoke(t, r, "esm", `{"x":1}`)
		if string(res.Payload) != `{"module":"esm","echo":{"x":1}}` {
			t.Fatalf("esm: %q %s", res.FunctionError, res.Payload)
		}
	})
}
