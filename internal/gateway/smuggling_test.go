package gateway

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRequestSmugglingShapes sends ambiguous framings over a real
// connection: the server in front of the gateway refuses them, and neither
// the backend nor any function sees a request.
func TestRequestSmugglingShapes(t *testing.T) {
	env := newTestEnv(t, nil)
	var mu sync.Mutex
	seen := 0
	backend := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		mu.Lock()
		seen++
		mu.Unlock()
	}))
	defer backend.Close()
	srv := httptest.NewServer(env.h)
	defer srv.Close()
	// Both Content-Length and Transfer-Encoding: the server frames by
	// Transfer-Encoding (RFC 9112 §6.3) and the gateway re-frames whatever
	// it forwards, so the trailing request can never hide inside a body.
	shapes := []struct{ name, raw string }{
		{"CL and TE", "POST /dev/proxy HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /dev/proxy HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"two CLs", "POST /dev/proxy HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nabcd"},
		{"obfuscated TE", "POST /dev/proxy HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"},
		{"bad chunk size", "POST /dev/proxy HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"},
		{"space before colon", "POST /dev/proxy HTTP/1.1\r\nHost: x\r\nContent-Length : 4\r\n\r\nabcd"},
	}
	for _, s := range shapes {
		t.Run(s.name, func(t *testing.T) {
			before := env.inv.count("echo")
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := conn.Write([]byte(s.raw)); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if s.name == "CL and TE" {
				if resp.StatusCode != 201 || strings.Contains(string(env.inv.payload("echo")), "GET /dev") || strings.Contains(string(env.inv.payload("echo")), `"body":"0`) {
					t.Fatalf("status %d, event %s", resp.StatusCode, env.inv.payload("echo"))
				}
				// On the bare gateway handler the trailing request is read as a
				// request of its own (never as body). Cognate's listener goes
				// further and closes the connection after the first answer, as
				// RFC 9112 §6.1 asks (internal/app, e2e TestRequestSmuggling).
				second, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatal(err)
				}
				second.Body.Close()
				if second.StatusCode != 201 {
					t.Fatalf("trailing request: status %d", second.StatusCode)
				}
				return
			}
			if resp.StatusCode < 400 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if env.inv.count("echo") > before {
				t.Fatal("refused request reached the function")
			}
		})
	}
	if seen != 0 {
		t.Fatal("backend saw a request")
	}
}

// TestConcurrentDeploys serves requests while the stage is redeployed
// (run with -race).
func TestConcurrentDeploys(t *testing.T) {
	gw := New(Options{Logger: testLogger(t), Limits: Limits{Rate: -1}})
	ctx := t.Context()
	if _, err := gw.Deploy(ctx, swapAPI(mockBody(`0`)), "dev", nil); err != nil {
		t.Fatal(err)
	}
	h := gw.Handler()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				rec := serve(h, httptest.NewRequest(http.MethodGet, "/dev/v", nil))
				if rec.Code != 200 || len(rec.Body.String()) != 1 {
					t.Errorf("status %d body %q", rec.Code, rec.Body)
					return
				}
			}
		})
	}
	for i := range 10 {
		if _, err := gw.Deploy(ctx, swapAPI(mockBody(string(rune('0'+i)))), "dev", nil); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
}
