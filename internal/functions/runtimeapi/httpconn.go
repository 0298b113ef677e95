package runtimeapi

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
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
	header []string // alternating names and values
}

// readRequest parses a request; bodies longer than limit are not read.
func readRequest(br *bufio.Reader, limit int) (*request, error) {
	line, err := readLine(br)
	if err != nil {
		return nil, err
	}
	parts := strings.SplitN(line, " ", 3)
	if len(parts) != 3 || !strings.HasPrefix(parts[2], "HTTP/1.") {
		return nil, errMalformed
	}
	req := &request{method: parts[0], path: parts[1], close: parts[2] == "HTTP/1.0"}
	var length = -1
	var chunked bool
	total := 0
	for {
		line, err := readLine(br)
		if err != nil {
			return nil, err
		}
		if line == "" {
			break
		}
		if total += len(line); total > maxHeaderSize {
			return nil, errMalformed
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, errMalformed
		}
		value = strings.TrimSpace(value)
		switch strings.ToLower(name) {
		case "content-length":
			if length, err = strconv.Atoi(value); err != nil || length < 0 {
				return nil, errMalformed
			}
		case "transfer-encoding":
			chunked = strings.EqualFold(value, "chunked")
		case "connection":
			req.close = strings.EqualFold(value, "close")
		case "lambda-runtime-function-error-type":
			req.errorType = value
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
	return req, err
}

// readChunked reads a chunked body and its trailers.
func (req *request) readChunked(br *bufio.Reader, limit int) error {
	var body bytes.Buffer
	for {
		line, err := readLine(br)
		if err != nil {
			return err
		}
		sizeText, _, _ := strings.Cut(line, ";")
		size, err := strconv.ParseInt(strings.TrimSpace(sizeText), 16, 64)
		if err != nil || size < 0 {
			return errMalformed
		}
		if size == 0 {
			break
		}
		if int64(body.Len())+size > int64(limit) {
			req.tooLarge, req.close = true, true
			return nil
		}
		if _, err := io.CopyN(&body, br, size); err != nil {
			return err
		}
		if crlf, err := readLine(br); err != nil || crlf != "" {
			return errMalformed
		}
	}
	for total := 0; ; {
		line, err := readLine(br)
		if err != nil {
			return err
		}
		if line == "" {
			break
		}
		if total += len(line); total > maxHeaderSize {
			return errMalformed
		}
		name, value, _ := strings.Cut(line, ":")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "lambda-runtime-function-error-type":
			req.trailerType = strings.TrimSpace(value)
		case "lambda-runtime-function-error-body":
			req.trailerBody = strings.TrimSpace(value)
		}
	}
	req.body = body.Bytes()
	return nil
}

// trailerError decodes an error document sent in trailers.
func (req *request) trailerError() []byte {
	doc, _ := base64.StdEncoding.DecodeString(req.trailerBody)
	return doc
}

// readLine reads a CRLF (or LF) terminated line of at most maxLineSize.
func readLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) || len(line) > maxLineSize {
		return "", errMalformed
	}
	if err != nil {
		return "", err
	}
	return string(bytes.TrimRight(line, "\r\n")), nil
}

// writeReply writes an HTTP/1.1 response with a JSON or event body.
func writeReply(bw *bufio.Writer, rep reply, closeConn bool) error {
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\nContent-Length: %d\r\n", rep.status, statusText(rep.status), len(rep.body))
	hasType := false
	for i := 0; i+1 < len(rep.header); i += 2 {
		if rep.header[i] == "Content-Type" {
			hasType = true
		}
		bw.WriteString(rep.header[i])
		bw.WriteString(": ")
		bw.WriteString(rep.header[i+1])
		bw.WriteString("\r\n")
	}
	if !hasType {
		bw.WriteString("Content-Type: application/json\r\n")
	}
	if closeConn {
		bw.WriteString("Connection: close\r\n")
	}
	bw.WriteString("\r\n")
	bw.Write(rep.body)
	return bw.Flush()
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

// serveConn runs requests on one connection until it closes.
func (s *Server) serveConn(c net.Conn) {
	defer s.forget(c)
	br := bufio.NewReaderSize(c, 16<<10)
	bw := bufio.NewWriterSize(c, 16<<10)
	for {
		req, err := readRequest(br, max(s.maxResp, maxErrorSize))
		if err != nil {
			if errors.Is(err, errMalformed) {
				s.log.Debug("runtime api: malformed request", "err", err)
				_ = writeReply(bw, errorReply(400, "InvalidRequest", "malformed HTTP request"), true)
			}
			return
		}
		rep := s.route(req)
		if err := writeReply(bw, rep, req.close); err != nil || req.close {
			return
		}
	}
}
