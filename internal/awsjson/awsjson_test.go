package awsjson

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type echoIn struct {
	Name  string
	Count int
}

type echoOut struct {
	Greeting string
}

func testHandler() *Handler {
	return NewHandler("Svc", map[string]Op{
		"Echo": Typed(func(_ context.Context, in *echoIn) (*echoOut, error) {
			if in.Name == "" {
				return nil, &Error{Type: "InvalidParameterException", Message: "Missing required parameter Name"}
			}
			return &echoOut{Greeting: "hi " + in.Name}, nil
		}),
		"Boom": func(context.Context, []byte) (any, error) { return nil, errors.New("secret detail") },
		"Nil":  func(context.Context, []byte) (any, error) { return nil, nil },
	}, Options{MaxBody: 64})
}

func TestHandler(t *testing.T) {
	tests := []struct {
		name, method, target, body string
		wantStatus                 int
		wantType                   string
		wantBody                   string
	}{
		{"ok", "POST", "Svc.Echo", `{"Name":"bob","Unknown":1}`, 200, "", `{"Greeting":"hi bob"}`},
		{"empty output", "POST", "Svc.Nil", `{}`, 200, "", `{}`},
		{"op error", "POST", "Svc.Echo", `{}`, 400, "InvalidParameterException", `{"__type":"InvalidParameterException","message":"Missing required parameter Name"}`},
		{"malformed", "POST", "Svc.Echo", `{"Name":`, 400, "SerializationException", ""},
		{"wrong type", "POST", "Svc.Echo", `{"Count":"x"}`, 400, "SerializationException", ""},
		{"unknown op", "POST", "Svc.Nope", `{}`, 400, "UnknownOperationException", `{"__type":"UnknownOperationException","message":"Unknown operation Nope of Svc: not implemented by Cognate (or not an operation of this service)"}`},
		{"other service", "POST", "Other.Echo", `{}`, 400, "UnknownOperationException", ""},
		{"too large", "POST", "Svc.Echo", `{"Name":"` + strings.Repeat("a", 100) + `"}`, 413, "SerializationException", ""},
		{"internal", "POST", "Svc.Boom", `{}`, 500, "InternalErrorException", `{"__type":"InternalErrorException","message":"Internal server error"}`},
		{"get", "GET", "Svc.Echo", ``, 405, "UnknownOperationException", ""},
	}
	h := testHandler()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, "/", strings.NewReader(tc.body))
			req.Header.Set("X-Amz-Target", tc.target)
			req.Header.Set("Content-Type", ContentType)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d (%s)", rec.Code, tc.wantStatus, rec.Body)
			}
			if got := rec.Header().Get("x-amzn-ErrorType"); got != tc.wantType {
				t.Errorf("x-amzn-ErrorType %q, want %q", got, tc.wantType)
			}
			if rec.Header().Get("Content-Type") != ContentType {
				t.Errorf("content type %q", rec.Header().Get("Content-Type"))
			}
			if len(rec.Header().Get("x-amzn-RequestId")) != 36 {
				t.Errorf("request id %q", rec.Header().Get("x-amzn-RequestId"))
			}
			body, _ := io.ReadAll(rec.Body)
			if tc.wantBody != "" && string(body) != tc.wantBody {
				t.Errorf("body %s, want %s", body, tc.wantBody)
			}
			if tc.wantType != "" && !strings.Contains(string(body), `"__type":"`+tc.wantType+`"`) {
				t.Errorf("body %s lacks __type %s", body, tc.wantType)
			}
			if strings.Contains(string(body), "secret detail") {
				t.Errorf("internal detail leaked: %s", body)
			}
		})
	}
}

func TestCORSPreflight(t *testing.T) {
	req := httptest.NewRequest(http.MethodOptions, "/", nil)
	req.Header.Set("Origin", "http://localhost:3000")
	req.Header.Set("Access-Control-Request-Headers", "content-type,x-amz-target,x-amz-user-agent")
	rec := httptest.NewRecorder()
	testHandler().ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	h := rec.Header()
	if h.Get("Access-Control-Allow-Origin") != "*" || h.Get("Access-Control-Allow-Headers") != "content-type,x-amz-target,x-amz-user-agent" || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") {
		t.Fatalf("headers %v", h)
	}
}

func TestSourceIP(t *testing.T) {
	var got string
	h := NewHandler("Svc", map[string]Op{
		"Who": func(ctx context.Context, _ []byte) (any, error) { got = SourceIP(ctx); return nil, nil },
	}, Options{})
	call := func(r *http.Request) string {
		t.Helper()
		got = ""
		r.Header.Set("X-Amz-Target", "Svc.Who")
		r.Header.Set("X-Forwarded-For", "203.0.113.9")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		return got
	}
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
	r.RemoteAddr = "192.0.2.7:41234"
	if ip := call(r); ip != "192.0.2.7" {
		t.Errorf("source IP %q, want the peer 192.0.2.7 (never X-Forwarded-For)", ip)
	}
	r = httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
	r.RemoteAddr = "[2001:db8::1]:443"
	if ip := call(r); ip != "2001:db8::1" {
		t.Errorf("source IP %q, want 2001:db8::1", ip)
	}
	r = httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
	r.RemoteAddr = "192.0.2.7:41234"
	r = r.WithContext(WithSourceIP(r.Context(), "198.51.100.4"))
	if ip := call(r); ip != "198.51.100.4" {
		t.Errorf("source IP %q, want the one a trusted front set", ip)
	}
}
