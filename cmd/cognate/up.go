package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/cognate-dev/cognate/internal/app"
)

func runUp(ctx context.Context, args []string, std stdio) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	fs.SetOutput(std.err)
	var opts app.Options
	fs.StringVar(&opts.Addr, "addr", "127.0.0.1:4566", "listen address HOST:PORT (port 0 picks a free port)")
	fs.StringVar(&opts.DataDir, "data", ".cognate", "data directory (SQLite database; the server key of older installs)")
	fs.StringVar(&opts.ConfigPath, "config", "", "configuration file (default: the built-in notes demo)")
	fs.StringVar(&opts.StoreURL, "store", os.Getenv("COGNATE_STORE"), "store: empty for SQLite in the data directory, or postgres://... (default $COGNATE_STORE)")
	fs.StringVar(&opts.PublicURL, "public-url", "", "base URL clients reach Cognate at (default http://ADDR)")
	fs.StringVar(&opts.OpsAddr, "ops-addr", "", "optional second listener HOST:PORT serving only /_cognate/health, /_cognate/ready and /_cognate/metrics, unauthenticated")
	fs.IntVar(&opts.MaxConnections, "max-connections", app.DefaultMaxConnections, "connections the main listener serves at once; more wait to be accepted (-1: no limit)")
	fs.StringVar(&opts.ServerKeyFile, "server-key-file", "", "file holding the key that seals secrets at rest (default: outside the data directory, $XDG_CONFIG_HOME/cognate/keys/ID.key, or DATA/server.key of an older install; $COGNATE_SERVER_KEY overrides)")
	fs.StringVar(&opts.RootCredentialsFile, "root-credentials-file", "", "JSON file with the root access key {\"AccessKeyId\",\"SecretAccessKey\"} (default $COGNATE_ROOT_CREDENTIALS_FILE; $COGNATE_ROOT_ACCESS_KEY_ID/$COGNATE_ROOT_SECRET_ACCESS_KEY override)")
	fs.BoolVar(&opts.InsecureNoAuth, "insecure-no-auth", false, "allow a non-loopback --addr without credentials (any well-formed signature is then accepted: never on a shared network)")
	fs.StringVar(&opts.TLS, "tls", "", "\"auto\": serve HTTPS (and HTTP, same port) with a certificate from the local CA in DATA/tls (see `cognate ca`)")
	fs.StringVar(&opts.TLSCert, "tls-cert", "", "PEM certificate (chain) to serve HTTPS with, with --tls-key")
	fs.StringVar(&opts.TLSKey, "tls-key", "", "PEM private key of --tls-cert")
	hosts := fs.String("allowed-hosts", "", "extra Host names to serve, comma-separated (\"*.example.com\" allowed)")
	origins := fs.String("allowed-origins", "", "browser origins allowed to call signed operations, comma-separated (default none)")
	logLevel := fs.String("log-level", envOr("COGNATE_LOG_LEVEL", "info"), "log level: debug, info, warn, error (default $COGNATE_LOG_LEVEL or info)")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(std.err, "up: unexpected arguments %q\n", fs.Args())
		return errUsage
	}
	opts.AllowedHosts, opts.AllowedOrigins = splitList(*hosts), splitList(*origins)
	logger, err := newLogger(std, *logLevel, *logFormat)
	if err != nil {
		return err
	}
	opts.Logger = logger
	opts.Banner = std.out
	a, err := app.Start(ctx, opts)
	if err != nil {
		return err
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup { // SIGHUP re-applies the configuration file
			if err := a.Reload(ctx); err != nil {
				logger.Error("reload failed (an invalid file changes nothing; an apply error keeps what was applied before it)", "err", err)
			}
		}
	}()
	return a.Wait(ctx)
}

func newLogger(std stdio, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: %w", level, err)
	}
	hopts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(std.err, hopts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(std.err, hopts)), nil
	default:
		return nil, fmt.Errorf("log format %q is not text or json", format)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
