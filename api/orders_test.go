package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/leaguepay/checkout/platform/orderio"
)

// newEnvWithOrders is newEnv that also hands out the order importer, for
// orders the HTTP API does not make: legacy orders with a chosen status and
// creation time, made with the legacy importer (what `checkout import
// orders` runs).
func newEnvWithOrders(t *testing.T) (*env, *orderio.Service) {
	t.Helper()
	a := buildFull(t, nil)
	return &env{t: t, app: a.HTTP}, a.OrderIO
}

// legacyRow is one row of a legacy order import.
type legacyRow struct {
	Email, First, Last, ProductID, Status, CreatedAt string
	CustomData                                       any
}

// importLegacy imports rows with the order service, fails the test on any
// bad row, and returns the new orders' ids in row order.
func (e *env) importLegacy(svc *orderio.Service, l league, rows ...legacyRow) []string {
	e.t.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"legacy_id", "customer_email", "player_first_name", "player_last_name", "product_id", "status", "created_at", "custom_data"})
	for _, r := range rows {
		data, err := json.Marshal(r.CustomData)
		if err != nil || r.CustomData == nil {
			data = []byte("{}")
		}
		_ = w.Write([]string{uuid.NewString(), r.Email, r.First, r.Last, r.ProductID, r.Status, r.CreatedAt, string(data)})
	}
	w.Flush()
	var report bytes.Buffer
	ids := make([]string, 0, len(rows))
	// One row at a time, so each new order is told apart from the others.
	lines := strings.SplitAfter(strings.TrimSuffix(buf.String(), "\n"), "\n")
	for _, line := range lines[1:] {
		known := map[string]bool{}
		for _, id := range itemIDs(e.allOrders(l)) {
			known[id] = true
		}
		sum, err := svc.Import(context.Background(), uuid.MustParse(l.ID), strings.NewReader(lines[0]+line), &report)
		if err != nil || sum.Imported != 1 {
			e.t.Fatalf("import %q: %+v, %v: %s", line, sum, err, report.String())
		}
		for _, id := range itemIDs(e.allOrders(l)) {
			if !known[id] {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) != len(rows) {
		e.t.Fatalf("imported %d orders, found %d new ones", len(rows), len(ids))
	}
	return ids
}

// allOrders returns the league's orders (up to 200), newest first.
func (e *env) allOrders(l league, query ...string) []map[string]any {
	e.t.Helper()
	return listItems(e.t, e.must(200, "GET", withQuery(l.Base+"/admin/orders", append(query, "limit", "200")...), nil, bearer(l.Viewer)...))
}

// buy checks out a free product and returns the order.
func (e *env) buy(l league, token, productID, playerID string, data map[string]any) map[string]any {
	e.t.Helper()
	body := map[string]any{"registration_token": token, "product_id": productID, "custom_data": data}
	if playerID != "" {
		body["player_id"] = playerID
	}
	return e.must(201, "POST", l.Base+"/checkout", body).JSON()["order"].(map[string]any)
}

func contractData(signer string) map[string]any {
	return map[string]any{"accept_terms": true, "signer_name": signer, "signer_relationship": "parent", "terms_version": "v1"}
}

func TestOrderFilters(t *testing.T) {
	e, svc := newEnvWithOrders(t)
	l := e.newLeague()
	home := e.product(l, freeJersey("Home"))["id"].(string)
	awayCfg := map[string]any{"top_sizes": []string{"YM"}, "bottom_sizes": []string{"YM"}}
	away := e.product(l, map[string]any{"type": "jersey", "name": "Away", "category": "away-kit", "price_cents": 0, "config": awayCfg})["id"].(string)
	deal := e.product(l, map[string]any{"type": "contract", "name": "Contract", "price_cents": 0, "config": contractConfig})["id"].(string)
	kit := e.product(l, map[string]any{"type": "jersey", "name": "Paid kit", "price_cents": 2500, "config": jerseyConfig})["id"].(string)
	h1, h1Token, h1Players := e.householdWithEmail(l, "filters-h1@example.com", "Ann", "Ben")
	h2, h2Token, h2Players := e.householdWithEmail(l, "filters-h2@example.com", "Cid")
	ann, ben, cid := h1Players[0], h1Players[1], h2Players[0]

	imported := e.importLegacy(svc, l,
		legacyRow{Email: "filters-h2@example.com", First: "Cid", Last: "Doe", ProductID: kit, Status: "pending",
			CreatedAt: "2025-03-10T12:00:00Z", CustomData: jerseyData(9)},
		legacyRow{Email: "filters-h1@example.com", First: "Ann", Last: "Doe", ProductID: kit, Status: "expired",
			CreatedAt: "2025-02-10T12:00:00Z", CustomData: jerseyData(7)},
		legacyRow{Email: "filters-h1@example.com", First: "Ben", Last: "Doe", ProductID: deal, Status: "canceled",
			CreatedAt: "2025-01-10T12:00:00Z", CustomData: contractData("Jo Doe")},
	)
	oD, oE, oF := imported[0], imported[1], imported[2]
	oA := e.buy(l, h1Token, home, ann, jerseyData(7))["id"].(string)
	oB := e.buy(l, h1Token, away, ben, map[string]any{"top_size": "YM", "bottom_size": "YM", "jersey_number": 7})["id"].(string)
	oC := e.buy(l, h2Token, deal, "", contractData("Cy Doe"))["id"].(string)

	cases := []struct {
		name  string
		query []string
		want  []string
	}{
		{"no filter lists every order newest first", nil, []string{oC, oB, oA, oD, oE, oF}},
		{"status=paid", []string{"status", "paid"}, []string{oC, oB, oA}},
		{"status=pending", []string{"status", "pending"}, []string{oD}},
		{"status=expired", []string{"status", "expired"}, []string{oE}},
		{"status=canceled", []string{"status", "canceled"}, []string{oF}},
		{"a valid status no order has gives an empty list", []string{"status", "refunded"}, []string{}},
		{"category=uniforms", []string{"category", "uniforms"}, []string{oA, oD, oE}},
		{"category=away-kit", []string{"category", "away-kit"}, []string{oB}},
		{"category=contracts", []string{"category", "contracts"}, []string{oC, oF}},
		{"a valid category with no orders gives an empty list", []string{"category", "hats"}, []string{}},
		{"type=jersey", []string{"type", "jersey"}, []string{oB, oA, oD, oE}},
		{"type=contract", []string{"type", "contract"}, []string{oC, oF}},
		{"product_id", []string{"product_id", kit}, []string{oD, oE}},
		{"an unknown product_id gives an empty list", []string{"product_id", uuid.NewString()}, []string{}},
		{"player_id", []string{"player_id", ann}, []string{oA, oE}},
		{"player_id of another player", []string{"player_id", ben}, []string{oB, oF}},
		{"customer_id", []string{"customer_id", h1}, []string{oB, oA, oE, oF}},
		{"customer_id of another household", []string{"customer_id", h2}, []string{oC, oD}},
		{"created_from is inclusive", []string{"created_from", "2025-02-10T12:00:00Z"}, []string{oC, oB, oA, oD, oE}},
		{"created_to is exclusive", []string{"created_to", "2025-02-10T12:00:00Z"}, []string{oF}},
		{"created_from honours a UTC offset", []string{"created_from", "2025-02-10T13:00:00+01:00"}, []string{oC, oB, oA, oD, oE}},
		{"created_from and created_to make a window", []string{"created_from", "2025-01-01T00:00:00Z", "created_to", "2026-01-01T00:00:00Z"},
			[]string{oD, oE, oF}},
		{"filters combine", []string{"type", "jersey", "status", "paid"}, []string{oB, oA}},
		{"customer and category combine", []string{"customer_id", h1, "category", "contracts"}, []string{oF}},
		{"player and product combine", []string{"player_id", cid, "product_id", kit}, []string{oD}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.must(200, "GET", withQuery(l.Base+"/admin/orders", tc.query...), nil, bearer(l.Viewer)...)
			if got := itemIDs(listItems(t, r)); !slices.Equal(got, tc.want) {
				t.Errorf("ids %v, want %v", got, tc.want)
			}
			if r.JSON()["next_cursor"] != nil {
				t.Errorf("next_cursor %v on a short list", r.JSON()["next_cursor"])
			}
		})
	}

	t.Run("imported orders keep their legacy creation time and status", func(t *testing.T) {
		o := e.must(200, "GET", l.Base+"/admin/orders/"+oD, nil, bearer(l.Viewer)...).JSON()
		if o["created_at"] != "2025-03-10T12:00:00Z" || o["status"] != "pending" || o["amount_cents"] != 2500.0 || o["paid_at"] != nil {
			t.Errorf("order %v", o)
		}
	})

	bad := []struct {
		name   string
		query  []string
		fields []string
	}{
		{"an unknown status", []string{"status", "bogus"}, []string{"query:status"}},
		{"a malformed product_id", []string{"product_id", "x"}, []string{"query:product_id"}},
		{"a malformed player_id", []string{"player_id", "x"}, []string{"query:player_id"}},
		{"a malformed customer_id", []string{"customer_id", "42"}, []string{"query:customer_id"}},
		{"a created_from that is not RFC 3339", []string{"created_from", "yesterday"}, []string{"query:created_from"}},
		{"a created_to that is only a date", []string{"created_to", "2025-01-01"}, []string{"query:created_to"}},
		{"a limit of zero", []string{"limit", "0"}, []string{"query:limit"}},
		{"a limit above 200", []string{"limit", "201"}, []string{"query:limit"}},
		{"a limit that is not a number", []string{"limit", "ten"}, []string{"query:limit"}},
		{"a negative limit", []string{"limit", "-1"}, []string{"query:limit"}},
		{"a garbage cursor", []string{"cursor", "garbage"}, []string{"query:cursor"}},
		{"a cursor that is base64 of something else", []string{"cursor", "eyJ4IjoxfQ"}, []string{"query:cursor"}},
		{"a malformed category", []string{"category", "Bad_Cat"}, []string{"query:category"}},
		{"an unregistered type", []string{"type", "hoodie"}, []string{"query:type"}},
		{"every bad parameter at once", []string{"status", "bogus", "limit", "0"}, []string{"query:status", "query:limit"}},
	}
	for _, tc := range bad {
		t.Run("a 400 names "+tc.name, func(t *testing.T) {
			r := e.must(400, "GET", withQuery(l.Base+"/admin/orders", tc.query...), nil, bearer(l.Viewer)...)
			r.wantProblem(t)
			got := r.Fields()
			slices.Sort(got)
			want := slices.Clone(tc.fields)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("fields %v, want %v", r.Fields(), tc.fields)
			}
		})
	}
}

func TestOrderPagination(t *testing.T) {
	e, svc := newEnvWithOrders(t)
	l := e.newLeague()
	optOut := e.product(l, map[string]any{"type": "jersey", "name": "No jersey", "price_cents": 0, "config": optOutConfig})["id"].(string)
	home := e.product(l, freeJersey("Home"))["id"].(string)
	_, token, players := e.householdWithEmail(l, "pages@example.com", "P1", "P2", "P3", "P4")

	// Four orders share one creation time, so the keyset must break ties by id.
	var rows []legacyRow
	for i := 1; i <= 4; i++ {
		rows = append(rows, legacyRow{Email: "pages@example.com", First: fmt.Sprint("P", i), Last: "Doe", ProductID: optOut,
			CreatedAt: "2025-05-05T05:05:05Z"})
	}
	e.importLegacy(svc, l, rows...)
	for i := 0; i < 3; i++ {
		e.buy(l, token, home, players[i], jerseyData(i+1))
	}
	all := e.allOrders(l)
	if len(all) != 7 {
		t.Fatalf("%d orders, want 7", len(all))
	}

	t.Run("the full listing is newest first, ties broken by id", func(t *testing.T) {
		for i := 1; i < len(all); i++ {
			a, b := all[i-1], all[i]
			ta, _ := time.Parse(time.RFC3339Nano, a["created_at"].(string))
			tb, _ := time.Parse(time.RFC3339Nano, b["created_at"].(string))
			if ta.Before(tb) || (ta.Equal(tb) && a["id"].(string) < b["id"].(string)) {
				t.Errorf("order %d (%v %v) is before order %d (%v %v)", i-1, ta, a["id"], i, tb, b["id"])
			}
		}
	})

	walk := func(t *testing.T, limit int, query ...string) (ids []string, sizes []int) {
		cursor := ""
		for pages := 0; pages < 20; pages++ {
			q := append([]string{"limit", fmt.Sprint(limit)}, query...)
			if cursor != "" {
				q = append(q, "cursor", cursor)
			}
			r := e.must(200, "GET", withQuery(l.Base+"/admin/orders", q...), nil, bearer(l.Viewer)...)
			items := listItems(t, r)
			ids = append(ids, itemIDs(items)...)
			sizes = append(sizes, len(items))
			next, _ := r.JSON()["next_cursor"].(string)
			if next == "" {
				if r.JSON()["next_cursor"] != nil {
					t.Fatalf("next_cursor %v is neither a string nor null", r.JSON()["next_cursor"])
				}
				return ids, sizes
			}
			cursor = next
		}
		t.Fatal("pagination did not end")
		return nil, nil
	}
	cases := []struct {
		name  string
		limit int
		query []string
		want  []string
		sizes []int
	}{
		{"pages of three visit every order once, in order", 3, nil, itemIDs(all), []int{3, 3, 1}},
		{"a page exactly as long as the rest ends the walk", 7, nil, itemIDs(all), []int{7}},
		{"a page one short of the rest leaves one more page", 6, nil, itemIDs(all), []int{6, 1}},
		{"pages of one visit every order once", 1, nil, itemIDs(all), []int{1, 1, 1, 1, 1, 1, 1}},
		{"the cursor keeps the filter's order", 3, []string{"product_id", optOut},
			itemIDs(e.allOrders(l, "product_id", optOut)), []int{3, 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ids, sizes := walk(t, tc.limit, tc.query...)
			if !slices.Equal(ids, tc.want) {
				t.Errorf("ids %v\nwant %v", ids, tc.want)
			}
			if !slices.Equal(sizes, tc.sizes) {
				t.Errorf("page sizes %v, want %v", sizes, tc.sizes)
			}
		})
	}

	t.Run("the default page holds up to 50 orders", func(t *testing.T) {
		r := e.must(200, "GET", l.Base+"/admin/orders", nil, bearer(l.Viewer)...)
		if n := len(listItems(t, r)); n != 7 || r.JSON()["next_cursor"] != nil {
			t.Errorf("%d orders, next_cursor %v", n, r.JSON()["next_cursor"])
		}
	})
}

func TestOrderDetailAndCancel(t *testing.T) {
	e, svc := newEnvWithOrders(t)
	l := e.newLeague()
	home := e.product(l, freeJersey("Home"))["id"].(string)
	kit := e.product(l, map[string]any{"type": "jersey", "name": "Paid kit", "price_cents": 2500, "config": jerseyConfig})["id"].(string)
	_, annToken, _ := e.householdWithEmail(l, "cancel-ann@example.com", "Ann")
	_, zedToken, _ := e.householdWithEmail(l, "cancel-zed@example.com", "Zed")
	paid := e.buy(l, annToken, home, "", jerseyData(5))["id"].(string)
	pending := e.importLegacy(svc, l, legacyRow{Email: "cancel-ann@example.com", First: "Ann", Last: "Doe", ProductID: kit,
		Status: "pending", CustomData: jerseyData(9)})[0]
	orderPath := func(id string) string { return l.Base + "/admin/orders/" + id }

	t.Run("an order's detail has its audit events", func(t *testing.T) {
		o := e.must(200, "GET", orderPath(paid), nil, bearer(l.Viewer)...).JSON()
		events, _ := o["events"].([]any)
		if len(events) != 1 {
			t.Fatalf("events %v", o["events"])
		}
		ev := events[0].(map[string]any)
		if got := objectKeys(ev); fmt.Sprint(got) != "[actor at detail from to]" {
			t.Errorf("event keys %v", got)
		}
		if ev["from"] != nil || ev["to"] != "paid" || ev["actor"] != "buyer" {
			t.Errorf("event %v", ev)
		}
		if _, err := time.Parse(time.RFC3339Nano, fmt.Sprint(ev["at"])); err != nil {
			t.Errorf("at: %v", err)
		}
	})

	t.Run("the number of a pending order is held against other players", func(t *testing.T) {
		r := e.must(409, "POST", l.Base+"/checkout", map[string]any{"registration_token": zedToken, "product_id": home, "custom_data": jerseyData(9)})
		if !slices.Equal(r.Fields(), []string{"/custom_data/jersey_number"}) {
			t.Errorf("fields %v", r.Fields())
		}
	})

	refusals := []struct {
		name   string
		id     string
		key    string
		status int
	}{
		{"a manager may not cancel", pending, l.Manager, 403},
		{"a manager may not cancel a free order either", paid, l.Manager, 403},
		{"an unknown order is 404", uuid.NewString(), l.Admin, 404},
		{"a malformed id is 404", "nope", l.Admin, 404},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			r := e.must(tc.status, "POST", orderPath(tc.id)+"/cancel", nil, bearer(tc.key)...)
			r.wantProblem(t)
		})
	}

	t.Run("refused cancels change nothing", func(t *testing.T) {
		for id, status := range map[string]string{paid: "paid", pending: "pending"} {
			o := e.must(200, "GET", orderPath(id), nil, bearer(l.Viewer)...).JSON()
			if o["status"] != status || len(o["events"].([]any)) != 1 {
				t.Errorf("order %s: status %v, events %v", id, o["status"], o["events"])
			}
		}
	})

	t.Run("a pending order is canceled with an audit event", func(t *testing.T) {
		o := e.must(200, "POST", orderPath(pending)+"/cancel", nil, bearer(l.Admin)...).JSON()
		if o["status"] != "canceled" || o["id"] != pending {
			t.Fatalf("order %v", o)
		}
		events := o["events"].([]any)
		last := events[len(events)-1].(map[string]any)
		if len(events) != 2 || last["from"] != "pending" || last["to"] != "canceled" || last["actor"] != "staff:admin" {
			t.Errorf("events %v", events)
		}
		stored := e.must(200, "GET", orderPath(pending), nil, bearer(l.Viewer)...).JSON()
		if stored["status"] != "canceled" || len(stored["events"].([]any)) != 2 {
			t.Errorf("stored order %v", stored)
		}
	})

	t.Run("a canceled order cannot be canceled again", func(t *testing.T) {
		e.must(409, "POST", orderPath(pending)+"/cancel", nil, bearer(l.Admin)...)
	})

	t.Run("canceling releases the jersey number for another player", func(t *testing.T) {
		o := e.buy(l, zedToken, home, "", jerseyData(9))
		if o["status"] != "paid" {
			t.Errorf("order %v", o)
		}
	})

	t.Run("a free paid order is canceled by staff, recorded with the key, and gives back its number", func(t *testing.T) {
		_, yanToken, _ := e.householdWithEmail(l, "cancel-yan@example.com", "Yan")
		taken := e.must(409, "POST", l.Base+"/checkout", map[string]any{"registration_token": yanToken, "product_id": home, "custom_data": jerseyData(5)})
		if !slices.Equal(taken.Fields(), []string{"/custom_data/jersey_number"}) {
			t.Fatalf("before the cancel: %s", taken.Body)
		}
		o := e.must(200, "POST", orderPath(paid)+"/cancel", nil, bearer(l.Admin)...).JSON()
		events := o["events"].([]any)
		last := events[len(events)-1].(map[string]any)
		if o["status"] != "canceled" || last["from"] != "paid" || last["to"] != "canceled" || last["actor"] != "staff:admin" {
			t.Fatalf("order %v, last event %v", o["status"], last)
		}
		e.must(201, "POST", l.Base+"/checkout", map[string]any{"registration_token": yanToken, "product_id": home,
			"custom_data": jerseyData(5)})
	})

	t.Run("an imported paid order is canceled too", func(t *testing.T) {
		imported := e.importLegacy(svc, l, legacyRow{Email: "cancel-ann@example.com", First: "Ann", Last: "Doe", ProductID: kit,
			Status: "paid", CustomData: jerseyData(11)})[0]
		o := e.must(200, "POST", orderPath(imported)+"/cancel", nil, bearer(l.Admin)...).JSON()
		if o["status"] != "canceled" {
			t.Errorf("status %v, want canceled", o["status"])
		}
	})
}

func TestPricedCheckoutNeedsStripeSettings(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	kit := e.product(l, map[string]any{"type": "jersey", "name": "Paid kit", "price_cents": 2500, "config": jerseyConfig})["id"].(string)
	home := e.product(l, freeJersey("Home"))["id"].(string)
	_, token, _ := e.household(l, "Ann")
	_, otherToken, _ := e.household(l, "Ben")
	body := map[string]any{"registration_token": token, "product_id": kit, "custom_data": jerseyData(11)}

	for _, key := range []string{"", "priced-1"} {
		t.Run(fmt.Sprintf("without Stripe settings a priced checkout is a 503 payments-not-configured problem (Idempotency-Key %q)", key), func(t *testing.T) {
			r := e.do("POST", l.Base+"/checkout", body, "Idempotency-Key", key)
			isoProblem(t, r, 503, "/problems/payments-not-configured")
			if p := r.JSON(); p["title"] == "" || p["detail"] == "" {
				t.Errorf("problem %v", p)
			}
		})
	}

	t.Run("no order is left behind and the number stays free", func(t *testing.T) {
		if n := len(e.allOrders(l)); n != 0 {
			t.Errorf("%d orders", n)
		}
		e.buy(l, otherToken, home, "", jerseyData(11))
	})

	t.Run("with Stripe settings the same checkout is a 201 with a checkout_url", func(t *testing.T) {
		e.ownKeys(l)
		body["custom_data"] = jerseyData(12)
		r := e.must(201, "POST", l.Base+"/checkout", body, "Idempotency-Key", "priced-1").JSON()
		o := r["order"].(map[string]any)
		if url, _ := r["checkout_url"].(string); url == "" || o["status"] != "pending" || o["checkout_url"] != url {
			t.Errorf("checkout %v", r)
		}
	})
}

func TestHouseholdOrders(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	home := e.product(l, freeJersey("Home"))["id"].(string)
	deal := e.product(l, map[string]any{"type": "contract", "name": "Contract", "price_cents": 0, "config": contractConfig})["id"].(string)
	mine, token, players := e.household(l, "Ann", "Ben")
	_, otherToken, _ := e.household(l, "Cid")
	_, emptyToken, _ := e.household(l, "Dee")
	first := e.buy(l, token, home, players[0], jerseyData(1))["id"].(string)
	second := e.buy(l, token, deal, players[1], contractData("Jo Doe"))["id"].(string)
	e.buy(l, otherToken, home, "", jerseyData(2))

	cases := []struct {
		name   string
		token  []string
		status int
		want   []string
	}{
		{"a household sees only its own orders, newest first", []string{"X-Registration-Token", token}, 200, []string{second, first}},
		{"a household without orders gets an empty list", []string{"X-Registration-Token", emptyToken}, 200, []string{}},
		{"a missing token is 401", nil, 401, nil},
		{"an unknown token is 401", []string{"X-Registration-Token", "rt_nope"}, 401, nil},
		{"a staff key is not a registration token", bearer(l.Admin), 401, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.must(tc.status, "GET", l.Base+"/orders", nil, tc.token...)
			if tc.status != 200 {
				r.wantProblem(t)
				return
			}
			items := listItems(t, r)
			if got := itemIDs(items); !slices.Equal(got, tc.want) {
				t.Errorf("ids %v, want %v", got, tc.want)
			}
			for _, o := range items {
				if o["customer_id"] != mine {
					t.Errorf("order of another household: %v", o)
				}
			}
		})
	}
}

func TestOrdersCarryNames(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	p := e.product(l, freeJersey("Home jersey"))
	_, token, players := e.household(l, "Sam")
	created := e.must(201, "POST", l.Base+"/checkout", map[string]any{"registration_token": token, "product_id": p["id"],
		"custom_data": jerseyData(4)}).JSON()["order"].(map[string]any)
	id := created["id"].(string)
	for name, o := range map[string]map[string]any{
		"the checkout's answer": created,
		"the admin detail":      e.must(200, "GET", l.Base+"/admin/orders/"+id, nil, bearer(l.Viewer)...).JSON(),
		"the admin list":        e.must(200, "GET", l.Base+"/admin/orders", nil, bearer(l.Viewer)...).JSON()["data"].([]any)[0].(map[string]any),
		"the household's list":  e.must(200, "GET", l.Base+"/orders", nil, "X-Registration-Token", token).JSON()["data"].([]any)[0].(map[string]any),
	} {
		t.Run(name+" names the product and the player", func(t *testing.T) {
			if o["product_name"] != "Home jersey" || o["player_name"] != "Sam Doe" || o["player_id"] != players[0] {
				t.Errorf("product_name %v, player_name %v", o["product_name"], o["player_name"])
			}
		})
	}
}
