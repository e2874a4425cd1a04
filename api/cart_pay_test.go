package api_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
)

// cartSessionEvent is an event of type typ about checkout c's session, as
// Stripe sends it for a household checkout: the checkout in
// client_reference_id and metadata, its amount.
func cartSessionEvent(typ string, c map[string]any, tenantID, paymentStatus string, amount any) stripeEvent {
	status := map[string]string{"checkout.session.expired": "expired"}[typ]
	if status == "" {
		status = "complete"
	}
	id := c["id"].(string)
	session := itemsOf(c)[0]["stripe_checkout_session_id"]
	return stripeEvent{ID: newEventID(), Type: typ, Object: map[string]any{
		"id": session, "object": "checkout.session", "mode": "payment", "client_reference_id": id,
		"metadata":     map[string]any{"checkout_id": id, "tenant_id": tenantID},
		"amount_total": amount, "currency": c["currency"], "status": status, "payment_status": paymentStatus,
		"payment_intent": paymentIntentOf(c)}}
}

// cartLeague is a league with Stripe keys, a registration (10,000), a kit
// (2,500), a sibling discount (2nd player 10 %, 3rd and later 20 %) and a
// promotion code FAMILY5 (5.00 off, 3 redemptions).
type cartLeague struct {
	hookLeague
	Registration, Kit string
	Sibling, Promo    string
}

func (e *env) cartLeague() cartLeague {
	e.t.Helper()
	l := cartLeague{hookLeague: e.hookLeague()}
	l.Registration = e.product(l.league, map[string]any{"type": "jersey", "name": "Registration", "price_cents": 10000,
		"category": "registration", "config": kitConfig})["id"].(string)
	l.Kit = l.hookLeague.Kit
	l.Sibling = e.must(201, "POST", l.Base+"/admin/discounts", map[string]any{"kind": "sibling", "name": "Siblings",
		"applies_to": map[string]any{"categories": []string{"registration"}},
		"tiers":      []map[string]any{{"nth": 2, "percent_off": 10}, {"nth": 3, "percent_off": 20}}}, bearer(l.Manager)...).JSON()["id"].(string)
	l.Promo = e.must(201, "POST", l.Base+"/admin/discounts", map[string]any{"kind": "promotion", "name": "Family",
		"code": "FAMILY5", "amount_off_cents": 500, "max_redemptions": 3}, bearer(l.Manager)...).JSON()["id"].(string)
	return l
}

func (l cartLeague) redemptions(e *env, id string) float64 {
	return e.must(200, "GET", l.Base+"/admin/discounts/"+id, nil, bearer(l.Viewer)...).JSON()["redemptions"].(float64)
}

func TestPaidHouseholdCheckout(t *testing.T) {
	e, rec := newRecordedEnv(t)
	l := e.cartLeague()
	_, token, ps := e.household(l.league, "Ann", "Ben", "Cal")
	kit := kitData()
	body := map[string]any{"registration_token": token, "promotion_code": "family5", "items": []any{
		cartItem(l.Registration, ps[0], kit), cartItem(l.Registration, ps[1], kit), cartItem(l.Registration, ps[2], kit),
		cartItem(l.Kit, ps[0], kit)}}

	// Siblings: Ann 1st, Ben 2nd (10 % of 10,000), Cal 3rd (20 %); then
	// FAMILY5's 500 from the highest line left, Ann's registration.
	wantDiscount := []float64{500, 1000, 2000, 0}
	calls := rec.count()
	preview := checkoutOf(e.must(200, "POST", l.Base+"/checkouts/preview", body))
	t.Run("the preview prices every line: sibling tiers first, then the code on what remains", func(t *testing.T) {
		if preview["status"] != "preview" || preview["id"] != nil || preview["subtotal_cents"] != 32500.0 ||
			preview["discount_cents"] != 3500.0 || preview["amount_cents"] != 29000.0 {
			t.Fatalf("preview %v", preview)
		}
		for i, it := range itemsOf(preview) {
			if it["discount_cents"] != wantDiscount[i] || it["amount_cents"] != it["price_cents"].(float64)-wantDiscount[i] {
				t.Errorf("item %d: %v", i, it)
			}
		}
		ds := preview["discounts"].([]any)
		if len(ds) != 2 || fmt.Sprint(ds[0].(map[string]any)["item_indexes"]) != "[1 2]" ||
			fmt.Sprint(ds[1].(map[string]any)["item_indexes"]) != "[0]" || ds[1].(map[string]any)["code"] != "FAMILY5" {
			t.Errorf("discounts %v", ds)
		}
		if l.redemptions(e, l.Promo) != 0 || rec.count() != calls {
			t.Errorf("the preview redeemed the code or called Stripe (%d calls)", rec.count()-calls)
		}
	})

	r := e.must(201, "POST", l.Base+"/checkouts", body, "Idempotency-Key", "cart-1")
	c := checkoutOf(r)
	items := itemsOf(c)
	t.Run("the checkout is what the preview said, with one session of one line per order", func(t *testing.T) {
		if c["status"] != "open" || c["amount_cents"] != preview["amount_cents"] || c["checkout_url"] == nil || c["expires_at"] == nil {
			t.Fatalf("checkout %v", c)
		}
		for i, it := range items {
			if it["status"] != "pending" || it["discount_cents"] != wantDiscount[i] || it["stripe_checkout_session_id"] != items[0]["stripe_checkout_session_id"] {
				t.Errorf("item %d: %v", i, it)
			}
		}
		var sessions []stripeCall
		for _, call := range rec.find("POST", "/v1/checkout/sessions") {
			if call.Form.Get("client_reference_id") == c["id"] {
				sessions = append(sessions, call)
			}
		}
		if len(sessions) != 1 {
			t.Fatalf("%d sessions for the checkout", len(sessions))
		}
		f := sessions[0].Form
		if sessions[0].IdempotencyKey != "checkout-session:"+c["id"].(string) || f.Get("metadata[checkout_id]") != c["id"] ||
			f.Get("payment_intent_data[metadata][checkout_id]") != c["id"] || f.Get("line_items[4][price_data][unit_amount]") != "" {
			t.Errorf("session %v (key %s)", f, sessions[0].IdempotencyKey)
		}
		for i, it := range items {
			p := "line_items[" + strconv.Itoa(i) + "][price_data]"
			if f.Get(p+"[unit_amount]") != fmt.Sprint(it["amount_cents"]) ||
				f.Get(p+"[product_data][name]") != it["product_name"].(string)+" — "+it["player_name"].(string) {
				t.Errorf("line %d: %s %s", i, f.Get(p+"[unit_amount]"), f.Get(p+"[product_data][name]"))
			}
		}
		if l.redemptions(e, l.Promo) != 1 {
			t.Errorf("redemptions %v, want 1", l.redemptions(e, l.Promo))
		}
	})
	t.Run("the same Idempotency-Key and body replay the checkout", func(t *testing.T) {
		again := checkoutOf(e.must(200, "POST", l.Base+"/checkouts", body, "Idempotency-Key", "cart-1"))
		if again["id"] != c["id"] || again["checkout_url"] != c["checkout_url"] {
			t.Errorf("replay %v", again)
		}
		e.must(422, "POST", l.Base+"/checkouts", map[string]any{"registration_token": token, "items": body["items"]},
			"Idempotency-Key", "cart-1")
	})
	hook := func(ev stripeEvent) string {
		t.Helper()
		r := e.deliver(l.Hook, ev, l.Keys.WebhookSecret)
		if r.Status != 200 {
			t.Fatalf("webhook %d %s", r.Status, r.Body)
		}
		return r.JSON()["outcome"].(string)
	}
	admin := func() map[string]any {
		return checkoutOf(e.must(200, "GET", l.Base+"/admin/checkouts/"+c["id"].(string), nil, bearer(l.Viewer)...))
	}
	t.Run("a completed session of another amount pays nothing", func(t *testing.T) {
		if out := hook(cartSessionEvent("checkout.session.completed", c, l.ID, "paid", 32500)); out != "amount_mismatch" {
			t.Errorf("outcome %s", out)
		}
		if admin()["status"] != "open" {
			t.Errorf("checkout %v", admin())
		}
	})
	paid := cartSessionEvent("checkout.session.completed", c, l.ID, "paid", 29000)
	t.Run("the completed session pays every order in one go, and completes the checkout", func(t *testing.T) {
		if out := hook(paid); out != "processed" {
			t.Errorf("outcome %s", out)
		}
		got := admin()
		if got["status"] != "complete" {
			t.Fatalf("checkout %v", got)
		}
		for _, it := range itemsOf(got) {
			if it["status"] != "paid" || it["stripe_payment_intent_id"] != paymentIntentOf(c) {
				t.Errorf("item %v", it)
			}
		}
	})
	t.Run("a repeated, then a late expired event change nothing", func(t *testing.T) {
		if out := hook(paid); out != "duplicate" {
			t.Errorf("outcome %s", out)
		}
		hook(cartSessionEvent("checkout.session.expired", c, l.ID, "unpaid", 29000))
		if got := admin(); got["status"] != "complete" || l.redemptions(e, l.Promo) != 1 {
			t.Errorf("checkout %v", got)
		}
	})
	t.Run("a refund is per order, a partial refund of the checkout's payment intent", func(t *testing.T) {
		ben := items[1]["id"].(string)
		before := len(rec.find("POST", "/v1/refunds"))
		o := e.must(200, "POST", l.Base+"/admin/orders/"+ben+"/refund", map[string]any{"amount_cents": 500}, bearer(l.Admin)...).JSON()
		refunds := rec.find("POST", "/v1/refunds")
		if o["status"] != "partially_refunded" || len(refunds) != before+1 ||
			refunds[len(refunds)-1].Form.Get("payment_intent") != paymentIntentOf(c) || refunds[len(refunds)-1].Form.Get("amount") != "500" {
			t.Errorf("order %v, refunds %v", o, refunds)
		}
		r := e.do("POST", l.Base+"/admin/orders/"+ben+"/refund", map[string]any{"amount_cents": 8501}, bearer(l.Admin)...)
		if r.Status != 422 || fmt.Sprint(r.Fields()) != "[/amount_cents]" {
			t.Errorf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("a refund made in Stripe's dashboard is allocated from the last item to the first", func(t *testing.T) {
		// 500 through the API, then 3,000 in the dashboard: the kit (2,500)
		// is refunded in full, then 500 of Cal's registration.
		ev := stripeEvent{ID: newEventID(), Type: "charge.refunded", Object: map[string]any{
			"id": "ch_test_cart", "object": "charge", "amount": 29000, "amount_refunded": 3500, "currency": "usd",
			"payment_intent": paymentIntentOf(c), "metadata": map[string]any{}}}
		hook(ev)
		got := itemsOf(admin())
		want := []struct {
			status   string
			refunded float64
		}{{"paid", 0}, {"partially_refunded", 500}, {"partially_refunded", 500}, {"refunded", 2500}}
		for i, w := range want {
			if got[i]["status"] != w.status || got[i]["amount_refunded_cents"] != w.refunded {
				t.Errorf("item %d: %v %v, want %s %v", i, got[i]["status"], got[i]["amount_refunded_cents"], w.status, w.refunded)
			}
		}
		kitEvents := transitions(e.order(l.league, got[3]["id"]))
		if kitEvents[len(kitEvents)-1] != "paid→refunded" {
			t.Errorf("kit events %v", kitEvents)
		}
		hook(ev) // a repeat (another event id, the same total) changes nothing
		if again := itemsOf(admin()); again[2]["amount_refunded_cents"] != 500.0 {
			t.Errorf("the repeat allocated again: %v", again[2])
		}
	})
}

func TestCheckoutEndsGiveTheRedemptionBack(t *testing.T) {
	e, rec := newRecordedEnv(t)
	l := e.cartLeague()
	start := func() (map[string]any, string) {
		_, token, ps := e.household(l.league, "Ann", "Ben")
		c := checkoutOf(e.must(201, "POST", l.Base+"/checkouts", map[string]any{"registration_token": token,
			"promotion_code": "FAMILY5", "items": []any{cartItem(l.Registration, ps[0], kitData()),
				cartItem(l.Registration, ps[1], kitData())}}))
		return c, token
	}
	for _, end := range []struct {
		name, status string
		do           func(c map[string]any)
	}{
		{"an expired session", "expired", func(c map[string]any) {
			e.deliver(l.Hook, cartSessionEvent("checkout.session.expired", c, l.ID, "unpaid", c["amount_cents"]), l.Keys.WebhookSecret)
		}},
		{"a failed async payment", "failed", func(c map[string]any) {
			e.deliver(l.Hook, cartSessionEvent("checkout.session.async_payment_failed", c, l.ID, "unpaid", c["amount_cents"]), l.Keys.WebhookSecret)
		}},
		{"staff canceling one pending order", "canceled", func(c map[string]any) {
			before := len(rec.find("POST", "/v1/checkout/sessions/"+itemsOf(c)[0]["stripe_checkout_session_id"].(string)+"/expire"))
			e.must(200, "POST", l.Base+"/admin/orders/"+itemsOf(c)[1]["id"].(string)+"/cancel", nil, bearer(l.Admin)...)
			after := len(rec.find("POST", "/v1/checkout/sessions/"+itemsOf(c)[0]["stripe_checkout_session_id"].(string)+"/expire"))
			if after != before+1 {
				t.Errorf("the session was expired %d times", after-before)
			}
		}},
	} {
		t.Run(end.name+" ends every order of the checkout and gives its redemption back", func(t *testing.T) {
			c, _ := start()
			if l.redemptions(e, l.Promo) != 1 {
				t.Fatalf("redemptions %v", l.redemptions(e, l.Promo))
			}
			end.do(c)
			got := checkoutOf(e.must(200, "GET", l.Base+"/admin/checkouts/"+c["id"].(string), nil, bearer(l.Viewer)...))
			if got["status"] != end.status {
				t.Errorf("checkout %v, want %s", got["status"], end.status)
			}
			for _, it := range itemsOf(got) {
				if it["status"] != end.status {
					t.Errorf("item %v", it["status"])
				}
			}
			if n := l.redemptions(e, l.Promo); n != 0 {
				t.Errorf("redemptions %v after the checkout ended, want 0", n)
			}
		})
	}
}

func TestRedemptionsUnderConcurrency(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	camp := e.product(l, map[string]any{"type": "jersey", "name": "Camp", "price_cents": 4000, "config": kitConfig})["id"].(string)
	promo := e.must(201, "POST", l.Base+"/admin/discounts", map[string]any{"kind": "promotion", "name": "Free camp",
		"code": "CAMPFREE", "percent_off": 100, "max_redemptions": 5}, bearer(l.Manager)...).JSON()["id"].(string)
	const n = 50
	bodies := make([]map[string]any, n)
	for i := range bodies {
		_, token, ps := e.household(l, "Kid"+strconv.Itoa(i))
		bodies[i] = map[string]any{"registration_token": token, "promotion_code": "CAMPFREE",
			"items": []any{cartItem(camp, ps[0], kitData())}}
	}
	var mu sync.Mutex
	statuses := map[int]int{}
	var fields []string
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.do("POST", l.Base+"/checkouts", bodies[i])
			mu.Lock()
			defer mu.Unlock()
			statuses[r.Status]++
			if r.Status == 422 {
				fields = append(fields, r.Fields()...)
			}
		}()
	}
	wg.Wait()
	t.Run("50 concurrent checkouts on a code with 5 redemptions: exactly 5 redeem it", func(t *testing.T) {
		if statuses[201] != 5 || statuses[422] != n-5 {
			t.Errorf("statuses %v, want 5 × 201 and %d × 422", statuses, n-5)
		}
		for _, f := range fields {
			if f != "/promotion_code" {
				t.Errorf("a refusal names %s", f)
			}
		}
		d := e.must(200, "GET", l.Base+"/admin/discounts/"+promo, nil, bearer(l.Viewer)...).JSON()
		if d["redemptions"] != 5.0 {
			t.Errorf("redemptions %v", d["redemptions"])
		}
	})
	t.Run("the used-up code is refused, saying so", func(t *testing.T) {
		_, token, ps := e.household(l, "Late")
		r := e.do("POST", l.Base+"/checkouts", map[string]any{"registration_token": token, "promotion_code": "campfree",
			"items": []any{cartItem(camp, ps[0], kitData())}})
		if r.Status != 422 || !slices.Contains(r.Fields(), "/promotion_code") {
			t.Errorf("%d %s", r.Status, r.Body)
		}
	})
}

func TestHouseholdCheckoutWhenStripeFails(t *testing.T) {
	e := newEnv(t)
	down := &env{t: t, app: buildApp(t, withStripe("http://127.0.0.1:1"))}
	l := e.newLeague()
	e.ownKeys(l)
	kit := e.product(l, map[string]any{"type": "jersey", "name": "Numbered kit", "price_cents": 2500, "config": jerseyConfig})["id"].(string)
	promo := e.must(201, "POST", l.Base+"/admin/discounts", map[string]any{"kind": "promotion", "name": "Last one",
		"code": "LASTONE", "percent_off": 10, "max_redemptions": 1}, bearer(l.Manager)...).JSON()["id"].(string)
	_, token, ps := e.household(l, "Ann", "Ben")
	body := map[string]any{"registration_token": token, "promotion_code": "LASTONE", "items": []any{
		cartItem(kit, ps[0], jerseyData(4)), cartItem(kit, ps[1], jerseyData(5))}}
	key := []string{"Idempotency-Key", "cart-down"}

	r := down.do("POST", l.Base+"/checkouts", body, key...)
	t.Run("the buyer gets a 502 and every order of the checkout is failed", func(t *testing.T) {
		isoProblem(t, r, 502, "/problems/payment-provider")
		all := e.allOrders(l)
		if len(all) != 2 || all[0]["status"] != "failed" || all[1]["status"] != "failed" {
			t.Fatalf("orders %v", all)
		}
		c := checkoutOf(e.must(200, "GET", l.Base+"/admin/checkouts/"+all[0]["checkout_id"].(string), nil, bearer(l.Viewer)...))
		if c["status"] != "failed" {
			t.Errorf("checkout %v", c["status"])
		}
	})
	t.Run("its numbers and its code's last redemption are given back, and a retry with the key succeeds", func(t *testing.T) {
		d := e.must(200, "GET", l.Base+"/admin/discounts/"+promo, nil, bearer(l.Viewer)...).JSON()
		if d["redemptions"] != 0.0 {
			t.Errorf("redemptions %v", d["redemptions"])
		}
		c := checkoutOf(e.must(201, "POST", l.Base+"/checkouts", body, key...))
		if c["status"] != "open" || c["discount_cents"] != 500.0 || c["checkout_url"] == nil {
			t.Errorf("retry %v", c)
		}
	})
}

// TestPreviewEqualsTheCheckout: for random carts, sibling tiers and codes,
// the preview's money is the money of the checkout placed right after it,
// line by line, and the lines add up to the totals.
func TestPreviewEqualsTheCheckout(t *testing.T) {
	e := newEnv(t)
	rnd := rand.New(rand.NewPCG(7, 11))
	for round := range 12 {
		l := e.hookLeague()
		var products []string
		for i := range 1 + rnd.IntN(4) {
			products = append(products, e.product(l.league, map[string]any{"type": "jersey", "name": fmt.Sprintf("P%d", i),
				"price_cents": rnd.IntN(6) * 1250, "category": []string{"registration", "uniforms"}[rnd.IntN(2)],
				"config": kitConfig})["id"].(string))
		}
		tiers := []map[string]any{{"nth": 2, "percent_off": 1 + rnd.IntN(100)}}
		if rnd.IntN(2) == 0 {
			tiers = append(tiers, map[string]any{"nth": 3, "amount_off_cents": 1 + rnd.IntN(3000)})
		}
		e.must(201, "POST", l.Base+"/admin/discounts", map[string]any{"kind": "sibling", "name": "S", "tiers": tiers,
			"applies_to": map[string]any{"categories": []string{"registration"}}}, bearer(l.Manager)...)
		code := map[string]any{"kind": "promotion", "name": "C", "code": "CODE" + strconv.Itoa(round)}
		if rnd.IntN(2) == 0 {
			code["percent_off"] = 1 + rnd.IntN(100)
		} else {
			code["amount_off_cents"] = 1 + rnd.IntN(20000)
		}
		e.must(201, "POST", l.Base+"/admin/discounts", code, bearer(l.Manager)...)
		names := []string{"A", "B", "C", "D"}[:1+rnd.IntN(4)]
		_, token, ps := e.household(l.league, names...)
		var items []any
		for _, p := range ps {
			for _, pr := range products {
				if rnd.IntN(2) == 0 || len(items) == 0 {
					items = append(items, cartItem(pr, p, kitData()))
				}
			}
		}
		body := map[string]any{"registration_token": token, "promotion_code": "code" + strconv.Itoa(round), "items": items}
		pr := e.do("POST", l.Base+"/checkouts/preview", body)
		if pr.Status == 422 && fmt.Sprint(pr.Fields()) == "[/promotion_code]" {
			delete(body, "promotion_code") // the code applied to none of the items
			pr = e.do("POST", l.Base+"/checkouts/preview", body)
		}
		if pr.Status != 200 {
			t.Fatalf("round %d: preview %d %s", round, pr.Status, pr.Body)
		}
		preview := checkoutOf(pr)
		placed := checkoutOf(e.must(201, "POST", l.Base+"/checkouts", body))
		pi, ci := itemsOf(preview), itemsOf(placed)
		var sum float64
		for i := range pi {
			for _, k := range []string{"price_cents", "discount_cents", "amount_cents", "product_id", "player_id"} {
				if pi[i][k] != ci[i][k] {
					t.Errorf("round %d item %d: preview %s %v, checkout %v", round, i, k, pi[i][k], ci[i][k])
				}
			}
			if ci[i]["amount_cents"].(float64) < 0 {
				t.Errorf("round %d item %d is below 0", round, i)
			}
			sum += ci[i]["discount_cents"].(float64)
		}
		for _, k := range []string{"subtotal_cents", "discount_cents", "amount_cents"} {
			if preview[k] != placed[k] {
				t.Errorf("round %d: preview %s %v, checkout %v", round, k, preview[k], placed[k])
			}
		}
		if sum != placed["discount_cents"] || placed["subtotal_cents"].(float64)-sum != placed["amount_cents"] {
			t.Errorf("round %d: lines' discounts %v, checkout's %v", round, sum, placed["discount_cents"])
		}
	}
}
