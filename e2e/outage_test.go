package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/smithy-go"
)

// cutProxy forwards TCP to a backend and can cut every connection (an outage)
// and accept again on the same address (recovery).
type cutProxy struct {
	addr, backend string
	mu            sync.Mutex
	ln            net.Listener
	conns         map[net.Conn]bool
}

func newCutProxy(t *testing.T, backend string) *cutProxy {
	t.Helper()
	p := &cutProxy{addr: freeAddr(t), backend: backend, conns: map[net.Conn]bool{}}
	p.up(t)
	t.Cleanup(p.down)
	return p
}

func (p *cutProxy) up(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b, err := net.Dial("tcp", p.backend)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns[c], p.conns[b] = true, true
			p.mu.Unlock()
			go func() { io.Copy(b, c); b.Close() }()
			go func() { io.Copy(c, b); c.Close() }()
		}
	}()
}

func (p *cutProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

// TestDatabaseOutage cuts the PostgreSQL connection of a running node: calls
// that need the database fail fast with a 5xx error (no hang, no crash), the
// gateway keeps verifying tokens with its cached keys, /_cognate/ready says
// 503 while /_cognate/health stays 200, and everything works again when the
// database is back.
func TestDatabaseOutage(t *testing.T) {
	storeURL := postgresURL(t)
	u, err := url.Parse(storeURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newCutProxy(t, u.Host)
	u.Host = proxy.addr
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()

	d := startDemoIn(t, "", "--store", u.String())
	d.createUser(t, "ivan", "ivan@example.com", "Iv4n-Passw0rd!")
	tok := d.loginSRP(t, "ivan", "Iv4n-Passw0rd!")

	proxy.down()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	_, err = d.idp.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(d.poolID), Username: aws.String("ivan")},
		func(o *cip.Options) { o.RetryMaxAttempts = 1 })
	var re interface{ HTTPStatusCode() int }
	var ae smithy.APIError
	if err == nil || !errors.As(err, &re) || re.HTTPStatusCode() < 500 || !errors.As(err, &ae) {
		t.Fatalf("during the outage: want a 5xx AWS error, got %v", err)
	}
	if ae.ErrorCode() != "InternalErrorException" || !strings.Contains(ae.ErrorMessage(), "store is unavailable") {
		t.Errorf("during the outage: %s %q, want InternalErrorException saying the store is unavailable", ae.ErrorCode(), ae.ErrorMessage())
	}
	waitStatus(t, d.srv.URL+"/_cognate/ready", "", 503, 10*time.Second)
	if status, body, _ := get(t, d.srv.URL+"/_cognate/health", ""); status != 200 {
		t.Errorf("liveness during the outage: %d %s", status, body)
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("the failing call took %v", took)
	}
	if status, body, _ := get(t, d.srv.URL+"/dev/cognito/notes", aws.ToString(tok.IdToken)); status != 200 {
		t.Errorf("gateway with cached keys during the outage: %d %s", status, body)
	}

	proxy.up(t)
	eventually(t, 15*time.Second, "a sign-in once the database is back", func() (bool, string) {
		_, err := d.trySRP("ivan", "Iv4n-Passw0rd!")
		return err == nil, fmt.Sprint(err)
	})
	waitStatus(t, d.srv.URL+"/_cognate/ready", "", 200, 10*time.Second)
	select {
	case <-d.srv.exited:
		t.Fatalf("cognate exited:\n%s", d.srv.output())
	default:
	}
	if strings.Contains(d.srv.output(), "panic") {
		t.Errorf("panic in output:\n%s", d.srv.output())
	}
}

// TestBadStoreURL: a bad or unreachable database is a clear error at start.
func TestBadStoreURL(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for arg, want := range map[string]string{
		"postgres://cognate:secret@127.0.0.1:1/cognate?connect_timeout=2": "connect to 127.0.0.1:1/cognate",
		"mysql://x":      "want sqlite:PATH or postgres://",
		"postgres://%zz": "invalid database URL",
	} {
		_, err := runCLI(t, ctx, "", "up", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--store", arg)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("--store %s: err %v, want %q", arg, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("--store %s: the password leaked into the error: %v", arg, err)
		}
	}
}
