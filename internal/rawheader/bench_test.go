package rawheader

import (
	"bufio"
	"bytes"
	"net/http"
	"strings"
	"testing"
)

// BenchmarkRecorder is the recorder's cost per request for a typical
// gateway GET (a ~1 KB bearer token and browser-like headers): feed the
// bytes, then take the names as the gateway does.
func BenchmarkRecorder(b *testing.B) {
	raw := benchRequest
	r, _ := http.NewRequest(http.MethodGet, "http://x/dev/items/1", nil)
	r.RequestURI = "/dev/items/1"
	for _, n := range []string{"User-Agent", "Accept", "Accept-Encoding", "Authorization", "X-Request-Id"} {
		r.Header.Set(n, "v")
	}
	rc := &recorder{}
	p := []byte(raw)
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		rc.feed(p)
		if _, ok := rc.take(r); !ok {
			b.Fatal("no entry")
		}
	}
}

// BenchmarkReadRequestBaseline is what Go's server does with the same bytes
// anyway (http.ReadRequest), the yardstick for BenchmarkRecorder.
func BenchmarkReadRequestBaseline(b *testing.B) {
	p := []byte(benchRequest)
	rd := bytes.NewReader(p)
	br := bufio.NewReader(rd)
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		rd.Reset(p)
		br.Reset(rd)
		if _, err := http.ReadRequest(br); err != nil {
			b.Fatal(err)
		}
	}
}

var benchRequest = "GET /dev/items/1 HTTP/1.1\r\nHost: abc.execute-api.localhost:4566\r\nuser-agent: bench/1.0\r\n" +
	"accept: application/json\r\naccept-encoding: gzip\r\nauthorization: Bearer " + strings.Repeat("x", 978) + "\r\n" +
	"x-request-id: 1234\r\n\r\n"
