package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/leaguepay/checkout/internal/testkit/dbtest"
	"github.com/leaguepay/checkout/platform/db"
)

// The lifecycle tests run the real binary as a child process and stop it
// with a real SIGTERM, as an orchestrator would.
const (
	lcPlatformToken = "lifecycle-platform-token"
	lcGrace         = 10 * time.Second
	lcDrainDelay    = time.Second
)

// checkoutBinary builds ./cmd/checkout into a directory removed when the
// test ends.
func checkoutBinary(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(goBin, "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "checkout")
	cmd := exec.Command(goBin, "build", "-o", bin, "./cmd/checkout")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(out)))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/checkout: %v\n%s", err, out)
	}
	return bin
}

// lockedBuffer collects a child's stderr while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns every complete line written so far.
func (b *lockedBuffer) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// server is a running `checkout serve`.
type server struct {
	cmd      *exec.Cmd
	base     string // http://127.0.0.1:port
	stderr   *lockedBuffer
	exited   chan struct{}
	exitErr  error
	exitedAt time.Time
}

func lcFreeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServer runs `checkout serve` against the package's database as the
// application role, with nothing of the test's own environment's CHECKOUT_
// or STRIPE_ variables leaking in, and waits for /readyz.
func startServer(t *testing.T, bin string, extraEnv ...string) *server {
	t.Helper()
	appURL, err := db.WithUser(dbtest.AdminURL(t), dbtest.AppLoginRole)
	if err != nil {
		t.Fatal(err)
	}
	addr := lcFreeAddr(t)
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CHECKOUT_") && !strings.HasPrefix(kv, "STRIPE_") {
			env = append(env, kv)
		}
	}
	env = append(env, "CHECKOUT_DATABASE_URL="+appURL, "CHECKOUT_HTTP_ADDR="+addr, "CHECKOUT_PAYMENTS=sandbox",
		"CHECKOUT_PUBLIC_URL=http://"+addr, "CHECKOUT_SHUTDOWN_GRACE="+lcGrace.String(),
		"CHECKOUT_DRAIN_DELAY="+lcDrainDelay.String(), "CHECKOUT_PLATFORM_TOKEN="+lcPlatformToken,
		"CHECKOUT_BUYER_RATE_LIMIT=1000000")
	s := &server{base: "http://" + addr, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	s.cmd = exec.Command(bin, "serve")
	s.cmd.Env = append(env, extraEnv...)
	s.cmd.Stderr = s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.exitErr = s.cmd.Wait()
		s.exitedAt = time.Now()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
		if t.Failed() {
			t.Logf("server stderr:\n%s", strings.Join(s.stderr.lines(), "\n"))
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(25 * time.Millisecond) {
		select {
		case <-s.exited:
			t.Fatalf("checkout serve exited before it was ready: %v\n%s", s.exitErr, strings.Join(s.stderr.lines(), "\n"))
		default:
		}
		if res, err := http.Get(s.base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("checkout serve on %s did not become ready", addr)
		}
	}
}

// logs decodes every stderr line, failing the test on one that is not a
// JSON object.
func (s *server) logs(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range s.stderr.lines() {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("a stderr line is not JSON: %q", line)
			continue
		}
		out = append(out, m)
	}
	return out
}

// requestLog waits briefly for the log line of the request with id rid.
func (s *server) requestLog(t *testing.T, rid string) map[string]any {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for _, m := range s.logs(t) {
			if m["msg"] == "request" && m["request_id"] == rid {
				return m
			}
		}
	}
	return nil
}

func (s *server) sigterm(t *testing.T) time.Time {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	return time.Now()
}

// waitExit waits for the process to end, at most within.
func (s *server) waitExit(t *testing.T, within time.Duration) {
	t.Helper()
	select {
	case <-s.exited:
	case <-time.After(within):
		t.Fatalf("checkout serve did not exit within %v of SIGTERM", within)
	}
	if s.exitErr != nil {
		t.Errorf("checkout serve exited with %v, want 0", s.exitErr)
	}
}

// do sends one request and reads its answer.
func (s *server) do(client *http.Client, method, path, token string, body any, headers ...string) (*http.Response, []byte, error) {
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, nil, err
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.base+path, r)
	if err != nil {
		return nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	return res, raw, err
}

// must sends a request that must answer want and decodes its JSON.
func (s *server) must(t *testing.T, want int, method, path, token string, body any) map[string]any {
	t.Helper()
	res, raw, err := s.do(http.DefaultClient, method, path, token, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if res.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, want, raw)
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return m
}

// lcLeague provisions a tenant with a free product and households whose
// players can each buy it once: the buyers of the load.
func lcLeague(t *testing.T, s *server, households int) (slug, productID string, buyers chan [2]string) {
	t.Helper()
	slug = "lc-" + uuid.NewString()[:8]
	s.must(t, 201, "POST", "/v1/platform/tenants", lcPlatformToken, map[string]any{"slug": slug, "name": "Lifecycle League"})
	key := s.must(t, 201, "POST", "/v1/platform/tenants/"+slug+"/api-keys", lcPlatformToken,
		map[string]any{"role": "manager", "name": "lifecycle"})["key"].(string)
	base := "/v1/tenants/" + slug
	productID = s.must(t, 201, "POST", base+"/admin/products", key, map[string]any{"type": "jersey", "name": "Opt out",
		"price_cents": 0, "config": map[string]any{"opt_out": true}})["id"].(string)
	buyers = make(chan [2]string, households*20)
	for h := 0; h < households; h++ {
		var players []map[string]any
		for i := 0; i < 20; i++ {
			players = append(players, map[string]any{"first_name": fmt.Sprintf("Kid%d", i), "last_name": "Doe"})
		}
		c := s.must(t, 201, "POST", base+"/admin/customers", key, map[string]any{"name": "Doe", "email": "doe@example.com", "players": players})
		for _, p := range c["customer"].(map[string]any)["players"].([]any) {
			buyers <- [2]string{c["registration_token"].(string), p.(map[string]any)["id"].(string)}
		}
	}
	close(buyers)
	return slug, productID, buyers
}

func TestServeLifecycle(t *testing.T) {
	bin := checkoutBinary(t)
	t.Run("with CHECKOUT_METRICS_ADDR", func(t *testing.T) { lcWithMetricsAddr(t, bin) })
	t.Run("without CHECKOUT_METRICS_ADDR", func(t *testing.T) { lcMetricsOnAPI(t, bin) })
}

func lcWithMetricsAddr(t *testing.T, bin string) {
	metricsAddr := lcFreeAddr(t)
	s := startServer(t, bin, "CHECKOUT_METRICS_ADDR="+metricsAddr)

	t.Run("healthz answers 200 while the process runs", func(t *testing.T) {
		if m := s.must(t, 200, "GET", "/healthz", "", nil); m["status"] != "ok" {
			t.Errorf("/healthz = %v", m)
		}
	})

	t.Run("a given X-Request-Id is kept, an absent or malformed one replaced", func(t *testing.T) {
		cases := []struct {
			name, given string
			kept        bool
		}{
			{"given", "lifecycle-" + uuid.NewString(), true},
			{"absent", "", false},
			{"malformed", "has spaces and \"quotes\"", false},
			{"too long", strings.Repeat("a", 129), false},
		}
		for _, c := range cases {
			var headers []string
			if c.given != "" {
				headers = []string{"X-Request-Id", c.given}
			}
			res, _, err := s.do(http.DefaultClient, "GET", "/healthz", "", nil, headers...)
			if err != nil {
				t.Fatal(err)
			}
			got := res.Header.Get("X-Request-Id")
			switch {
			case c.kept && got != c.given:
				t.Errorf("%s: X-Request-Id = %q, want %q", c.name, got, c.given)
			case !c.kept && (got == "" || got == c.given):
				t.Errorf("%s: X-Request-Id = %q, want a generated id", c.name, got)
			}
			if m := s.requestLog(t, got); m == nil {
				t.Errorf("%s: no request log line carries request_id %q", c.name, got)
			} else if m["route"] != "/healthz" || m["status"] != float64(200) || m["level"] != "INFO" {
				t.Errorf("%s: request log = %v", c.name, m)
			}
		}
	})

	t.Run("every stderr line is a JSON log record", func(t *testing.T) {
		logs := s.logs(t)
		if len(logs) == 0 {
			t.Fatal("nothing was logged")
		}
		for _, m := range logs {
			if m["time"] == nil || m["level"] == nil || m["msg"] == nil {
				t.Errorf("log record without time, level or msg: %v", m)
			}
			if m["msg"] == "request" && m["request_id"] == nil {
				t.Errorf("request log without request_id: %v", m)
			}
		}
	})

	t.Run("metrics are served on CHECKOUT_METRICS_ADDR and not on the API address", func(t *testing.T) {
		s.must(t, 404, "GET", "/metrics", "", nil)
		res, err := http.Get("http://" + metricsAddr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !bytes.Contains(raw, []byte(`checkout_http_requests_total{code="200",method="GET",route="/healthz"}`)) ||
			!bytes.Contains(raw, []byte("checkout_db_pool_max_connections")) {
			t.Errorf("metrics address: status %d\n%s", res.StatusCode, raw)
		}
	})

	t.Run("SIGTERM drains: readyz turns 503, no in-flight request fails, exit 0 within the grace period", func(t *testing.T) {
		lcDrain(t, s)
	})
}

// lcLoad counts what became of the load's requests.
type lcLoad struct {
	ok, okAfterTerm, refused, notAccepted atomic.Int64
	mu                                    sync.Mutex
	failures                              []string
	errored                               map[string]string // request id -> transport error, after SIGTERM
}

func (l *lcLoad) fail(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failures = append(l.failures, fmt.Sprintf(format, args...))
}

// lcDrain runs 4 workers of free checkouts and product reads against s,
// sends SIGTERM mid-load, and checks the drain.
func lcDrain(t *testing.T, s *server) {
	slug, productID, buyers := lcLeague(t, s, 8)
	base := "/v1/tenants/" + slug
	load := &lcLoad{errored: map[string]string{}}
	var termSent atomic.Bool
	stop := make(chan struct{})
	var wg sync.WaitGroup
	deadline := time.Now().Add(30 * time.Second)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 2}}
			defer client.CloseIdleConnections()
			for n := 0; n < 100_000 && time.Now().Before(deadline); n++ {
				select {
				case <-stop:
					return
				default:
				}
				rid := fmt.Sprintf("lc-load-%d-%d", w, n)
				method, path, want, body := "GET", base+"/products", 200, any(nil)
				headers := []string{"X-Request-Id", rid}
				if n%2 == 0 {
					if b, ok := <-buyers; ok {
						method, path, want = "POST", base+"/checkout", 201
						body = map[string]any{"registration_token": b[0], "product_id": productID, "player_id": b[1], "custom_data": map[string]any{}}
						headers = append(headers, "Idempotency-Key", rid)
					}
				}
				after := termSent.Load()
				res, raw, err := s.do(client, method, path, "", body, headers...)
				switch {
				case err == nil && res.StatusCode == want:
					load.ok.Add(1)
					if after {
						load.okAfterTerm.Add(1)
					}
				case err == nil:
					load.fail("%s %s (%s): status %d: %s", method, path, rid, res.StatusCode, raw)
				case !after && !termSent.Load():
					load.fail("%s %s (%s) before SIGTERM: %v", method, path, rid, err)
				case errors.Is(err, syscall.ECONNREFUSED):
					load.refused.Add(1)
					time.Sleep(5 * time.Millisecond)
				default:
					load.mu.Lock()
					load.errored[rid] = err.Error()
					load.mu.Unlock()
				}
			}
		}()
	}

	// One request is still being sent when the listener closes: it must be
	// answered all the same.
	slow := lcSlowCheckout(t, s, base, productID, <-buyers)

	// Let the load run, then signal mid-load.
	for start := time.Now(); load.ok.Load() < 200 && time.Since(start) < 10*time.Second; {
		time.Sleep(10 * time.Millisecond)
	}
	termSent.Store(true)
	termAt := s.sigterm(t)

	probe := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	sawDraining := false
	for time.Since(termAt) < lcDrainDelay && !sawDraining {
		res, raw, err := s.do(probe, "GET", "/readyz", "", nil)
		if err == nil && res.StatusCode == 503 && bytes.Contains(raw, []byte(`"draining"`)) {
			sawDraining = true
		}
		time.Sleep(20 * time.Millisecond)
	}
	slow.finish(t, s)
	s.waitExit(t, lcDrainDelay+lcGrace)
	took := s.exitedAt.Sub(termAt)
	close(stop)
	wg.Wait()

	if !sawDraining {
		t.Error("/readyz did not answer 503 draining during the drain delay")
	}
	if took < lcDrainDelay {
		t.Errorf("the process exited %v after SIGTERM, before the drain delay of %v", took, lcDrainDelay)
	}
	if load.okAfterTerm.Load() == 0 {
		t.Error("no request was served after SIGTERM: the drain delay did not keep the listener open")
	}
	// A transport error after SIGTERM is a failure when the server had
	// taken the request (it logged it): its response was cut. Otherwise the
	// connection was refused or closed before the request was accepted.
	logged := map[string]bool{}
	var msgs []string
	for _, m := range s.logs(t) {
		if rid, _ := m["request_id"].(string); rid != "" {
			logged[rid] = true
		}
		msgs = append(msgs, fmt.Sprint(m["msg"]))
	}
	for rid, err := range load.errored {
		if logged[rid] {
			load.fail("request %s was taken by the server but its response was cut: %s", rid, err)
		} else {
			load.notAccepted.Add(1)
		}
	}
	for _, f := range load.failures {
		t.Error(f)
	}
	if i, j := indexOf(msgs, "draining"), indexOf(msgs, "stopped"); i < 0 || j < i {
		t.Errorf("the logs do not show draining then stopped: %v", msgs)
	}
	t.Logf("exit %v after SIGTERM; %d requests answered (%d after SIGTERM), %d refused after the listener closed, %d closed before being accepted, %d failed",
		took.Round(time.Millisecond), load.ok.Load(), load.okAfterTerm.Load(), load.refused.Load(), load.notAccepted.Load(), len(load.failures))
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// lcMetricsOnAPI checks /metrics on the API address (for the platform
// operator only: the series name every league and its revenue), and a
// shutdown with no drain delay.
func lcMetricsOnAPI(t *testing.T, bin string) {
	s := startServer(t, bin, "CHECKOUT_DRAIN_DELAY=0s")
	s.must(t, 200, "GET", "/healthz", "", nil)
	if res, _, err := s.do(http.DefaultClient, "GET", "/metrics", "", nil); err != nil || res.StatusCode != 401 {
		t.Errorf("/metrics without the platform token: %v %v, want 401", res, err)
	}
	res, raw, err := s.do(http.DefaultClient, "GET", "/metrics", lcPlatformToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || !bytes.Contains(raw, []byte(`route="/healthz"`)) {
		t.Errorf("/metrics: status %d\n%s", res.StatusCode, raw)
	}
	termAt := s.sigterm(t)
	s.waitExit(t, lcGrace)
	t.Logf("exit %v after SIGTERM", s.exitedAt.Sub(termAt).Round(time.Millisecond))
}

// lcSlow is a checkout whose body is sent in two parts, the second only once
// the listener has closed.
type lcSlow struct {
	w    *io.PipeWriter
	rest []byte
	done chan error
}

func lcSlowCheckout(t *testing.T, s *server, base, productID string, buyer [2]string) *lcSlow {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"registration_token": buyer[0], "product_id": productID, "player_id": buyer[1], "custom_data": map[string]any{}})
	pr, pw := io.Pipe()
	req, err := http.NewRequest("POST", s.base+base+"/checkout", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-Id", "lc-slow")
	sl := &lcSlow{w: pw, rest: body[10:], done: make(chan error, 1)}
	go func() {
		client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		res, err := client.Do(req)
		if err == nil {
			raw, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 201 {
				err = fmt.Errorf("status %d: %s", res.StatusCode, raw)
			}
		}
		sl.done <- err
	}()
	if _, err := pw.Write(body[:10]); err != nil {
		t.Fatal(err)
	}
	return sl
}

// finish waits until the listener refuses connections and a little more,
// then sends the rest of the body and checks the answer.
func (sl *lcSlow) finish(t *testing.T, s *server) {
	t.Helper()
	for deadline := time.Now().Add(lcDrainDelay + 5*time.Second); ; time.Sleep(10 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(s.base, "http://"), time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the listener did not close after the drain delay")
		}
	}
	time.Sleep(300 * time.Millisecond) // well into the grace period
	if _, err := sl.w.Write(sl.rest); err != nil {
		t.Errorf("the rest of the in-flight request could not be sent: %v", err)
	}
	sl.w.Close()
	if err := <-sl.done; err != nil {
		t.Errorf("the request in flight when the listener closed failed: %v", err)
	}
}
