package tlsca

import (
	"bufio"
	"crypto/tls"
	"errors"
	"net"
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
	conns chan net.Conn
	errc  chan error
	done  chan struct{}
	once  sync.Once
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
	} else if l.plain != nil {
		out = l.plain(out)
	}
	select {
	case l.conns <- out:
	case <-l.done:
		c.Close()
	}
}

// Accept returns the next connection, a *tls.Conn for TLS clients.
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
