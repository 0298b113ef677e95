package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/internal/tlsca"
)

// runCA prints the local CA certificate's path (creating the CA on first
// use), so that it can be trusted before or after the first `up --tls auto`.
func runCA(ctx context.Context, args []string, std stdio) error {
	fs := flag.NewFlagSet("ca", flag.ContinueOnError)
	fs.SetOutput(std.err)
	dataDir := fs.String("data", ".cognate", "data directory of `cognate up`")
	spki := fs.Bool("spki", false, "print the CA's SPKI SHA-256 (base64) instead, for Chromium's --ignore-certificate-errors-spki-list")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	ca, err := tlsca.LoadOrCreate(tlsca.Dir(*dataDir), time.Now())
	if err != nil {
		return err
	}
	if *spki {
		fmt.Fprintln(std.out, ca.SPKIHash())
		return nil
	}
	fmt.Fprintln(std.out, ca.CertPath)
	return nil
}
