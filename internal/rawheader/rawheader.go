// Package rawheader recovers the header names of HTTP/1.x requests as the
// client spelled them. Go's server canonicalises names ("x-api-key" becomes
// "X-Api-Key"); API Gateway keeps the client's spelling in Lambda proxy
// events and mapping templates, and handlers look headers up by it.
//
// Listener wraps a listener so each connection follows the bytes the server
// reads (request line, header block, then the body by Content-Length or
// chunked framing) and queues the header names of each request. Names,
// called from a handler, takes the queued entry that matches the request
// (method, target and the set of canonical names) and falls back to "not
// known" whenever anything is unusual: HTTP/2, upgrades, malformed framing,
// oversized header blocks. The recorder never changes the bytes the server
// sees.
package rawheader

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// maxHeaderBlock bounds a recorded header block; a longer one stops
// recording on that connection (the server refuses it anyway).
const maxHeaderBlock = 64 << 10

// maxQueued bounds the entries kept per connection: requests that no
// handler asks about (non-gateway traffic) are dropped oldest first.
const maxQueued = 16

// Listener wraps ln so that Names can report the header names of requests
// read from its connections. Use ConnContext in the http.Server too.
func Listener(ln net.Listener) net.Listener { return &listener{Listener: ln} }

type listener struct{ net.Listener }

// Wrap wraps one connection with the recorder (for listeners that hand out
// connections of their own, such as a TLS-sniffing one: wrapping its
// *tls.Conn records the decrypted stream, so https requests keep their
// spelling too).
func Wrap(c net.Conn) net.Conn { return &conn{Conn: c, rec: &recorder{}} }

// Accept wraps the accepted connection with a recorder.
func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &conn{Conn: c, rec: &recorder{}}, nil
}

type conn struct {
	net.Conn
	rec *recorder
}

// NetConn returns the wrapped connection (as tls.Conn does), so hooks that
// look for an inner connection (tlsca.ConnContext) find it.
func (c *conn) NetConn() net.Conn { return c.Conn }

// Read passes the bytes through and records the requests they carry.
func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.rec.feed(p[:n])
	}
	return n, err
}

type ctxKey struct{}

// ConnContext is an http.Server ConnContext hook: it makes the connection's
// recorder reachable from its requests.
// Connections wrapped by other listeners are unwrapped through their
// NetConn method.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	for c != nil {
		if rc, ok := c.(*conn); ok {
			return context.WithValue(ctx, ctxKey{}, rc.rec)
		}
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		c = u.NetConn()
	}
	return ctx
}

// Names returns the header names of r in the order and spelling the client
// sent them (Host included; repeated names repeated). ok is false when they
// are not known, e.g. for HTTP/2 or a listener without the recorder.
func Names(r *http.Request) (names []string, ok bool) {
	rec, _ := r.Context().Value(ctxKey{}).(*recorder)
	if rec == nil || r.ProtoMajor != 1 {
		return nil, false
	}
	return rec.take(r)
}

// entry is one recorded request; the names are packed in buf (ends[i] is
// where name i ends) so a request nobody asks about costs few allocations.
type entry struct {
	method, target string
	buf            []byte
	ends           []int
}

func (e *entry) name(i int) []byte {
	start := 0
	if i > 0 {
		start = e.ends[i-1]
	}
	return e.buf[start:e.ends[i]]
}

// names unpacks the names (one string allocation for all of them).
func (e *entry) names() []string {
	all := string(e.buf)
	out := make([]string, len(e.ends))
	start := 0
	for i, end := range e.ends {
		out[i] = all[start:end]
		start = end
	}
	return out
}

type state uint8

const (
	sHead state = iota
	sBody
	sChunkSize
	sChunkData
	sChunkEnd
	sTrailer
	sOff // recording stopped for this connection
)

// recorder follows an HTTP/1.x byte stream.
type recorder struct {
	mu    sync.Mutex
	queue []entry

	st      state
	line    []byte // the current, incomplete line
	block   int    // bytes of the current header block
	cur     entry
	inMsg   bool // the request line was seen
	remain  int64
	chunked bool
	length  int64
	upgrade bool
}

func (rc *recorder) feed(p []byte) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for len(p) > 0 && rc.st != sOff {
		switch rc.st {
		case sBody, sChunkData:
			n := int64(len(p))
			if n > rc.remain {
				n = rc.remain
			}
			p = p[n:]
			rc.remain -= n
			if rc.remain == 0 {
				if rc.st == sBody {
					rc.st = sHead
				} else {
					rc.st = sChunkEnd
				}
			}
		default:
			i := bytes.IndexByte(p, '\n')
			if i < 0 {
				rc.appendLine(p)
				return
			}
			var line []byte
			if len(rc.line) == 0 { // the whole line is in p: no copy
				if rc.block += i; rc.block > maxHeaderBlock {
					rc.stop()
					return
				}
				line = p[:i]
			} else {
				rc.appendLine(p[:i])
				line = rc.line
			}
			p = p[i+1:]
			if rc.st == sOff {
				return
			}
			rc.onLine(bytes.TrimSuffix(line, []byte{'\r'}))
			rc.line = rc.line[:0]
		}
	}
}

func (rc *recorder) appendLine(p []byte) {
	rc.block += len(p)
	if rc.block > maxHeaderBlock {
		rc.stop()
		return
	}
	rc.line = append(rc.line, p...)
}

func (rc *recorder) stop() {
	rc.st, rc.line, rc.queue = sOff, nil, nil
}

// onLine handles one complete line in the header, chunk-size, chunk-end
// and trailer states.
func (rc *recorder) onLine(line []byte) {
	switch rc.st {
	case sHead:
		rc.headLine(line)
	case sChunkSize:
		s, _, _ := bytes.Cut(line, []byte{';'})
		n, err := strconv.ParseInt(strings.TrimSpace(string(s)), 16, 64)
		switch {
		case err != nil || n < 0:
			rc.stop()
		case n == 0:
			rc.st = sTrailer
		default:
			rc.st, rc.remain = sChunkData, n
		}
	case sChunkEnd:
		if len(line) != 0 {
			rc.stop()
			return
		}
		rc.st = sChunkSize
	case sTrailer:
		if len(line) == 0 {
			rc.st, rc.block = sHead, 0
		}
	}
}

func (rc *recorder) headLine(line []byte) {
	if !rc.inMsg {
		if len(line) == 0 {
			rc.block = 0
			return // empty lines before a request line are allowed
		}
		method, rest, ok1 := bytes.Cut(line, []byte{' '})
		target, proto, ok2 := bytes.Cut(rest, []byte{' '})
		if !ok1 || !ok2 || !bytes.HasPrefix(proto, []byte("HTTP/1.")) || len(method) == 0 || len(target) == 0 {
			rc.stop() // HTTP/2 preface, TLS, garbage
			return
		}
		rc.cur = entry{method: string(method), target: string(target), buf: make([]byte, 0, 256), ends: make([]int, 0, 16)}
		rc.inMsg, rc.chunked, rc.length = true, false, 0
		rc.upgrade = string(method) == "CONNECT"
		return
	}
	if len(line) == 0 {
		rc.endHead()
		return
	}
	if line[0] == ' ' || line[0] == '\t' {
		return // obsolete line folding: no new name
	}
	name, value, ok := bytes.Cut(line, []byte{':'})
	if !ok {
		rc.stop()
		return
	}
	rc.cur.buf = append(rc.cur.buf, name...)
	rc.cur.ends = append(rc.cur.ends, len(rc.cur.buf))
	switch {
	case bytes.EqualFold(name, []byte("Content-Length")):
		l, err := strconv.ParseInt(string(bytes.TrimSpace(value)), 10, 64)
		if err != nil || l < 0 {
			rc.stop()
			return
		}
		rc.length = l
	case bytes.EqualFold(name, []byte("Transfer-Encoding")):
		rc.chunked = rc.chunked || bytes.Contains(bytes.ToLower(value), []byte("chunked"))
	case bytes.EqualFold(name, []byte("Upgrade")):
		rc.upgrade = true
	}
}

func (rc *recorder) endHead() {
	if len(rc.queue) >= maxQueued {
		rc.queue = append(rc.queue[:0], rc.queue[1:]...)
	}
	rc.queue = append(rc.queue, rc.cur)
	rc.cur, rc.inMsg, rc.block = entry{}, false, 0 // the queue owns the buffers now
	switch {
	case rc.upgrade:
		rc.st = sOff // the stream stops being HTTP/1 (the queue stays)
	case rc.chunked:
		rc.st = sChunkSize
	case rc.length > 0:
		rc.st, rc.remain = sBody, rc.length
	default:
		rc.st = sHead
	}
}

// take removes and returns the entry of r, dropping older ones.
func (rc *recorder) take(r *http.Request) ([]string, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for i := range rc.queue {
		if e := &rc.queue[i]; matches(e, r) {
			names := e.names()
			rc.queue = append(rc.queue[:0], rc.queue[i+1:]...)
			return names, true
		}
	}
	return nil, false
}

// matches reports whether e is r: same method and target, and the same
// header names up to case (Go keeps Host, Transfer-Encoding and Trailer out
// of r.Header). It allocates nothing.
func matches(e *entry, r *http.Request) bool {
	if e.method != r.Method || e.target != r.RequestURI {
		return false
	}
	distinct := 0
	for i := range e.ends {
		n := e.name(i)
		if skipped(n) {
			continue
		}
		dup := false
		for j := range i {
			if bytes.EqualFold(e.name(j), n) {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		distinct++
		found := false
		for k := range r.Header {
			if equalFold(k, n) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return distinct == len(r.Header)
}

func skipped(n []byte) bool {
	return bytes.EqualFold(n, []byte("Host")) || bytes.EqualFold(n, []byte("Transfer-Encoding")) || bytes.EqualFold(n, []byte("Trailer"))
}

// equalFold compares ASCII header names case-insensitively without
// converting n.
func equalFold(k string, n []byte) bool {
	if len(k) != len(n) {
		return false
	}
	for i := 0; i < len(k); i++ {
		a, b := k[i], n[i]
		if a == b {
			continue
		}
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}
