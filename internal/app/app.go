// Package app builds a Cognate process: it opens the store, loads the server
// key, starts the key ring, user pools, function runner and API gateway,
// applies the configuration (or the built-in notes demo), and serves them all
// on one listener until it is told to stop, then drains.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cognate-dev/cognate/internal/config"
	"github.com/cognate-dev/cognate/internal/metrics"
	"github.com/cognate-dev/cognate/internal/rawheader"
	"github.com/cognate-dev/cognate/internal/store"
	"github.com/cognate-dev/cognate/internal/tlsca"
)

// Options configure a Cognate process. Flags of `cognate up` map onto them.
type Options struct {
	// Addr is the listen address (default 127.0.0.1:4566; port 0 picks one).
	Addr string
	// DataDir holds the SQLite database (default ./.cognate).
	DataDir string
	// ConfigPath is the configuration file; empty serves the notes demo.
	ConfigPath string
	// StoreURL selects the store: empty or sqlite:PATH for SQLite, postgres://... for PostgreSQL.
	StoreURL string
	// ServerKeyFile holds the key sealing secrets at rest (default: outside the
	// data directory, $XDG_CONFIG_HOME/cognate/keys/ID.key, or DataDir/server.key
	// of an older install). The COGNATE_SERVER_KEY environment variable (hex)
	// takes precedence.
	ServerKeyFile string
	// PublicURL overrides the base URL clients use (default http://ADDR).
	PublicURL string
	// RootCredentialsFile holds the root access key as JSON ({"AccessKeyId",
	// "SecretAccessKey"}); COGNATE_ROOT_ACCESS_KEY_ID/_SECRET_ACCESS_KEY override.
	RootCredentialsFile string
	// InsecureNoAuth lets a server without credentials listen on a
	// non-loopback address (any well-formed signature is then accepted).
	InsecureNoAuth bool
	// AllowedHosts are Host names served besides the defaults (see hostSet).
	AllowedHosts []string
	// AllowedOrigins are browser origins allowed to call signed operations.
	AllowedOrigins []string
	// TLS is "auto" to serve HTTPS with a certificate from the local CA in
	// DataDir/tls (see package tlsca); empty serves plain HTTP unless
	// TLSCert and TLSKey are set. With TLS, http and https share the port.
	TLS string
	// TLSCert and TLSKey are PEM files of the operator's own certificate.
	TLSCert, TLSKey string
	// DrainTimeout bounds the graceful shutdown (default 30 s).
	DrainTimeout time.Duration
	// Logger receives all logs (required).
	Logger *slog.Logger
	// Banner receives the human summary printed at start (may be nil).
	Banner io.Writer
	// Now is the clock (default time.Now).
	Now func() time.Time
	// OpsAddr, when set, is a second listener serving only /_cognate/health,
	// /_cognate/ready and /_cognate/metrics, unauthenticated, apart from
	// the request work of the main listener.
	OpsAddr string
	// MaxConnections bounds the connections the main listener serves at
	// once (default DefaultMaxConnections; negative: no limit). Further
	// clients wait in the kernel's accept queue; while the limit is reached
	// responses carry Connection: close so that clients take turns.
	MaxConnections int
}

// App is a running Cognate process.
type App struct {
	// URL is the base URL the listener serves.
	URL string
	// OpsURL is the base URL of the --ops-addr listener ("" without one).
	OpsURL string

	opts     Options
	log      *slog.Logger
	ln       net.Listener
	srv      *http.Server
	store    store.Store
	parts    *components
	cancel   context.CancelFunc
	bg       sync.WaitGroup
	served   chan error
	shutOnce sync.Once
	shutErr  error
	reloadMu sync.Mutex
	keySrc   keySource
	metrics  *metrics.Metrics
	opsSrv   *http.Server
	stopping atomic.Bool
	limiter  *connLimiter
	done     chan struct{} // closed when the app shuts down
}

// Start opens everything, applies the configuration and begins serving.
func Start(ctx context.Context, opts Options) (_ *App, err error) {
	if opts.Logger == nil {
		return nil, errors.New("app: a logger is required")
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:4566"
	}
	if opts.DataDir == "" {
		opts.DataDir = ".cognate"
	}
	if opts.DrainTimeout == 0 {
		opts.DrainTimeout = DefaultDrainTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxConnections == 0 {
		opts.MaxConnections = DefaultMaxConnections
	}
	var cfg *config.File
	if opts.ConfigPath != "" {
		if cfg, err = config.Load(opts.ConfigPath); err != nil {
			return nil, err
		}
	} else if cfg, err = demoConfig(); err != nil {
		return nil, err
	}

	a := &App{opts: opts, log: opts.Logger, served: make(chan error, 1), metrics: metrics.New(), done: make(chan struct{})}
	runCtx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	defer func() {
		if err != nil {
			a.closeAll(context.Background())
		}
	}()

	if a.ln, err = net.Listen("tcp", opts.Addr); err != nil {
		return nil, fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	tlsOn, err := tlsMode(opts)
	if err != nil {
		return nil, err
	}
	a.URL = "http://" + a.ln.Addr().String()
	if tlsOn {
		a.URL = "https://" + a.ln.Addr().String()
	}
	base := strings.TrimRight(opts.PublicURL, "/")
	if base == "" {
		base = strings.TrimRight(cfg.PublicURL, "/")
	}
	if base == "" {
		base = a.URL
	}

	if a.store, err = openStore(ctx, opts); err != nil {
		return nil, err
	}
	instrumentStore(a.store, a.metrics)
	sealer, keySrc, err := loadSealer(opts)
	if err != nil {
		return nil, err
	}
	a.keySrc = keySrc
	warnKeyLocation(a.log, opts, keySrc)
	sec, err := newSecurity(opts, cfg, a.ln.Addr().String())
	if err != nil {
		return nil, err
	}
	if a.parts, err = build(runCtx, a, cfg, sealer, base, sec); err != nil {
		return nil, wrongKey(err)
	}
	if err := a.checkServerKey(ctx, a.parts); err != nil {
		return nil, err
	}
	summary, err := a.parts.apply(ctx, cfg)
	if err != nil {
		return nil, wrongKey(fmt.Errorf("apply configuration: %w", err))
	}
	a.parts.applied = cfg
	if err := a.startOps(); err != nil {
		return nil, err
	}

	// Listener layers, innermost first: the connection limiter, then TLS
	// sniffing, then the header-name recorder, which ConnContext must see as
	// the outermost connection. With TLS on the recorder wraps the *tls.Conn
	// too (it must read the decrypted stream), so the server no longer sees
	// a *tls.Conn: tlsca.ConnContext and RestoreTLS give requests their r.TLS.
	handler := a.limitConns(a.parts.handler())
	connContext := rawheader.ConnContext
	if tlsOn {
		cfgTLS, err := a.tlsConfig(cfg, base, sec)
		if err != nil {
			return nil, err
		}
		a.ln = tlsca.NewWrappingListener(a.ln, cfgTLS, rawheader.Wrap)
		handler = tlsca.RestoreTLS(handler)
		connContext = func(ctx context.Context, c net.Conn) context.Context {
			return tlsca.ConnContext(rawheader.ConnContext(ctx, c), c)
		}
	} else {
		a.ln = rawheader.Listener(a.ln) // header names as sent, for the gateway's events
	}
	a.srv = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: DefaultReadHeaderTimeout,
		ReadTimeout:       DefaultReadTimeout,
		WriteTimeout:      DefaultWriteTimeout,
		IdleTimeout:       DefaultIdleTimeout,
		MaxHeaderBytes:    DefaultMaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn),
		ConnContext:       connContext,
	}
	go func() { a.served <- a.srv.Serve(a.ln) }()
	a.writeState()
	a.log.Info("cognate started", "url", a.URL, "store", a.store.Name(), "pid", os.Getpid(), "auth", map[bool]string{true: "open", false: "enforced"}[sec.open])
	if sec.open {
		a.log.Warn("no credentials configured: the AWS APIs accept any well-formed SigV4 signature; set COGNATE_ROOT_ACCESS_KEY_ID and COGNATE_ROOT_SECRET_ACCESS_KEY to enforce signatures and policies")
	}
	if a.OpsURL != "" {
		a.log.Info("ops listener", "url", a.OpsURL)
	}
	if opts.Banner != nil {
		printBanner(opts.Banner, a, base, cfg, summary)
	}
	return a, nil
}

// Reload reads the configuration file again and applies it: new and changed
// pools, clients, users and functions, and a new deployment of every API
// stage (swapped in atomically; requests in flight finish on the old one);
// functions whose code changed are replaced, and what the file no longer
// declares is removed (see Apply). Without --config (the demo) there is
// nothing to reload.
func (a *App) Reload(ctx context.Context) error {
	_, err := a.Apply(ctx, false)
	return err
}

// Wait blocks until the server stops serving on its own (an error) or ctx ends,
// then shuts down gracefully.
func (a *App) Wait(ctx context.Context) error {
	select {
	case err := <-a.served:
		a.Shutdown(context.Background())
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
		return a.Shutdown(context.Background())
	}
}

// Shutdown stops accepting requests, waits up to DrainTimeout for requests in
// flight, stops every function instance and closes the store.
func (a *App) Shutdown(ctx context.Context) error {
	a.shutOnce.Do(func() {
		a.log.Info("cognate shutting down", "drain", a.opts.DrainTimeout)
		a.stopping.Store(true)
		a.removeState()
		ctx, cancel := context.WithTimeout(ctx, a.opts.DrainTimeout)
		defer cancel()
		if a.srv != nil {
			if err := a.srv.Shutdown(ctx); err != nil {
				a.shutErr = fmt.Errorf("drain: %w", err)
				a.srv.Close()
			}
		}
		a.closeAll(ctx)
		if a.opsSrv != nil {
			a.opsSrv.Close()
		}
	})
	return a.shutErr
}

// closeAll stops background work and releases resources in reverse order.
func (a *App) closeAll(ctx context.Context) {
	if a.cancel != nil {
		a.cancel()
	}
	select {
	case <-a.done:
	default:
		close(a.done)
	}
	if a.parts != nil {
		a.parts.close(ctx)
	}
	a.bg.Wait()
	if a.ln != nil && a.srv == nil {
		a.ln.Close()
	}
	if a.store != nil {
		if err := a.store.Close(); err != nil {
			a.log.Error("close store", "err", err)
		}
	}
}

// protectedPaths are what function processes must never read: the data
// directory, the server key, the configuration file, the root credentials
// file and the SQLite file.
func (a *App) protectedPaths() []string {
	out := []string{a.opts.DataDir}
	if a.keySrc.path != "" {
		out = append(out, a.keySrc.path)
	}
	if a.opts.ConfigPath != "" {
		out = append(out, a.opts.ConfigPath)
	}
	if f := a.opts.RootCredentialsFile; f != "" {
		out = append(out, f)
	}
	if f := os.Getenv("COGNATE_ROOT_CREDENTIALS_FILE"); f != "" {
		out = append(out, f)
	}
	if p, ok := strings.CutPrefix(a.opts.StoreURL, "sqlite:"); ok && p != "" {
		out = append(out, p, p+"-wal", p+"-shm")
	}
	for i, p := range out {
		if abs, err := filepath.Abs(p); err == nil {
			out[i] = abs
		}
	}
	return out
}

// go runs fn in the background until the app shuts down.
func (a *App) goBackground(fn func()) {
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		fn()
	}()
}
