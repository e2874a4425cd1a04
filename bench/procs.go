package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// moduleRoot is the directory of the root module's go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run the benchmark from inside the checkout module (go run ./bench)")
	}
	return filepath.Dir(gomod), nil
}

// build compiles pkg in dir (a module directory) to out.
func build(ctx context.Context, dir, pkg, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s in %s: %v\n%s", pkg, dir, err, b)
	}
	return nil
}

// freeAddr returns a 127.0.0.1 address with a port free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// child is a process the benchmark started.
type child struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	log  *os.File
}

// startChild runs bin with args and env, its output appended to logPath.
func startChild(name, bin string, args, env []string, logPath string) (*child, error) {
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = log, log
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, done: make(chan struct{}), log: log}
	go func() { _ = cmd.Wait(); close(c.done) }()
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// waitHTTP polls url until it answers want, the child exits or timeout.
func (c *child) waitHTTP(url string, header http.Header, want int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header = header
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == want {
				return nil
			}
			err = fmt.Errorf("status %d", res.StatusCode)
		}
		last = err
		select {
		case <-c.done:
			return fmt.Errorf("%s exited while starting (see %s)", c.name, c.log.Name())
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not answer %s within %v: %v (see %s)", c.name, url, timeout, last, c.log.Name())
}

// stop sends SIGTERM and waits for the exit (SIGKILL after grace).
func (c *child) stop(grace time.Duration) {
	select {
	case <-c.done:
	default:
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-c.done:
		case <-time.After(grace):
			_ = c.cmd.Process.Kill()
			<-c.done
		}
	}
	c.log.Close()
}

// exitedCleanly reports whether the child ended with status 0.
func (c *child) exitedCleanly() bool {
	<-c.done
	return c.cmd.ProcessState != nil && c.cmd.ProcessState.Success()
}

// childEnv is the benchmark's environment without any of the service's
// own variables, plus extra.
func childEnv(extra map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "CHECKOUT_") || strings.HasPrefix(kv, "STRIPE_") {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	return env
}

// startStripeMock runs the built stripe-mock on a free loopback port and
// returns it with its base URL once it answers.
func startStripeMock(bin, logPath string) (*child, string, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	https, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	c, err := startChild("stripe-mock", bin, []string{"-http-addr", addr, "-https-addr", https}, childEnv(nil), logPath)
	if err != nil {
		return nil, "", err
	}
	url := "http://" + addr
	h := http.Header{"Authorization": {"Bearer " + stripeMockKey}}
	if err := c.waitHTTP(url+"/v1/customers/cus_ping", h, http.StatusOK, time.Minute); err != nil {
		c.stop(time.Second)
		return nil, "", err
	}
	return c, url, nil
}

// stripeMockKey is a key stripe-mock accepts (any well-formed test key).
const stripeMockKey = "sk_test_benchstripemock"
