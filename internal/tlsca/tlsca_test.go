package tlsca

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/rawheader"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func TestCACreatedOnceWithPrivateKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	ca, err := LoadOrCreate(dir, t0)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "ca.key"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("ca.key mode %v, want 0600", fi.Mode().Perm())
	}
	again, err := LoadOrCreate(dir, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !again.Certificate().Equal(ca.Certificate()) || again.CertPath != filepath.Join(dir, "ca.pem") {
		t.Fatal("second open made a new CA")
	}
	if err := os.Chmod(filepath.Join(dir, "ca.key"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreate(dir, t0); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key accepted: %v", err)
	}
}

func pool(ca *CA) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Certificate())
	return p
}

func TestIssuerNamesAndRenewal(t *testing.T) {
	ca, err := LoadOrCreate(t.TempDir(), t0)
	if err != nil {
		t.Fatal(err)
	}
	now := t0
	is := NewIssuer(ca, []string{"cognate.test", "auth.example.com"}, func(n string) bool { return strings.HasSuffix(n, ".amazoncognito.com") }, func() time.Time { return now })
	def, err := is.GetCertificate(&tls.ClientHelloInfo{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"localhost", "127.0.0.1", "::1", "cognate.test", "auth.example.com"} {
		if _, err := def.Leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: pool(ca), CurrentTime: now}); err != nil {
			t.Errorf("default certificate does not verify for %s: %v", name, err)
		}
	}
	dom, err := is.GetCertificate(&tls.ClientHelloInfo{ServerName: "app.auth.us-east-1.amazoncognito.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dom.Leaf.Verify(x509.VerifyOptions{DNSName: "app.auth.us-east-1.amazoncognito.com", Roots: pool(ca), CurrentTime: now}); err != nil {
		t.Errorf("domain certificate: %v", err)
	}
	other, _ := is.GetCertificate(&tls.ClientHelloInfo{ServerName: "evil.example"})
	if other != def {
		t.Error("a name the host set refuses got its own certificate")
	}
	same, _ := is.GetCertificate(&tls.ClientHelloInfo{})
	if same != def {
		t.Error("certificate re-issued without need")
	}
	now = def.Leaf.NotAfter.Add(-RenewBefore + time.Minute)
	renewed, _ := is.GetCertificate(&tls.ClientHelloInfo{})
	if renewed == def || !renewed.Leaf.NotAfter.After(def.Leaf.NotAfter) {
		t.Fatal("certificate not renewed before expiry")
	}
}

func TestListenerServesHTTPAndHTTPSOnOnePort(t *testing.T) {
	ca, err := LoadOrCreate(t.TempDir(), t0)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := NewListener(raw, AutoConfig(NewIssuer(ca, nil, nil, nil)))
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, map[bool]string{true: "tls", false: "plain"}[r.TLS != nil])
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	// A silent client does not hold up the others.
	idle, err := net.Dial("tcp", raw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()

	get := func(c *http.Client, url string) string {
		t.Helper()
		res, err := c.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	port := raw.Addr().(*net.TCPAddr).Port
	if got := get(http.DefaultClient, "http://"+raw.Addr().String()+"/"); got != "plain" {
		t.Fatalf("http: %q", got)
	}
	trusting := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool(ca)}}}
	if got := get(trusting, "https://localhost:"+strconv.Itoa(port)+"/"); got != "tls" {
		t.Fatalf("https: %q", got)
	}
	untrusting := &http.Client{Transport: &http.Transport{}}
	if _, err := untrusting.Get("https://localhost:" + strconv.Itoa(port) + "/"); err == nil {
		t.Fatal("a client without the CA accepted the certificate")
	}
}

// TestWrappingListenerKeepsHeaderSpellingOverTLS: with the recorder
// wrapping the *tls.Conn, an https request keeps its header spelling and
// RestoreTLS gives the handler its r.TLS back; plain http is unchanged.
func TestWrappingListenerKeepsHeaderSpellingOverTLS(t *testing.T) {
	ca, err := LoadOrCreate(t.TempDir(), t0)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := NewWrappingListener(raw, AutoConfig(NewIssuer(ca, nil, nil, nil)), rawheader.Wrap)
	srv := &http.Server{
		Handler: RestoreTLS(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			names, ok := rawheader.Names(r)
			fmt.Fprintf(w, "%v %v %s", r.TLS != nil && r.TLS.HandshakeComplete, ok, strings.Join(names, ","))
		})),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return ConnContext(rawheader.ConnContext(ctx, c), c)
		},
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	send := func(c net.Conn) string {
		t.Helper()
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, "GET / HTTP/1.1\r\nhost: localhost\r\nx-api-key: k\r\nX-MiXeD: 1\r\nConnection: close\r\n\r\n")
		out, _ := io.ReadAll(c)
		_, body, _ := strings.Cut(string(out), "\r\n\r\n")
		return body
	}
	tc, err := tls.Dial("tcp", raw.Addr().String(), &tls.Config{RootCAs: pool(ca), ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	if got := send(tc); got != "true true host,x-api-key,X-MiXeD,Connection" {
		t.Fatalf("https: %q", got)
	}
	pc, err := net.Dial("tcp", raw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if got := send(pc); got != "false true host,x-api-key,X-MiXeD,Connection" {
		t.Fatalf("http: %q", got)
	}
}
