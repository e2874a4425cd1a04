package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leaguepay/checkout/app"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/leaguepay/checkout/internal/testkit/dbtest"
	"github.com/leaguepay/checkout/platform/config"
)

// chromiumPath is where Debian's chromium package puts the browser; .ci/run
// installs it when it is missing.
const chromiumPath = "/usr/bin/chromium"

// TestSandboxCheckoutInABrowser runs the server as checkout dev does (sandbox
// payments), buys jerseys through the API, and lets headless Chromium, sized
// as a phone, press the sandbox page's buttons as a parent would. The
// league's own site (a local server) gets the buyer back after Pay or
// Cancel, as from Stripe.
func TestSandboxCheckoutInABrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser test needs Chromium at %s (%v); install Debian's package: apt-get install -y chromium (.ci/run does)",
			chromiumPath, err)
	}
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>League site</title><p id=page>%s</p>", r.URL.Path)
	}))
	t.Cleanup(site.Close)
	srv := startSandboxServer(t)
	league := newBrowserLeague(t, srv, site.URL)
	browser := startBrowser(t)
	back := map[string]any{"success_url": site.URL + "/thanks", "cancel_url": site.URL + "/sorry"}

	t.Run("the page shows the league, product, player, the choices and the amount, within a phone's width", func(t *testing.T) {
		_, checkoutURL := league.checkout(t, 3, 6, nil)
		tab := newTab(t, browser)
		if err := chromedp.Do(tab, chromedp.Navigate(checkoutURL), waitStatus("pending")); err != nil {
			t.Fatalf("open %s: %v", checkoutURL, err)
		}
		for sel, want := range map[string]string{"#league": "Browser League", "#product": "Home jersey",
			"#player": "Ada Okafor", "#amount": "45.00 USD"} {
			if got := text(t, tab, sel); got != want {
				t.Errorf("%s shows %q, want %q", sel, got, want)
			}
		}
		if body := text(t, tab, "dl"); !strings.Contains(body, "jersey number") || !strings.Contains(body, "6") ||
			!strings.Contains(body, "top size") {
			t.Errorf("the page does not show the custom data chosen: %q", body)
		}
		fits, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`))
		if err != nil || !fits {
			t.Errorf("the page is wider than a phone's screen (%v)", err)
		}
		screenshot(t, tab)
	})

	t.Run("pressing Pay marks the order paid and takes the buyer back to the success_url", func(t *testing.T) {
		order, checkoutURL := league.checkout(t, 0, 7, back)
		tab := newTab(t, browser)
		if err := chromedp.Do(tab, chromedp.Navigate(checkoutURL), waitStatus("pending")); err != nil {
			t.Fatalf("open %s: %v", checkoutURL, err)
		}
		if _, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS("button#pay"))); err != nil {
			t.Fatalf("click Pay: %v", err)
		}
		if err := atLocation(tab, site.URL+"/thanks"); err != nil {
			t.Fatalf("the buyer never got back to the success_url: %v", err)
		}
		o := league.order(t, order)
		if o.Status != "paid" || o.PaidAt == nil || !o.hasEvent("stripe", "paid") {
			t.Errorf("admin API: status %q, paid_at %v, events %+v; want paid by stripe", o.Status, o.PaidAt, o.Events)
		}
	})

	t.Run("pressing Cancel expires the order and takes the buyer back to the cancel_url", func(t *testing.T) {
		order, checkoutURL := league.checkout(t, 1, 8, back)
		tab := newTab(t, browser)
		if err := chromedp.Do(tab, chromedp.Navigate(checkoutURL), waitStatus("pending")); err != nil {
			t.Fatalf("open %s: %v", checkoutURL, err)
		}
		if _, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS("button#cancel"))); err != nil {
			t.Fatalf("click Cancel: %v", err)
		}
		if err := atLocation(tab, site.URL+"/sorry"); err != nil {
			t.Fatalf("the buyer never got back to the cancel_url: %v", err)
		}
		o := league.order(t, order)
		if o.Status != "expired" || o.PaidAt != nil || !o.hasEvent("stripe", "expired") {
			t.Errorf("admin API: status %q, paid_at %v, events %+v; want expired by stripe, never paid", o.Status, o.PaidAt, o.Events)
		}
	})

	t.Run("a declined card leaves the order open, then a bank debit processes and succeeds", func(t *testing.T) {
		order, checkoutURL := league.checkout(t, 2, 9, back)
		tab := newTab(t, browser)
		if err := chromedp.Do(tab, chromedp.Navigate(checkoutURL), waitStatus("pending")); err != nil {
			t.Fatalf("open %s: %v", checkoutURL, err)
		}
		if _, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS("button#decline"))); err != nil {
			t.Fatalf("click Card declined: %v", err)
		}
		if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.CSS("#declined")), waitStatus("pending"),
			chromedp.WaitVisible(chromedp.CSS("button#pay"))); err != nil {
			t.Fatalf("the page never said the card was declined, with the order still open: %v", err)
		}
		if _, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS("button#debit"))); err != nil {
			t.Fatalf("click Bank debit: %v", err)
		}
		if err := chromedp.Do(tab, waitStatus("pending (bank debit processing)")); err != nil {
			t.Fatalf("the page never showed the debit processing: %v", err)
		}
		if o := league.order(t, order); o.Status != "pending" {
			t.Errorf("while the debit processes the order is %q, want pending", o.Status)
		}
		if _, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS("button#debit-succeeds"))); err != nil {
			t.Fatalf("click The debit succeeds: %v", err)
		}
		if err := atLocation(tab, site.URL+"/thanks"); err != nil {
			t.Fatalf("the buyer never got back to the success_url: %v", err)
		}
		if o := league.order(t, order); o.Status != "paid" {
			t.Errorf("after the debit succeeded the order is %q, want paid", o.Status)
		}
	})

	t.Run("an unknown session is a page saying so, not JSON", func(t *testing.T) {
		res, err := http.Get(srv.url + "/sandbox/checkout/" + league.slug + "/cs_sandbox_" + strings.Repeat("0", 32) + "_1")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		page, _ := io.ReadAll(res.Body)
		if res.StatusCode != 404 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(string(page), "No such checkout") {
			t.Errorf("%d %s: %s", res.StatusCode, res.Header.Get("Content-Type"), page)
		}
	})
}

// atLocation waits until the tab's page is at want (the page may be
// navigating meanwhile: errors of a page going away are waited out).
func atLocation(tab context.Context, want string) error {
	deadline := time.Now().Add(20 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		if href, err := chromedp.Run(tab, chromedp.Evaluate[string](`location.href`)); err == nil {
			if last = href; href == want {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("still at %s after 20 s", last)
}

// sandboxServer is the API served in-process on a loopback port.
type sandboxServer struct {
	url, platformToken string
	cfg                config.Config
	services           *app.App
}

// startSandboxServer serves the package's database through app.New and serve,
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
	s, err := app.New(context.Background(), cfg, app.Options{DB: dbtest.DB(t), Log: app.Discard()})
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
	slug          string
	base, key     string
	jersey, token string
	players       []string
}

func newBrowserLeague(t *testing.T, srv sandboxServer, site string) *browserLeague {
	t.Helper()
	slug := "browser-" + uuid.NewString()[:8]
	l := &browserLeague{srv: srv, slug: slug, base: srv.url + "/v1/tenants/" + slug}
	call(t, http.MethodPost, srv.url+"/v1/platform/tenants", srv.platformToken, map[string]any{
		"slug": slug, "name": "Browser League", "allowed_redirect_origins": []string{srv.url, site}}, http.StatusCreated, nil)
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
		"players": []map[string]string{{"first_name": "Ada", "last_name": "Okafor"}, {"first_name": "Obi", "last_name": "Okafor"},
			{"first_name": "Ife", "last_name": "Okafor"}, {"first_name": "Ada", "last_name": "Okafor"}},
	}, http.StatusCreated, &household)
	l.token = household.RegistrationToken
	for _, p := range household.Customer.Players {
		l.players = append(l.players, p.ID)
	}
	if len(l.players) != 4 || l.token == "" {
		t.Fatalf("household: players %v, token %q; want four players and a token", l.players, l.token)
	}
	return l
}

// checkout buys the jersey for the household's player i (with the return
// URLs in back, if any) and returns the pending order's id and its
// checkout_url.
func (l *browserLeague) checkout(t *testing.T, i, number int, back map[string]any) (string, string) {
	t.Helper()
	var res struct {
		Order struct {
			ID     string
			Status string
		}
		CheckoutURL *string `json:"checkout_url"`
	}
	body := map[string]any{
		"registration_token": l.token, "product_id": l.jersey, "player_id": l.players[i],
		"custom_data": map[string]any{"top_size": "YM", "bottom_size": "YM", "jersey_number": number},
	}
	maps.Copy(body, back)
	call(t, http.MethodPost, l.base+"/checkout", "", body, http.StatusCreated, &res)
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
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(375, 740), // a phone
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
	path := filepath.Join(t.ArtifactDir(), "sandbox-page.png")
	if err := os.WriteFile(path, png, 0o600); err != nil {
		t.Errorf("write screenshot: %v", err)
		return
	}
	t.Logf("screenshot: %s", path)
}
