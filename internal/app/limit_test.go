package app

import (
	"bufio"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestConnLimiter: past the limit a client is not served until a served
// connection closes, and responses ask clients to reconnect meanwhile.
func TestConnLimiter(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := newConnLimiter(ln, 2)
	srv := &http.Server{Handler: rotateWhenFull(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok"))
	}))}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	get := func(c net.Conn) (*http.Response, error) {
		c.SetDeadline(time.Now().Add(300 * time.Millisecond))
		if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
			return nil, err
		}
		return http.ReadResponse(bufio.NewReader(c), nil)
	}
	dial := func() net.Conn {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	a := dial()
	resp, err := get(a)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Close {
		t.Error("below the limit, the connection was not kept alive")
	}
	b := dial()
	for l.Open() < 2 { // b is accepted; c will wait in the accept queue
		time.Sleep(time.Millisecond)
	}
	c := dial()
	cr := bufio.NewReader(c)
	c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := http.ReadResponse(cr, nil); err == nil {
		t.Fatal("a third connection was served past the limit of 2")
	}
	resp, err = get(b)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !resp.Close {
		t.Errorf("a response at the limit does not ask the client to reconnect: %v", resp.Header)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err = http.ReadResponse(cr, nil)
	if err != nil {
		t.Fatalf("the waiting connection was not served once one closed: %v", err)
	}
	resp.Body.Close()
}
