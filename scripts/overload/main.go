// Command overload measures what an operator sees while the gateway is
// saturated: it starts `cognate up` (the binary given) with a mock API and
// an ops listener, holds CONNS keep-alive connections busy on the gateway
// for a bounded time, all on loopback, and meanwhile samples the latency of
// /_cognate/health and /_cognate/ready on both listeners and the server's
// RSS, then keeps sampling RSS after the load stops. See docs/PERFORMANCE.md.
//
//	go build -o /tmp/cognate ./cmd/cognate
//	go run ./scripts/overload -cognate /tmp/cognate -conns 2000 -duration 15s
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const config = `apis:
  - name: load
    stages: [{name: dev}]
    definition:
      openapi: 3.0.1
      info: {title: load, version: "1"}
      paths:
        /ping:
          get:
            responses: {"200": {description: ok}}
            x-amazon-apigateway-integration:
              type: mock
              requestTemplates: {application/json: '{"statusCode": 200}'}
              responses: {default: {statusCode: "200", responseTemplates: {application/json: '{"pong":true}'}}}
`

// probeEnv switches the binary into the probe process: it GETs each URL of
// the variable's value in turn every 100 ms until stdin closes, printing
// "URL NANOSECONDS" lines.
const probeEnv = "COGNATE_OVERLOAD_PROBE"

func probe(targets []string) {
	stop := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(stop) }()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for {
		for _, target := range targets {
			start := time.Now()
			resp, err := client.Get(target)
			d := time.Since(start)
			if err != nil {
				d = 10 * time.Second
			} else {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			fmt.Println(target, int64(d))
		}
		select {
		case <-stop:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func main() {
	if targets := os.Getenv(probeEnv); targets != "" {
		probe(strings.Fields(targets))
		return
	}
	bin := flag.String("cognate", "", "cognate binary (required)")
	conns := flag.Int("conns", 2000, "concurrent keep-alive connections on the gateway (at most 5000)")
	duration := flag.Duration("duration", 15*time.Second, "how long the load runs (at most 2m)")
	after := flag.Duration("after", 20*time.Second, "how long RSS is sampled after the load (at most 2m)")
	extra := flag.String("args", "", "extra arguments for cognate up, space-separated")
	serverEnv := flag.String("server-env", "", "extra environment of the cognate process only, space-separated (e.g. GOMAXPROCS=8)")
	gwConc := flag.Int("gateway-concurrency", 0, "gateway.maxConcurrentRequests in the configuration (0: the default; -1: no limit)")
	withOps := flag.Bool("ops", true, "start cognate with --ops-addr and probe it too (false for builds without it)")
	flag.Parse()
	if *bin == "" || *conns < 1 || *conns > 5000 || *duration > 2*time.Minute || *after > 2*time.Minute {
		flag.Usage()
		os.Exit(2)
	}
	cfgText := config
	if *gwConc != 0 {
		cfgText += fmt.Sprintf("gateway:\n  maxConcurrentRequests: %d\n", *gwConc)
	}
	if err := run(*bin, cfgText, *serverEnv, *conns, *duration, *after, strings.Fields(*extra), *withOps); err != nil {
		fmt.Fprintln(os.Stderr, "overload:", err)
		os.Exit(1)
	}
}

func run(bin, config, serverEnv string, conns int, duration, after time.Duration, extra []string, withOps bool) error {
	dir, err := os.MkdirTemp("", "cognate-overload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg := filepath.Join(dir, "cognate.yaml")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		return err
	}
	opsAddr, err := freeAddr()
	if err != nil {
		return err
	}
	args := []string{"up", "--addr", "127.0.0.1:0", "--data", dir, "--config", cfg, "--log-level", "warn"}
	if withOps {
		args = append(args, "--ops-addr", opsAddr)
	}
	args = append(args, extra...)
	cmd := exec.Command(bin, args...)
	if serverEnv != "" {
		cmd.Env = append(os.Environ(), strings.Fields(serverEnv)...)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	url, err := waitURL(out)
	if err != nil {
		return err
	}
	ops := "http://" + opsAddr
	pid := cmd.Process.Pid
	fmt.Printf("cognate pid %d at %s, ops %s; %d connections for %v\n", pid, url, ops, conns, duration)
	time.Sleep(time.Second)
	fmt.Printf("RSS idle: %.1f MB\n", rssMB(pid))

	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	var done, failed atomic.Int64
	var wg sync.WaitGroup
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, IdleConnTimeout: time.Minute}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/dev/ping", nil)
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						failed.Add(1)
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				done.Add(1)
			}
		}()
	}
	// The probe runs in its own process, so that the load generator's
	// goroutines do not delay it: its latencies are the server's.
	self, err := os.Executable()
	if err != nil {
		return err
	}
	probeCmd := exec.Command(self)
	targets := []string{url + "/_cognate/health"}
	if withOps {
		targets = append(targets, url+"/_cognate/ready", ops+"/_cognate/health", ops+"/_cognate/ready")
	}
	probeCmd.Env = append(os.Environ(), probeEnv+"="+strings.Join(targets, " "))
	probeIn, _ := probeCmd.StdinPipe()
	probeOut, _ := probeCmd.StdoutPipe()
	time.Sleep(2 * time.Second) // let every connection open
	if err := probeCmd.Start(); err != nil {
		return err
	}
	var peak float64
	for ctx.Err() == nil {
		peak = max(peak, rssMB(pid))
		time.Sleep(100 * time.Millisecond)
	}
	probeIn.Close()
	lat := map[string][]time.Duration{}
	sc := bufio.NewScanner(probeOut)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			lat[f[0]] = append(lat[f[0]], time.Duration(n))
		}
	}
	probeCmd.Wait()
	wg.Wait()
	tr.CloseIdleConnections()
	fmt.Printf("gateway: %d requests (%.0f/s), %d failed\n", done.Load(), float64(done.Load())/duration.Seconds(), failed.Load())
	for _, target := range slices.Sorted(func(yield func(string) bool) {
		for k := range lat {
			if !yield(k) {
				return
			}
		}
	}) {
		ds := lat[target]
		slices.Sort(ds)
		fmt.Printf("%-45s n=%3d p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms\n", strings.TrimPrefix(target, "http://"), len(ds),
			ms(ds[len(ds)/2]), ms(ds[len(ds)*99/100]), ms(ds[len(ds)-1]))
	}
	fmt.Printf("RSS peak under load: %.1f MB\n", peak)
	for t := time.Duration(0); t <= after; t += 5 * time.Second {
		fmt.Printf("RSS %2.0f s after the load: %.1f MB\n", t.Seconds(), rssMB(pid))
		if t < after {
			time.Sleep(5 * time.Second)
		}
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

var listening = regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)

func waitURL(r io.Reader) (string, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(io.Discard, r)
			return m[1], nil
		}
	}
	return "", fmt.Errorf("cognate exited before listening")
}

func rssMB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
