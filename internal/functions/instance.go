package functions

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/cognate-dev/cognate/internal/functions/process"
	"github.com/cognate-dev/cognate/internal/functions/runtimeapi"
)

// instance is one warm process of a function with its Runtime API server.
type instance struct {
	f        *function
	api      *runtimeapi.Server
	proc     *process.Process
	stream   string
	started  time.Time
	cur      atomic.Pointer[invocation] // tags output lines
	ready    bool                       // first /next seen; only the slot holder touches it
	lastUsed time.Time                  // under f.mu
}

// startInstance starts a process for f; it is not ready until its first
// /next call.
func (f *function) startInstance() (*instance, error) {
	api, err := runtimeapi.Start(runtimeapi.Options{Logger: f.r.log})
	if err != nil {
		return nil, err
	}
	spec, err := f.spec()
	if err != nil {
		api.Close()
		return nil, err
	}
	day := f.r.now().UTC().Format("2006/01/02")
	in := &instance{f: f, api: api, started: time.Now(), stream: day + "/[$LATEST]" + newStreamSuffix()}
	spec.Env = f.env(api.Addr(), spec.Dir, in.stream)
	proc, err := process.Start(spec, in.onLine)
	if err != nil {
		api.Close()
		return nil, fmt.Errorf("start function %s: %w", f.cfg.Name, err)
	}
	in.proc = proc
	f.r.log.Debug("function instance started", "function", f.cfg.Name, "pid", proc.Pid())
	return in, nil
}

// spec builds the command of an instance (without its environment).
func (f *function) spec() (process.Spec, error) {
	dir := f.cfg.Dir
	if dir == "" {
		dir = "."
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return process.Spec{}, fmt.Errorf("function %s: task root: %w", f.cfg.Name, err)
	}
	if f.cfg.Runtime == RuntimeNodeJS {
		boot, err := f.r.nodeBootstrap()
		if err != nil {
			return process.Spec{}, err
		}
		return process.Spec{Path: f.r.opts.NodePath, Args: []string{boot}, Dir: dir}, nil
	}
	return process.Spec{Path: f.cfg.Command[0], Args: f.cfg.Command[1:], Dir: dir}, nil
}

// env is the instance's whole environment: PATH and HOME of Cognate (no
// other variable of the parent, which may hold secrets), the function's
// environment, then Lambda's reserved variables.
func (f *function) env(apiAddr, taskRoot, stream string) []string {
	var env []string
	for _, k := range []string{"PATH", "HOME"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	keys := make([]string, 0, len(f.cfg.Environment))
	for k := range f.cfg.Environment {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+f.cfg.Environment[k])
	}
	region := f.r.opts.Region
	return append(env,
		"AWS_LAMBDA_RUNTIME_API="+apiAddr,
		"_HANDLER="+f.cfg.Handler,
		"AWS_LAMBDA_FUNCTION_NAME="+f.cfg.Name,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(f.cfg.MemorySize),
		"AWS_REGION="+region,
		"AWS_DEFAULT_REGION="+region,
		"LAMBDA_TASK_ROOT="+taskRoot,
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/"+f.cfg.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME="+stream,
		"TZ=:UTC",
	)
}

// onLine tags a line of the instance's output with the current request id.
func (in *instance) onLine(stream process.Stream, line []byte) {
	name := StreamStdout
	if stream == process.Stderr {
		name = StreamStderr
	}
	in.f.addLine(in.cur.Load(), name, string(line))
}

// alive reports whether the process is still running.
func (in *instance) alive() bool {
	select {
	case <-in.proc.Done():
		return false
	default:
		return true
	}
}

// stop ends the instance: SIGTERM, then SIGKILL of its process group after
// grace (at once when grace is 0), and closes its Runtime API.
func (in *instance) stop(grace time.Duration) {
	in.proc.Stop(grace)
	_ = in.api.Close()
}
