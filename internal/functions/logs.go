package functions

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Log streams of a LogLine.
const (
	StreamStdout   = "stdout"
	StreamStderr   = "stderr"
	StreamPlatform = "platform" // START, END, REPORT and runner notices
)

// tailSize is how much of an invocation's log LogType Tail returns.
const tailSize = 4096

// LogLine is one captured line of a function's output.
type LogLine struct {
	Seq       uint64    `json:"seq"` // increases by one per line of the function
	Time      time.Time `json:"time"`
	Function  string    `json:"function"`
	RequestID string    `json:"requestId,omitempty"`
	Stream    string    `json:"stream"`
	Message   string    `json:"message"`
}

// LogsPage is the JSON document LogsHandler serves.
type LogsPage struct {
	Function string    `json:"function"`
	Lines    []LogLine `json:"lines"`
}

// logRing keeps the last lines of one function.
type logRing struct {
	mu    sync.Mutex
	lines []LogLine
	next  int // index of the oldest line once full
	seq   uint64
}

func newLogRing(size int) *logRing { return &logRing{lines: make([]LogLine, 0, size)} }

func (r *logRing) add(l LogLine) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	l.Seq = r.seq
	if len(r.lines) < cap(r.lines) {
		r.lines = append(r.lines, l)
		return
	}
	r.lines[r.next] = l
	r.next = (r.next + 1) % len(r.lines)
}

// since returns the kept lines with Seq > after, oldest first.
func (r *logRing) since(after uint64) []LogLine {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]LogLine, 0, len(r.lines))
	for i := range r.lines {
		l := r.lines[(r.next+i)%len(r.lines)]
		if l.Seq > after {
			out = append(out, l)
		}
	}
	return out
}

// addLine records a line of fn's log, tagged with inv's request id when
// inv is not nil, and adds it to inv's tail.
func (f *function) addLine(inv *invocation, stream, msg string) {
	now := f.r.now()
	var id string
	if inv != nil {
		id = inv.id
		inv.appendTail(msg)
	}
	f.ring.add(LogLine{Time: now, Function: f.cfg.Name, RequestID: id, Stream: stream, Message: msg})
	level := slog.LevelInfo
	if stream == StreamPlatform {
		level = slog.LevelDebug
	}
	ctx := context.Background()
	if f.r.log.Enabled(ctx, level) {
		f.r.log.LogAttrs(ctx, level, msg, slog.String("function", f.cfg.Name),
			slog.String("request_id", id), slog.String("stream", stream))
	}
}

// platformf records a START/END/REPORT style line.
func (f *function) platformf(inv *invocation, format string, args ...any) {
	f.addLine(inv, StreamPlatform, fmt.Sprintf(format, args...))
}

// start records inv's START line.
func (f *function) start(inv *invocation) {
	f.addLine(inv, StreamPlatform, "START RequestId: "+inv.id+" Version: $LATEST")
}

// Logs returns the recent log lines of the function, oldest first, or nil
// for an unknown function.
func (r *Runner) Logs(name string) []LogLine {
	f := r.lookup(name)
	if f == nil {
		return nil
	}
	return f.ring.since(0)
}

// LogsHandler serves GET /_cognate/functions/{name}/logs as a LogsPage.
// Query parameters: since (a Seq: only later lines) and limit (the last N).
func (r *Runner) LogsHandler() http.Handler {
	mux := http.NewServeMux()
	r.Mount(mux)
	return mux
}

// Mount serves the runner's endpoints on mux: GET
// /_cognate/functions/{name}/logs (see LogsHandler).
func (r *Runner) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /_cognate/functions/{name}/logs", func(w http.ResponseWriter, req *http.Request) {
		name := req.PathValue("name")
		f := r.lookup(name)
		w.Header().Set("Content-Type", "application/json")
		if f == nil {
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(map[string]string{"message": "Function not found: " + name})
			return
		}
		since, _ := strconv.ParseUint(req.URL.Query().Get("since"), 10, 64)
		lines := f.ring.since(since)
		if n, err := strconv.Atoi(req.URL.Query().Get("limit")); err == nil && n >= 0 && n < len(lines) {
			lines = lines[len(lines)-n:]
		}
		_ = json.NewEncoder(w).Encode(LogsPage{Function: name, Lines: lines})
	})
}
