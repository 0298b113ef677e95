// Command loadbench starts, in one process and on loopback ephemeral ports, the
// three servers of the gateway load benchmark: a trivial JSON backend, a tuned
// bare httputil.ReverseProxy in front of it (the baseline), and a full Cognate
// (internal/app) whose API routes /{proxy+} through a cached TOKEN authorizer
// and an HTTP_PROXY integration to the same backend. It signs in a user with
// SRP, prints GATEWAY_URL=, PROXY_URL= and TOKEN= lines on stdout, and serves
// until SIGINT/SIGTERM or its hard time limit, then shuts down cleanly.
// scripts/bench-gateway.sh drives it with wrk.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/cognate-dev/cognate/internal/gateway"
)

func main() {
	maxRun := flag.Duration("max-run", 10*time.Minute, "hard limit: stop by itself after this long")
	logLevel := flag.String("log-level", "warn", "Cognate's log level (debug, info, warn, error); info adds the access log")
	logDiscard := flag.Bool("log-discard", false, "write Cognate's log to /dev/null instead of stderr (for -log-level info)")
	nAPIs := flag.Int("apis", 1, "deploy this many identical APIs bench1..benchN (each stage has its own 10,000 req/s throttle)")
	pprof := flag.Bool("pprof", false, "also serve net/http/pprof on a loopback port (PPROF_URL=)")
	backendOnly := flag.Bool("backend-only", false, "serve only the trivial backend (BACKEND_URL=), so that its CPU is counted apart from the proxies'")
	backendURL := flag.String("backend", "", "use this backend (a loopback URL from -backend-only) instead of starting one in this process")
	flag.Parse()
	if *nAPIs < 1 || *nAPIs > 16 {
		fmt.Fprintln(os.Stderr, "loadbench: -apis must be 1..16")
		os.Exit(2)
	}
	apiNames := make([]string, *nAPIs)
	for i := range apiNames {
		apiNames[i] = fmt.Sprintf("bench%d", i+1)
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintln(os.Stderr, "loadbench: -log-level:", err)
		os.Exit(2)
	}
	out := os.Stderr
	if *logDiscard {
		devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadbench:", err)
			os.Exit(1)
		}
		defer devNull.Close()
		out = devNull
	}
	logger := slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: level}))

	var err error
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeoutCause(ctx, *maxRun, errMaxRun)
	defer cancel()

	if *pprof {
		srv, err := startPprof()
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadbench:", err)
			os.Exit(1)
		}
		defer srv.close()
		fmt.Printf("PPROF_URL=%s/debug/pprof/\n", srv.url)
	}
	if *backendOnly {
		err = serveBackendOnly(ctx)
	} else {
		err = run(ctx, logger, apiNames, *backendURL)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadbench:", err)
		os.Exit(1)
	}
}

var errMaxRun = errors.New("hard time limit reached")

// serveBackendOnly serves the backend alone until ctx ends.
func serveBackendOnly(ctx context.Context) error {
	backend, err := startBackend()
	if err != nil {
		return err
	}
	defer backend.close()
	fmt.Printf("BACKEND_URL=%s\n", backend.url)
	fmt.Println("READY=1")
	os.Stdout.Sync()
	<-ctx.Done()
	return nil
}

// run starts everything (the backend only when backendURL is empty), prints
// the URLs and the token, and waits for ctx.
func run(ctx context.Context, logger *slog.Logger, apiNames []string, backendURL string) error {
	if backendURL == "" {
		backend, err := startBackend()
		if err != nil {
			return err
		}
		defer backend.close()
		backendURL = backend.url
	} else if !strings.HasPrefix(backendURL, "http://127.0.0.1:") {
		return fmt.Errorf("-backend %q: want a loopback http://127.0.0.1:port URL", backendURL)
	}
	proxy, err := startProxy(backendURL)
	if err != nil {
		return err
	}
	defer proxy.close()

	tmp, err := os.MkdirTemp("", "cognate-loadbench-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(tmp)
	cg, err := startCognate(ctx, tmp, backendURL, apiNames, logger)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := cg.app.Shutdown(sctx); err != nil {
			fmt.Fprintln(os.Stderr, "loadbench: shutdown:", err)
		}
	}()

	// The gateway finds each API by its Host {apiId}.execute-api.localhost
	// and serves /dev/items/1; the proxy forwards any request to the backend,
	// which ignores path and Host, so both can be sent byte-identical requests.
	fmt.Printf("BACKEND_URL=%s\n", backendURL)
	fmt.Printf("PROXY_URL=%s\n", proxy.url)
	fmt.Printf("GATEWAY_URL=%s\n", cg.app.URL)
	fmt.Printf("REQUEST_PATH=/%s%s\n", stageName, benchPath)
	fmt.Printf("COGNITO_PATH=/%s/cognito%s\n", stageName, benchPath)
	fmt.Printf("FUNCTION_PATH=/%s/fn/notes\n", stageName)
	fmt.Printf("HOSTS=%s\n", strings.Join(hosts(apiNames), ","))
	fmt.Printf("TOKEN=%s\n", cg.token)
	fmt.Println("READY=1")
	os.Stdout.Sync()

	<-ctx.Done()
	if errors.Is(context.Cause(ctx), errMaxRun) {
		fmt.Fprintln(os.Stderr, "loadbench: hard time limit reached, stopping")
	}
	return nil
}

// hosts are the Host headers that select each API.
func hosts(apiNames []string) []string {
	out := make([]string, len(apiNames))
	for i, name := range apiNames {
		out[i] = gateway.APIID(name) + ".execute-api.localhost"
	}
	return out
}
