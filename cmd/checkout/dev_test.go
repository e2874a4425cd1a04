package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/leaguepay/checkout/internal/testkit/dbtest"
	"github.com/leaguepay/checkout/platform/config"
	"github.com/leaguepay/checkout/platform/db"
)

// devEnv runs checkout dev on the package's database (its owner's URL, as a
// developer's CHECKOUT_DATABASE_URL would be), on addr, with a cache
// directory of the test's own and nothing else of the environment.
func devEnv(t *testing.T, addr string) {
	t.Helper()
	for _, v := range config.Vars {
		t.Setenv(v.Name, "")
	}
	t.Setenv("CHECKOUT_DATABASE_URL", dbtest.AdminURL(t))
	t.Setenv("CHECKOUT_MIGRATE_DATABASE_URL", dbtest.AdminURL(t))
	t.Setenv("CHECKOUT_HTTP_ADDR", addr)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
}

// devRun is a checkout dev running in this process.
type devRun struct {
	out, log *lockedBuffer
	stop     func() error
}

// startDev runs `checkout dev args...` until the test stops it, and waits
// until it has printed its curl lines and answers /healthz.
func startDev(t *testing.T, args ...string) *devRun {
	t.Helper()
	r := &devRun{out: &lockedBuffer{}, log: &lockedBuffer{}}
	cmd := rootCmd()
	cmd.SetArgs(append([]string{"dev"}, args...))
	cmd.SetOut(r.out)
	cmd.SetErr(r.log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- execute(ctx, cmd) }()
	stopped := false
	r.stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() {
		if err := r.stop(); err != nil {
			t.Errorf("checkout dev: %v", err)
		}
	})
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-done:
			stopped = true
			t.Fatalf("checkout dev stopped before it was ready: %v\nstdout:\n%s\nstderr:\n%s", err, r.out, r.log)
		default:
		}
		if base := readyURL(r.out.String()); base != "" && strings.Contains(r.out.String(), "/v1/platform/tenants") {
			if res, err := http.Get(base + "/healthz"); err == nil {
				res.Body.Close()
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("checkout dev was not ready within a minute\nstdout:\n%s\nstderr:\n%s", r.out, r.log)
		}
	}
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var readyLine = regexp.MustCompile(`checkout dev is ready on (\S+) `)

// readyURL is the address checkout dev says it is ready on.
func readyURL(out string) string {
	if m := readyLine.FindStringSubmatch(out); m != nil {
		return m[1]
	}
	return ""
}

// payURL is the address of the sandbox page's Pay button: /pay after the
// page's path, before its query.
func payURL(t *testing.T, checkoutURL string) string {
	t.Helper()
	u, err := url.Parse(checkoutURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Path += "/pay"
	return u.String()
}

// pasteAll pastes every curl line of out, in order, expecting each to
// succeed, then pays the priced checkout the way the printed hint says
// (POST <checkout_url>/pay). It returns the checkout_url.
func pasteAll(t *testing.T, out string) string {
	t.Helper()
	lines := curlLines(out)
	if len(lines) != 9 {
		t.Fatalf("checkout dev printed %d curl lines, want 9:\n%s", len(lines), out)
	}
	var checkoutURL string
	for _, line := range lines {
		status, body := runCurl(t, line)
		if status != http.StatusOK && status != http.StatusCreated {
			t.Errorf("%s\nanswered %d: %s", line, status, body)
			continue
		}
		var res struct {
			CheckoutURL *string `json:"checkout_url"`
		}
		if strings.Contains(line, "/checkout ") && json.Unmarshal(body, &res) == nil && res.CheckoutURL != nil {
			checkoutURL = *res.CheckoutURL
		}
	}
	if checkoutURL == "" {
		t.Fatalf("no printed checkout answered a checkout_url:\n%s", out)
	}
	res, err := http.Post(payURL(t, checkoutURL), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	page, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), `id="status">paid<`) {
		t.Errorf("after pay: %d\n%s", res.StatusCode, page)
	}
	return checkoutURL
}

// printed returns the value after prefix in checkout dev's curl lines (the
// admin key after "Bearer ", the token after "X-Registration-Token: ").
func printed(t *testing.T, out, prefix string) string {
	t.Helper()
	m := regexp.MustCompile(regexp.QuoteMeta(prefix) + `([A-Za-z0-9_-]+)'`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %q in:\n%s", prefix, out)
	}
	return m[1]
}

// devSnapshot is what a checkout dev run may change in the demo league.
type devSnapshot struct {
	tenant             uuid.UUID
	devKeys, allKeys   int
	tokenHash          []byte
	orders, liveOrders int
}

func snapshot(t *testing.T) devSnapshot {
	t.Helper()
	adm, err := db.Open(context.Background(), dbtest.AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	var s devSnapshot
	err = adm.Pool.QueryRow(context.Background(), `SELECT t.id,
		(SELECT count(*) FROM api_keys k WHERE k.tenant_id = t.id AND k.name = $2),
		(SELECT count(*) FROM api_keys k WHERE k.tenant_id = t.id),
		(SELECT c.token_hash FROM customers c WHERE c.tenant_id = t.id AND c.email = $3),
		(SELECT count(*) FROM orders o WHERE o.tenant_id = t.id),
		(SELECT count(*) FROM orders o WHERE o.tenant_id = t.id AND o.status IN ('pending', 'paid', 'partially_refunded'))
		FROM tenants t WHERE t.slug = $1`, demoSlug, devKeyName, demoEmail).
		Scan(&s.tenant, &s.devKeys, &s.allKeys, &s.tokenHash, &s.orders, &s.liveOrders)
	if err != nil {
		t.Fatalf("snapshot of the demo league: %v", err)
	}
	return s
}

func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestDev runs checkout dev three times on one database, as a developer
// would over a few days, and a fourth time while one runs.
func TestDev(t *testing.T) {
	addr := freeLoopbackAddr(t)
	devEnv(t, addr)
	retireDemo(t)
	first := startDev(t)
	out := first.out.String()
	key, token := printed(t, out, "Bearer ck_"), printed(t, out, "X-Registration-Token: ")

	t.Run("it serves on CHECKOUT_HTTP_ADDR and every address it prints is that one", func(t *testing.T) {
		if got := readyURL(out); got != "http://"+addr {
			t.Errorf("ready on %s, want http://%s", got, addr)
		}
		for _, line := range curlLines(out) {
			if !strings.Contains(line, " http://"+addr+"/") {
				t.Errorf("%s\ndoes not point at %s", line, addr)
			}
		}
	})
	t.Run("every printed line works and the checkout_url is on the same address", func(t *testing.T) {
		if u := pasteAll(t, out); !strings.HasPrefix(u, "http://"+addr+"/") {
			t.Errorf("checkout_url %s is not on %s", u, addr)
		}
	})
	t.Run("it prints how to point the CLI at its database", func(t *testing.T) {
		if !strings.Contains(out, "export CHECKOUT_DATABASE_URL='postgres://"+devLoginRole+"@") ||
			!strings.Contains(out, "export CHECKOUT_MIGRATE_DATABASE_URL='") {
			t.Errorf("no CLI database lines in:\n%s", out)
		}
	})

	before := snapshot(t)
	t.Run("a second checkout dev on the taken address stops before changing anything", func(t *testing.T) {
		stdout, _, err := run(t, "dev")
		if err == nil || !strings.Contains(err.Error(), addr+" is already in use") || !strings.Contains(err.Error(), "nothing was changed") {
			t.Fatalf("err = %v, want the taken address named", err)
		}
		if strings.Contains(stdout, "ready") || strings.Contains(stdout, "curl") {
			t.Errorf("the refused run printed:\n%s", stdout)
		}
		if after := snapshot(t); !equalSnapshots(before, after) {
			t.Errorf("the refused run changed the demo league: %+v, then %+v", before, after)
		}
		status, body := runCurl(t, "curl -s http://"+addr+"/v1/tenants/"+demoSlug+"/orders -H 'X-Registration-Token: "+token+"'")
		if status != http.StatusOK {
			t.Errorf("the first run's token answers %d after the refused run: %s", status, body)
		}
	})
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}

	second := startDev(t)
	out2 := second.out.String()
	t.Run("the next run prints the same admin key and token and keeps one dev key", func(t *testing.T) {
		if k := printed(t, out2, "Bearer ck_"); k != key {
			t.Errorf("admin key ck_%s, the first run's ck_%s", k, key)
		}
		if tok := printed(t, out2, "X-Registration-Token: "); tok != token {
			t.Errorf("token %s, the first run's %s", tok, token)
		}
		if s := snapshot(t); s.devKeys != 1 || s.allKeys != before.allKeys {
			t.Errorf("%d dev keys of %d keys, want 1 of %d", s.devKeys, s.allKeys, before.allKeys)
		}
	})
	t.Run("the next run ended the quick start's orders, so every line works again", func(t *testing.T) {
		if s := snapshot(t); s.liveOrders != 0 || s.orders != before.orders {
			t.Errorf("%d live orders of %d, want none of %d", s.liveOrders, s.orders, before.orders)
		}
		// Four: the household checkout's two orders end together.
		if !strings.Contains(second.log.String(), "ended 4 quick-start order(s) of an earlier run") {
			t.Errorf("stderr does not say what was ended:\n%s", second.log)
		}
		pasteAll(t, out2)
	})
	if err := second.stop(); err != nil {
		t.Fatal(err)
	}

	t.Run("a lost credentials file costs a new key, never a second one", func(t *testing.T) {
		if err := os.RemoveAll(filepath.Join(os.Getenv("XDG_CACHE_HOME"), "checkout-dev")); err != nil {
			t.Fatal(err)
		}
		third := startDev(t)
		if k := printed(t, third.out.String(), "Bearer ck_"); k == key {
			t.Error("the admin key of the lost file was printed again")
		}
		if s := snapshot(t); s.devKeys != 1 {
			t.Errorf("%d dev keys, want 1", s.devKeys)
		}
		if err := third.stop(); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("--reset starts the demo league afresh", func(t *testing.T) {
		reset := startDev(t, "--reset")
		s := snapshot(t)
		if s.tenant == before.tenant || s.orders != 0 || s.allKeys != 1 || s.devKeys != 1 {
			t.Errorf("after --reset: %+v; want a new league with no orders and one key (was %s)", s, before.tenant)
		}
		if !strings.Contains(reset.log.String(), "reset: deleted the demo league") {
			t.Errorf("stderr does not say what --reset deleted:\n%s", reset.log)
		}
		pasteAll(t, reset.out.String())
		if err := reset.stop(); err != nil {
			t.Fatal(err)
		}
	})
}

func equalSnapshots(a, b devSnapshot) bool {
	return a.tenant == b.tenant && a.devKeys == b.devKeys && a.allKeys == b.allKeys &&
		string(a.tokenHash) == string(b.tokenHash) && a.orders == b.orders && a.liveOrders == b.liveOrders
}

func TestDevAddress(t *testing.T) {
	t.Run("without CHECKOUT_HTTP_ADDR dev listens on loopback only", func(t *testing.T) {
		t.Setenv("CHECKOUT_HTTP_ADDR", "")
		cfg, err := config.FromEnv()
		if err != nil {
			t.Fatal(err)
		}
		if got := devAddress(cfg); got != "127.0.0.1:8080" {
			t.Errorf("dev listens on %q, want 127.0.0.1:8080", got)
		}
	})
	t.Run("CHECKOUT_HTTP_ADDR wins", func(t *testing.T) {
		t.Setenv("CHECKOUT_HTTP_ADDR", "127.0.0.1:8081")
		cfg, err := config.FromEnv()
		if err != nil {
			t.Fatal(err)
		}
		if got := devAddress(cfg); got != "127.0.0.1:8081" {
			t.Errorf("dev listens on %q, want 127.0.0.1:8081", got)
		}
	})
	urls := []struct{ addr, want string }{
		{"127.0.0.1:8081", "http://127.0.0.1:8081"},
		{"0.0.0.0:8080", "http://localhost:8080"},
		{"[::]:9000", "http://localhost:9000"},
		{"[::1]:8080", "http://[::1]:8080"},
		{"192.0.2.7:8080", "http://192.0.2.7:8080"},
	}
	for _, u := range urls {
		t.Run("the public URL of "+u.addr+" is "+u.want, func(t *testing.T) {
			addr, err := net.ResolveTCPAddr("tcp", u.addr)
			if err != nil {
				t.Fatal(err)
			}
			if got := publicURLOf(addr); got != u.want {
				t.Errorf("publicURLOf(%s) = %s", u.addr, got)
			}
		})
	}
	t.Run("beyond loopback dev warns and makes up a platform token", func(t *testing.T) {
		for _, v := range config.Vars {
			t.Setenv(v.Name, "")
		}
		cfg, err := config.FromEnv()
		if err != nil {
			t.Fatal(err)
		}
		var log strings.Builder
		addr, _ := net.ResolveTCPAddr("tcp", "0.0.0.0:8080")
		cfg = devConfig(cfg, addr, &log)
		if cfg.PlatformToken == devPlatformToken || !strings.HasPrefix(cfg.PlatformToken, "dev-") {
			t.Errorf("platform token %q, want a random one", cfg.PlatformToken)
		}
		if !strings.Contains(log.String(), "WARNING") {
			t.Errorf("no warning: %q", log.String())
		}
		loop, _ := net.ResolveTCPAddr("tcp", "127.0.0.1:8080")
		if c := devConfig(cfg, loop, io.Discard); c.PublicURL != "http://127.0.0.1:8080" || c.Payments != "sandbox" {
			t.Errorf("on loopback: public URL %s, payments %s", c.PublicURL, c.Payments)
		}
	})
	t.Run("CHECKOUT_PUBLIC_URL wins over the derived one", func(t *testing.T) {
		t.Setenv("CHECKOUT_PUBLIC_URL", "https://dev.example.test")
		cfg, err := config.FromEnv()
		if err != nil {
			t.Fatal(err)
		}
		loop, _ := net.ResolveTCPAddr("tcp", "127.0.0.1:8080")
		if c := devConfig(cfg, loop, io.Discard); c.PublicURL != "https://dev.example.test" {
			t.Errorf("public URL %s", c.PublicURL)
		}
	})
}
