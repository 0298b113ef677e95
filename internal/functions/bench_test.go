package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

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

// BenchmarkWarmInvokeAdded measures, in one loop, what a warm process
// invocation adds over the Runtime API's protocol floor. Four ways of making
// the same echo round trip (GET /next answered with the event, POST of the
// answer) run in turns, in blocks of warmBlock invocations whose order
// rotates every round, so that a busy machine slows them all alike:
//
//   - floor: plain net/http on both sides (this test binary as the runtime),
//     no Cognate code, no aws-lambda-go, no JSON;
//   - nethttp-api: a net/http Runtime API (one handler per endpoint) and the
//     aws-lambda-go test function: the floor plus the function runtime's cost;
//   - runtimeapi: Cognate's Runtime API server and the same function, no
//     runner: with nethttp-api, the evidence for the hand-written parser;
//   - process: the whole path, Runner.Invoke of a sandboxed process function
//     with a cancellable context, as the gateway and the triggers call it.
//
// Per kind it reports the median wall time and the CPU per invocation of
// the server side (this process, getrusage over its blocks) and of the
// function process (its CPU clock); added-* are the medians and p90 of the
// paired per-invocation differences process − floor (the issue 17 target:
// at most 30 µs), function-runtime-* is nethttp-api − floor (aws-lambda-go's
// own cost), cognate-* is process − nethttp-api (what Cognate adds against
// a net/http server for the same function), and parser-gain-* is
// nethttp-api − runtimeapi.
func BenchmarkWarmInvokeAdded(b *testing.B) {
	r := newTestRunner(b, Options{Logger: slog.New(slog.DiscardHandler)})
	if err := register(r, goFunction("process", nil)); err != nil {
		b.Fatal(err)
	}
	payload := []byte(`{"message":"hello","user":{"id":"1234","name":"alice"},"items":[1,2,3]}`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := r.Invoke(ctx, "process", payload); err != nil {
		b.Fatal(err)
	}
	fn := r.lookup("process")
	procPids := fn.pids()
	if len(procPids) != 1 {
		b.Fatalf("%d instances", len(procPids))
	}
	kinds := []*warmKind{
		startFloor(b, payload),
		startNetHTTPAPI(b, payload),
		startRuntimeAPI(b, payload),
		{name: "process", pid: procPids[0], call: func() error {
			res, err := r.Invoke(ctx, "process", payload)
			if err == nil && res.FunctionError != "" {
				err = fmt.Errorf("%s", res.Payload)
			}
			return err
		}},
	}
	for _, k := range kinds { // warm every path
		for range 200 {
			if err := k.call(); err != nil {
				b.Fatalf("%s: %v", k.name, err)
			}
		}
	}
	for _, k := range kinds {
		k.lat = make([]time.Duration, 0, b.N)
		k.fnCPU = -processCPU(b, k.pid)
	}
	n := len(kinds)
	pos := 0
	blockKind := -1
	var blockStart time.Duration
	for b.Loop() {
		for range n {
			if pos%warmBlock == 0 {
				now := selfCPU()
				if blockKind >= 0 {
					kinds[blockKind].srvCPU += now - blockStart
				}
				blockStart = now
				// Blocks rotate: round c runs kinds c, c+1, ... (mod n).
				blockKind = (pos/warmBlock + pos/(warmBlock*n)) % n
			}
			k := kinds[blockKind]
			start := time.Now()
			err := k.call()
			d := time.Since(start)
			if err != nil {
				b.Fatalf("%s: %v", k.name, err)
			}
			k.lat = append(k.lat, d)
			pos++
		}
	}
	b.StopTimer()
	kinds[blockKind].srvCPU += selfCPU() - blockStart
	for _, k := range kinds {
		k.fnCPU += processCPU(b, k.pid)
		inv := float64(len(k.lat))
		b.ReportMetric(float64(median(k.lat))/1e3, k.name+"-p50-µs")
		b.ReportMetric(float64(k.srvCPU)/1e3/inv, k.name+"-cpu-server-µs")
		b.ReportMetric(float64(k.fnCPU)/1e3/inv, k.name+"-cpu-function-µs")
	}
	floor, nethttp, rtapi, proc := kinds[0], kinds[1], kinds[2], kinds[3]
	paired := func(name string, a, base *warmKind) {
		d := make([]time.Duration, len(a.lat))
		for i := range d {
			d[i] = a.lat[i] - base.lat[i]
		}
		b.ReportMetric(float64(quantile(d, 0.5))/1e3, name+"-p50-µs")
		b.ReportMetric(float64(quantile(d, 0.9))/1e3, name+"-p90-µs")
		cpu := float64(a.srvCPU+a.fnCPU-base.srvCPU-base.fnCPU) / 1e3 / float64(len(d))
		b.ReportMetric(cpu, name+"-cpu-µs")
	}
	paired("added", proc, floor)
	paired("function-runtime", nethttp, floor)
	paired("cognate", proc, nethttp)
	paired("parser-gain", nethttp, rtapi)
}

// warmBlock is how many invocations of one kind BenchmarkWarmInvokeAdded
// runs in a row: the server-side CPU of a block is measured around it, and
// work that finishes after an invocation returned (answering the POST,
// parsing the next GET) lands in the wrong block only at a block's end.
const warmBlock = 5

// warmKind is one way of making the warm round trip.
type warmKind struct {
	name   string
	pid    int // the function (runtime) process
	call   func() error
	lat    []time.Duration
	srvCPU time.Duration // this process, during the kind's blocks
	fnCPU  time.Duration // the function process
}

// selfCPU is the CPU time (user and system) of this process so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// processCPU reads the CPU clock of process pid (all its threads).
func processCPU(b *testing.B, pid int) time.Duration {
	clock := int32(^pid)<<3 | 2 // MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)
	var ts syscall.Timespec
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, uintptr(clock), uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		b.Fatalf("cpu clock of %d: %v", pid, e)
	}
	return time.Duration(ts.Nano())
}

// floorClientEnv makes the test binary a minimal runtime: GET /next, POST
// the event back, repeat (see TestMain).
const floorClientEnv = "COGNATE_FLOOR_CLIENT_ADDR"

// startFloor serves the Runtime API's shape with nothing else: plain
// net/http on both sides, this process handing an event to another over
// loopback (GET /next answered with it) and getting it back (POST). No
// runner, no aws-lambda-go, no JSON: the cost a process function cannot go
// below on this machine.
func startFloor(b *testing.B, payload []byte) *warmKind {
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
	b.Cleanup(srv.Close)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), floorClientEnv+"="+srv.Listener.Addr().String())
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return &warmKind{name: "floor", pid: cmd.Process.Pid, call: func() error {
		events <- payload
		<-results
		return nil
	}}
}

// runFloorClient is the child of startFloor.
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

// startNetHTTPAPI serves the Runtime API with net/http, one handler per
// endpoint (the headers aws-lambda-go needs, the request id checked, the
// answer's JSON validated), to the aws-lambda-go test function.
func startNetHTTPAPI(b *testing.B, payload []byte) *warmKind {
	b.Helper()
	type event struct {
		id      string
		payload []byte
	}
	events, results := make(chan event), make(chan []byte)
	var current atomic.Pointer[string]
	const base = "/2018-06-01/runtime/invocation/"
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+base+"next", func(w http.ResponseWriter, r *http.Request) {
		select {
		case ev := <-events:
			current.Store(&ev.id)
			h := w.Header()
			h["Lambda-Runtime-Aws-Request-Id"] = []string{ev.id}
			h["Lambda-Runtime-Deadline-Ms"] = []string{strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10)}
			h["Lambda-Runtime-Invoked-Function-Arn"] = []string{"arn:aws:lambda:us-east-1:000000000000:function:f"}
			h["Lambda-Runtime-Trace-Id"] = []string{"Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=0"}
			h["Content-Type"] = []string{"application/json"}
			w.Write(ev.payload)
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("POST "+base+"{id}/response", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil || r.PathValue("id") != *current.Load() || !json.Valid(body) {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusAccepted)
		w.Write([]byte(`{"status":"OK"}`))
		results <- body
	})
	srv := httptest.NewServer(mux)
	b.Cleanup(srv.Close)
	proc, err := process.Start(process.Spec{Path: goHandlerBin, Env: []string{"AWS_LAMBDA_RUNTIME_API=" + srv.Listener.Addr().String()}},
		func(process.Stream, []byte) {})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { proc.Stop(0) })
	i := 0
	return &warmKind{name: "nethttp-api", pid: proc.Pid(), call: func() error {
		i++
		events <- event{id: strconv.Itoa(i), payload: payload}
		if out := <-results; len(out) != len(payload) {
			return fmt.Errorf("answer %s", out)
		}
		return nil
	}}
}

// startRuntimeAPI serves Cognate's Runtime API (no runner) to the
// aws-lambda-go test function.
func startRuntimeAPI(b *testing.B, payload []byte) *warmKind {
	b.Helper()
	api, err := runtimeapi.Start(runtimeapi.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { api.Close() })
	proc, err := process.Start(process.Spec{Path: goHandlerBin, Env: []string{"AWS_LAMBDA_RUNTIME_API=" + api.Addr()}},
		func(process.Stream, []byte) {})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { proc.Stop(0) })
	<-api.Ready()
	i := 0
	return &warmKind{name: "runtimeapi", pid: proc.Pid(), call: func() error {
		i++
		inv := runtimeapi.NewInvocation(strconv.Itoa(i), payload, time.Now().Add(time.Minute))
		inv.FunctionARN = "arn:aws:lambda:us-east-1:000000000000:function:f"
		inv.TraceID = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=0"
		if err := api.Deliver(inv); err != nil {
			return err
		}
		if out := <-inv.Done(); out.Failed {
			return fmt.Errorf("%s", out.Payload)
		}
		return nil
	}}
}

func median(d []time.Duration) time.Duration { return quantile(d, 0.5) }

// quantile is the q-quantile (nearest rank) of d.
func quantile(d []time.Duration, q float64) time.Duration {
	s := append([]time.Duration(nil), d...)
	slices.Sort(s)
	return s[min(int(q*float64(len(s))), len(s)-1)]
}
