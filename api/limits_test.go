package api_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leaguepay/checkout/api"
	"github.com/leaguepay/checkout/app"
	"github.com/leaguepay/checkout/platform/config"
)

// newLimitedEnv is newEnv with a buyer rate limit of perMinute requests.
func newLimitedEnv(t *testing.T, perMinute int) *env {
	t.Helper()
	return &env{t: t, app: buildApp(t, func(c *config.Config, _ *app.Options) { c.BuyerRateLimit = perMinute })}
}

// isProblem reports whether r is a problem document of its own status.
func isProblem(r resp) bool {
	return r.Header.Get("Content-Type") == "application/problem+json" && r.JSON()["status"] == float64(r.Status)
}

// serveLoopback serves e's app on a loopback port and returns its address.
// The 413 for an oversized body is written by the HTTP server before it
// drops the connection, which app.Test reports as an error instead of a
// response, so those requests go over a real connection.
func serveLoopback(t testing.TB, e *env) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.app.Listener(ln) }()
	t.Cleanup(func() { _ = e.app.Shutdown() })
	return ln.Addr().String()
}

// sendRaw sends a request head declaring a body of bodyLen bytes, then the
// body, and reads the answer. A body over the limit is refused on its
// Content-Length, so the answer may arrive before the body is read; the
// writer runs on its own so a refused body cannot block the reader.
func sendRaw(t *testing.T, addr, method, path string, body string, headers ...string) resp {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", method, path, len(body))
	for i := 0; i+1 < len(headers); i += 2 {
		head += headers[i] + ": " + headers[i+1] + "\r\n"
	}
	if _, err := io.WriteString(conn, head+"\r\n"); err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.WriteString(conn, body) }()
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return resp{Status: res.StatusCode, Header: res.Header, Body: raw}
}

func TestBodyLimit(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	_, token, _ := e.household(l, "Ann")
	product := func(n int) string {
		return `{"type":"jersey","name":"J","price_cents":0,"config":{},"description":"` + strings.Repeat("x", n) + `"}`
	}
	overhead := len(product(0))

	t.Run("a body of exactly 1 MiB is read and judged on its content", func(t *testing.T) {
		r := e.must(422, "POST", l.Base+"/admin/products", product(api.BodyLimit-overhead), bearer(l.Manager)...)
		if !slices.Contains(r.Fields(), "/description") {
			t.Errorf("fields %v", r.Fields())
		}
	})

	addr := serveLoopback(t, e)
	cases := []struct {
		name    string
		path    string
		body    string
		headers []string
	}{
		{"a product body one byte over 1 MiB", l.Base + "/admin/products", product(api.BodyLimit - overhead + 1), bearer(l.Manager)},
		{"a checkout body over 1 MiB", l.Base + "/checkout",
			`{"registration_token":"` + token + `","product_id":"` + strings.Repeat("0", api.BodyLimit) + `"}`, nil},
		{"a customer body of several MiB", l.Base + "/admin/customers", strings.Repeat(" ", 3*api.BodyLimit) + "{}", bearer(l.Manager)},
	}
	for _, tc := range cases {
		t.Run(tc.name+" is a 413 problem document", func(t *testing.T) {
			r := sendRaw(t, addr, "POST", tc.path, tc.body, tc.headers...)
			if r.Status != 413 {
				t.Fatalf("status %d, want 413: %.300s", r.Status, r.Body)
			}
			if !isProblem(r) {
				t.Errorf("not a problem document: %q %.300s", r.Header.Get("Content-Type"), r.Body)
			}
		})
	}

	t.Run("an oversized request stores nothing", func(t *testing.T) {
		if n := len(listItems(t, e.must(200, "GET", l.Base+"/admin/products", nil, bearer(l.Viewer)...))); n != 0 {
			t.Errorf("%d products", n)
		}
	})
}

func TestBuyerRateLimit(t *testing.T) {
	e := newLimitedEnv(t, 3)
	l := e.newLeague()
	other := e.newLeague()
	p := e.product(l, freeJersey("Home"))
	_, token, _ := e.household(l, "Ann")

	// Staff requests before and between do not count against buyers.
	for i := 0; i < 5; i++ {
		e.must(200, "GET", l.Base+"/admin/products", nil, bearer(l.Viewer)...)
	}
	steps := []struct {
		name    string
		path    string
		headers []string
		status  int
	}{
		{"the first buyer request passes", l.Base + "/products", nil, 200},
		{"the second buyer request passes", l.Base + "/products/" + p["id"].(string), nil, 200},
		{"the third buyer request passes", l.Base + "/orders", []string{"X-Registration-Token", token}, 200},
		{"the fourth buyer request is 429", l.Base + "/products", nil, 429},
		{"every buyer endpoint shares the limit", l.Base + "/orders", []string{"X-Registration-Token", token}, 429},
		{"staff are not limited by the buyer limit", l.Base + "/admin/products", bearer(l.Viewer), 200},
		{"another tenant's buyers have their own limit", other.Base + "/products", nil, 200},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			r := e.do("GET", st.path, nil, st.headers...)
			if r.Status != st.status {
				t.Fatalf("status %d, want %d: %s", r.Status, st.status, r.Body)
			}
			if st.status != 429 {
				return
			}
			if !isProblem(r) {
				t.Errorf("not a problem document: %q %s", r.Header.Get("Content-Type"), r.Body)
			}
			secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
			if err != nil || secs < 0 || secs > 60 {
				t.Errorf("Retry-After %q, want seconds up to a minute", r.Header.Get("Retry-After"))
			}
		})
	}

	t.Run("a limited checkout makes no order", func(t *testing.T) {
		r := e.do("POST", l.Base+"/checkout", map[string]any{"registration_token": token, "product_id": p["id"], "custom_data": jerseyData(1)})
		if r.Status != 429 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		if n := len(e.allOrders(l)); n != 0 {
			t.Errorf("%d orders", n)
		}
	})
}

func TestUnknownRoutes(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	cases := []struct {
		name    string
		method  string
		path    string
		headers []string
		status  int
	}{
		{"an unknown top-level path", "GET", "/nope", nil, 404},
		{"an unknown version", "GET", "/v2/tenants/" + l.Slug + "/products", nil, 404},
		{"an unknown buyer path", "GET", l.Base + "/nope", nil, 404},
		{"an unknown admin path with a valid key", "GET", l.Base + "/admin/nope", bearer(l.Admin), 404},
		{"an unknown tenant", "GET", "/v1/tenants/no-such-league/products", nil, 404},
		{"a malformed tenant slug", "GET", "/v1/tenants/NOT_A_SLUG/products", nil, 404},
		{"a method a known path does not have", "DELETE", l.Base + "/products", nil, 405},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s is a %d problem document", tc.name, tc.status), func(t *testing.T) {
			r := e.do(tc.method, tc.path, nil, tc.headers...)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if !isProblem(r) {
				t.Errorf("not a problem document: %q %s", r.Header.Get("Content-Type"), r.Body)
			}
		})
	}
}
