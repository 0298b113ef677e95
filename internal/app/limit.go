package app

import (
	"net"
	"net/http"
	"sync"
	"sync/atomic"
)

// connLimiter is a listener that serves at most max connections at once:
// Accept waits while that many are open, so further clients wait in the
// kernel's accept queue and cost neither memory nor scheduling. While the
// limit is reached, responses carry Connection: close, so that keep-alive
// connections take turns with the waiting ones.
type connLimiter struct {
	net.Listener
	slots chan struct{}
	open  atomic.Int64
	max   int64
}

func newConnLimiter(ln net.Listener, max int) *connLimiter {
	return &connLimiter{Listener: ln, slots: make(chan struct{}, max), max: int64(max)}
}

// Accept waits for a free slot, then for a connection.
func (l *connLimiter) Accept() (net.Conn, error) {
	l.slots <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	l.open.Add(1)
	return &limitedConn{Conn: c, l: l}, nil
}

// Open is the number of connections being served.
func (l *connLimiter) Open() int64 { return l.open.Load() }

// full reports whether new clients are waiting for a slot.
func (l *connLimiter) full() bool { return l.open.Load() >= l.max }

type limitedConn struct {
	net.Conn
	l    *connLimiter
	once sync.Once
}

// NetConn returns the wrapped connection (as tls.Conn does), so hooks such
// as rawheader.ConnContext find the connection they wrapped.
func (c *limitedConn) NetConn() net.Conn { return c.Conn }

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.open.Add(-1)
		<-c.l.slots
	})
	return err
}

// rotateWhenFull asks clients to reconnect while the limiter is full.
func rotateWhenFull(l *connLimiter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l.full() {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}
