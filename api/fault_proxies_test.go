package api_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/leaguepay/checkout/internal/testkit/dbtest"
	"github.com/leaguepay/checkout/platform/db"
)

// The fault tests put small proxies between the platform and the real
// PostgreSQL or stripe-mock, to cut or slow the way to them at a chosen
// moment; what answers is always the real server.

// tcpProxy forwards TCP connections to upstream until it is cut: then its
// listener closes (new connections are refused) and every connection
// through it is closed at once, as when the network to a database fails.
// restore listens again on the same address.
type tcpProxy struct {
	t        testing.TB
	addr     string
	upstream string

	mu    sync.Mutex
	ln    net.Listener // nil while cut
	conns map[net.Conn]struct{}
}

func newTCPProxy(t testing.TB, upstream string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{t: t, addr: ln.Addr().String(), upstream: upstream, conns: map[net.Conn]struct{}{}}
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
}

func (p *tcpProxy) forward(c net.Conn) {
	up, err := net.DialTimeout("tcp", p.upstream, 5*time.Second)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(c, up) {
		return
	}
	var wg sync.WaitGroup
	wg.Add(2)
	pipe := func(dst, src net.Conn) {
		defer wg.Done()
		_, _ = io.Copy(dst, src)
		dst.Close()
		src.Close()
	}
	go pipe(up, c)
	go pipe(c, up)
	wg.Wait()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

// track registers a forwarded pair, or closes it when the proxy was cut
// meanwhile.
func (p *tcpProxy) track(c, up net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		c.Close()
		up.Close()
		return false
	}
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	return true
}

// cut refuses new connections and closes every open one.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// restore accepts connections again on the same address.
func (p *tcpProxy) restore() {
	p.t.Helper()
	var ln net.Listener
	var err error
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if ln, err = net.Listen("tcp", p.addr); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		p.t.Fatalf("listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// cuttableDB is the package's database, as the application role, reached
// through a proxy the test can cut.
func cuttableDB(t *testing.T) (*db.DB, *tcpProxy) {
	t.Helper()
	appURL, err := db.WithUser(dbtest.AdminURL(t), dbtest.AppLoginRole)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(appURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newTCPProxy(t, u.Host)
	u.Host = proxy.addr
	d, err := db.Open(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d, proxy
}

// stripeHooks is a reverse proxy in front of stripe-mock that runs a hook
// before a request is forwarded (to delay it) and after its answer arrives
// but before the platform gets it (to cut the database at that moment).
type stripeHooks struct {
	URL string

	mu            sync.Mutex
	before, after func(*http.Request)
}

func newStripeHooks(t testing.TB, upstream string) *stripeHooks {
	t.Helper()
	target, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	h := &stripeHooks{}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(res *http.Response) error {
		if f := h.hooks(false); f != nil {
			f(res.Request)
		}
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := h.hooks(true); f != nil {
			f(r)
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	h.URL = srv.URL
	return h
}

func (h *stripeHooks) hooks(before bool) func(*http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if before {
		return h.before
	}
	return h.after
}

// set installs the hooks (nil: none).
func (h *stripeHooks) set(before, after func(*http.Request)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.before, h.after = before, after
}

// isSessionCreate reports whether r creates a Checkout Session.
func isSessionCreate(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Path == "/v1/checkout/sessions"
}
