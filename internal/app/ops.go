package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	apigwcontrol "github.com/cognate-dev/cognate/internal/apigw/control"
	lambdacontrol "github.com/cognate-dev/cognate/internal/functions/control"
	"github.com/cognate-dev/cognate/internal/iam"
	"github.com/cognate-dev/cognate/internal/metrics"
	"github.com/cognate-dev/cognate/internal/secret"
	"github.com/cognate-dev/cognate/internal/store"
	"github.com/cognate-dev/cognate/internal/store/sqlstore"
)

// ReadyTimeout bounds the store check behind /_cognate/ready.
const ReadyTimeout = 2 * time.Second

// StateFileName is the file in the data directory where a running server
// records its address and PID for `cognate logs`, `cognate admin` and
// `cognate apply`.
const StateFileName = "cognate.state.json"

// State is the content of the state file.
type State struct {
	PID     int       `json:"pid"`
	URL     string    `json:"url"`
	OpsURL  string    `json:"opsUrl,omitempty"`
	Started time.Time `json:"started"`
}

// ErrWrongServerKey means the database holds secrets sealed with another key.
var ErrWrongServerKey = errors.New("this database was sealed with a different server key: give every node the same COGNATE_SERVER_KEY")

// pinger is the store's readiness check (the SQL backends have it).
type pinger interface {
	Ping(ctx context.Context) error
}

// observable is a store that reports its latency (the SQL backends).
type observable interface {
	SetObserver(sqlstore.Observer)
}

// instrumentStore makes the store report its latency into m.
func instrumentStore(s store.Store, m *metrics.Metrics) {
	if o, ok := s.(observable); ok {
		o.SetObserver(m.StoreOp)
	}
}

// healthHandler answers liveness: the process serves HTTP.
func healthHandler(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte(`{"status":"ok"}` + "\n"))
}

// readyHandler answers readiness: the store is reachable (its migrations ran
// before the server started listening) and the server is not shutting down.
func (a *App) readyHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if err := a.ready(r.Context()); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(map[string]string{"status": "unavailable", "reason": err.Error()})
		return
	}
	w.Write([]byte(`{"status":"ready"}` + "\n"))
}

func (a *App) ready(ctx context.Context) error {
	if a.stopping.Load() {
		return errors.New("shutting down")
	}
	p, ok := a.store.(pinger)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, ReadyTimeout)
	defer cancel()
	if err := p.Ping(ctx); err != nil {
		a.log.Warn("readiness check: store unavailable", "store", a.store.Name(), "err", err)
		return errors.New("store unavailable")
	}
	return nil
}

// Mount serves GET /_cognate/health and /_cognate/ready on mux.
func (a *App) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /_cognate/health", healthHandler)
	mux.HandleFunc("GET /_cognate/ready", a.readyHandler)
}

// opsHandler serves health, readiness and metrics without authentication,
// for the --ops-addr listener (load balancers and Prometheus).
func (a *App) opsHandler() http.Handler {
	mux := http.NewServeMux()
	a.Mount(mux)
	a.metrics.Mount(mux)
	mux.HandleFunc("/", notFound)
	return mux
}

// notFound answers a path Cognate does not serve, in the REST APIs' shape.
func notFound(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNotFound)
	w.Write([]byte(`{"message":"Not Found"}` + "\n")) //nolint:errcheck // best effort
}

// startOps opens the --ops-addr listener, when one is configured.
func (a *App) startOps() error {
	if a.opts.OpsAddr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", a.opts.OpsAddr)
	if err != nil {
		return fmt.Errorf("listen on --ops-addr %s: %w", a.opts.OpsAddr, err)
	}
	a.OpsURL = "http://" + ln.Addr().String()
	a.opsSrv = &http.Server{
		Handler:           a.opsHandler(),
		ReadHeaderTimeout: 2 * time.Second,
		ReadTimeout:       5 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       DefaultIdleTimeout,
		MaxHeaderBytes:    8 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := a.opsSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("ops listener stopped", "err", err)
		}
	}()
	return nil
}

// checkServerKey opens one pool's sealed signing keys, so that a server key
// that differs from the one the database was sealed with fails the start
// with a message that says what to do.
func (a *App) checkServerKey(ctx context.Context, c *components) error {
	pools, err := a.store.ListPools(ctx, store.Page{Limit: 1})
	if err != nil || len(pools) == 0 {
		return nil // a store error surfaces where the store is used
	}
	if err := c.keys.Ensure(ctx, pools[0].ID); errors.Is(err, secret.ErrOpen) {
		return fmt.Errorf("%w (or the same --server-key-file): %w", ErrWrongServerKey, err)
	}
	return nil
}

// wrongKey rewrites an error caused by a foreign server key.
func wrongKey(err error) error {
	if errors.Is(err, secret.ErrOpen) && !errors.Is(err, ErrWrongServerKey) {
		return fmt.Errorf("%w: %w", ErrWrongServerKey, err)
	}
	return err
}

// writeState records the running server in the data directory.
func (a *App) writeState() {
	if err := os.MkdirAll(a.opts.DataDir, 0o700); err != nil {
		a.log.Warn("state file", "err", err)
		return
	}
	b, _ := json.MarshalIndent(State{PID: os.Getpid(), URL: a.URL, OpsURL: a.OpsURL, Started: a.opts.Now().UTC()}, "", "  ")
	path := filepath.Join(a.opts.DataDir, StateFileName)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		a.log.Warn("state file", "err", err)
		return
	}
	if err := os.Rename(tmp, path); err != nil {
		a.log.Warn("state file", "err", err)
	}
}

// removeState deletes the state file if it still names this process.
func (a *App) removeState() {
	path := filepath.Join(a.opts.DataDir, StateFileName)
	if st, err := ReadState(a.opts.DataDir); err == nil && st.PID == os.Getpid() {
		os.Remove(path)
	}
}

// ReadState reads the state file of the server running on dataDir; it fails
// when there is none or its process has gone.
func ReadState(dataDir string) (State, error) {
	var st State
	b, err := os.ReadFile(filepath.Join(dataDir, StateFileName))
	if err != nil {
		return st, fmt.Errorf("read state file: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("state file %s: %w", filepath.Join(dataDir, StateFileName), err)
	}
	if st.PID <= 0 || syscall.Kill(st.PID, 0) == syscall.ESRCH {
		return st, fmt.Errorf("state file %s: process %d is not running", filepath.Join(dataDir, StateFileName), st.PID)
	}
	if !strings.HasPrefix(st.URL, "http") {
		return st, fmt.Errorf("state file %s: no url", filepath.Join(dataDir, StateFileName))
	}
	return st, nil
}

// routeLabel is the default route label of the request metrics: which part
// of Cognate serves the request (handlers refine it with metrics.SetRoute).
func routeLabel(r *http.Request) string {
	p := r.URL.Path
	switch {
	case p == "/" && iam.IsQueryCall(r):
		return "iam-sts"
	case strings.HasPrefix(r.Header.Get("X-Amz-Target"), cognitoTargetPrefix), p == "/" && r.Method == http.MethodPost:
		return "cognito-idp"
	case lambdacontrol.IsPath(p):
		return "lambda"
	case apigwcontrol.IsControlPath(r):
		return "apigateway"
	case p == "/_cognate/health", p == "/_cognate/ready", p == "/_cognate/metrics":
		return p
	case strings.HasPrefix(p, "/_cognate/"):
		return "admin"
	case isWellKnown(p):
		return "well-known"
	default:
		return "gateway"
	}
}

// limitConns puts the connection limiter on the main listener.
func (a *App) limitConns(h http.Handler) http.Handler {
	if a.opts.MaxConnections < 0 {
		return h
	}
	l := newConnLimiter(a.ln, a.opts.MaxConnections)
	a.ln, a.limiter = l, l
	a.metrics.Gauge("http_open_connections", "Connections open on the main listener.", func() float64 { return float64(l.Open()) })
	a.goBackground(func() { a.releaseMemory(l) })
	return rotateWhenFull(l, h)
}

// releaseMemory hands memory back to the OS once many connections have
// closed: their goroutine stacks and buffers are otherwise kept until the
// runtime's periodic GC and scavenger get to them, minutes later.
func (a *App) releaseMemory(l *connLimiter) {
	t := time.NewTicker(releaseCheck)
	defer t.Stop()
	var high int64
	for {
		select {
		case <-a.done:
			return
		case <-t.C:
		}
		open := l.Open()
		high = max(high, open)
		if high-open >= releaseAfterClosed && open <= high/2 {
			debug.FreeOSMemory()
			a.log.Debug("released memory after connections closed", "open", open, "was", high)
			high = open
		}
	}
}

// Memory release: checked every releaseCheck, once releaseAfterClosed
// connections have closed since the last high-water mark.
const (
	releaseCheck       = 5 * time.Second
	releaseAfterClosed = 256
)
