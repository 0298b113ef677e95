package rawheader

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serve runs a server on a wrapped listener whose handler answers the
// recorded names (or "unknown") after reading the body.
func serve(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ConnContext: ConnContext, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		names, ok := Names(r)
		if !ok {
			fmt.Fprintf(w, "unknown|%s", body)
			return
		}
		fmt.Fprintf(w, "%s|%s", strings.Join(names, ","), body)
	})}
	go srv.Serve(Listener(ln))
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// exchange writes raw and reads n responses from one connection.
func exchange(t *testing.T, addr, raw string, n int) []string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	var out []string
	for range n {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %d: %v", len(out), err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		out = append(out, string(b))
	}
	return out
}

func TestNamesKeepSpelling(t *testing.T) {
	addr := serve(t)
	raw := "POST /a HTTP/1.1\r\nhost: x\r\nx-api-key: k\r\nContent-Length: 3\r\nX-MiXeD: 1\r\nx-mixed: 2\r\n\r\nabc" +
		"POST /b?q=1 HTTP/1.1\r\nHost: x\r\ntransfer-encoding: chunked\r\nx-two: y\r\n\r\n2;ext=1\r\nhi\r\n1\r\n!\r\n0\r\nx-trailer: t\r\n\r\n" +
		"GET /c HTTP/1.1\r\nHOST: x\r\nAccept: */*\r\nConnection: close\r\n\r\n"
	got := exchange(t, addr, raw, 3)
	want := []string{
		"host,x-api-key,Content-Length,X-MiXeD,x-mixed|abc",
		"Host,transfer-encoding,x-two|hi!",
		"HOST,Accept,Connection|",
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("request %d: got %q, want %q", i, got[i], want[i])
		}
	}
}

func TestNamesUnknownWithoutRecorder(t *testing.T) {
	r, _ := http.NewRequest(http.MethodGet, "http://x/", nil)
	if _, ok := Names(r); ok {
		t.Fatal("names known without a recorder")
	}
}

func TestRecorderStopsOnGarbage(t *testing.T) {
	rc := &recorder{}
	rc.feed([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"))
	if rc.st != sOff || len(rc.queue) != 0 {
		t.Fatalf("state %d queue %v", rc.st, rc.queue)
	}
	rc = &recorder{}
	rc.feed([]byte("GET / HTTP/1.1\r\nContent-Length: nope\r\n\r\n"))
	if rc.st != sOff {
		t.Fatal("bad Content-Length not refused")
	}
	rc = &recorder{}
	rc.feed([]byte("GET / HTTP/1.1\r\nX: " + strings.Repeat("a", maxHeaderBlock) + "\r\n\r\n"))
	if rc.st != sOff {
		t.Fatal("oversized block recorded")
	}
}

func TestQueueBounded(t *testing.T) {
	rc := &recorder{}
	for range 100 {
		rc.feed([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	}
	if len(rc.queue) != maxQueued {
		t.Fatalf("queue %d", len(rc.queue))
	}
}

// TestByteAtATime: the recorder follows a stream split anywhere.
func TestByteAtATime(t *testing.T) {
	rc := &recorder{}
	raw := "POST /x HTTP/1.1\r\nhost: h\r\ncontent-length: 4\r\n\r\nbodyGET /y HTTP/1.1\r\nx-a: 1\r\n\r\n"
	for i := range len(raw) {
		rc.feed([]byte{raw[i]})
	}
	if len(rc.queue) != 2 || strings.Join(rc.queue[0].names(), ",") != "host,content-length" || rc.queue[1].target != "/y" {
		t.Fatalf("queue %+v", rc.queue)
	}
}
