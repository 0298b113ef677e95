package main

import (
	"flag"
	"os"

	"github.com/cognate-dev/cognate/internal/app"
)

// DefaultEndpoint is where `cognate up` listens without --addr.
const DefaultEndpoint = "http://127.0.0.1:4566"

// endpointFlags adds -endpoint and -data to a client command; resolve picks
// the endpoint: the -endpoint flag, else $COGNATE_ENDPOINT, else the state
// file the server running on -data writes (cognate.state.json), else
// DefaultEndpoint.
type endpointFlags struct {
	endpoint *string
	data     *string
	fs       *flag.FlagSet
}

func addEndpointFlags(fs *flag.FlagSet) *endpointFlags {
	return &endpointFlags{
		fs:       fs,
		endpoint: fs.String("endpoint", "", "Cognate endpoint URL (default $COGNATE_ENDPOINT, else the server running on -data, else "+DefaultEndpoint+")"),
		data:     fs.String("data", ".cognate", "data directory of the running server, to find its address"),
	}
}

func (e *endpointFlags) resolve() string {
	if *e.endpoint != "" {
		return *e.endpoint
	}
	if env := os.Getenv("COGNATE_ENDPOINT"); env != "" {
		return env
	}
	if st, err := app.ReadState(*e.data); err == nil {
		return st.URL
	}
	return DefaultEndpoint
}
