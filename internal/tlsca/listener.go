package tlsca

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// SniffTimeout bounds how long a new connection may wait before its first byte.
const SniffTimeout = 5 * time.Second

// recordTypeHandshake is the first byte of every TLS ClientHello record.
const recordTypeHandshake = 0x16

// Listener serves plain HTTP and TLS on one port: each accepted connection's
// first byte decides (0x16, a TLS handshake record, can never start an HTTP
// request line). The sniffing happens off the accept loop, so a client that
// connects and sends nothing delays no one else.
type Listener struct {
	net.Listener
	cfg   *tls.Config
	plain func(net.Conn) net.Conn
	// wrapTLS, if set, wraps each *tls.Conn (see NewWrappingListener).
	wrapTLS func(net.Conn) net.Conn
	conns   chan net.Conn
	errc    chan error
	done    chan struct{}
	once    sync.Once
}

// NewListener wraps ln; TLS connections are served with cfg. wrapPlain, if
// given, wraps each plain (non-TLS) connection.
func NewListener(ln net.Listener, cfg *tls.Config, wrapPlain ...func(net.Conn) net.Conn) *Listener {
	l := &Listener{Listener: ln, cfg: cfg, conns: make(chan net.Conn), errc: make(chan error, 1), done: make(chan struct{})}
	if len(wrapPlain) > 0 {
		l.plain = wrapPlain[0]
	}
	go l.loop()
	return l
}

// NewWrappingListener is NewListener with wrap applied to every connection,
// plain or TLS: wrapping the *tls.Conn lets a wrapper that follows the
// bytes the server reads (rawheader.Wrap) see the decrypted HTTP/1.1
// stream. The server then no longer receives the *tls.Conn itself, so it
// does not set r.TLS: serve with ConnContext and RestoreTLS, which put the
// connection state back. Only http/1.1 is offered (AutoConfig,
// StaticConfig), so no HTTP/2 is lost by wrapping.
func NewWrappingListener(ln net.Listener, cfg *tls.Config, wrap func(net.Conn) net.Conn) *Listener {
	l := &Listener{Listener: ln, cfg: cfg, plain: wrap, wrapTLS: wrap, conns: make(chan net.Conn), errc: make(chan error, 1), done: make(chan struct{})}
	go l.loop()
	return l
}

func (l *Listener) loop() {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			select {
			case l.errc <- err:
			case <-l.done:
			}
			return
		}
		go l.sniff(c)
	}
}

func (l *Listener) sniff(c net.Conn) {
	c.SetReadDeadline(time.Now().Add(SniffTimeout))
	br := bufio.NewReaderSize(c, 1024)
	first, err := br.Peek(1)
	c.SetReadDeadline(time.Time{})
	if err != nil {
		c.Close()
		return
	}
	var out net.Conn = &peekedConn{Conn: c, r: br}
	if first[0] == recordTypeHandshake {
		out = tls.Server(out, l.cfg)
		if l.wrapTLS != nil {
			out = l.wrapTLS(out)
		}
	} else if l.plain != nil {
		out = l.plain(out)
	}
	select {
	case l.conns <- out:
	case <-l.done:
		c.Close()
	}
}

type tlsConnKey struct{}

// ConnContext is an http.Server ConnContext hook that finds the *tls.Conn
// inside a wrapped connection (through NetConn methods) and keeps it for
// RestoreTLS.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	for c != nil {
		if tc, ok := c.(*tls.Conn); ok {
			return context.WithValue(ctx, tlsConnKey{}, tc)
		}
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		c = u.NetConn()
	}
	return ctx
}

// RestoreTLS sets r.TLS, when the server left it nil because the
// connection was wrapped, to the state of the *tls.Conn ConnContext found:
// handlers see https requests as https (scheme, Secure cookies).
func RestoreTLS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			if tc, ok := r.Context().Value(tlsConnKey{}).(*tls.Conn); ok {
				// The request was read through the connection, so the
				// handshake is complete.
				cs := tc.ConnectionState()
				if cs.HandshakeComplete {
					r.TLS = &cs
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// Accept returns the next connection: a *tls.Conn for TLS clients, unless
// NewWrappingListener wraps it.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case err := <-l.errc:
		return nil, err
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops accepting.
func (l *Listener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// peekedConn replays the bytes read while sniffing.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (p *peekedConn) Read(b []byte) (int, error) {
	if p.r != nil {
		if p.r.Buffered() > 0 {
			return p.r.Read(b)
		}
		p.r = nil
	}
	return p.Conn.Read(b)
}
