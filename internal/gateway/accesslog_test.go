package gateway

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestAccessLog(t *testing.T) {
	var buf bytes.Buffer
	env := newTestEnv(t, func(_ *API, o *Options) {
		o.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	buf.Reset()
	rec := httpCase{target: "/dev/notes", header: auth("allow-get"), status: 200}.run(t, env.h, env.inv)
	httpCase{target: "/dev/notes", status: 401, errType: "UnauthorizedException"}.run(t, env.h, env.inv)
	var lines []map[string]any
	for l := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		if m["msg"] == "gateway request" {
			lines = append(lines, m)
		}
	}
	if len(lines) != 2 {
		t.Fatalf("%d access log lines:\n%s", len(lines), buf.String())
	}
	ok, denied := lines[0], lines[1]
	if ok["request_id"] != rec.Header().Get("x-amzn-RequestId") || ok["principalId"] != "sub-alice" || ok["status"] != float64(200) ||
		ok["resourcePath"] != "/notes" || ok["stage"] != "dev" || ok["apiId"] != testAPIID {
		t.Fatalf("access log %v", ok)
	}
	for _, k := range []string{"latency", "integrationLatency", "authorizerLatency", "ip", "httpMethod", "responseLength"} {
		if _, present := ok[k]; !present {
			t.Fatalf("access log lacks %s: %v", k, ok)
		}
	}
	if denied["status"] != float64(401) || denied["errorType"] != "UNAUTHORIZED" {
		t.Fatalf("access log %v", denied)
	}
	if strings.Contains(buf.String(), "allow-get") {
		t.Fatal("token logged")
	}
}
