// Package stripemock runs a real stripe-mock process for tests, so Stripe
// calls are checked against Stripe's own OpenAPI spec instead of a
// hand-written fake.
//
// stripe-mock is pinned as a Go tool in the tools module (tools/go.mod,
// `tool github.com/stripe/stripe-mock`), so its dependencies stay out of the
// product's go.mod. The package builds it with `go build` in that module, at most once per test process while it is in use, into a
// temporary directory; starts it on a free 127.0.0.1 port; waits until it
// answers; and stops it (and removes the build) when the tests are done. If
// stripe-mock cannot be built or started the tests fail loudly: they never
// skip.
//
// A package whose tests all share one process wraps its TestMain:
//
//	func TestMain(m *testing.M) {
//		os.Exit(stripemock.Main(func() int { return dbtest.Run(m) }))
//	}
//
// and reads the address with stripemock.URL(t). A single test that wants its
// own process calls stripemock.Start(t), which stops it in t.Cleanup; one
// that must see Stripe go away calls stripemock.StartServer(t), whose
// process it can kill and start again on the same address.
//
// stripe-mock is stateless: every valid request gets a fixture object (a
// checkout session with its own id, URL and status) whatever was created
// before, and an invalid one gets Stripe's 400. Tests assert what the
// platform sent and stored, not what Stripe would remember.
package stripemock

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// Key is a secret key tests may use against stripe-mock, which accepts any
// well-formed test key.
const Key = "sk_test_stripemock"

const (
	toolPath     = "github.com/stripe/stripe-mock"
	buildTimeout = 5 * time.Minute
	startTimeout = time.Minute
)

// listeningRE is the line stripe-mock prints once its HTTP listener is up.
var listeningRE = regexp.MustCompile(`Listening for HTTP at address: (\S+)`)

var (
	buildMu  sync.Mutex
	binDir   string // the temporary build directory while users > 0
	binPath  string
	binUsers int

	mainURL string // the process Main started
)

// Main starts stripe-mock, runs run (a TestMain's m.Run, or a wrapper such
// as dbtest.Run(m)) and stops stripe-mock, returning run's exit code. When
// stripe-mock cannot be built or started it prints why and returns 1
// without running the tests.
func Main(run func() int) int {
	p, err := start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "stripemock: stripe-mock is required for these tests: %v\n", err)
		return 1
	}
	defer p.stop() // also when a test panics through run
	mainURL = p.url
	defer func() { mainURL = "" }()
	return run()
}

// URL returns the address (http://127.0.0.1:PORT) of the process Main
// started; it fails tb when Main is not running.
func URL(tb testing.TB) string {
	tb.Helper()
	if mainURL == "" {
		tb.Fatal("stripemock: call stripemock.Main from TestMain, or use stripemock.Start")
	}
	return mainURL
}

// Start starts a stripe-mock process of tb's own and returns its address
// (http://127.0.0.1:PORT); it is stopped when tb's test ends. It fails tb
// when stripe-mock cannot be built or started.
func Start(tb testing.TB) string {
	tb.Helper()
	p, err := start()
	if err != nil {
		tb.Fatalf("stripemock: stripe-mock is required for this test: %v", err)
	}
	tb.Cleanup(p.stop)
	return p.url
}

// process is one running stripe-mock.
type process struct {
	url  string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	once sync.Once
}

// start builds (once) and runs stripe-mock, returning when it answers.
func start() (*process, error) {
	bin, err := acquireBinary()
	if err != nil {
		return nil, err
	}
	p, err := launch(bin, "127.0.0.1:")
	if err != nil {
		releaseBinary()
		return nil, err
	}
	return p, nil
}

// launch runs the binary on httpAddr ("127.0.0.1:" for a system-chosen
// port), reads the address from its output and waits until it answers
// HTTP. HTTPS gets a system-chosen port: stripe-mock otherwise also binds
// :12112, which two test packages running at once would fight over.
func launch(bin, httpAddr string) (*process, error) {
	cmd := exec.Command(bin, "-http-addr", httpAddr, "-https-addr", "127.0.0.1:")
	dieWithParent(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	addr := make(chan string, 1)
	var logMu sync.Mutex
	var log strings.Builder
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			logMu.Lock()
			if log.Len() < 64<<10 {
				log.WriteString(line + "\n")
			}
			logMu.Unlock()
			if m := listeningRE.FindStringSubmatch(line); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, out)
		_ = cmd.Wait()
		close(p.done)
	}()
	output := func() string {
		logMu.Lock()
		defer logMu.Unlock()
		return log.String()
	}
	select {
	case a := <-addr:
		p.url = "http://" + a
	case <-p.done:
		return nil, fmt.Errorf("stripe-mock exited before listening: %s", output())
	case <-time.After(startTimeout):
		p.kill()
		return nil, fmt.Errorf("stripe-mock did not listen within %v: %s", startTimeout, output())
	}
	if err := waitAnswering(p); err != nil {
		p.kill()
		return nil, fmt.Errorf("%w: %s", err, output())
	}
	return p, nil
}

// waitAnswering polls until stripe-mock serves a request.
func waitAnswering(p *process) error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.url+"/v1/customers/cus_ping", nil)
		req.Header.Set("Authorization", "Bearer "+Key)
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", res.StatusCode)
		}
		select {
		case <-p.done:
			return errors.New("stripe-mock exited while starting")
		case <-ctx.Done():
			return fmt.Errorf("stripe-mock at %s does not answer: %v", p.url, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (p *process) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// stop ends the process and gives up its use of the build.
func (p *process) stop() {
	p.once.Do(func() {
		p.kill()
		releaseBinary()
	})
}

// acquireBinary returns the built stripe-mock, building it when no running
// process holds a build.
func acquireBinary() (string, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	if binPath == "" {
		dir, path, err := build()
		if err != nil {
			return "", err
		}
		binDir, binPath = dir, path
	}
	binUsers++
	return binPath, nil
}

// releaseBinary removes the build once no process uses it.
func releaseBinary() {
	buildMu.Lock()
	defer buildMu.Unlock()
	if binUsers--; binUsers == 0 {
		_ = os.RemoveAll(binDir)
		binDir, binPath = "", ""
	}
}

// build compiles the pinned stripe-mock into a new temporary directory.
func build() (dir, path string, err error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", "", fmt.Errorf("the go command is needed to build stripe-mock: %w", err)
	}
	root, err := moduleRoot(goBin)
	if err != nil {
		return "", "", err
	}
	root = filepath.Join(root, "tools")
	dir, err = os.MkdirTemp("", "stripemock-")
	if err != nil {
		return "", "", err
	}
	path = filepath.Join(dir, "stripe-mock")
	if runtime.GOOS == "windows" {
		path += ".exe"
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", path, toolPath)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		return "", "", fmt.Errorf("go build %s in %s: %v\n%s", toolPath, root, err, out)
	}
	return dir, path, nil
}

// moduleRoot is the directory of the product's go.mod, beside which the
// tools module lives: this source file's module when its path is known, else
// the working directory's.
func moduleRoot(goBin string) (string, error) {
	dir := "."
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		if _, err := os.Stat(file); err == nil {
			dir = filepath.Dir(file)
		}
	}
	cmd := exec.Command(goBin, "env", "GOMOD")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("no go.mod found from %s", dir)
	}
	return filepath.Dir(gomod), nil
}
