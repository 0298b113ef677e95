package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/functions/process"
	"github.com/cognate-dev/cognate/internal/functions/runtimeapi"
)

// echoHandler is the builtin twin of testdata/gohandler's default action:
// decode the event, answer it unchanged.
func echoHandler(_ context.Context, ev json.RawMessage) (json.RawMessage, error) {
	var e struct {
		Action string `json:"action"`
	}
	_ = json.Unmarshal(ev, &e)
	return ev, nil
}

// BenchmarkWarmInvoke compares, in one run, the same echo handler called
// directly, as a builtin through the runner, and as a warm aws-lambda-go
// process over the Runtime API (and, as a reference, that process driven by
// the Runtime API server alone, without the runner). The Runtime API
// overhead per call is process minus builtin.
func BenchmarkWarmInvoke(b *testing.B) {
	r := newTestRunner(b, Options{Logger: slog.New(slog.DiscardHandler)})
	if err := registerBuiltin(r, "builtin", echoHandler, FunctionConfig{}); err != nil {
		b.Fatal(err)
	}
	if err := register(r, goFunction("process", nil)); err != nil {
		b.Fatal(err)
	}
	payload := []byte(`{"message":"hello","user":{"id":"1234","name":"alice"},"items":[1,2,3]}`)
	ctx := context.Background()
	if res, err := r.Invoke(ctx, "process", payload); err != nil || string(res.Payload) != string(payload) {
		b.Fatalf("warm-up: %v %s", err, res.Payload)
	}
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			if _, err := echoHandler(ctx, payload); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The Runtime API and the same binary without the runner: the protocol's
	// own cost on this machine.
	b.Run("runtimeapi-only", func(b *testing.B) {
		api, err := runtimeapi.Start(runtimeapi.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer api.Close()
		proc, err := process.Start(process.Spec{Path: goHandlerBin, Env: []string{"AWS_LAMBDA_RUNTIME_API=" + api.Addr()}},
			func(process.Stream, []byte) {})
		if err != nil {
			b.Fatal(err)
		}
		defer proc.Stop(0)
		<-api.Ready()
		i := 0
		for b.Loop() {
			i++
			inv := runtimeapi.NewInvocation(strconv.Itoa(i), payload, time.Now().Add(time.Minute))
			if err := api.Deliver(inv); err != nil {
				b.Fatal(err)
			}
			if out := <-inv.Done(); out.Failed {
				b.Fatalf("%s", out.Payload)
			}
		}
	})
	for _, name := range []string{"builtin", "process"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				res, err := r.Invoke(ctx, name, payload)
				if err != nil || res.FunctionError != "" {
					b.Fatalf("%v %s", err, res.Payload)
				}
			}
		})
	}
}

// BenchmarkWarmInvokeAdded alternates builtin and process calls of the same
// echo handler and reports the medians and their difference ("added-µs"),
// which is less sensitive to a busy machine than the means.
func BenchmarkWarmInvokeAdded(b *testing.B) {
	r := newTestRunner(b, Options{Logger: slog.New(slog.DiscardHandler)})
	if err := registerBuiltin(r, "builtin", echoHandler, FunctionConfig{}); err != nil {
		b.Fatal(err)
	}
	if err := register(r, goFunction("process", nil)); err != nil {
		b.Fatal(err)
	}
	payload := []byte(`{"message":"hello","user":{"id":"1234","name":"alice"},"items":[1,2,3]}`)
	ctx := context.Background()
	if _, err := r.Invoke(ctx, "process", payload); err != nil {
		b.Fatal(err)
	}
	var builtin, proc []time.Duration
	for b.Loop() {
		for _, name := range []string{"builtin", "process"} {
			start := time.Now()
			res, err := r.Invoke(ctx, name, payload)
			d := time.Since(start)
			if err != nil || res.FunctionError != "" {
				b.Fatalf("%v %s", err, res.Payload)
			}
			if name == "builtin" {
				builtin = append(builtin, d)
			} else {
				proc = append(proc, d)
			}
		}
	}
	mb, mp := median(builtin), median(proc)
	b.ReportMetric(float64(mb)/1e3, "builtin-p50-µs")
	b.ReportMetric(float64(mp)/1e3, "process-p50-µs")
	b.ReportMetric(float64(mp-mb)/1e3, "added-µs")
	floor := protocolFloor(b, payload, 2000)
	b.ReportMetric(float64(floor)/1e3, "floor-p50-µs")
	b.ReportMetric(float64(mp-mb-floor)/1e3, "added-over-floor-µs")
}

// floorClientEnv makes the test binary a minimal runtime: GET /next, POST
// the event back, repeat (see TestMain).
const floorClientEnv = "COGNATE_FLOOR_CLIENT_ADDR"

// protocolFloor measures the Runtime API's shape with nothing else: plain
// net/http on both sides, one process handing an event to another over
// loopback (GET /next answered with it) and getting it back (POST), n times;
// it returns the median. No runner, no aws-lambda-go, no JSON: the cost a
// process function cannot go below on this machine.
func protocolFloor(b *testing.B, payload []byte, n int) time.Duration {
	b.Helper()
	events, results := make(chan []byte), make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /next", func(w http.ResponseWriter, r *http.Request) {
		select {
		case ev := <-events:
			w.Write(ev)
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("POST /response", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
		results <- struct{}{}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), floorClientEnv+"="+srv.Listener.Addr().String())
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	d := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		events <- payload
		<-results
		d = append(d, time.Since(start))
	}
	return median(d)
}

// runFloorClient is the child of protocolFloor.
func runFloorClient(addr string) {
	c := &http.Client{}
	for {
		resp, err := c.Get("http://" + addr + "/next")
		if err != nil {
			return
		}
		ev, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp, err = c.Post("http://"+addr+"/response", "application/json", bytes.NewReader(ev))
		if err != nil {
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	slices.Sort(s)
	return s[len(s)/2]
}
