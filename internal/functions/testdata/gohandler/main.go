// Command gohandler is the aws-lambda-go function the runner's tests build
// and run over the Runtime API.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Action  string   `json:"action"`
	Message string   `json:"message"`
	Millis  int      `json:"millis"`
	Size    int      `json:"size"`
	Code    int      `json:"code"`
	Paths   []string `json:"paths"`
	Dir     bool     `json:"dir"`
	Hang    bool     `json:"hang"`
	MB      int      `json:"mb"`
}

// kept holds what "alloc" allocated.
var kept [][]byte

var count int

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var ev event
	_ = json.Unmarshal(raw, &ev)
	switch ev.Action {
	case "count":
		count++
		return map[string]int{"count": count, "pid": os.Getpid()}, nil
	case "error":
		return nil, errors.New(ev.Message)
	case "panic":
		panic(ev.Message)
	case "sleep":
		time.Sleep(time.Duration(ev.Millis) * time.Millisecond)
		return "slept", nil
	case "exit":
		fmt.Fprintln(os.Stderr, "exiting with", ev.Code)
		os.Exit(ev.Code)
	case "big":
		return strings.Repeat("x", ev.Size), nil
	case "log":
		fmt.Println(ev.Message)
		fmt.Fprintln(os.Stderr, "to stderr:", ev.Message)
		return "logged", nil
	case "context":
		lc, _ := lambdacontext.FromContext(ctx)
		deadline, _ := ctx.Deadline()
		env := map[string]string{}
		for _, k := range []string{"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
			"AWS_REGION", "_HANDLER", "LAMBDA_TASK_ROOT", "TZ", "GREETING", "COGNATE_TEST_SECRET", "AWS_LAMBDA_LOG_GROUP_NAME"} {
			env[k] = os.Getenv(k)
		}
		return map[string]any{"requestId": lc.AwsRequestID, "arn": lc.InvokedFunctionArn,
			"remainingMs": time.Until(deadline).Milliseconds(), "env": env}, nil
	case "read":
		out := map[string]string{}
		for _, p := range ev.Paths {
			var err error
			if ev.Dir {
				_, err = os.ReadDir(p)
			} else {
				_, err = os.ReadFile(p)
			}
			out[p] = errCode(err)
		}
		return out, nil
	case "env":
		env := map[string]string{}
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		return map[string]any{"env": env, "uid": os.Getuid(), "gid": os.Getgid()}, nil
	case "detach":
		// A grandchild in a session of its own: setsid, then the shell forks
		// it and exits.
		cmd := exec.Command("/bin/sh", "-c", "sleep 300 >/dev/null 2>&1 & echo $!")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		out, err := cmd.Output()
		if err != nil {
			return nil, err
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
		if err != nil {
			return nil, err
		}
		fmt.Printf("detached child %d\n", pid)
		if ev.Code != 0 {
			os.Exit(ev.Code)
		}
		if ev.Hang {
			select {}
		}
		return map[string]int{"pid": pid}, nil
	case "alloc":
		for i := 0; i < ev.MB; i += 16 {
			b := make([]byte, 16<<20)
			for j := 0; j < len(b); j += 4096 {
				b[j] = 1
			}
			kept = append(kept, b)
		}
		return map[string]int{"allocated": len(kept) * 16}, nil
	}
	return raw, nil
}

// errCode is "read" for nil, else the errno's name when there is one.
func errCode(err error) string {
	if err == nil {
		return "read"
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.EACCES:
			return "EACCES"
		case syscall.EPERM:
			return "EPERM"
		case syscall.ENOENT:
			return "ENOENT"
		}
	}
	return err.Error()
}

// rawNonJSON speaks the Runtime API by hand and answers bytes that are not
// JSON.
func rawNonJSON() {
	base := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/invocation/"
	for {
		resp, err := http.Get(base + "next")
		if err != nil {
			os.Exit(1)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		post, err := http.Post(base+id+"/response", "text/plain", strings.NewReader("this is not json"))
		if err != nil {
			os.Exit(1)
		}
		post.Body.Close()
	}
}

func main() {
	switch os.Getenv("TEST_MODE") {
	case "initfail":
		fmt.Fprintln(os.Stderr, "cannot load configuration")
		os.Exit(3)
	case "nonjson":
		rawNonJSON()
	}
	lambda.Start(handle)
}
