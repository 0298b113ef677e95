package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// The security tests (security_*_test.go) check the security cases (JWT,
// SRP, authentication, gateway inputs, logs) on the real binary. Those that measure time (enumeration timing, the 1 s
// lockout, the unknown-kid flood) run sequentially; the others call
// t.Parallel and so run after them, together.

// rawResult is what one raw connection got back.
type rawResult struct {
	status int
	header http.Header
	body   string
	// second is the status of a second response on the same connection
	// (0: none; the connection was closed or stayed silent).
	second int
}

// rawExchange writes raw bytes (in the background, so large bodies cannot
// deadlock against an early answer) and reads the first response, then
// waits briefly for a second one: a second response means the server read
// what followed the first message as a request of its own.
func rawExchange(t *testing.T, srv *server, raw func(w io.Writer)) rawResult {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
	go raw(conn)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no response: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	res := rawResult{status: resp.StatusCode, header: resp.Header, body: string(body)}
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	if second, err := http.ReadResponse(br, nil); err == nil {
		res.second = second.StatusCode
		second.Body.Close()
	}
	return res
}

func rawString(s string) func(io.Writer) { return func(w io.Writer) { io.WriteString(w, s) } }

// wantAWSError checks a gateway or JSON-protocol error: status, the
// x-amzn-ErrorType header and a JSON body with a message.
func (r rawResult) wantAWSError(t *testing.T, status int, errType, body string) {
	t.Helper()
	if r.status != status || r.header.Get("x-amzn-ErrorType") != errType || r.body != body {
		t.Errorf("got %d %q %s; want %d %q %s", r.status, r.header.Get("x-amzn-ErrorType"), r.body, status, errType, body)
	}
}

// TestListenerLimits checks the limits of docs/ARCHITECTURE.md on the real listener: 431,
// 414 and 413 in API Gateway's shape, the JSON protocol's own shape for an
// oversized Cognito call, and a chunked body past 10 MB reaching a function
// integration.
func TestListenerLimits(t *testing.T) {
	t.Parallel()
	d := startDemo(t)
	d.createUser(t, "limits", "limits@example.com", "L1mits-Passw0rd!")
	id := aws.ToString(d.loginSRP(t, "limits", "L1mits-Passw0rd!").IdToken)
	big := strings.Repeat("h", 11<<10)

	tests := []struct {
		name    string
		raw     func(io.Writer)
		status  int
		errType string
		body    string
	}{
		{"headers over 10 KiB", rawString("GET /dev/notes HTTP/1.1\r\nHost: localhost\r\nX-Big: " + big + "\r\nConnection: close\r\n\r\n"),
			431, "RequestHeaderFieldsTooLargeException", `{"message":"Request Header Fields Too Large"}`},
		{"url over 10 KiB", rawString("GET /dev/notes?q=" + big + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
			414, "RequestURITooLongException", `{"message":"Request-URI Too Long"}`},
		{"content-length over 10 MB", rawString("GET /dev/cognito/notes HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + id + "\r\nContent-Length: 10485761\r\n\r\nabc"),
			413, "RequestTooLargeException", `{"message":"Request Too Long"}`},
		{"chunked body over 10 MB", func(w io.Writer) {
			io.WriteString(w, "GET /dev/cognito/notes HTTP/1.1\r\nHost: localhost\r\nAuthorization: "+id+"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
			chunk := strings.Repeat("x", 1<<20)
			for range 11 {
				if _, err := fmt.Fprintf(w, "%x\r\n%s\r\n", len(chunk), chunk); err != nil {
					return // the server answered and closed
				}
			}
			io.WriteString(w, "0\r\n\r\n")
		}, 413, "RequestTooLargeException", `{"message":"Request Too Long"}`},
		{"cognito body over 1 MiB", func(w io.Writer) {
			io.WriteString(w, "POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: AWSCognitoIdentityProviderService.ListUserPools\r\n"+
				"Content-Type: application/x-amz-json-1.1\r\nContent-Length: 2097152\r\n\r\n")
			io.WriteString(w, `{"MaxResults":1,"Pad":"`+strings.Repeat("p", 2097152-25)+`"}`)
		}, 413, "SerializationException", `{"__type":"SerializationException","message":"Request body too large"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rawExchange(t, d.srv, tt.raw)
			r.wantAWSError(t, tt.status, tt.errType, tt.body)
			if tt.errType == "SerializationException" && r.header.Get("Content-Type") != "application/x-amz-json-1.1" {
				t.Errorf("content type %q", r.header.Get("Content-Type"))
			}
			if r.second != 0 {
				t.Errorf("a second response (%d) followed", r.second)
			}
		})
	}
	// The limits are limits, not a broken route: the same call fits.
	if status, body, _ := get(t, d.srv.URL+"/dev/cognito/notes", id); status != 200 {
		t.Fatalf("valid call: %d %s", status, body)
	}
}

// TestRequestSmuggling sends ambiguous framings over raw connections: each
// is refused, and nothing after the first message is ever processed as a
// second request. RFC 9112 §6.1: a server that receives both Content-Length
// and Transfer-Encoding MAY process it by Transfer-Encoding but MUST close
// the connection after responding (a front proxy may have framed the same
// bytes by Content-Length, so what follows is attacker-chosen).
func TestRequestSmuggling(t *testing.T) {
	t.Parallel()
	d := startDemo(t)
	const tail = "GET /dev/cognito/notes HTTP/1.1\r\nHost: localhost\r\n\r\n"
	tests := []struct {
		name string
		raw  string
		// refused: the first message itself must be refused with a 4xx/5xx
		// other than the route's own answer; else only "no second request".
		refused bool
		second  int // expected status of a second response (0: none)
	}{
		{"control: plain pipelining", "GET /dev/notes HTTP/1.1\r\nHost: localhost\r\n\r\n" + tail, false, 401},
		{"content-length and transfer-encoding", "POST /dev/notes HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + tail, false, 0},
		{"transfer-encoding and content-length on GET", "GET /dev/notes HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n" + tail, false, 0},
		{"duplicate content-length", "POST /dev/notes HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nabcd" + tail, true, 0},
		{"content-length list", "POST /dev/notes HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4, 40\r\n\r\nabcd" + tail, true, 0},
		{"obs-fold transfer-encoding", "POST /dev/notes HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding:\r\n chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n" + tail, false, 0},
		{"obfuscated transfer-encoding", "POST /dev/notes HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: xchunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n" + tail, true, 0},
		{"two transfer-encodings", "POST /dev/notes HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n" + tail, true, 0},
		{"space before colon", "POST /dev/notes HTTP/1.1\r\nHost: localhost\r\nContent-Length : 4\r\n\r\nabcd" + tail, true, 0},
		{"signed content-length", "POST /dev/notes HTTP/1.1\r\nHost: localhost\r\nContent-Length: +4\r\n\r\nabcd" + tail, true, 0},
		{"bad chunk size", "POST /dev/notes HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n" + tail, false, 0},
		{"two hosts", "GET /dev/notes HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" + tail, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rawExchange(t, d.srv, rawString(tt.raw))
			if tt.refused && (r.status != 400 && r.status != 501) {
				t.Errorf("status %d %s, want 400 (or 501 for an unsupported encoding)", r.status, r.body)
			}
			if r.second != tt.second {
				t.Errorf("first answer %d; second response %d, want %d (0: the trailing request must not be processed)", r.status, r.second, tt.second)
			}
		})
	}
}

// TestPathTricks: paths that normalise to a route elsewhere must not reach
// it, even with a valid token: API Gateway matches the path as sent.
func TestPathTricks(t *testing.T) {
	t.Parallel()
	d := startDemo(t)
	d.createUser(t, "paths", "paths@example.com", "Path5-Passw0rd!")
	id := aws.ToString(d.loginSRP(t, "paths", "Path5-Passw0rd!").IdToken)
	for _, p := range []string{
		"/dev/../dev/notes", "/DEV/notes", "/dev/NOTES", "/dev/notes%2f..%2f",
		"/dev/cognito/../notes", "/dev/./notes", "/dev/notes/.", "/dev/notes%00", "/dev/cognito%2fnotes",
		"/dev/notes;x", "/dev/notes%20", "/dev/%2e%2e/dev/notes", "/restapis/x/dev/_user_request_/notes",
	} {
		t.Run(p, func(t *testing.T) {
			r := rawExchange(t, d.srv, rawString("GET "+p+" HTTP/1.1\r\nHost: localhost\r\nAuthorization: "+id+"\r\nConnection: close\r\n\r\n"))
			r.wantAWSError(t, 403, "MissingAuthenticationTokenException", `{"message":"Missing Authentication Token"}`)
		})
	}
	// Control: the token is good for the real path, and API Gateway routes
	// doubled slashes like single ones.
	for _, p := range []string{"/dev/notes", "/dev//notes", "//dev/notes"} {
		r := rawExchange(t, d.srv, rawString("GET "+p+" HTTP/1.1\r\nHost: localhost\r\nAuthorization: "+id+"\r\nConnection: close\r\n\r\n"))
		if r.status != 200 || !strings.Contains(r.body, "Notes for paths") {
			t.Fatalf("control %s: %d %s", p, r.status, r.body)
		}
	}
}

// escapedSlashesConfig is an API whose {proxy+} goes to an HTTP_PROXY
// backend; BACKEND and ACTION are replaced.
const escapedSlashesConfig = `gateway: {escapedSlashes: ACTION}
apis:
  - name: files
    stages: [{name: v}]
    definition:
      openapi: 3.0.1
      info: {title: files, version: "1"}
      paths:
        /files/{proxy+}:
          get:
            responses: {"200": {description: ok}}
            x-amazon-apigateway-integration:
              type: http_proxy
              httpMethod: GET
              uri: BACKEND/files/{proxy}
`

// TestEscapedSlashesInProxyPath (issue 9 §7): the default keeps %2F
// encoded on its way to an HTTP_PROXY backend and refuses dot segments,
// plain, encoded or hidden behind an encoded slash, before any backend URL
// is built; gateway.escapedSlashes: REJECT_REQUEST refuses %2F outright.
func TestEscapedSlashesInProxyPath(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.EscapedPath())
		mu.Unlock()
		io.WriteString(w, "path="+r.URL.EscapedPath())
	}))
	defer backend.Close()
	start := func(action string) *server {
		cfg := filepath.Join(t.TempDir(), "cognate.yaml")
		body := strings.NewReplacer("ACTION", action, "BACKEND", backend.URL).Replace(escapedSlashesConfig)
		if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return startServer(t, "", "--config", cfg)
	}
	send := func(srv *server, p string) rawResult {
		return rawExchange(t, srv, rawString("GET "+p+" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
	}
	keep := start("KEEP_UNCHANGED")
	for p, want := range map[string]string{
		"/v/files/a%2Fb/c": "path=/files/a%2Fb/c",
		"/v/files/a%2Bb":   "path=/files/a%2Bb",
		"/v/files//a/b":    "path=/files/a/b",
	} {
		if r := send(keep, p); r.status != 200 || r.body != want {
			t.Errorf("KEEP_UNCHANGED %s: %d %q, want 200 %q", p, r.status, r.body, want)
		}
	}
	mu.Lock()
	forwarded := len(seen)
	mu.Unlock()
	refused := []string{"/v/files/x/..%2F..%2Fetc%2Fpasswd", "/v/files/..%2f", "/v/files/a/%2e%2e/b",
		"/v/files/a/%2E%2E%2Fb", "/v/files/a%5C..%5Cb", "/v/files/x/./y", "/v/files/x/../y"}
	for _, p := range refused {
		send(keep, p).wantAWSError(t, 403, "MissingAuthenticationTokenException", `{"message":"Missing Authentication Token"}`)
	}
	reject := start("REJECT_REQUEST")
	send(reject, "/v/files/a%2Fb").wantAWSError(t, 403, "MissingAuthenticationTokenException", `{"message":"Missing Authentication Token"}`)
	if r := send(reject, "/v/files/a/b"); r.status != 200 || r.body != "path=/files/a/b" {
		t.Errorf("REJECT_REQUEST control: %d %q", r.status, r.body)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != forwarded+1 {
		t.Errorf("backend saw %q: refused paths reached it", seen[forwarded:])
	}
}

// TestSlowClients: a client dribbling its headers is cut off by the
// listener's ReadHeaderTimeout (5 s), and one dribbling its body is cut off
// too instead of holding a connection and a goroutine forever.
func TestSlowClients(t *testing.T) {
	t.Parallel()
	d := startDemo(t)
	dribble := func(t *testing.T, head string, every time.Duration, piece string, bound time.Duration) (closedAfter time.Duration) {
		t.Helper()
		conn, err := net.Dial("tcp", strings.TrimPrefix(d.srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		_ = conn.SetDeadline(start.Add(bound))
		if _, err := io.WriteString(conn, head); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			tick := time.NewTicker(every)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					if _, err := io.WriteString(conn, piece); err != nil {
						return
					}
				}
			}
		}()
		// Whatever the server says (nothing, or a 408), it must end the connection.
		_, err = io.Copy(io.Discard, conn)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("connection still open after %v of dribbling", bound)
		}
		return time.Since(start)
	}
	t.Run("headers", func(t *testing.T) {
		t.Parallel()
		took := dribble(t, "GET /dev/notes HTTP/1.1\r\nHost: localhost\r\n", 300*time.Millisecond, "X-Slow: 1\r\n", 10*time.Second)
		if took < 4*time.Second {
			t.Errorf("closed after %v, before the 5 s header timeout", took)
		}
	})
	t.Run("body", func(t *testing.T) {
		t.Parallel()
		// A body trickling in at one byte a second must not keep the
		// request open much past API Gateway's 29 s integration timeout.
		dribble(t, "POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: AWSCognitoIdentityProviderService.ListUserPools\r\n"+
			"Content-Type: application/x-amz-json-1.1\r\nContent-Length: 1000\r\n\r\n{", time.Second, " ", 40*time.Second)
	})
}
