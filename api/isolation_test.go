package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/leaguepay/checkout/app"
	"github.com/leaguepay/checkout/internal/testkit/apptest"
	"github.com/leaguepay/checkout/internal/testkit/stripemock"
)

// isoTenant is a league holding one of every object a tenant route can
// address by id.
type isoTenant struct {
	league
	ProductID  string // an active opt-out jersey (price 0)
	CustomerID string // the household that bought it
	Token      string // that household's registration token
	OrderID    string // the household's paid order
	CheckoutID string // its checkout
	PlayerID   string // the household's one player
	PendingID  string // a pending order of another household
	KeyID      string // a spare viewer API key
	Keys       stripeKeys
	KitID      string // a priced, unnumbered jersey
	PaidID     string // a card-paid order of the kit by a third household
	EndpointID string // a webhook endpoint
	DiscountID string // a promotion whose applies_to names ProductID
}

// isoTenant provisions a league with every object of isoTenant.
func (e *env) isoTenant() isoTenant {
	e.t.Helper()
	w := isoTenant{league: e.newLeague()}
	w.ProductID = e.product(w.league, isoOptOut("Opt-out"))["id"].(string)
	var players []string
	w.CustomerID, w.Token, players = e.household(w.league, "Ann")
	w.PlayerID = players[0]
	o := e.must(201, "POST", w.Base+"/checkout",
		map[string]any{"registration_token": w.Token, "product_id": w.ProductID}).JSON()
	w.OrderID = o["order"].(map[string]any)["id"].(string)
	w.CheckoutID = o["order"].(map[string]any)["checkout_id"].(string)
	w.PendingID = e.isoPendingOrder(w.league, w.ProductID)
	w.KeyID = e.must(201, "POST", "/v1/platform/tenants/"+w.Slug+"/api-keys",
		map[string]any{"role": "viewer", "name": "spare"}, bearer(platformToken)...).JSON()["id"].(string)
	w.Keys = e.ownKeys(w.league)
	w.EndpointID = e.must(201, "POST", w.Base+"/admin/webhook-endpoints", isoEndpointBody, bearer(w.Admin)...).JSON()["id"].(string)
	w.DiscountID = e.must(201, "POST", w.Base+"/admin/discounts", map[string]any{"kind": "promotion", "name": "Spring",
		"code": "SPRING", "percent_off": 10, "applies_to": map[string]any{"product_ids": []string{w.ProductID}}},
		bearer(w.Manager)...).JSON()["id"].(string)
	w.KitID = e.pricedKit(w.league, "Kit", 2500)
	paid := e.pendingOrder(w.league, w.KitID)
	r := e.deliver(w.Base+"/webhooks/stripe", sessionEvent("checkout.session.completed", paid, w.ID, "paid"), w.Keys.WebhookSecret)
	if r.Status != 200 {
		e.t.Fatalf("pay the kit: %d %s", r.Status, r.Body)
	}
	w.PaidID = paid["id"].(string)
	return w
}

// isoPendingOrder imports a pending order of a new household and returns its
// id: a pending order without a Checkout Session, as legacy imports make.
func (e *env) isoPendingOrder(l league, productID string) string {
	e.t.Helper()
	svc := apptest.Wire(e.t, apptest.Config(stripemock.URL(e.t)), app.Options{}).OrderIO
	ref := fmt.Sprintf("iso-%08x", rand.Uint32())
	in := "legacy_id,customer_email,player_first_name,player_last_name,product_id,status\n" +
		ref + "," + ref + "@example.com,Pat,Doe," + productID + ",pending\n"
	var report strings.Builder
	sum, err := svc.Import(context.Background(), uuid.MustParse(l.ID), strings.NewReader(in), &report)
	if err != nil || sum.Imported != 1 {
		e.t.Fatalf("import pending order: %+v, %v: %s", sum, err, report.String())
	}
	page := e.must(200, "GET", l.Base+"/admin/orders?status=pending&product_id="+productID, nil, bearer(l.Viewer)...)
	ids := isoDataIDs(page)
	if len(ids) != 1 {
		e.t.Fatalf("want one pending order of product %s, got %v", productID, ids)
	}
	return ids[0]
}

func isoOptOut(name string) map[string]any {
	return map[string]any{"type": "jersey", "name": name, "price_cents": 0, "config": optOutConfig}
}

// isoRoute is one tenant admin route. The tables below drive the isolation
// and role tests: a new route is one more row.
type isoRoute struct {
	method string
	path   string                 // under /v1/tenants/{tenant}/admin; {id} is target's object
	need   string                 // the lowest role allowed
	target func(isoTenant) string // the object the route addresses (nil: none)
	body   any                    // a value, or a func(isoTenant) any making it
	ok     int                    // the status an allowed caller gets on a fresh isoTenant
	// stub marks a documented route whose handler is apperr.ErrNotImplemented
	// in this build: only authentication and role are checked, never the id,
	// and its ok is 501 until it lands (then: the contract's status, and the
	// id tests cover it once stub is dropped).
	stub bool
}

// payload is the route's body for league w.
func (r isoRoute) payload(w isoTenant) any {
	if fn, ok := r.body.(func(isoTenant) any); ok {
		return fn(w)
	}
	return r.body
}

func (r isoRoute) String() string { return r.method + " " + r.path }

// url is the route under base (a league's Base) addressing the object id.
func (r isoRoute) url(base, id string) string {
	return base + "/admin" + strings.Replace(r.path, "{id}", id, 1)
}

// id is the id of w's object that the route addresses.
func (r isoRoute) id(w isoTenant) string {
	if r.target == nil {
		return ""
	}
	return r.target(w)
}

func isoProduct(w isoTenant) string  { return w.ProductID }
func isoCustomer(w isoTenant) string { return w.CustomerID }
func isoOrder(w isoTenant) string    { return w.OrderID }
func isoPending(w isoTenant) string  { return w.PendingID }
func isoKey(w isoTenant) string      { return w.KeyID }
func isoPaid(w isoTenant) string     { return w.PaidID }
func isoEndpoint(w isoTenant) string { return w.EndpointID }
func isoDiscount(w isoTenant) string { return w.DiscountID }
func isoCheckout(w isoTenant) string { return w.CheckoutID }

// isoEndpoint is a webhook endpoint on loopback (tests admit it) where
// nothing listens.
var isoEndpointBody = map[string]any{"url": "http://127.0.0.1:9/hooks", "events": []string{"order.paid"}}

// isoOwnKeys is a PUT /stripe body re-saving w's own keys, so the route
// table leaves its webhook secret as it was.
func isoOwnKeys(w isoTenant) any {
	return map[string]any{"secret_key": w.Keys.SecretKey, "webhook_secret": w.Keys.WebhookSecret}
}

// isoAdminRoutes is every route of the tenant admin API, in routes.go order.
// Rows run in this order against one isoTenant, viewer then manager then
// admin, so a write's ok status holds for each allowed caller in turn.
var isoAdminRoutes = []isoRoute{
	{method: "GET", path: "/product-types", need: "viewer", ok: 200},
	{method: "GET", path: "/products", need: "viewer", ok: 200},
	{method: "POST", path: "/products", need: "manager", body: isoOptOut("Another opt-out"), ok: 201},
	{method: "GET", path: "/products/{id}", need: "viewer", target: isoProduct, ok: 200},
	{method: "PATCH", path: "/products/{id}", need: "manager", target: isoProduct, body: map[string]any{"name": "Renamed"}, ok: 200},
	{method: "GET", path: "/customers", need: "viewer", ok: 200},
	{method: "POST", path: "/customers", need: "manager", ok: 201, body: map[string]any{"name": "Roe family",
		"email": "roe@example.com", "players": []map[string]any{{"first_name": "Ray", "last_name": "Roe"}}}},
	{method: "GET", path: "/customers/{id}", need: "viewer", target: isoCustomer, ok: 200},
	{method: "POST", path: "/customers/{id}/registration-token", need: "manager", target: isoCustomer, ok: 201},
	{method: "POST", path: "/customers/{id}/players", need: "manager", target: isoCustomer, ok: 201,
		body: map[string]any{"first_name": "Iso", "last_name": "Added"}},
	{method: "GET", path: "/orders", need: "viewer", ok: 200},
	{method: "GET", path: "/orders.csv", need: "viewer", ok: 200},
	{method: "GET", path: "/orders/{id}", need: "viewer", target: isoOrder, ok: 200},
	{method: "POST", path: "/orders/{id}/cancel", need: "admin", target: isoPending, ok: 200},
	{method: "POST", path: "/orders/{id}/refund", need: "admin", target: isoPaid, body: map[string]any{}, ok: 200},
	{method: "GET", path: "/checkouts/{id}", need: "viewer", target: isoCheckout, ok: 200},
	{method: "GET", path: "/stripe", need: "admin", ok: 200},
	{method: "PUT", path: "/stripe", need: "admin", body: isoOwnKeys, ok: 204},
	{method: "GET", path: "/api-keys", need: "admin", ok: 200},
	{method: "POST", path: "/api-keys", need: "admin", body: map[string]any{"role": "viewer", "name": "ci"}, ok: 201},
	{method: "DELETE", path: "/api-keys/{id}", need: "admin", target: isoKey, ok: 204},
	{method: "GET", path: "/discounts", need: "viewer", ok: 200},
	{method: "POST", path: "/discounts", need: "manager", ok: 201, body: map[string]any{"kind": "sibling", "name": "Siblings",
		"tiers": []map[string]any{{"nth": 2, "percent_off": 10}}}},
	{method: "GET", path: "/discounts/{id}", need: "viewer", target: isoDiscount, ok: 200},
	{method: "PATCH", path: "/discounts/{id}", need: "manager", target: isoDiscount, body: map[string]any{"active": false}, ok: 200},
	{method: "GET", path: "/webhook-endpoints", need: "admin", ok: 200},
	{method: "POST", path: "/webhook-endpoints", need: "admin", body: isoEndpointBody, ok: 201},
	{method: "GET", path: "/webhook-endpoints/{id}", need: "admin", target: isoEndpoint, ok: 200},
	{method: "GET", path: "/webhook-endpoints/{id}/deliveries", need: "admin", target: isoEndpoint, ok: 200},
	{method: "DELETE", path: "/webhook-endpoints/{id}", need: "admin", target: isoEndpoint, ok: 204},
}

// isoProblem fails t unless r is a problem document with this status and,
// when typ is not empty, this type.
func isoProblem(t *testing.T, r resp, status int, typ string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("content type %q, want application/problem+json", ct)
	}
	p := r.JSON()
	if p["status"] != float64(status) {
		t.Errorf("problem status %v, want %d: %s", p["status"], status, r.Body)
	}
	if typ != "" && p["type"] != typ {
		t.Errorf("problem type %v, want %s: %s", p["type"], typ, r.Body)
	}
}

// isoDataIDs returns the ids of a {data: [...]} listing, sorted.
func isoDataIDs(r resp) []string {
	var ids []string
	data, _ := r.JSON()["data"].([]any)
	for _, d := range data {
		ids = append(ids, fmt.Sprint(d.(map[string]any)["id"]))
	}
	slices.Sort(ids)
	return ids
}

// isoCSVIDs returns the id column of an orders.csv export, sorted; it fails
// t when the export has no id header.
func isoCSVIDs(t *testing.T, r resp) []string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.Body, []byte("\ufeff")))).ReadAll()
	if err != nil || len(rows) == 0 || rows[0][0] != "id" {
		t.Fatalf("not an orders export (%v): %s", err, r.Body)
	}
	var ids []string
	for _, row := range rows[1:] {
		ids = append(ids, row[0])
	}
	slices.Sort(ids)
	return ids
}

// isoSnapshot is every admin and buyer view of w's objects, to show that
// refused requests changed nothing.
func (e *env) isoSnapshot(w isoTenant) string {
	e.t.Helper()
	var b strings.Builder
	for _, p := range []string{"/products", "/products/" + w.ProductID, "/customers/" + w.CustomerID,
		"/orders", "/orders/" + w.OrderID, "/orders/" + w.PendingID, "/orders/" + w.PaidID, "/stripe", "/api-keys"} {
		r := e.do("GET", w.Base+"/admin"+p, nil, bearer(w.Admin)...)
		fmt.Fprintf(&b, "%s %d %s\n", p, r.Status, r.Body)
	}
	r := e.do("GET", w.Base+"/orders", nil, "X-Registration-Token", w.Token)
	fmt.Fprintf(&b, "household orders %d %s\n", r.Status, r.Body)
	return b.String()
}

func TestIsolationOtherLeaguesKeysAreForbidden(t *testing.T) {
	e := newEnv(t)
	a, b := e.isoTenant(), e.isoTenant()
	before := e.isoSnapshot(a)

	for _, r := range isoAdminRoutes {
		for _, k := range []struct{ role, key string }{{"admin", b.Admin}, {"manager", b.Manager}, {"viewer", b.Viewer}} {
			t.Run(fmt.Sprintf("league B's %s key on league A's %s is forbidden", k.role, r), func(t *testing.T) {
				res := e.do(r.method, r.url(a.Base, r.id(a)), r.payload(a), bearer(k.key)...)
				isoProblem(t, res, 403, "/problems/forbidden")
			})
		}
	}
	t.Run("the refused requests changed nothing of league A's", func(t *testing.T) {
		if after := e.isoSnapshot(a); after != before {
			t.Errorf("league A changed:\nbefore:\n%s\nafter:\n%s", before, after)
		}
	})
}

func TestIsolationOtherLeaguesIDsAreNotFound(t *testing.T) {
	e := newEnv(t)
	a, b := e.isoTenant(), e.isoTenant()
	before := e.isoSnapshot(b)

	for _, r := range isoAdminRoutes {
		if r.target == nil || r.stub {
			continue
		}
		t.Run(fmt.Sprintf("%s with league B's id under league A's path is not found", r), func(t *testing.T) {
			res := e.do(r.method, r.url(a.Base, r.id(b)), r.payload(a), bearer(a.Admin)...)
			isoProblem(t, res, 404, "/problems/not-found")
		})
	}
	t.Run("the buyer's GET /products/{id} with league B's product under league A's path is not found", func(t *testing.T) {
		isoProblem(t, e.do("GET", a.Base+"/products/"+b.ProductID, nil), 404, "/problems/not-found")
	})
	t.Run("the refused requests changed nothing of league B's", func(t *testing.T) {
		if after := e.isoSnapshot(b); after != before {
			t.Errorf("league B changed:\nbefore:\n%s\nafter:\n%s", before, after)
		}
	})
}

func TestIsolationBuyers(t *testing.T) {
	e := newEnv(t)
	a, b := e.isoTenant(), e.isoTenant()

	cases := []struct {
		name         string
		method, path string
		body         any
		headers      []string
		status       int
		typ          string
	}{
		{"league B's registration token cannot check out in league A", "POST", a.Base + "/checkout",
			map[string]any{"registration_token": b.Token, "product_id": a.ProductID}, nil, 401, "/problems/unauthorized"},
		{"league B's registration token cannot list orders in league A", "GET", a.Base + "/orders",
			nil, []string{"X-Registration-Token", b.Token}, 401, "/problems/unauthorized"},
		{"league A's registration token cannot list orders in league B", "GET", b.Base + "/orders",
			nil, []string{"X-Registration-Token", a.Token}, 401, "/problems/unauthorized"},
		{"listing orders without a registration token is unauthorized", "GET", a.Base + "/orders",
			nil, nil, 401, "/problems/unauthorized"},
		{"league B's product cannot be bought in league A", "POST", a.Base + "/checkout",
			map[string]any{"registration_token": a.Token, "product_id": b.ProductID}, nil, 404, "/problems/not-found"},
		{"league B's product is not in league A's catalog", "GET", a.Base + "/products/" + b.ProductID,
			nil, nil, 404, "/problems/not-found"},
		{"league B's registration token cannot make a household checkout in league A", "POST", a.Base + "/checkouts",
			isoCart(isoTenant{Token: b.Token, ProductID: a.ProductID, PlayerID: a.PlayerID}), nil, 401, "/problems/unauthorized"},
		{"league B's token cannot read league A's checkout", "GET", a.Base + "/checkouts/" + a.CheckoutID,
			nil, []string{"X-Registration-Token", b.Token}, 401, "/problems/unauthorized"},
		{"league B's checkout under league A's path is not found, even with league B's token's household", "GET",
			a.Base + "/checkouts/" + b.CheckoutID, nil, []string{"X-Registration-Token", a.Token}, 404, "/problems/not-found"},
		{"a checkout cannot be read without a registration token", "GET", a.Base + "/checkouts/" + a.CheckoutID,
			nil, nil, 401, "/problems/unauthorized"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			isoProblem(t, e.do(tc.method, tc.path, tc.body, tc.headers...), tc.status, tc.typ)
		})
	}

	t.Run("league B's product, player and promotion code in league A's cart are refused, naming them", func(t *testing.T) {
		for _, path := range []string{"/checkouts", "/checkouts/preview"} {
			r := e.do("POST", a.Base+path, map[string]any{"registration_token": a.Token, "promotion_code": "SPRING-B",
				"items": []any{map[string]any{"product_id": b.ProductID, "player_id": a.PlayerID},
					map[string]any{"product_id": a.ProductID, "player_id": b.PlayerID}}})
			got := r.Fields()
			slices.Sort(got)
			if r.Status != 422 || !slices.Equal(got, []string{"/items/0/product_id"}) || strings.Contains(string(r.Body), b.Slug) {
				t.Errorf("%s: %d %s", path, r.Status, r.Body)
			}
			r = e.do("POST", a.Base+path, map[string]any{"registration_token": a.Token,
				"items": []any{map[string]any{"product_id": a.ProductID, "player_id": b.PlayerID}}})
			if r.Status != 422 || fmt.Sprint(r.Fields()) != "[/items/0/player_id]" {
				t.Errorf("%s: %d %s", path, r.Status, r.Body)
			}
			// league B's code (SPRING, made by isoTenant) is unknown in league C.
			c := e.newLeague()
			p := e.product(c, isoOptOut("C opt-out"))["id"].(string)
			_, tok, ps := e.household(c, "Cy")
			r = e.do("POST", c.Base+path, map[string]any{"registration_token": tok, "promotion_code": "spring",
				"items": []any{map[string]any{"product_id": p, "player_id": ps[0]}}})
			if r.Status != 422 || fmt.Sprint(r.Fields()) != "[/promotion_code]" {
				t.Errorf("%s: %d %s", path, r.Status, r.Body)
			}
		}
	})

	t.Run("a household sees its own orders and never another league's", func(t *testing.T) {
		for _, w := range []isoTenant{a, b} {
			got := isoDataIDs(e.must(200, "GET", w.Base+"/orders", nil, "X-Registration-Token", w.Token))
			if want := []string{w.OrderID}; !slices.Equal(got, want) {
				t.Errorf("league %s household orders %v, want %v", w.Slug, got, want)
			}
		}
	})

	t.Run("an Idempotency-Key used in league B does not replay in league A", func(t *testing.T) {
		_, tokenA, _ := e.household(a.league, "Idy")
		_, tokenB, _ := e.household(b.league, "Idy")
		key := []string{"Idempotency-Key", "iso-same-key"}
		inB := e.must(201, "POST", b.Base+"/checkout", map[string]any{"registration_token": tokenB, "product_id": b.ProductID}, key...)
		inA := e.must(201, "POST", a.Base+"/checkout", map[string]any{"registration_token": tokenA, "product_id": a.ProductID}, key...)
		orderA := inA.JSON()["order"].(map[string]any)
		if orderA["id"] == inB.JSON()["order"].(map[string]any)["id"] || orderA["product_id"] != a.ProductID {
			t.Errorf("league A's checkout replayed league B's: A %s, B %s", inA.Body, inB.Body)
		}
	})

	t.Run("a jersey number taken in league B is still free in league A", func(t *testing.T) {
		for _, w := range []isoTenant{b, a} {
			p := e.product(w.league, freeJersey("Numbered"))
			_, token, _ := e.household(w.league, "Num")
			e.must(201, "POST", w.Base+"/checkout", map[string]any{
				"registration_token": token, "product_id": p["id"], "custom_data": jerseyData(9)})
		}
	})
}

func TestIsolationListings(t *testing.T) {
	e := newEnv(t)
	a, b := e.isoTenant(), e.isoTenant()

	// Every id of league B's, which must never show in league A's listings.
	foreign := []string{b.ID, b.Slug, b.ProductID, b.CustomerID, b.OrderID, b.PendingID, b.KitID, b.PaidID}
	foreign = append(foreign, isoDataIDs(e.must(200, "GET", b.Base+"/admin/api-keys", nil, bearer(b.Admin)...))...)

	cases := []struct {
		name  string
		path  string // under league A's base
		key   string
		csv   bool
		want  []string // ids the listing holds (a subset of them when count is larger)
		count int
	}{
		{"the admin product listing holds only league A's products", "/admin/products", a.Viewer, false,
			[]string{a.ProductID, a.KitID}, 2},
		{"the admin order listing holds only league A's orders", "/admin/orders", a.Viewer, false,
			[]string{a.OrderID, a.PendingID, a.PaidID}, 3},
		{"the order export holds only league A's orders", "/admin/orders.csv", a.Viewer, true,
			[]string{a.OrderID, a.PendingID, a.PaidID}, 3},
		{"the API key listing holds only league A's keys", "/admin/api-keys", a.Admin, false,
			[]string{a.KeyID}, 4},
		{"the buyer's catalog holds only league A's products", "/products", "", false,
			[]string{a.ProductID, a.KitID}, 2},
		{"filtering league A's orders by league B's customer finds nothing", "/admin/orders?customer_id=" + b.CustomerID,
			a.Viewer, false, nil, 0},
		{"filtering league A's orders by league B's product finds nothing", "/admin/orders?product_id=" + b.ProductID,
			a.Viewer, false, nil, 0},
		{"exporting league A's orders of league B's product gives only the header", "/admin/orders.csv?product_id=" + b.ProductID,
			a.Viewer, true, nil, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var headers []string
			if tc.key != "" {
				headers = bearer(tc.key)
			}
			r := e.must(200, "GET", a.Base+tc.path, nil, headers...)
			var got []string
			if tc.csv {
				got = isoCSVIDs(t, r)
			} else {
				got = isoDataIDs(r)
			}
			if len(got) != tc.count {
				t.Errorf("%d rows %v, want %d", len(got), got, tc.count)
			}
			for _, id := range tc.want {
				if !slices.Contains(got, id) {
					t.Errorf("listing %v lacks %s", got, id)
				}
			}
			for _, id := range foreign {
				if bytes.Contains(r.Body, []byte(id)) {
					t.Errorf("listing shows league B's %s: %s", id, r.Body)
				}
			}
		})
	}
}

func TestIsolationMalformedPaths(t *testing.T) {
	e := newEnv(t)
	a := e.isoTenant()

	badIDs := []struct{ name, id string }{
		{"a word", "not-a-uuid"},
		{"a number", "12345"},
		{"a UUID one character short", a.ProductID[:35]},
		{"a UUID one character long", a.ProductID + "0"},
		{"an SQL fragment", "%27%20OR%20%271%27%3D%271"},
		{"an unknown UUID", "00000000-0000-0000-0000-000000000000"},
	}
	for _, r := range isoAdminRoutes {
		if r.target == nil || r.stub {
			continue
		}
		for _, bad := range badIDs {
			t.Run(fmt.Sprintf("%s with %s for the id is not found", r, bad.name), func(t *testing.T) {
				isoProblem(t, e.do(r.method, r.url(a.Base, bad.id), r.payload(a), bearer(a.Admin)...), 404, "/problems/not-found")
			})
		}
	}
	for _, bad := range badIDs {
		t.Run(fmt.Sprintf("the buyer's GET /products/{id} with %s for the id is not found", bad.name), func(t *testing.T) {
			isoProblem(t, e.do("GET", a.Base+"/products/"+bad.id, nil), 404, "/problems/not-found")
		})
	}

	routes := isoSlugRoutes(a)
	for _, slug := range []string{"no-such-league", "UPPER-league", "a", "-league-", strings.Repeat("x", 41)} {
		for _, r := range routes {
			path := strings.Replace(r.path, ":tenant", slug, 1)
			t.Run(fmt.Sprintf("%s %s is not found", r.method, path), func(t *testing.T) {
				isoProblem(t, e.do(r.method, path, r.body, r.headers...), 404, "/problems/not-found")
			})
		}
	}
}

// isoSlugRoute is a route whose path names a tenant (":tenant"), with a body
// and credentials that league w's own slug would accept.
type isoSlugRoute struct {
	method, path string
	body         any
	headers      []string
}

// isoSlugRoutes is every route that names a tenant: the buyer API, the
// platform routes under a tenant and the tenant admin API.
func isoSlugRoutes(w isoTenant) []isoSlugRoute {
	routes := []isoSlugRoute{
		{"PATCH", "/v1/platform/tenants/:tenant", map[string]any{"name": "Renamed"}, bearer(platformToken)},
		{"POST", "/v1/platform/tenants/:tenant/api-keys", map[string]any{"role": "admin", "name": "x"}, bearer(platformToken)},
		{"GET", "/v1/tenants/:tenant/products", nil, nil},
		{"GET", "/v1/tenants/:tenant/products/" + w.ProductID, nil, nil},
		{"POST", "/v1/tenants/:tenant/checkout", map[string]any{"registration_token": w.Token, "product_id": w.ProductID}, nil},
		{"GET", "/v1/tenants/:tenant/orders", nil, []string{"X-Registration-Token", w.Token}},
		{"POST", "/v1/tenants/:tenant/checkouts", isoCart(w), nil},
		{"POST", "/v1/tenants/:tenant/checkouts/preview", isoCart(w), nil},
		{"GET", "/v1/tenants/:tenant/checkouts/" + w.CheckoutID, nil, []string{"X-Registration-Token", w.Token}},
		// Stripe's: signed with the league's webhook secret, not a key.
		{"POST", "/v1/tenants/:tenant/webhooks/stripe", isoIgnoredEvent, []string{"Stripe-Signature", sign(isoIgnoredEvent, w.Keys.WebhookSecret)}},
	}
	for _, r := range isoAdminRoutes {
		routes = append(routes, isoSlugRoute{r.method, r.url("/v1/tenants/:tenant", r.id(w)), r.payload(w), bearer(w.Admin)})
	}
	return routes
}

// isoCart is a household checkout body of w's opt-out for its player.
func isoCart(w isoTenant) map[string]any {
	return map[string]any{"registration_token": w.Token,
		"items": []any{map[string]any{"product_id": w.ProductID, "player_id": w.PlayerID}}}
}

// isoIgnoredEvent is a Stripe event the webhook answers 200 and ignores.
var isoIgnoredEvent = stripeEvent{ID: "evt_test_iso_ignored", Type: "customer.created",
	Object: map[string]any{"id": "cus_test_iso", "object": "customer"}}.payload()

// isoStripeRoutes are the routes that name no tenant and take no key:
// Stripe's platform (Connect) webhook, signed with the platform's secret.
func isoStripeRoutes() []isoSlugRoute {
	return []isoSlugRoute{
		{"POST", "/v1/webhooks/stripe", isoIgnoredEvent, []string{"Stripe-Signature", sign(isoIgnoredEvent, testPayments.PlatformWebhookSecret)}},
	}
}

// TestIsolationRouteTablesAreComplete keeps the tables above in step with
// routes.go: a new route fails here until it has a row.
func TestIsolationRouteTablesAreComplete(t *testing.T) {
	e := newEnv(t)
	placeholders := isoTenant{ProductID: ":id", CustomerID: ":id", OrderID: ":id", PendingID: ":id", KeyID: ":id", PaidID: ":id",
		EndpointID: ":id", DiscountID: ":id", CheckoutID: ":id"}
	tabled := map[string]bool{}
	for _, r := range isoSlugRoutes(placeholders) {
		tabled[r.method+" "+r.path] = true
	}
	for _, r := range authPlatformRoutes(":tenant") {
		tabled[r.method+" "+r.path] = true
	}
	for _, r := range isoStripeRoutes() {
		tabled[r.method+" "+r.path] = true
	}
	registered := map[string]bool{}
	for _, r := range e.app.GetRoutes(true) {
		if r.Method == "HEAD" || !strings.HasPrefix(r.Path, "/v1/") {
			continue
		}
		name := r.Method + " " + r.Path
		registered[name] = true
		t.Run(fmt.Sprintf("%s has a row in the isolation tables", name), func(t *testing.T) {
			if !tabled[name] {
				t.Errorf("add %s to isoAdminRoutes, isoSlugRoutes or authPlatformRoutes", name)
			}
		})
	}
	for name := range tabled {
		t.Run(fmt.Sprintf("the row %s is a registered route", name), func(t *testing.T) {
			if !registered[name] {
				t.Errorf("%s is not in routes.go", name)
			}
		})
	}
}

func TestIsolationWebhooks(t *testing.T) {
	e := newEnv(t)
	a, b := e.isoTenant(), e.isoTenant()
	su := asSuperuser(t)
	order := e.pendingOrder(a.league, a.KitID)
	paid := sessionEvent("checkout.session.completed", order, a.ID, "paid")
	before := e.isoSnapshot(a)

	refused := []struct {
		name, path, secret string
	}{
		{"league B's valid signature on league A's webhook path", a.Base + "/webhooks/stripe", b.Keys.WebhookSecret},
		{"league A's own signature on league B's webhook path", b.Base + "/webhooks/stripe", a.Keys.WebhookSecret},
		{"league A's signature on the platform's Connect path", "/v1/webhooks/stripe", a.Keys.WebhookSecret},
		{"the platform's signature on league A's webhook path", a.Base + "/webhooks/stripe", testPayments.PlatformWebhookSecret},
	}
	for _, tc := range refused {
		t.Run(tc.name+" is a 400 that records nothing", func(t *testing.T) {
			r := e.deliver(tc.path, paid, tc.secret)
			isoProblem(t, r, 400, "/problems/bad-request")
			if n := su.eventRows(paid.ID); n != 0 {
				t.Errorf("%d webhook_events rows", n)
			}
		})
	}
	t.Run("league B's endpoint ignores an event naming league A's tenant and order", func(t *testing.T) {
		ev := sessionEvent("checkout.session.completed", order, a.ID, "paid")
		r := e.deliver(b.Base+"/webhooks/stripe", ev, b.Keys.WebhookSecret)
		if r.Status != 200 || r.JSON()["outcome"] != "ignored" {
			t.Errorf("status %d: %s", r.Status, r.Body)
		}
	})
	t.Run("league B's endpoint ignores league A's order id under league B's tenant id", func(t *testing.T) {
		ev := sessionEvent("checkout.session.completed", order, b.ID, "paid")
		r := e.deliver(b.Base+"/webhooks/stripe", ev, b.Keys.WebhookSecret)
		if r.Status != 200 || r.JSON()["outcome"] != "ignored" {
			t.Errorf("status %d: %s", r.Status, r.Body)
		}
	})
	t.Run("league A's order and data are unchanged", func(t *testing.T) {
		if got := e.order(a.league, order["id"]); got["status"] != "pending" || len(got["events"].([]any)) != 1 {
			t.Errorf("order %v", got)
		}
		if after := e.isoSnapshot(a); after != before {
			t.Errorf("league A changed:\nbefore:\n%s\nafter:\n%s", before, after)
		}
	})
	t.Run("league A's own signature still settles its order", func(t *testing.T) {
		if r := e.deliver(a.Base+"/webhooks/stripe", paid, a.Keys.WebhookSecret); r.Status != 200 || r.JSON()["outcome"] != "processed" {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		if got := e.order(a.league, order["id"]); got["status"] != "paid" {
			t.Errorf("order %v", got)
		}
	})
}
