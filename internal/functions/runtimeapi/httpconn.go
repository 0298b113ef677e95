package runtimeapi

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"runtime"
	"slices"
	"strconv"
	"sync"
)

// The Runtime API is served by a small HTTP/1.1 loop rather than net/http:
// one goroutine per connection reads a request, runs the endpoint and
// writes the answer, with no per-request goroutines, contexts or deadline
// timers. Its only clients are the runtimes Cognate starts, on loopback;
// it speaks enough HTTP/1.1 for them: keep-alive, Content-Length and
// chunked bodies (with trailers, which aws-lambda-go uses).

const (
	maxLineSize   = 8 << 10
	maxHeaderSize = 64 << 10
)

var (
	errMalformed = errors.New("runtimeapi: malformed request")
	errTooLarge  = errors.New("runtimeapi: request body too large")
)

// request is one parsed Runtime API request.
type request struct {
	method, path string
	errorType    string // Lambda-Runtime-Function-Error-Type header
	trailerType  string // the same, as a trailer
	trailerBody  string // Lambda-Runtime-Function-Error-Body trailer
	body         []byte
	tooLarge     bool // body over the limit: not read; the connection closes
	close        bool
}

// reply is an endpoint's answer.
type reply struct {
	status int
	body   []byte
	inv    *Invocation // for /next: the invocation whose headers go out
	// handedOff is set when the request completed an invocation: the
	// goroutine waiting for it runs before this answer is written.
	handedOff bool
}

// readRequest parses a request into req; bodies longer than limit are not
// read. Only the path, the error type and the body are allocated.
func readRequest(br *bufio.Reader, limit int, req *request) error {
	*req = request{}
	line, err := readLine(br)
	if err != nil {
		return err
	}
	method, rest, ok1 := bytes.Cut(line, []byte(" "))
	path, proto, ok2 := bytes.Cut(rest, []byte(" "))
	if !ok1 || !ok2 || !bytes.HasPrefix(proto, []byte("HTTP/1.")) {
		return errMalformed
	}
	req.method, req.path, req.close = methodName(method), string(path), string(proto) == "HTTP/1.0"
	length := -1
	var chunked bool
	total := 0
	for {
		line, err := readLine(br)
		if err != nil {
			return err
		}
		if len(line) == 0 {
			break
		}
		if total += len(line); total > maxHeaderSize {
			return errMalformed
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return errMalformed
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, ok = parseLength(value); !ok {
				return errMalformed
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			req.close = bytes.EqualFold(value, []byte("close"))
		case bytes.EqualFold(name, []byte("Lambda-Runtime-Function-Error-Type")):
			req.errorType = string(value)
		}
	}
	switch {
	case chunked:
		err = req.readChunked(br, limit)
	case length > limit:
		req.tooLarge, req.close = true, true
	case length > 0:
		req.body = make([]byte, length)
		_, err = io.ReadFull(br, req.body)
	}
	return err
}

// methodName returns the method without allocating for the usual ones.
func methodName(b []byte) string {
	switch string(b) {
	case "GET":
		return "GET"
	case "POST":
		return "POST"
	}
	return string(b)
}

// parseLength parses a Content-Length value.
func parseLength(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// readChunked reads a chunked body and its trailers.
func (req *request) readChunked(br *bufio.Reader, limit int) error {
	var body []byte
	for {
		line, err := readLine(br)
		if err != nil {
			return err
		}
		sizeText, _, _ := bytes.Cut(line, []byte(";"))
		size, err := strconv.ParseInt(string(bytes.TrimSpace(sizeText)), 16, 64)
		if err != nil || size < 0 {
			return errMalformed
		}
		if size == 0 {
			break
		}
		if int64(len(body))+size > int64(limit) {
			req.tooLarge, req.close = true, true
			return nil
		}
		n := len(body)
		body = slices.Grow(body, int(size))[:n+int(size)]
		if _, err := io.ReadFull(br, body[n:]); err != nil {
			return err
		}
		if crlf, err := readLine(br); err != nil || len(crlf) != 0 {
			return errMalformed
		}
	}
	for total := 0; ; {
		line, err := readLine(br)
		if err != nil {
			return err
		}
		if len(line) == 0 {
			break
		}
		if total += len(line); total > maxHeaderSize {
			return errMalformed
		}
		name, value, _ := bytes.Cut(line, []byte(":"))
		name = bytes.TrimSpace(name)
		switch {
		case bytes.EqualFold(name, []byte("Lambda-Runtime-Function-Error-Type")):
			req.trailerType = string(bytes.TrimSpace(value))
		case bytes.EqualFold(name, []byte("Lambda-Runtime-Function-Error-Body")):
			req.trailerBody = string(bytes.TrimSpace(value))
		}
	}
	req.body = body
	return nil
}

// trailerError decodes an error document sent in trailers.
func (req *request) trailerError() []byte {
	doc, _ := base64.StdEncoding.DecodeString(req.trailerBody)
	return doc
}

// readLine reads a CRLF (or LF) terminated line of at most maxLineSize,
// without its line end. The slice is only valid until the next read.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) || len(line) > maxLineSize {
		return nil, errMalformed
	}
	if err != nil {
		return nil, err
	}
	return bytes.TrimRight(line, "\r\n"), nil
}

// writeReply writes an HTTP/1.1 response with a JSON or event body; the
// whole answer goes out in one write.
func writeReply(bw *bufio.Writer, rep reply, closeConn bool) error {
	b := bw.AvailableBuffer()
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(rep.status), 10)
	b = append(b, ' ')
	b = append(b, statusText(rep.status)...)
	b = append(b, "\r\nContent-Type: application/json\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(rep.body)), 10)
	b = append(b, "\r\n"...)
	if inv := rep.inv; inv != nil {
		b = appendHeader(b, "Lambda-Runtime-Aws-Request-Id", inv.ID)
		b = append(b, "Lambda-Runtime-Deadline-Ms: "...)
		b = strconv.AppendInt(b, inv.Deadline.UnixMilli(), 10)
		b = append(b, "\r\n"...)
		b = appendHeader(b, "Lambda-Runtime-Invoked-Function-Arn", inv.FunctionARN)
		b = appendHeader(b, "Lambda-Runtime-Trace-Id", inv.TraceID)
		b = appendHeader(b, "Lambda-Runtime-Client-Context", inv.ClientContext)
	}
	if closeConn {
		b = append(b, "Connection: close\r\n"...)
	}
	b = append(b, "\r\n"...)
	_, _ = bw.Write(b)
	_, _ = bw.Write(rep.body)
	return bw.Flush()
}

// appendHeader appends "name: value" unless value is empty.
func appendHeader(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, name...)
	b = append(b, ": "...)
	b = append(b, value...)
	return append(b, "\r\n"...)
}

func statusText(code int) string {
	switch code {
	case 200:
		return "OK"
	case 202:
		return "Accepted"
	case 400:
		return "Bad Request"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	case 413:
		return "Request Entity Too Large"
	default:
		return "Internal Server Error"
	}
}

// conn is one connection of the runtime. Its answers are written under
// wmu: by its own goroutine, or by Deliver for a /next that waited.
type conn struct {
	nc  net.Conn
	br  *bufio.Reader
	wmu sync.Mutex
	bw  *bufio.Writer
	// waiting is set while a /next of this connection waits for an
	// invocation; it is closed once that /next was answered.
	waiting chan struct{}
}

// answer writes rep on c and ends the wait of a parked /next.
func (c *conn) answer(rep reply, closeConn bool) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	err := writeReply(c.bw, rep, closeConn)
	if c.waiting != nil {
		close(c.waiting)
		c.waiting = nil
	}
	return err
}

// park marks c as having a /next that waits.
func (c *conn) park() {
	c.wmu.Lock()
	c.waiting = make(chan struct{})
	c.wmu.Unlock()
}

// parked returns the wait of a /next still unanswered, or nil.
func (c *conn) parked() <-chan struct{} {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.waiting
}

// serveConn runs requests on one connection until it closes. A /next with
// no invocation ready is answered later by Deliver, from the delivering
// goroutine; meanwhile this one reads on, and waits for that answer before
// acting on any further request (HTTP/1.1 answers in order).
func (s *Server) serveConn(c *conn) {
	defer s.forget(c)
	var req request
	for {
		err := readRequest(c.br, max(s.maxResp, maxErrorSize), &req)
		if err != nil && !errors.Is(err, errMalformed) {
			return
		}
		if w := c.parked(); w != nil {
			select {
			case <-w:
			case <-s.quit:
				return
			}
		}
		if err != nil {
			s.log.Debug("runtime api: malformed request", "err", err)
			_ = c.answer(errorReply(400, "InvalidRequest", "malformed HTTP request"), true)
			return
		}
		rep, now := s.route(c, &req)
		if !now {
			continue
		}
		if rep.handedOff {
			// The caller waits for the outcome; the runtime for this answer
			// only to ask for the next invocation. Let the caller go first.
			runtime.Gosched()
		}
		if err := c.answer(rep, req.close); err != nil || req.close {
			return
		}
	}
}
