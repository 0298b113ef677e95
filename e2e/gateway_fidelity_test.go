package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fidelityHandler is a Node.js Lambda proxy handler: /img answers the
// uploaded image (base64, isBase64Encoded) with mixed-case headers; every
// other path answers the event it received.
const fidelityHandler = `exports.handler = async (event) => {
  if (event.path === '/img') {
    return {statusCode: 200, isBase64Encoded: true, body: event.body,
      headers: {'content-type': 'image/png', 'x-Mixed-Case': 'yes', 'X-Both': 'one'},
      multiValueHeaders: {'X-Both': ['one', 'two']}};
  }
  return {statusCode: 200, headers: {'Content-Type': 'application/json'}, body: JSON.stringify(event)};
};
`

// fidelityConfig is an API with a Lambda proxy, an HTTP_PROXY to BACKEND,
// binary media types and a request validator.
const fidelityConfig = `gateway:
  viewerCountry: DE
functions:
  - name: fidelity
    runtime: nodejs20.x
    handler: index.handler
    dir: FNDIR
    timeout: 10
apis:
  - name: fidelity
    stages: [{name: v}]
    definition:
      openapi: 3.0.1
      info: {title: fidelity, version: "1"}
      x-amazon-apigateway-binary-media-types: [image/png]
      x-amazon-apigateway-gateway-responses:
        MISSING_AUTHENTICATION_TOKEN:
          statusCode: 404
          responseParameters: {gatewayresponse.header.X-Gone: "'yes'", gatewayresponse.header.X-Trace: method.request.header.X-Trace}
          responseTemplates: {application/json: '{"message":"no route for $context.path","type":"$context.error.responseType"}'}
        BAD_REQUEST_PARAMETERS:
          responseTemplates: {application/json: '{"message":$context.error.messageString,"why":"$context.error.validationErrorString"}'}
      x-amazon-apigateway-request-validators:
        all: {validateRequestBody: true, validateRequestParameters: true}
      components:
        schemas:
          Pet: {type: object, required: [type], properties: {type: {type: string, enum: [dog, cat]}}}
      paths:
        /event/{id}:
          get:
            x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: fidelity}
        /img:
          post:
            x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: fidelity}
        /files/{proxy+}:
          post:
            x-amazon-apigateway-integration: {type: http_proxy, httpMethod: POST, uri: "BACKEND/files/{proxy}"}
        /pets:
          post:
            x-amazon-apigateway-request-validator: all
            parameters: [{name: owner, in: query, required: true}]
            requestBody: {content: {application/json: {schema: {$ref: "#/components/schemas/Pet"}}}}
            x-amazon-apigateway-integration:
              type: mock
              requestTemplates: {application/json: '{"statusCode": 200}'}
              responses: {default: {statusCode: "200", responseTemplates: {application/json: '{"ok":true}'}}}
`

// pngBytes is an image-like payload: PNG signature, NUL and bytes that are
// not UTF-8.
var pngBytes = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), 0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28)

// startFidelity starts Cognate with fidelityConfig, a Node.js function and a
// backend that echoes body and content type; args are further flags of up.
func startFidelity(t *testing.T, args ...string) *server {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("node is required in CI: %v", err)
		}
		t.Skipf("node not available: %v", err)
	}
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
		w.Write(body)
	}))
	t.Cleanup(backend.Close)
	dir := t.TempDir()
	fn := filepath.Join(dir, "fn")
	os.MkdirAll(fn, 0o755)
	// Functions may run as nobody (README: Function isolation): the task
	// root must be reachable by others, which t.TempDir's is not.
	for _, d := range []string{filepath.Dir(dir), dir, fn} {
		os.Chmod(d, 0o755)
	}
	os.WriteFile(filepath.Join(fn, "index.js"), []byte(fidelityHandler), 0o644)
	cfg := filepath.Join(dir, "cognate.yaml")
	os.WriteFile(cfg, []byte(strings.NewReplacer("FNDIR", fn, "BACKEND", backend.URL).Replace(fidelityConfig)), 0o600)
	return startServer(t, "", append([]string{"--config", cfg}, args...)...)
}

// rawResponse sends raw on a new connection and returns the whole answer
// (Connection: close), header names exactly as written.
func rawResponse(t *testing.T, srv *server, raw string) string {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	io.WriteString(c, raw)
	out, _ := io.ReadAll(c)
	return string(out)
}

// TestGatewayProxyFidelity drives the real binary with raw HTTP/1.1: the
// Lambda proxy event keeps header spelling, has Host and AWS's added
// headers, deploymentId and %2B kept; the proxy result keeps header
// spelling and merges headers with multiValueHeaders.
func TestGatewayProxyFidelity(t *testing.T) {
	t.Parallel()
	srv := startFidelity(t)
	out := rawResponse(t, srv, "GET /v/event/a%2Bb HTTP/1.1\r\nhost: api.localhost\r\nx-api-key: k1\r\nX-LOWER: 1\r\nx-lower: 2\r\nConnection: close\r\n\r\n")
	_, body, ok := strings.Cut(out, "\r\n\r\n")
	if !ok || !strings.HasPrefix(out, "HTTP/1.1 200") {
		t.Fatalf("answer: %s", out)
	}
	var ev struct {
		Path              string
		Headers           map[string]string
		MultiValueHeaders map[string][]string
		PathParameters    map[string]string
		RequestContext    struct {
			DeploymentID string `json:"deploymentId"`
			Path         string
			Identity     map[string]any
		}
	}
	if err := json.Unmarshal([]byte(body), &ev); err != nil {
		t.Fatalf("event: %v: %s", err, body)
	}
	h := ev.Headers
	switch {
	case h["host"] != "api.localhost", h["x-api-key"] != "k1", h["X-LOWER"] != "2", len(ev.MultiValueHeaders["X-LOWER"]) != 2:
		t.Errorf("header spelling: %v %v", h, ev.MultiValueHeaders)
	case h["X-Forwarded-For"] != "127.0.0.1", h["X-Forwarded-Proto"] != "http", h["X-Forwarded-Port"] == "",
		!strings.HasPrefix(h["X-Amzn-Trace-Id"], "Root=1-"), !strings.Contains(h["Via"], "cloudfront.net"), h["CloudFront-Is-Desktop-Viewer"] == "", h["CloudFront-Viewer-Country"] != "DE":
		t.Errorf("AWS's added headers: %v", h)
	case ev.Path != "/event/a%2Bb", ev.PathParameters["id"] != "a%2Bb", ev.RequestContext.Path != "/v/event/a%2Bb":
		t.Errorf("paths: %q %v %q", ev.Path, ev.PathParameters, ev.RequestContext.Path)
	case ev.RequestContext.DeploymentID == "":
		t.Errorf("no deploymentId")
	}
	if v, ok := ev.RequestContext.Identity["accessKey"]; !ok || v != nil {
		t.Errorf("identity.accessKey: %v %v", v, ok)
	}

	// The result: header names as the function wrote them; X-Both merged
	// ("one" in both maps appears once).
	req := "POST /v/img HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/png\r\nAccept: image/png\r\nContent-Length: " +
		strconv.Itoa(len(pngBytes)) + "\r\nConnection: close\r\n\r\n" + string(pngBytes)
	out = rawResponse(t, srv, req)
	head, img, _ := strings.Cut(out, "\r\n\r\n")
	for _, want := range []string{"\r\nx-Mixed-Case: yes\r\n", "\r\ncontent-type: image/png\r\n", "\r\nX-Both: one\r\nX-Both: two\r\n"} {
		if !strings.Contains(head+"\r\n", want) {
			t.Errorf("response head lacks %q:\n%s", want, head)
		}
	}
	if strings.Count(head, "X-Both:") != 2 || strings.Contains(strings.ToLower(head), "\r\ncontent-type: application/json") {
		t.Errorf("response head:\n%s", head)
	}
	if !bytes.Equal([]byte(img), pngBytes) {
		t.Errorf("image through AWS_PROXY: % x, want % x", img, pngBytes)
	}
}

// TestGatewayBinaryRoundTrips: an image through AWS_PROXY comes back
// decoded only for a binary Accept type (else as base64 text, as AWS), and
// through HTTP_PROXY byte for byte.
func TestGatewayBinaryRoundTrips(t *testing.T) {
	t.Parallel()
	srv := startFidelity(t)
	post := func(path, accept string) ([]byte, http.Header) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(pngBytes))
		req.Header.Set("Content-Type", "image/png")
		req.Header.Set("Accept", accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
		return b, resp.Header
	}
	if got, _ := post("/v/img", "image/png"); !bytes.Equal(got, pngBytes) {
		t.Errorf("AWS_PROXY, Accept image/png: % x", got)
	}
	if got, _ := post("/v/img", "text/html, image/png"); string(got) != "iVBORw0KGgoAAAANSUhEUv/+AIDDKA==" {
		t.Errorf("AWS_PROXY, first Accept not binary: %q, want the base64 text", got)
	}
	got, h := post("/v/files/photo.png", "image/png")
	if !bytes.Equal(got, pngBytes) || h.Get("Content-Type") != "image/png" {
		t.Errorf("HTTP_PROXY: % x %q", got, h.Get("Content-Type"))
	}
}

// TestGatewayRequestValidation: a validator from the OpenAPI definition
// refuses a missing required query string and a body off its model with
// AWS's 400 answers, and passes a valid request.
func TestGatewayRequestValidation(t *testing.T) {
	t.Parallel()
	srv := startFidelity(t)
	send := func(query, body string) rawResult {
		return rawExchange(t, srv, rawString("POST /v/pets"+query+" HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "+
			strconv.Itoa(len(body))+"\r\nConnection: close\r\n\r\n"+body))
	}
	send("", `{"type":"dog"}`).wantAWSError(t, 400, "BadRequestException",
		`{"message":"Missing required request parameters: [owner]","why":"Missing required request parameters: [owner]"}`)
	send("?owner=ann", `{"type":"cow"}`).wantAWSError(t, 400, "BadRequestException", `{"message":"Invalid request body"}`)
	send("?owner=ann", `{"type":`).wantAWSError(t, 400, "BadRequestException", `{"message":"Invalid request body"}`)
	if r := send("?owner=ann", `{"type":"cat"}`); r.status != 200 || r.body != `{"ok":true}` {
		t.Errorf("valid request: %d %s", r.status, r.body)
	}
}

// TestGatewayResponsesFromConfig: a gateway response customised in the
// configuration file's OpenAPI definition (status, headers from literals
// and the request, template) replaces AWS's default.
func TestGatewayResponsesFromConfig(t *testing.T) {
	t.Parallel()
	srv := startFidelity(t)
	r := rawExchange(t, srv, rawString("GET /v/nowhere HTTP/1.1\r\nHost: localhost\r\nX-Trace: t-9\r\nConnection: close\r\n\r\n"))
	r.wantAWSError(t, 404, "MissingAuthenticationTokenException", `{"message":"no route for /v/nowhere","type":"MISSING_AUTHENTICATION_TOKEN"}`)
	if r.header.Get("X-Gone") != "yes" || r.header.Get("X-Trace") != "t-9" {
		t.Errorf("headers %v", r.header)
	}
}
