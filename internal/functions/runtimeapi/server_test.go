package runtimeapi

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func startServer(t *testing.T, opts Options) (*Server, string) {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, "http://" + s.Addr() + "/2018-06-01/runtime"
}

func do(t *testing.T, method, url, body string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// deliverAndTake hands out an invocation and fetches it like a runtime.
func deliverAndTake(t *testing.T, s *Server, base, id string) *Invocation {
	t.Helper()
	inv := NewInvocation(id, []byte(`{"n":1}`), time.UnixMilli(1542409706888))
	inv.FunctionARN = "arn:aws:lambda:us-east-1:000000000000:function:f"
	inv.TraceID = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"
	if err := s.Deliver(inv); err != nil {
		t.Fatal(err)
	}
	resp, body := do(t, "GET", base+"/invocation/next", "", nil)
	want := map[string]string{
		"Lambda-Runtime-Aws-Request-Id":       id,
		"Lambda-Runtime-Deadline-Ms":          "1542409706888",
		"Lambda-Runtime-Invoked-Function-Arn": inv.FunctionARN,
		"Lambda-Runtime-Trace-Id":             inv.TraceID,
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if resp.StatusCode != 200 || body != `{"n":1}` || !inv.Taken() {
		t.Fatalf("next: %d %s taken=%v", resp.StatusCode, body, inv.Taken())
	}
	return inv
}

func TestInvocationAnswers(t *testing.T) {
	tests := []struct {
		name, path, body string
		header           map[string]string
		status           int
		wantFailed       bool
		wantType         string
		wantPayload      string
	}{
		{name: "response", path: "/response", body: `{"ok":true}`, status: 202, wantPayload: `{"ok":true}`},
		{name: "empty response", path: "/response", body: ``, status: 202, wantPayload: ``},
		{name: "not json", path: "/response", body: `plain text`, status: 202, wantFailed: true, wantType: "Runtime.InvalidResponsePayload"},
		{name: "too large", path: "/response", body: strings.Repeat("x", 65), status: 413, wantFailed: true, wantType: "Function.ResponseSizeTooLarge"},
		{
			name: "error document", path: "/error", body: `{"errorMessage":"boom","errorType":"TypeError","stackTrace":["a"]}`,
			header: map[string]string{"Lambda-Runtime-Function-Error-Type": "TypeError"}, status: 202,
			wantFailed: true, wantType: "TypeError", wantPayload: `{"errorMessage":"boom","errorType":"TypeError","stackTrace":["a"]}`,
		},
		{
			name: "error that is not json", path: "/error", body: `crashed`,
			header: map[string]string{"Lambda-Runtime-Function-Error-Type": "Runtime.Crash"}, status: 202,
			wantFailed: true, wantType: "Runtime.Crash", wantPayload: `{"errorMessage":"crashed","errorType":"Runtime.Crash"}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, base := startServer(t, Options{MaxResponse: 64})
			inv := deliverAndTake(t, s, base, "req-1")
			resp, _ := do(t, "POST", base+"/invocation/req-1"+tc.path, tc.body, tc.header)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			out := <-inv.Done()
			if out.Failed != tc.wantFailed || out.ErrorType != tc.wantType {
				t.Fatalf("outcome %+v", out)
			}
			if tc.wantPayload != "" || !tc.wantFailed {
				if string(out.Payload) != tc.wantPayload {
					t.Fatalf("payload %s, want %s", out.Payload, tc.wantPayload)
				}
			}
			if tc.wantFailed {
				var doc struct{ ErrorMessage, ErrorType string }
				if err := json.Unmarshal(out.Payload, &doc); err != nil || doc.ErrorType != tc.wantType || doc.ErrorMessage == "" {
					t.Fatalf("error document %s: %v", out.Payload, err)
				}
			}
			// The id is now stale.
			resp, body := do(t, "POST", base+"/invocation/req-1/response", `{}`, nil)
			if resp.StatusCode != 400 || !strings.Contains(body, `"errorType":"InvalidRequestID"`) {
				t.Fatalf("stale id: %d %s", resp.StatusCode, body)
			}
		})
	}
}

func TestUnknownRequestID(t *testing.T) {
	s, base := startServer(t, Options{})
	deliverAndTake(t, s, base, "known")
	for _, path := range []string{"/invocation/other/response", "/invocation/other/error"} {
		resp, body := do(t, "POST", base+path, `{}`, nil)
		if resp.StatusCode != 400 || !strings.Contains(body, `"errorMessage":"Invalid request ID"`) {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
	}
}

func TestInitError(t *testing.T) {
	s, base := startServer(t, Options{})
	body := `{"errorMessage":"Cannot find module 'index'","errorType":"Runtime.ImportModuleError"}`
	resp, _ := do(t, "POST", base+"/init/error", body, map[string]string{"Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError"})
	if resp.StatusCode != 202 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	select {
	case <-s.InitFailed():
	default:
		t.Fatal("InitFailed not closed")
	}
	if string(s.InitError()) != body {
		t.Fatalf("init error %s", s.InitError())
	}
	if resp, _ := do(t, "POST", base+"/init/error", body, nil); resp.StatusCode != 403 {
		t.Fatalf("second init error: %d", resp.StatusCode)
	}
}

func TestNextWaitsAndSignalsReady(t *testing.T) {
	s, base := startServer(t, Options{})
	got := make(chan string, 1)
	go func() {
		resp, err := http.Get(base + "/invocation/next")
		if err != nil {
			got <- err.Error()
			return
		}
		resp.Body.Close()
		got <- resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
	}()
	<-s.Ready()
	select {
	case id := <-got:
		t.Fatalf("next answered %q before any delivery", id)
	default:
	}
	inv := NewInvocation("late", []byte(`{}`), time.Now().Add(time.Second))
	if err := s.Deliver(inv); err != nil {
		t.Fatal(err)
	}
	if id := <-got; id != "late" {
		t.Fatalf("next got %q", id)
	}
	// A second /next before answering fails the first invocation.
	go func() { _, _ = http.Get(base + "/invocation/next") }()
	if out := <-inv.Done(); !out.Failed || out.ErrorType != "Runtime.InvalidStateTransition" {
		t.Fatalf("outcome %+v", out)
	}
}
