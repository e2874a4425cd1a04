package api_test

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/leaguepay/checkout/app"
	"github.com/leaguepay/checkout/platform/config"
	"github.com/leaguepay/checkout/platform/metrics"
	"github.com/leaguepay/checkout/producttypes"
)

// opsPublicURL is CHECKOUT_PUBLIC_URL of the ops app.
const opsPublicURL = "http://checkout.test"

// opsEnv is the API wired by app.New with CHECKOUT_PAYMENTS=sandbox: the
// sandbox provider (counted by the metrics), metrics fed by the outbox's
// dispatcher, and /metrics served on the API. extra are product types
// registered beside the built-in ones.
func opsEnv(t *testing.T, extra ...producttypes.Type) (*env, *metrics.Metrics) {
	t.Helper()
	a := buildFull(t, func(c *config.Config, o *app.Options) {
		c.Payments, c.PublicURL = "sandbox", opsPublicURL
		o.Types = extra
	})
	return &env{t: t, app: a.HTTP}, a.Metrics
}

// sample is one line of the Prometheus text format.
type sample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// key names the series of s; histogram buckets fold into their series.
func (s sample) key() string {
	name := s.Name
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && strings.HasSuffix(base, "_seconds") {
			name = base
		}
	}
	var ls []string
	for k, v := range s.Labels {
		if k != "le" {
			ls = append(ls, k+"="+strconv.Quote(v))
		}
	}
	sort.Strings(ls)
	return name + "{" + strings.Join(ls, ",") + "}"
}

var labelRE = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)

// scrape fetches /metrics through the app and parses it.
func scrape(e *env) []sample {
	e.t.Helper()
	settled(e.t)
	r := e.must(200, "GET", "/metrics", nil, bearer(platformToken)...)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		e.t.Errorf("/metrics Content-Type = %q, want text/plain", ct)
	}
	var out []sample
	for _, line := range strings.Split(string(r.Body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		series, value, ok := strings.Cut(line, " ")
		if i := strings.IndexByte(line, '}'); i > 0 {
			series, value, ok = line[:i+1], strings.TrimSpace(line[i+1:]), true
		}
		v, err := strconv.ParseFloat(strings.Fields(value)[0], 64)
		if !ok || err != nil {
			e.t.Fatalf("unparsable metrics line %q", line)
		}
		s := sample{Name: series, Labels: map[string]string{}, Value: v}
		if name, labels, found := strings.Cut(series, "{"); found {
			s.Name = name
			for _, m := range labelRE.FindAllStringSubmatch(labels, -1) {
				s.Labels[m[1]], _ = strconv.Unquote(`"` + m[2] + `"`)
			}
		}
		out = append(out, s)
	}
	return out
}

// value returns the sample named name with exactly these labels.
func value(samples []sample, name string, labels ...string) (float64, bool) {
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
next:
	for _, s := range samples {
		if s.Name != name || len(s.Labels) != len(want) {
			continue
		}
		for k, v := range want {
			if s.Labels[k] != v {
				continue next
			}
		}
		return s.Value, true
	}
	return 0, false
}

// routeTemplates is every route template the app registered.
func routeTemplates(e *env) map[string]bool {
	out := map[string]bool{"unmatched": true}
	for _, r := range e.app.GetRoutes(true) {
		out[r.Path] = true
	}
	return out
}

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}`)

func TestMetricsCountWhatWasDone(t *testing.T) {
	e, _ := opsEnv(t)
	l := e.newLeague()
	free := e.product(l, freeJersey("Free jersey"))
	const price = 4500
	priced := e.product(l, map[string]any{"type": "jersey", "name": "Home jersey", "price_cents": price, "config": jerseyConfig})
	const n = 5
	names := make([]string, n+1)
	for i := range names {
		names[i] = fmt.Sprintf("Kid%d", i)
	}
	_, token, players := e.household(l, names...)
	for i := 0; i < n; i++ {
		e.must(201, "POST", l.Base+"/checkout", map[string]any{"registration_token": token, "product_id": free["id"],
			"player_id": players[i], "custom_data": jerseyData(i + 1)})
	}
	res := e.must(201, "POST", l.Base+"/checkout", map[string]any{"registration_token": token, "product_id": priced["id"],
		"player_id": players[n], "custom_data": jerseyData(50)}).JSON()
	checkoutURL, _ := res["checkout_url"].(string)
	u, err := url.Parse(checkoutURL)
	if err != nil || !strings.HasPrefix(u.Path, "/sandbox/checkout/"+l.Slug+"/") {
		t.Fatalf("checkout_url = %q, want a sandbox checkout page", checkoutURL)
	}
	e.must(303, "POST", u.Path+"/pay", nil)
	// A household checkout of two priced jerseys with a sibling tier (10 %
	// for the 2nd player) and a promotion code (1.00 off), paid on the
	// sandbox page.
	e.must(201, "POST", l.Base+"/admin/discounts", map[string]any{"kind": "sibling", "name": "Siblings",
		"tiers": []map[string]any{{"nth": 2, "percent_off": 10}}}, bearer(l.Manager)...)
	e.must(201, "POST", l.Base+"/admin/discounts", map[string]any{"kind": "promotion", "name": "Dollar", "code": "DOLLAR",
		"amount_off_cents": 100}, bearer(l.Manager)...)
	_, cartToken, cartPlayers := e.household(l, "Ann", "Ben")
	cart := checkoutOf(e.must(201, "POST", l.Base+"/checkouts", map[string]any{"registration_token": cartToken,
		"promotion_code": "DOLLAR", "items": []any{cartItem(priced["id"].(string), cartPlayers[0], jerseyData(60)),
			cartItem(priced["id"].(string), cartPlayers[1], jerseyData(61))}}))
	cu, err := url.Parse(cart["checkout_url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	page := string(e.must(200, "GET", cu.Path, nil).Body)
	for _, want := range []string{"Ann Doe", "Ben Doe", "−4.50 USD", "84.50 USD", "−5.50 USD"} {
		if !strings.Contains(page, want) {
			t.Errorf("the sandbox page of the household checkout lacks %q", want)
		}
	}
	e.must(303, "POST", cu.Path+"/pay", nil)
	e.must(204, "PUT", l.Base+"/admin/stripe", map[string]any{"secret_key": "sk_test_" + strings.Repeat("a", 24),
		"webhook_secret": "whsec_" + strings.Repeat("b", 24)}, bearer(l.Admin)...)
	samples := scrape(e)

	counters := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"checkout_orders_created_total", []string{"tenant", l.Slug, "product_type", "jersey", "status", "paid"}, n},
		{"checkout_orders_created_total", []string{"tenant", l.Slug, "product_type", "jersey", "status", "pending"}, 3},
		{"checkout_order_transitions_total", []string{"tenant", l.Slug, "product_type", "jersey", "from", "pending", "to", "paid"}, 3},
		{"checkout_order_revenue_cents_total", []string{"tenant", l.Slug, "product_type", "jersey", "currency", "usd"}, 3*price - 550},
		{"checkout_checkouts_created_total", []string{"tenant", l.Slug}, n + 2},
		{"checkout_checkouts_completed_total", []string{"tenant", l.Slug}, n + 2},
		{"checkout_discount_cents_total", []string{"tenant", l.Slug, "kind", "sibling", "currency", "usd"}, 450},
		{"checkout_discount_cents_total", []string{"tenant", l.Slug, "kind", "promotion", "currency", "usd"}, 100},
		{"checkout_promotion_redemptions_total", []string{"tenant", l.Slug}, 1},
		{"checkout_webhook_events_total", []string{"tenant", l.Slug, "type", "checkout.session.completed", "outcome", "processed"}, 2},
		{"checkout_webhook_duration_seconds_count", nil, 2},
		{"checkout_stripe_requests_total", []string{"operation", "customer_create", "outcome", "ok"}, 2},
		{"checkout_stripe_requests_total", []string{"operation", "account_get", "outcome", "ok"}, 1},
		{"checkout_stripe_requests_total", []string{"operation", "checkout_session_create", "outcome", "ok"}, 2},
		{"checkout_stripe_request_duration_seconds_count", []string{"operation", "checkout_session_create"}, 2},
		{"checkout_http_requests_total", []string{"route", "/v1/tenants/:tenant/checkout", "method", "POST", "code", "201"}, n + 1},
		{"checkout_http_request_duration_seconds_count", []string{"route", "/v1/tenants/:tenant/checkout", "method", "POST"}, n + 1},
		{"checkout_http_requests_total", []string{"route", "/v1/platform/tenants", "method", "POST", "code", "201"}, 1},
		{"checkout_http_requests_total", []string{"route", "/sandbox/checkout/:tenant/:session/pay", "method", "POST", "code", "303"}, 2},
	}
	for _, c := range counters {
		t.Run(fmt.Sprintf("%s%v is %v", c.name, c.labels, c.want), func(t *testing.T) {
			got, ok := value(samples, c.name, c.labels...)
			if !ok || got != c.want {
				t.Errorf("%s%v = %v (present: %v), want %v", c.name, c.labels, got, ok, c.want)
			}
		})
	}

	t.Run("the pool's gauges and the Go runtime are exported", func(t *testing.T) {
		for _, name := range []string{"checkout_db_pool_max_connections", "checkout_db_pool_total_connections",
			"checkout_db_pool_idle_connections", "checkout_db_pool_acquired_connections", "checkout_db_pool_acquire_total",
			"go_goroutines", "go_memstats_alloc_bytes"} {
			if _, ok := value(samples, name); !ok {
				t.Errorf("%s is missing", name)
			}
		}
		if v, _ := value(samples, "checkout_db_pool_max_connections"); v < 1 {
			t.Errorf("checkout_db_pool_max_connections = %v", v)
		}
	})

	t.Run("requests are labelled by route template, never by a raw path", func(t *testing.T) {
		templates := routeTemplates(e)
		for _, s := range samples {
			if route, ok := s.Labels["route"]; ok && !templates[route] {
				t.Errorf("%s has route %q, which is not a route template", s.Name, route)
			}
		}
	})

	t.Run("no label value carries an id, and only the tenant label names the tenant", func(t *testing.T) {
		for _, s := range samples {
			for k, v := range s.Labels {
				if uuidRE.MatchString(v) || strings.Contains(v, "cs_sandbox") || (k != "tenant" && strings.Contains(v, l.Slug)) {
					t.Errorf("%s has %s=%q", s.Name, k, v)
				}
			}
		}
	})
}

// randomSlug is a well-formed slug no tenant has.
func randomSlug() string { return fmt.Sprintf("nobody-%016x", rand.Uint64()) }

func TestMetricsFloodCreatesNoSeries(t *testing.T) {
	e, _ := opsEnv(t)
	l := e.newLeague()
	p := e.product(l, freeJersey("Jersey"))
	_, token, _ := e.household(l, "Ann")
	e.must(201, "POST", l.Base+"/checkout", map[string]any{"registration_token": token, "product_id": p["id"], "custom_data": jerseyData(1)})
	e.must(200, "GET", l.Base+"/products/"+p["id"].(string), nil)
	scrape(e) // the first scrape is counted by the next one
	before := seriesSet(scrape(e))

	var sent []string // every random value sent; none may become a label value
	forged := func() string {
		s := fmt.Sprintf("t=%d,v1=%064x", rand.Int64N(1<<31), rand.Uint64())
		sent = append(sent, s)
		return s
	}
	for i := 0; i < 200; i++ {
		slug, id := randomSlug(), uuid.NewString()
		sent = append(sent, slug, id)
		e.must(404, "GET", "/v1/tenants/"+slug+"/products", nil)
		e.must(404, "GET", "/v1/tenants/"+slug+"/products/"+id, nil)
		e.must(404, "POST", "/v1/tenants/"+slug+"/webhooks/stripe", `{"id":"evt_1","type":"charge.refunded"}`, "Stripe-Signature", forged())
		e.must(404, "GET", "/v1/tenants/"+slug+"/admin/orders", nil, bearer(l.Viewer)...)
	}
	for i := 0; i < 200; i++ {
		id := uuid.NewString()
		sent = append(sent, id)
		e.must(404, "GET", l.Base+"/products/"+id, nil)
		e.must(404, "GET", l.Base+"/admin/products/"+id, nil, bearer(l.Viewer)...)
		e.must(404, "GET", l.Base+"/admin/orders/"+id, nil, bearer(l.Viewer)...)
		e.must(404, "GET", "/"+id, nil)
	}
	for i := 0; i < 50; i++ {
		typ := fmt.Sprintf("evil.%x", rand.Uint64())
		sent = append(sent, typ)
		body := fmt.Sprintf(`{"id":"evt_%x","object":"event","type":%q,"account":"acct_%x","data":{"object":{}}}`, rand.Uint64(), typ, rand.Uint64())
		e.must(400, "POST", l.Base+"/webhooks/stripe", body, "Stripe-Signature", forged())
		e.must(400, "POST", "/v1/webhooks/stripe", body, "Stripe-Signature", forged())
	}
	after := scrape(e)

	t.Run("only a fixed, known set of series is new", func(t *testing.T) {
		allowed := map[string]bool{}
		allow := func(name string, labels ...string) {
			allowed[sample{Name: name, Labels: pairs(labels)}.key()] = true
		}
		for _, rt := range []struct{ route, method, code string }{
			{"unmatched", "GET", "404"}, {"unmatched", "POST", "404"},
			{"/v1/tenants/:tenant/products/:id", "GET", "404"},
			{"/v1/tenants/:tenant/admin/products/:id", "GET", "404"},
			{"/v1/tenants/:tenant/admin/orders/:id", "GET", "404"},
			{"/v1/tenants/:tenant/webhooks/stripe", "POST", "400"},
			{"/v1/webhooks/stripe", "POST", "400"},
		} {
			allow("checkout_http_requests_total", "route", rt.route, "method", rt.method, "code", rt.code)
			allow("checkout_http_request_duration_seconds", "route", rt.route, "method", rt.method)
		}
		allow("checkout_webhook_events_total", "tenant", l.Slug, "type", "unknown", "outcome", "invalid_signature")
		allow("checkout_webhook_events_total", "tenant", "unknown", "type", "unknown", "outcome", "invalid_signature")
		var added []string
		for k := range seriesSet(after) {
			if !before[k] {
				added = append(added, k)
				if !allowed[k] {
					t.Errorf("the flood created the series %s", k)
				}
			}
		}
		sort.Strings(added)
		t.Logf("%d series before, %d new: %v", len(before), len(added), added)
		for _, want := range []string{
			sample{Name: "checkout_http_requests_total", Labels: pairs([]string{"route", "unmatched", "method", "GET", "code", "404"})}.key(),
			sample{Name: "checkout_webhook_events_total", Labels: pairs([]string{"tenant", l.Slug, "type", "unknown", "outcome", "invalid_signature"})}.key(),
		} {
			if !slices.Contains(added, want) {
				t.Errorf("the flood was not counted as %s", want)
			}
		}
	})

	t.Run("the flood is counted under known labels", func(t *testing.T) {
		checks := []struct {
			name   string
			labels []string
			want   float64
		}{
			{"checkout_http_requests_total", []string{"route", "unmatched", "method", "GET", "code", "404"}, 200 + 200 + 200 + 200},
			{"checkout_http_requests_total", []string{"route", "unmatched", "method", "POST", "code", "404"}, 200},
			{"checkout_http_requests_total", []string{"route", "/v1/tenants/:tenant/products/:id", "method", "GET", "code", "404"}, 200},
			{"checkout_webhook_events_total", []string{"tenant", l.Slug, "type", "unknown", "outcome", "invalid_signature"}, 50},
			{"checkout_webhook_events_total", []string{"tenant", "unknown", "type", "unknown", "outcome", "invalid_signature"}, 50},
		}
		for _, c := range checks {
			if got, ok := value(after, c.name, c.labels...); got != c.want {
				t.Errorf("%s%v = %v (present: %v), want %v", c.name, c.labels, got, ok, c.want)
			}
		}
	})

	t.Run("no label value is a random slug, id, signature or event type", func(t *testing.T) {
		values := map[string]bool{}
		for _, s := range after {
			for _, v := range s.Labels {
				values[v] = true
			}
		}
		for v := range values {
			if strings.HasPrefix(v, "nobody-") || strings.HasPrefix(v, "evil.") || uuidRE.MatchString(v) || strings.Contains(v, "v1=") {
				t.Errorf("label value %q comes from a request", v)
			}
		}
		for _, s := range sent {
			if values[s] {
				t.Errorf("label value %q comes from a request", s)
			}
		}
	})
}

func seriesSet(samples []sample) map[string]bool {
	out := map[string]bool{}
	for _, s := range samples {
		out[s.key()] = true
	}
	return out
}

func pairs(kv []string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}
