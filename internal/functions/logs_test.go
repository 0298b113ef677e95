package functions

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestLogRingKeepsTheLastLines(t *testing.T) {
	ring := newLogRing(3)
	for i := 1; i <= 5; i++ {
		ring.add(LogLine{Message: fmt.Sprint(i)})
	}
	tests := []struct {
		since uint64
		want  []string
	}{
		{0, []string{"3", "4", "5"}},
		{3, []string{"4", "5"}},
		{5, nil},
	}
	for _, tc := range tests {
		var got []string
		for _, l := range ring.since(tc.since) {
			got = append(got, l.Message)
			if fmt.Sprint(l.Seq) != l.Message {
				t.Errorf("line %q has seq %d", l.Message, l.Seq)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("since %d: %v, want %v", tc.since, got, tc.want)
		}
	}
}

func TestLogsHandler(t *testing.T) {
	r := newTestRunner(t, Options{})
	h := func(_ context.Context, ev json.RawMessage) (json.RawMessage, error) { return ev, nil }
	if err := registerBuiltin(r, "echo", h, FunctionConfig{}); err != nil {
		t.Fatal(err)
	}
	res := mustInvoke(t, r, "echo", `{}`)
	srv := httptest.NewServer(r.LogsHandler())
	defer srv.Close()
	tests := []struct {
		path       string
		status     int
		wantFirst  string
		wantLength int
	}{
		{"/_cognate/functions/echo/logs", 200, "START RequestId: " + res.RequestID + " Version: $LATEST", 3},
		{"/_cognate/functions/echo/logs?limit=1", 200, "", 1},
		{"/_cognate/functions/echo/logs?since=2", 200, "", 1},
		{"/_cognate/functions/ghost/logs", 404, "", 0},
	}
	for _, tc := range tests {
		resp, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		var page LogsPage
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Fatalf("%s: status %d", tc.path, resp.StatusCode)
		}
		if tc.status != 200 {
			continue
		}
		if err != nil || len(page.Lines) != tc.wantLength || page.Function != "echo" {
			t.Fatalf("%s: %+v %v", tc.path, page, err)
		}
		if tc.wantFirst != "" && (page.Lines[0].Message != tc.wantFirst || page.Lines[0].RequestID != res.RequestID || page.Lines[0].Stream != StreamPlatform) {
			t.Fatalf("%s: first line %+v", tc.path, page.Lines[0])
		}
	}
}
