package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// trustCA returns an HTTP client that trusts the local CA of a data
// directory, found the way a user would: `cognate ca --data DIR`.
func trustCA(t *testing.T, dataDir string) (*http.Client, string) {
	t.Helper()
	out, err := runCLI(t, t.Context(), "", "ca", "--data", dataDir)
	if err != nil {
		t.Fatalf("cognate ca: %v\n%s", err, out)
	}
	path := strings.TrimSpace(out)
	pemBytes, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read CA printed by cognate ca: %v", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("%s holds no certificate", path)
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}, path
}

// TestTLSAuto serves https with the local CA and plain http on the same
// port; the CA key is private, and an untrusting client refuses the server.
func TestTLSAuto(t *testing.T) {
	srv := startServer(t, "", "--tls", "auto")
	if !strings.HasPrefix(srv.URL, "https://127.0.0.1:") {
		t.Fatalf("URL %q is not https", srv.URL)
	}
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	client, caPath := trustCA(t, srv.DataDir)
	fi, err := os.Stat(strings.TrimSuffix(caPath, "ca.pem") + "ca.key")
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("CA key: %v mode %v, want 0600", err, fi.Mode().Perm())
	}
	for _, base := range []string{"https://localhost:" + port, "https://127.0.0.1:" + port} {
		res, err := client.Get(base + "/_cognate/health")
		if err != nil {
			t.Fatalf("%s: %v", base, err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || res.TLS == nil || !strings.Contains(string(body), "ok") {
			t.Fatalf("%s: %d %s", base, res.StatusCode, body)
		}
	}
	// The AWS SDK over plain http on the same port finds the demo pool.
	d := startDemoLookupOnly(t, &demo{srv: srv, idp: newIDP("http://127.0.0.1:" + port)})
	// The OpenID configuration names https endpoints.
	res, err := client.Get(srv.URL + "/" + d.poolID + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), `"issuer":"https://127.0.0.1:`+port) {
		t.Fatalf("issuer is not https: %s", body)
	}
	// Plain http on the same port.
	res, err = http.Get("http://127.0.0.1:" + port + "/_cognate/health")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.TLS != nil {
		t.Fatalf("plain http: %d", res.StatusCode)
	}
	// A client that does not trust the CA refuses the certificate.
	if _, err := (&http.Client{Transport: &http.Transport{}}).Get("https://localhost:" + port + "/_cognate/health"); err == nil {
		t.Fatal("an untrusting client accepted the local CA's certificate")
	}
	// A restart keeps the same CA.
	srv.stop(t)
	srv2 := startServer(t, srv.DataDir, "--tls", "auto")
	res, err = client.Get(srv2.URL + "/_cognate/health")
	if err != nil {
		t.Fatalf("after restart the old CA is not trusted: %v", err)
	}
	res.Body.Close()
}

// TestTLSStaticCertificate serves the operator's own certificate.
func TestTLSStaticCertificate(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	srv := startServer(t, "", "--tls-cert", certFile, "--tls-key", keyFile)
	leaf, _ := x509.ParseCertificate(der)
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	res, err := client.Get(strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/_cognate/health")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || !res.TLS.PeerCertificates[0].Equal(leaf) {
		t.Fatalf("status %d, or not the operator's certificate", res.StatusCode)
	}
	if out, err := runCLI(t, t.Context(), "", "up", "--data", dir, "--tls-cert", certFile); err == nil || !strings.Contains(err.Error(), "go together") {
		t.Fatalf("--tls-cert without --tls-key: %v %s", err, out)
	}
}

// TestTLSSeedClient runs the tutorial's Node client (amazon-cognito-identity-js
// sign-in, https.request to the notes API, aws-jwt-verify's https-only
// fetcher) against --tls auto with only the host changed and the CA trusted
// through NODE_EXTRA_CA_CERTS.
func TestTLSSeedClient(t *testing.T) {
	node, dir := requireNode(t)
	srv := startServer(t, "", "--tls", "auto")
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	d := startDemoLookupOnly(t, &demo{srv: srv, idp: newIDP("http://127.0.0.1:" + port)})
	d.createUser(t, "seeduser", "seed@example.com", "S33d-Passw0rd!")
	_, caPath := trustCA(t, srv.DataDir)
	cmd := exec.CommandContext(t.Context(), node, "--test", "tls/seed-client.test.js")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NODE_EXTRA_CA_CERTS="+caPath, "COGNATE_HOST=127.0.0.1:"+port, "POOL_ID="+d.poolID,
		"CLIENT_ID="+d.clientID, "COGNATE_USERNAME=seeduser", "COGNATE_PASSWORD=S33d-Passw0rd!")
	out, err := cmd.CombinedOutput()
	t.Logf("node --test tls/seed-client.test.js:\n%s", out)
	if err != nil {
		t.Fatalf("seed client over https: %v", err)
	}
}

// TestTLSProxyEventKeepsHeaderSpelling sends a raw HTTP/1.1 request over
// https (--tls auto, the CA trusted as `cognate ca` prints it) to a Lambda
// proxy route: the event carries the header names as the client spelled
// them, as it does over plain http, and says the request came over https.
func TestTLSProxyEventKeepsHeaderSpelling(t *testing.T) {
	srv := startFidelity(t, "--tls", "auto")
	client, _ := trustCA(t, srv.DataDir)
	roots := client.Transport.(*http.Transport).TLSClientConfig.RootCAs
	c, err := tls.Dial("tcp", strings.TrimPrefix(srv.URL, "https://"), &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	io.WriteString(c, "GET /v/event/x HTTP/1.1\r\nhost: api.localhost\r\nx-api-key: k1\r\nX-MiXeD-Case: 1\r\nx-lower: a\r\nX-LOWER: b\r\nConnection: close\r\n\r\n")
	out, _ := io.ReadAll(c)
	head, body, ok := strings.Cut(string(out), "\r\n\r\n")
	if !ok || !strings.HasPrefix(head, "HTTP/1.1 200") {
		t.Fatalf("answer over https: %s", out)
	}
	var ev struct {
		Headers           map[string]string
		MultiValueHeaders map[string][]string
	}
	if err := json.Unmarshal([]byte(body), &ev); err != nil {
		t.Fatalf("event: %v: %s", err, body)
	}
	h := ev.Headers
	if h["host"] != "api.localhost" || h["x-api-key"] != "k1" || h["X-MiXeD-Case"] != "1" || h["x-lower"] != "b" || len(ev.MultiValueHeaders["x-lower"]) != 2 {
		t.Errorf("header spelling over https: %v %v", h, ev.MultiValueHeaders)
	}
	if _, canon := h["X-Api-Key"]; canon {
		t.Errorf("canonicalised name in the event: %v", h)
	}
	if h["X-Forwarded-Proto"] != "https" {
		t.Errorf("X-Forwarded-Proto %q, want https", h["X-Forwarded-Proto"])
	}
}
