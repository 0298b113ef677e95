package functions

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/cognate-dev/cognate/internal/functions/process"
	"github.com/cognate-dev/cognate/internal/functions/runtimeapi"
)

// instance is one warm process of a function with its Runtime API server.
type instance struct {
	f       *function
	api     *runtimeapi.Server
	proc    *process.Process
	stream  string
	started time.Time
	cur     atomic.Pointer[invocation] // tags output lines (read by the output readers)
	jobs    chan job                   // to the loop, unbuffered: only a waiting loop takes one
	stopc   chan time.Duration         // asks the loop to stop (with this grace); buffered 1
	gone    chan struct{}              // closed once the loop stopped the instance
	timer   *time.Timer                // the invocation timeout, reused by the loop's serve
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
	in := &instance{f: f, api: api, started: time.Now(), stream: day + "/[$LATEST]" + newStreamSuffix(),
		jobs: make(chan job), stopc: make(chan time.Duration, 1), gone: make(chan struct{})}
	spec.Env = f.env(api.Addr(), spec.Dir, in.stream)
	proc, err := process.Start(spec, in.onLine)
	if err == nil && !f.r.loggedSandbox.Swap(true) {
		f.r.log.Debug("function sandbox", "isolation", f.r.iso.String())
	}
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
		spec := process.Spec{Path: f.r.opts.NodePath, Args: []string{boot}, Dir: dir}
		extra := []string{boot}
		if node, err := exec.LookPath(f.r.opts.NodePath); err == nil {
			extra = append(extra, runtimeDirs(node)...)
		}
		spec.Sandbox = f.sandbox(spec, extra)
		return spec, nil
	}
	spec := process.Spec{Path: f.cfg.Command[0], Args: f.cfg.Command[1:], Dir: dir}
	spec.Sandbox = f.sandbox(spec, nil)
	return spec, nil
}

// lambdaPath is PATH in a function's environment, as on Lambda's images.
const lambdaPath = "/usr/local/bin:/usr/bin:/bin:/opt/bin"

// env is the instance's whole environment: Lambda's documented variables
// and the function's own, nothing of Cognate's (its environment may hold
// the server key or root credentials). PATH is Lambda's, plus the node
// executable's directory for nodejs; TMPDIR (the instance's private
// writable directory) is added by the sandbox.
func (f *function) env(apiAddr, taskRoot, stream string) []string {
	path := lambdaPath
	if f.cfg.Runtime == RuntimeNodeJS {
		if node, err := exec.LookPath(f.r.opts.NodePath); err == nil {
			if abs, err := filepath.Abs(node); err == nil && !slices.Contains(filepath.SplitList(path), filepath.Dir(abs)) {
				path = filepath.Dir(abs) + ":" + path
			}
		}
	}
	env := []string{"PATH=" + path, "LANG=en_US.UTF-8"}
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
		"AWS_LAMBDA_FUNCTION_VERSION="+f.version(),
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(f.cfg.MemorySize),
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
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

// stop ends the instance (only its loop calls it once started): SIGTERM, then SIGKILL of its whole process tree
// after grace (at once when grace is 0), and closes its Runtime API.
func (in *instance) stop(grace time.Duration) {
	in.proc.Stop(grace)
	_ = in.api.Close()
}
