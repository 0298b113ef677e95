package tlsca

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// BenchmarkHandshakeAndRequest compares one request on a new connection
// over TLS (full handshake, ECDSA P-256 certificate from the local CA)
// with the same over plain HTTP, both through the sniffing listener on one
// port, and a request on a kept-alive TLS connection.
func BenchmarkHandshakeAndRequest(b *testing.B) {
	ca, err := LoadOrCreate(b.TempDir(), time.Now())
	if err != nil {
		b.Fatal(err)
	}
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ln := NewListener(raw, AutoConfig(NewIssuer(ca, nil, nil, nil)))
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	port := strconv.Itoa(raw.Addr().(*net.TCPAddr).Port)
	get := func(b *testing.B, c *http.Client, u string) {
		res, err := c.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	roots := pool(ca)
	b.Run("plain-new-connection", func(b *testing.B) {
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		for b.Loop() {
			get(b, c, "http://127.0.0.1:"+port+"/")
		}
	})
	b.Run("tls-new-connection", func(b *testing.B) {
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, TLSClientConfig: &tls.Config{RootCAs: roots, ClientSessionCache: nil}}}
		for b.Loop() {
			get(b, c, "https://localhost:"+port+"/")
		}
	})
	b.Run("tls-kept-alive", func(b *testing.B) {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
		for b.Loop() {
			get(b, c, "https://localhost:"+port+"/")
		}
	})
	b.Run("plain-kept-alive", func(b *testing.B) {
		c := &http.Client{Transport: &http.Transport{}}
		for b.Loop() {
			get(b, c, "http://127.0.0.1:"+port+"/")
		}
	})
}
