package functions

import (
	"context"
	"encoding/json"
	"log/slog"
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
	if err := r.RegisterBuiltin("builtin", echoHandler, FunctionConfig{}); err != nil {
		b.Fatal(err)
	}
	if err := r.Register(goFunction("process", nil)); err != nil {
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
	if err := r.RegisterBuiltin("builtin", echoHandler, FunctionConfig{}); err != nil {
		b.Fatal(err)
	}
	if err := r.Register(goFunction("process", nil)); err != nil {
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
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	slices.Sort(s)
	return s[len(s)/2]
}
