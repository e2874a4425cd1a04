package api_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/leaguepay/checkout/api"
	"github.com/leaguepay/checkout/app"
	"github.com/leaguepay/checkout/platform/config"
)

// Each attack below is refused before the step it would make expensive;
// what the tests assert is where and how it was refused (the field and
// message of the limit that caught it, bytes allocated, bytes held), never
// how long it took.

// allocated is the bytes the process allocated while fn ran.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestHostileBodiesAreRefusedBeforeTheyCost(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	_, token, players := e.household(l, "Ann")
	p := e.product(l, freeJersey("Free jersey"))

	checkout := func(customData string) string {
		return `{"registration_token":"` + token + `","product_id":"` + p["id"].(string) + `","player_id":"` +
			players[0] + `","custom_data":` + customData + `}`
	}
	emptyObjects := "[" + strings.TrimSuffix(strings.Repeat("{},", 340000), ",") + "]"
	var unknownKeys strings.Builder
	unknownKeys.WriteString("{")
	for i := range 999 {
		if i > 0 {
			unknownKeys.WriteString(",")
		}
		fmt.Fprintf(&unknownKeys, `"unknown_%d":%d`, i, i)
	}
	unknownKeys.WriteString("}")
	hugeSizes := `{"type":"jersey","name":"J","price_cents":0,"config":{"top_sizes":[` +
		strings.TrimSuffix(strings.Repeat("1e999999,", 20), ",") + `]}}`

	cases := []struct {
		name          string
		path, auth    string
		body          string
		status        int
		field, prefix string // the field named and the start of its message
	}{
		{"340,000 empty objects, with no credentials", "/checkout", "",
			`{"registration_token":"x","custom_data":` + emptyObjects + `}`, 400, "/custom_data", "must hold at most 1000 members"},
		{"a million-digit jersey number", "/checkout", "",
			checkout(`{"jersey_number":` + strings.Repeat("9", 1_000_000) + `}`), 400,
			"/custom_data/jersey_number", "is a number longer than 32 characters"},
		{"nesting 10,000 deep", "/checkout", "",
			checkout(strings.Repeat("[", 10000) + strings.Repeat("]", 10000)), 400, "", "nests deeper than 32 levels"},
		{"a config of numbers with huge exponents", "/admin/products", l.Manager, hugeSizes, 400,
			"/config/top_sizes/0", "is a number whose exponent is beyond"},
		{"a product config with a lone surrogate", "/admin/products", l.Manager,
			`{"type":"jersey","name":"J\ud800","price_cents":0,"config":{}}`, 400, "/name", "is not valid UTF-8 text"},
		{"a product config with invalid UTF-8", "/admin/products", l.Manager,
			"{\"type\":\"jersey\",\"name\":\"J\xff\",\"price_cents\":0,\"config\":{}}", 400, "/name", "is not valid UTF-8 text"},
		{"999 unknown custom_data keys", "/checkout", "", checkout(unknownKeys.String()), 422, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name+" is refused before it is decoded or validated", func(t *testing.T) {
			var headers []string
			if tc.auth != "" {
				headers = bearer(tc.auth)
			}
			var r resp
			cost := allocated(func() { r = e.do("POST", l.Base+tc.path, tc.body, headers...) })
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %.300s", r.Status, tc.status, r.Body)
			}
			r.wantProblem(t)
			var fields []string
			for _, f := range r.JSON()["errors"].([]any) {
				fe := f.(map[string]any)
				fields = append(fields, fe["field"].(string))
				if tc.prefix != "" && !strings.HasPrefix(fe["message"].(string), tc.prefix) {
					t.Errorf("message %q, want it to start %q", fe["message"], tc.prefix)
				}
			}
			if tc.field != "" && (len(fields) != 1 || fields[0] != tc.field) {
				t.Errorf("fields %v, want [%s]", fields, tc.field)
			}
			if len(fields) > 50 {
				t.Errorf("%d field errors reported, want at most 50", len(fields))
			}
			if len(r.Body) > 16<<10 {
				t.Errorf("a %d-byte answer, want a short one that echoes nothing", len(r.Body))
			}
			// Reading the body (the test's client and server both hold it),
			// checking its limits and answering costs a few times its size,
			// more under the race detector; a generic decode of it cost 30
			// times its size on top.
			if limit := uint64(16*len(tc.body)) + 4<<20; cost > limit {
				t.Errorf("the request allocated %d bytes for a %d-byte body, want under %d", cost, len(tc.body), limit)
			}
		})
	}
}

// rawConn sends a request head and the first part of its body, and leaves
// the connection open (closed at cleanup).
func rawConn(t *testing.T, addr, method, path string, declared int, sent string, headers ...string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", method, path, declared)
	for i := 0; i+1 < len(headers); i += 2 {
		head += headers[i] + ": " + headers[i+1] + "\r\n"
	}
	if _, err := io.WriteString(conn, head+"\r\n"+sent); err != nil {
		t.Fatal(err)
	}
	return conn
}

func readAnswer(t *testing.T, conn net.Conn) *http.Response {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read the answer: %v", err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

func TestStalledBodiesHoldLittleMemory(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	addr := serveLoopback(t, e)
	const conns, sent = 40, 256 << 10
	part := `{"registration_token":"` + strings.Repeat("x", sent) // never finished
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	paths := []string{"/healthz", "/readyz", l.Base + "/products", l.Base + "/admin/orders"}
	for i := range conns {
		rawConn(t, addr, "POST", paths[i%len(paths)], api.BodyLimit-1, part)
	}
	time.Sleep(500 * time.Millisecond) // let the server read what it will
	runtime.GC()
	runtime.ReadMemStats(&after)
	held := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	// Buffered whole before routing, each connection held what it had sent:
	// 40 × 256 KiB = 10 MiB. Streamed, routes that take no body never read
	// it (and those that do read within the body budget: see
	// TestBodyBudgetShedsLoad).
	if limit := int64(2 << 20); held > limit {
		t.Errorf("%d stalled connections hold %d bytes of heap, want under %d", conns, held, limit)
	}
}

func TestBodyBudgetShedsLoad(t *testing.T) {
	e := &env{t: t, app: buildApp(t, func(c *config.Config, _ *app.Options) {
		c.BodyBudget = 2 * api.BodyLimit
		c.BodyTimeout = 3 * time.Second
	})}
	l := e.newLeague()
	addr := serveLoopback(t, e)
	// Two stalled bodies of 1 MiB each take the whole budget. (They send
	// more than the 8 KiB fasthttp reads with the headers, so their route
	// has started reading them.)
	prefix := `{"registration_token":"` + strings.Repeat("x", 16<<10)
	stalled := []net.Conn{
		rawConn(t, addr, "POST", l.Base+"/checkout", api.BodyLimit, prefix),
		rawConn(t, addr, "POST", l.Base+"/checkout", api.BodyLimit, prefix),
	}
	time.Sleep(200 * time.Millisecond)
	t.Run("a third body past the budget is refused with 503 and Retry-After", func(t *testing.T) {
		res := readAnswer(t, rawConn(t, addr, "POST", l.Base+"/checkout", api.BodyLimit, prefix))
		if res.StatusCode != 503 || res.Header.Get("Retry-After") == "" {
			t.Errorf("status %d, Retry-After %q; want 503 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
		}
	})
	t.Run("a body that does not arrive in time is a 408", func(t *testing.T) {
		res := readAnswer(t, stalled[0])
		if res.StatusCode != 408 {
			t.Errorf("status %d, want 408", res.StatusCode)
		}
	})
	t.Run("once the budget is free, bodies are read again", func(t *testing.T) {
		_ = readAnswer(t, stalled[1])
		r := sendRaw(t, addr, "POST", l.Base+"/checkout", `{"registration_token":"nope","product_id":"x"}`)
		if r.Status != 422 {
			t.Errorf("status %d, want 422: %s", r.Status, r.Body)
		}
	})
}

func TestBodiesOnlyWhereTaken(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	addr := serveLoopback(t, e)
	t.Run("a GET with a body is a 400", func(t *testing.T) {
		r := sendRaw(t, addr, "GET", l.Base+"/admin/orders", `{"x":1}`, bearer(l.Viewer)...)
		if r.Status != 400 {
			t.Errorf("status %d, want 400: %s", r.Status, r.Body)
		}
	})
	t.Run("a body on a route that takes none is not read and closes the connection", func(t *testing.T) {
		conn := rawConn(t, addr, "POST", "/healthz", 100, strings.Repeat("x", 100))
		res := readAnswer(t, conn)
		if !res.Close {
			t.Errorf("status %d without Connection: close; the unread body would be parsed as the next request", res.StatusCode)
		}
	})
	t.Run("HEAD of the CSV export sends headers only, and the connection stays usable", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		req := "HEAD " + l.Base + "/admin/orders.csv HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer " + l.Viewer + "\r\n\r\n" +
			"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n"
		if _, err := io.WriteString(conn, req); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(conn)
		head, err := http.ReadResponse(br, &http.Request{Method: "HEAD"})
		if err != nil || head.StatusCode != 200 {
			t.Fatalf("HEAD: %v %v", head, err)
		}
		next, err := http.ReadResponse(br, nil)
		if err != nil || next.StatusCode != 200 {
			t.Fatalf("the next response on the connection: %v %v (stray bytes after the HEAD?)", next, err)
		}
	})
}

func TestMalformedPathSegmentsAreNotFound(t *testing.T) {
	e, _ := opsEnv(t)
	l := e.newLeague()
	cases := []struct{ name, method, path string }{
		{"a tenant slug of bytes that are not UTF-8", "PATCH", "/v1/platform/tenants/le%FF%FEague"},
		{"a tenant slug that is not a slug", "PATCH", "/v1/platform/tenants/NOT_A_SLUG"},
		{"a sandbox session of bytes that are not UTF-8", "GET", "/sandbox/checkout/" + l.Slug + "/cs_sandbox_%FF%FE"},
		{"a sandbox session of another shape", "POST", "/sandbox/checkout/" + l.Slug + "/cs_sandbox_x'--/pay"},
	}
	for _, tc := range cases {
		t.Run(tc.name+" is a 404 before any query", func(t *testing.T) {
			var body any
			if tc.method == "PATCH" {
				body = map[string]any{"name": "New name"}
			}
			r := e.do(tc.method, tc.path, body, bearer(platformToken)...)
			if r.Status != 404 {
				t.Errorf("status %d, want 404: %s", r.Status, r.Body)
			}
		})
	}
}
