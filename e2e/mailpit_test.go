package e2e

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// mailpit is a running Mailpit: SMTP with STARTTLS required and AUTH
// checked against a password file, and its HTTP API.
type mailpit struct {
	SMTPAddr string
	API      string
	CAFile   string
	User     string
	Password string
}

// requireMailpit finds the Mailpit binary ($COGNATE_TEST_MAILPIT, PATH, or
// scripts/test's cache) or skips (fails under CI=true).
func requireMailpit(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("COGNATE_TEST_MAILPIT")}
	if p, err := exec.LookPath("mailpit"); err == nil {
		candidates = append(candidates, p)
	}
	if dir, err := os.UserCacheDir(); err == nil {
		candidates = append(candidates, filepath.Join(dir, "cognate-test", "bin", "mailpit"))
	}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			return c
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("mailpit not found (scripts/test builds it: go install github.com/axllent/mailpit@v1.33.1); required in CI")
	}
	t.Skip("mailpit not found: run scripts/test (it builds github.com/axllent/mailpit@v1.33.1) or set COGNATE_TEST_MAILPIT")
	return ""
}

// freePort returns a loopback address nobody listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startMailpit runs Mailpit on loopback with a fresh self-signed
// certificate for 127.0.0.1 and one SMTP account.
func startMailpit(t *testing.T) *mailpit {
	t.Helper()
	bin := requireMailpit(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeSelfSigned(t, certFile, keyFile)
	m := &mailpit{SMTPAddr: freePort(t), CAFile: certFile, User: "cognate", Password: "smtp-pass-" + fmt.Sprint(time.Now().UnixNano())}
	sum := sha1.Sum([]byte(m.Password))
	authFile := filepath.Join(dir, "smtp-users")
	if err := os.WriteFile(authFile, []byte(m.User+":{SHA}"+base64.StdEncoding.EncodeToString(sum[:])+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	httpAddr := freePort(t)
	m.API = "http://" + httpAddr
	cmd := exec.Command(bin, "--smtp", m.SMTPAddr, "--listen", httpAddr, "--database", filepath.Join(dir, "mailpit.db"),
		"--smtp-tls-cert", certFile, "--smtp-tls-key", keyFile, "--smtp-require-starttls",
		"--smtp-auth-file", authFile, "--smtp-disable-rdns")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("mailpit output:\n%s", out.String())
		}
	})
	waitFor(t, 30*time.Second, "mailpit API", func() bool {
		resp, err := http.Get(m.API + "/api/v1/info")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return m
}

// mail is a message as Mailpit's API returns it.
type mail struct {
	ID      string
	Subject string
	Text    string
	HTML    string
	From    struct{ Name, Address string }
	To      []struct{ Name, Address string }
	ReplyTo []struct{ Name, Address string }
}

// waitMail returns the newest message to addr that arrives within 30 s.
func (m *mailpit) waitMail(t *testing.T, addr string) mail {
	t.Helper()
	var found mail
	waitFor(t, 30*time.Second, "mail to "+addr, func() bool {
		resp, err := http.Get(m.API + "/api/v1/search?query=" + url.QueryEscape("to:"+addr))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var list struct{ Messages []struct{ ID string } }
		if json.NewDecoder(resp.Body).Decode(&list) != nil || len(list.Messages) == 0 {
			return false
		}
		r2, err := http.Get(m.API + "/api/v1/message/" + list.Messages[0].ID)
		if err != nil {
			return false
		}
		defer r2.Body.Close()
		return json.NewDecoder(r2.Body).Decode(&found) == nil
	})
	return found
}

// count returns how many messages Mailpit holds.
func (m *mailpit) count(t *testing.T) int {
	t.Helper()
	resp, err := http.Get(m.API + "/api/v1/messages")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct{ Total int }
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	return list.Total
}

// writeSelfSigned writes a P-256 certificate for 127.0.0.1 and localhost.
func writeSelfSigned(t *testing.T, certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "cognate test mail"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls ok every 50 ms until it holds, failing after within.
func waitFor(t *testing.T, within time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
