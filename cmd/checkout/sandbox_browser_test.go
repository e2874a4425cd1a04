package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/leaguepay/checkout/platform/config"
	"github.com/leaguepay/checkout/platform/db/dbtest"
)

// chromiumPath is where Debian's chromium package puts the browser; .ci/run
// installs it when it is missing.
const chromiumPath = "/usr/bin/chromium"

// TestSandboxCheckoutInABrowser runs the server as checkout dev does (sandbox
// payments), buys a jersey through the API, and lets headless Chromium press
// the sandbox page's buttons, as a parent would.
func TestSandboxCheckoutInABrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser test needs Chromium at %s (%v); install Debian's package: apt-get install -y chromium (.ci/run does)",
			chromiumPath, err)
	}
	srv := startSandboxServer(t)
	league := newBrowserLeague(t, srv)
	browser := startBrowser(t)

	t.Run("pressing Pay marks the order paid, on the page and through the admin API", func(t *testing.T) {
		order, checkoutURL := league.checkout(t, 0, 7)
		tab := newTab(t, browser)
		if err := chromedp.Do(tab, chromedp.Navigate(checkoutURL)); err != nil {
			t.Fatalf("open %s: %v", checkoutURL, err)
		}
		status, amount := text(t, tab, "#status"), text(t, tab, "#amount")
		if status != "pending" || amount != "45.00 USD" {
			t.Fatalf("before paying the page shows status %q, amount %q; want pending, 45.00 USD", status, amount)
		}
		res, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS("button#pay")))
		if err != nil {
			t.Fatalf("click Pay: %v", err)
		}
		if res.Status != http.StatusOK || res.URL != checkoutURL {
			t.Errorf("after Pay the browser landed on %s (%d), want the checkout page again", res.URL, res.Status)
		}
		if err := chromedp.Do(tab, waitStatus("paid"), chromedp.WaitNotPresent(chromedp.CSS("button#pay")),
			chromedp.WaitNotPresent(chromedp.CSS("button#cancel"))); err != nil {
			t.Fatalf("the page never showed a paid order without buttons: %v", err)
		}
		screenshot(t, tab)
		o := league.order(t, order)
		if o.Status != "paid" || o.PaidAt == nil {
			t.Errorf("admin API: status %q, paid_at %v; want paid with a paid_at", o.Status, o.PaidAt)
		}
		if !o.hasEvent("stripe", "paid") {
			t.Errorf("admin API: events %+v, want one by stripe to paid", o.Events)
		}
	})

	t.Run("pressing Cancel expires the order and leaves it unpaid", func(t *testing.T) {
		order, checkoutURL := league.checkout(t, 1, 8)
		tab := newTab(t, browser)
		if err := chromedp.Do(tab, chromedp.Navigate(checkoutURL), waitStatus("pending")); err != nil {
			t.Fatalf("open %s: %v", checkoutURL, err)
		}
		if _, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS("button#cancel"))); err != nil {
			t.Fatalf("click Cancel: %v", err)
		}
		if err := chromedp.Do(tab, waitStatus("expired"), chromedp.WaitNotPresent(chromedp.CSS("button#pay"))); err != nil {
			t.Fatalf("the page never showed an expired order without buttons: %v", err)
		}
		o := league.order(t, order)
		if o.Status != "expired" || o.PaidAt != nil {
			t.Errorf("admin API: status %q, paid_at %v; want expired and never paid", o.Status, o.PaidAt)
		}
		if !o.hasEvent("stripe", "expired") {
			t.Errorf("admin API: events %+v, want one by stripe to expired", o.Events)
		}
	})
}

// sandboxServer is the API served in-process on a loopback port.
type sandboxServer struct {
	url, platformToken string
	cfg                config.Config
	services           *services
}

// startSandboxServer serves the package's database through wire and serve,
// configured as checkout dev configures them, until the test ends.
func startSandboxServer(t *testing.T) sandboxServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := config.Config{HTTPAddr: addr, PublicURL: "http://" + addr, Payments: "sandbox",
		PlatformToken: "browser-test-platform-token"}
	s, err := wire(dbtest.DB(t), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, s, cfg) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		res, err := http.Get(cfg.PublicURL + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped before answering: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server on %s did not answer /healthz: %v", addr, err)
		}
	}
	return sandboxServer{url: cfg.PublicURL, platformToken: cfg.PlatformToken, cfg: cfg, services: s}
}

// browserLeague is a tenant with an admin key, a priced jersey and a
// household of two players, made through the HTTP API.
type browserLeague struct {
	srv           sandboxServer
	base, key     string
	jersey, token string
	players       []string
}

func newBrowserLeague(t *testing.T, srv sandboxServer) *browserLeague {
	t.Helper()
	slug := "browser-" + uuid.NewString()[:8]
	l := &browserLeague{srv: srv, base: srv.url + "/v1/tenants/" + slug}
	call(t, http.MethodPost, srv.url+"/v1/platform/tenants", srv.platformToken, map[string]any{
		"slug": slug, "name": "Browser League", "allowed_redirect_origins": []string{srv.url}}, http.StatusCreated, nil)
	var key struct{ Key string }
	call(t, http.MethodPost, srv.url+"/v1/platform/tenants/"+slug+"/api-keys", srv.platformToken,
		map[string]any{"role": "admin", "name": "browser test"}, http.StatusCreated, &key)
	l.key = key.Key
	var product struct{ ID string }
	call(t, http.MethodPost, l.base+"/admin/products", l.key, map[string]any{
		"type": "jersey", "name": "Home jersey", "price_cents": 4500,
		"config": json.RawMessage(`{"top_sizes":["YS","YM","YL"],"bottom_sizes":["YS","YM","YL"],"number_min":0,"number_max":99,"number_required":true,"number_scope":"browser-2026"}`),
	}, http.StatusCreated, &product)
	l.jersey = product.ID
	var household struct {
		Customer struct {
			Players []struct{ ID string }
		}
		RegistrationToken string `json:"registration_token"`
	}
	call(t, http.MethodPost, l.base+"/admin/customers", l.key, map[string]any{
		"name": "Okafor family", "email": "okafor-" + slug + "@example.com",
		"players": []map[string]string{{"first_name": "Ada", "last_name": "Okafor"}, {"first_name": "Obi", "last_name": "Okafor"}},
	}, http.StatusCreated, &household)
	l.token = household.RegistrationToken
	for _, p := range household.Customer.Players {
		l.players = append(l.players, p.ID)
	}
	if len(l.players) != 2 || l.token == "" {
		t.Fatalf("household: players %v, token %q; want two players and a token", l.players, l.token)
	}
	return l
}

// checkout buys the jersey for the household's player i and returns the
// pending order's id and its checkout_url.
func (l *browserLeague) checkout(t *testing.T, i, number int) (string, string) {
	t.Helper()
	var res struct {
		Order struct {
			ID     string
			Status string
		}
		CheckoutURL *string `json:"checkout_url"`
	}
	call(t, http.MethodPost, l.base+"/checkout", "", map[string]any{
		"registration_token": l.token, "product_id": l.jersey, "player_id": l.players[i],
		"custom_data": map[string]any{"top_size": "YM", "bottom_size": "YM", "jersey_number": number},
	}, http.StatusCreated, &res)
	if res.Order.Status != "pending" || res.CheckoutURL == nil ||
		!strings.HasPrefix(*res.CheckoutURL, l.srv.url+"/sandbox/checkout/") {
		t.Fatalf("checkout: status %q, checkout_url %v; want a pending order and a sandbox page of %s",
			res.Order.Status, res.CheckoutURL, l.srv.url)
	}
	return res.Order.ID, *res.CheckoutURL
}

// adminOrder is what the test reads of GET /admin/orders/{id}.
type adminOrder struct {
	Status string     `json:"status"`
	PaidAt *time.Time `json:"paid_at"`
	Events []struct {
		Actor string `json:"actor"`
		To    string `json:"to"`
	} `json:"events"`
}

func (o adminOrder) hasEvent(actor, to string) bool {
	for _, e := range o.Events {
		if e.Actor == actor && e.To == to {
			return true
		}
	}
	return false
}

func (l *browserLeague) order(t *testing.T, id string) adminOrder {
	t.Helper()
	var o adminOrder
	call(t, http.MethodGet, l.base+"/admin/orders/"+id, l.key, nil, http.StatusOK, &o)
	return o
}

// call sends a JSON request with an optional bearer token, requires the
// status want and decodes the body into out when out is not nil.
func call(t *testing.T, method, url, bearer string, body any, want int, out any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d\n%s", method, url, res.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, url, err, b)
		}
	}
}

// startBrowser starts headless Chromium for the test. Without the
// background-networking flags Chromium dials out at start, and here those
// connections are refused. Its profile and its temporary files (TMPDIR: the
// singleton socket, shared memory) live in the test's temporary directories.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(800, 600),
		chromedp.UserDataDir(t.TempDir()), chromedp.Env("TMPDIR="+t.TempDir()))
	t.Cleanup(cancelAlloc)
	browser, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	start := make(chan error, 1)
	go func() { start <- chromedp.Do(browser) }()
	select {
	case err := <-start:
		if err != nil {
			t.Fatalf("start Chromium (%s): %v", chromiumPath, err)
		}
	case <-time.After(time.Minute):
		t.Fatalf("Chromium (%s) did not start within a minute", chromiumPath)
	}
	return browser
}

// newTab opens a tab of browser whose actions must finish within a minute.
func newTab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	ctx, cancelTimeout := context.WithTimeout(browser, time.Minute)
	t.Cleanup(cancelTimeout)
	tab, cancel := chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	return tab
}

// text returns the visible text of the tab's element sel.
func text(t *testing.T, tab context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

// waitStatus waits until the page's #status reads want.
func waitStatus(want string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelector('#status')?.textContent.trim() === %q`, want),
		chromedp.WithPollingTimeout(20*time.Second))
}

// screenshot saves the viewport as a PNG among the test's artifacts (kept
// with go test -artifacts, removed otherwise).
func screenshot(t *testing.T, tab context.Context) {
	t.Helper()
	png, err := chromedp.Run(tab, chromedp.CaptureScreenshot())
	if err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("screenshot is not a PNG (%d bytes)", len(png))
	}
	path := filepath.Join(t.ArtifactDir(), "sandbox-paid.png")
	if err := os.WriteFile(path, png, 0o600); err != nil {
		t.Errorf("write screenshot: %v", err)
		return
	}
	t.Logf("screenshot: %s", path)
}
