package runtimeapi

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// raw sends bytes on a fresh connection and returns the status line of the
// answer (or "" when the server closed without answering).
func raw(t *testing.T, s *Server, data string) string {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line)
}

func TestHTTPParsing(t *testing.T) {
	tests := []struct{ name, request, status string }{
		{"not http", "hello\r\n\r\n", "HTTP/1.1 400 Bad Request"},
		{"header without colon", "POST /2018-06-01/runtime/init/error HTTP/1.1\r\nbad header\r\n\r\n", "HTTP/1.1 400 Bad Request"},
		{"bad content length", "POST /2018-06-01/runtime/init/error HTTP/1.1\r\nContent-Length: -3\r\n\r\n", "HTTP/1.1 400 Bad Request"},
		{"bad chunk size", "POST /2018-06-01/runtime/init/error HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "HTTP/1.1 400 Bad Request"},
		{"huge line", "GET /" + strings.Repeat("a", 20000) + " HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request"},
		{"unknown path", "GET /other HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found"},
		{"wrong method", "POST /2018-06-01/runtime/invocation/next HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 405 Method Not Allowed"},
		{"unknown id", "POST /2018-06-01/runtime/invocation/x/response HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", "HTTP/1.1 400 Bad Request"},
		{
			"chunked init error with trailers",
			"POST /2018-06-01/runtime/init/error HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\nX-Extra: 1\r\n\r\n",
			"HTTP/1.1 202 Accepted",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := startServer(t, Options{})
			if got := raw(t, s, tc.request); got != tc.status {
				t.Fatalf("got %q, want %q", got, tc.status)
			}
		})
	}
}

func TestChunkedResponseWithErrorTrailer(t *testing.T) {
	s, base := startServer(t, Options{})
	inv := deliverAndTake(t, s, base, "r1")
	doc := `eyJlcnJvck1lc3NhZ2UiOiJjdXQiLCJlcnJvclR5cGUiOiJTdHJlYW1FcnJvciJ9` // {"errorMessage":"cut","errorType":"StreamError"}
	got := raw(t, s, "POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"+
		"2\r\n{}\r\n0\r\nLambda-Runtime-Function-Error-Type: StreamError\r\nLambda-Runtime-Function-Error-Body: "+doc+"\r\n\r\n")
	if got != "HTTP/1.1 202 Accepted" {
		t.Fatalf("status %q", got)
	}
	out := <-inv.Done()
	if !out.Failed || out.ErrorType != "StreamError" || string(out.Payload) != `{"errorMessage":"cut","errorType":"StreamError"}` {
		t.Fatalf("outcome %+v %s", out, out.Payload)
	}
}

// A request pipelined behind a waiting /next is answered after it.
func TestPipelinedBehindWaitingNext(t *testing.T) {
	s, _ := startServer(t, Options{})
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n\r\nGET /other HTTP/1.1\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	<-s.Ready()
	time.Sleep(20 * time.Millisecond) // let the server read the second request
	if err := s.Deliver(NewInvocation("p1", []byte(`{"n":1}`), time.Now().Add(time.Second))); err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 4096)
	for !strings.Contains(string(got), "404 Not Found") {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("after %q: %v", got, err)
		}
		got = append(got, buf[:n]...)
	}
	if ok, nf := strings.Index(string(got), "HTTP/1.1 200 OK"), strings.Index(string(got), "HTTP/1.1 404 Not Found"); ok != 0 || nf < ok {
		t.Fatalf("answers out of order: %q", got)
	}
}

// Close answers a waiting /next.
func TestCloseAnswersWaitingNext(t *testing.T) {
	s, _ := startServer(t, Options{})
	got := make(chan string, 1)
	go func() { got <- raw(t, s, "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n\r\n") }()
	<-s.Ready()
	s.Close()
	if status := <-got; status != "HTTP/1.1 500 Internal Server Error" && status != "" {
		t.Fatalf("status %q", status)
	}
}
