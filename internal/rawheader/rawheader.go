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
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	if rc, ok := c.(*conn); ok {
		return context.WithValue(ctx, ctxKey{}, rc.rec)
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

// entry is one recorded request.
type entry struct {
	method, target string
	names          []string
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
			rc.appendLine(p[:i])
			p = p[i+1:]
			if rc.st == sOff {
				return
			}
			line := bytes.TrimSuffix(rc.line, []byte{'\r'})
			rc.onLine(line)
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
		f := strings.Fields(string(line))
		if len(f) != 3 || !strings.HasPrefix(f[2], "HTTP/1.") {
			rc.stop() // HTTP/2 preface, TLS, garbage
			return
		}
		rc.cur = entry{method: f[0], target: f[1]}
		rc.inMsg, rc.chunked, rc.length, rc.upgrade = true, false, 0, f[0] == "CONNECT"
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
	n := string(name)
	rc.cur.names = append(rc.cur.names, n)
	v := strings.TrimSpace(string(value))
	switch {
	case strings.EqualFold(n, "Content-Length"):
		l, err := strconv.ParseInt(v, 10, 64)
		if err != nil || l < 0 {
			rc.stop()
			return
		}
		rc.length = l
	case strings.EqualFold(n, "Transfer-Encoding"):
		rc.chunked = rc.chunked || strings.Contains(strings.ToLower(v), "chunked")
	case strings.EqualFold(n, "Upgrade"):
		rc.upgrade = true
	}
}

func (rc *recorder) endHead() {
	if len(rc.queue) >= maxQueued {
		rc.queue = append(rc.queue[:0], rc.queue[1:]...)
	}
	rc.queue = append(rc.queue, rc.cur)
	rc.cur, rc.inMsg, rc.block = entry{}, false, 0
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
	for i, e := range rc.queue {
		if matches(e, r) {
			rc.queue = append(rc.queue[:0], rc.queue[i+1:]...)
			return e.names, true
		}
	}
	return nil, false
}

// matches reports whether e is r: same method and target, and the same
// canonical header names (Go keeps Host, Transfer-Encoding and Trailer out
// of r.Header).
func matches(e entry, r *http.Request) bool {
	if e.method != r.Method || e.target != r.RequestURI {
		return false
	}
	seen := 0
	var prev []string
	for _, n := range e.names {
		ck := http.CanonicalHeaderKey(n)
		if ck == "Host" || ck == "Transfer-Encoding" || ck == "Trailer" {
			continue
		}
		if _, ok := r.Header[ck]; !ok {
			return false
		}
		dup := false
		for _, p := range prev {
			if p == ck {
				dup = true
				break
			}
		}
		if !dup {
			prev = append(prev, ck)
			seen++
		}
	}
	return seen == len(r.Header)
}
