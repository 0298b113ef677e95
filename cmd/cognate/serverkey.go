package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/cognate-dev/cognate/internal/app"
)

// runServerKey is `cognate server-key move [--data DIR]`: it moves
// DATA/server.key to the default place outside the data directory.
func runServerKey(_ context.Context, args []string, std stdio) error {
	if len(args) == 0 || args[0] != "move" {
		fmt.Fprintln(std.err, "Usage: cognate server-key move [--data DIR]\n\nMoves DIR/server.key (older installs) to $XDG_CONFIG_HOME/cognate/keys/ID.key\n(default ~/.config/cognate/keys/ID.key), where functions and anyone who can\nread the data directory cannot read it. Stop `cognate up` first.")
		return errUsage
	}
	fs := flag.NewFlagSet("server-key move", flag.ContinueOnError)
	fs.SetOutput(std.err)
	data := fs.String("data", ".cognate", "data directory")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(std.err, "server-key move: unexpected arguments %q\n", fs.Args())
		return errUsage
	}
	dst, err := app.MoveServerKey(*data)
	if err != nil {
		return fmt.Errorf("server-key move: %w", err)
	}
	fmt.Fprintf(std.out, "moved %s/server.key to %s\n", *data, dst)
	return nil
}
