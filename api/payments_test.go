package api_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// newRecordedEnv is newEnv whose Stripe calls pass through a recorder on
// their way to stripe-mock.
func newRecordedEnv(t *testing.T) (*env, *stripeRecorder) {
	t.Helper()
	rec := newStripeRecorder(t)
	return &env{t: t, app: buildApp(t, withStripe(rec.URL))}, rec
}

func TestPricedCheckout(t *testing.T) {
	e, rec := newRecordedEnv(t)
	l := e.newLeague()
	keys := e.ownKeys(l)
	kit := e.pricedKit(l, "Home kit", 2500)
	household, token, _ := e.household(l, "Ann")
	before := time.Now()
	r := e.must(201, "POST", l.Base+"/checkout", map[string]any{"registration_token": token, "product_id": kit,
		"custom_data": kitData()}).JSON()
	o := r["order"].(map[string]any)
	orderID := o["id"].(string)

	t.Run("the order is pending with the checkout URL and session id stripe-mock returned", func(t *testing.T) {
		url, _ := r["checkout_url"].(string)
		session, _ := o["stripe_checkout_session_id"].(string)
		if o["status"] != "pending" || o["paid_at"] != nil || o["amount_cents"] != 2500.0 || o["currency"] != "usd" {
			t.Errorf("order %v", o)
		}
		if !strings.HasPrefix(url, "https://checkout.stripe.com/") || o["checkout_url"] != url {
			t.Errorf("checkout_url %q, order's %v", url, o["checkout_url"])
		}
		if !strings.HasPrefix(session, "cs_test_") {
			t.Errorf("stripe_checkout_session_id %q", session)
		}
		if got := e.order(l, orderID); got["checkout_url"] != url || got["stripe_checkout_session_id"] != session {
			t.Errorf("stored order %v", got)
		}
	})

	call := rec.sessionFor(t, orderID)
	var expires time.Time
	asSuperuser(t).scan(`SELECT checkout_expires_at FROM orders WHERE id = $1`, []any{orderID}, &expires)

	t.Run("the order keeps the session's expiry, an hour ahead", func(t *testing.T) {
		want := before.Add(time.Hour)
		if expires.Before(want.Add(-time.Minute)) || expires.After(want.Add(time.Minute)) {
			t.Errorf("checkout_expires_at %v, want about %v", expires, want)
		}
		if got := call.Form.Get("expires_at"); got != strconv.FormatInt(expires.Unix(), 10) {
			t.Errorf("expires_at sent %s, stored %d", got, expires.Unix())
		}
	})

	t.Run("the session is a payment for the product's price and name, tied to the order and tenant", func(t *testing.T) {
		want := map[string]string{
			"mode":                "payment",
			"client_reference_id": orderID,
			"metadata[order_id]":  orderID,
			"metadata[tenant_id]": l.ID,
			"payment_intent_data[metadata][order_id]":       orderID,
			"payment_intent_data[metadata][tenant_id]":      l.ID,
			"line_items[0][quantity]":                       "1",
			"line_items[0][price_data][unit_amount]":        "2500",
			"line_items[0][price_data][currency]":           "usd",
			"line_items[0][price_data][product_data][name]": "Home kit",
			"success_url": "https://league.example/checkout/success",
			"cancel_url":  "https://league.example/checkout/canceled",
		}
		for k, v := range want {
			if got := call.Form.Get(k); got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
	})

	customers := rec.find("POST", "/v1/customers")
	t.Run("the household's Stripe customer is created for the session", func(t *testing.T) {
		if len(customers) != 1 {
			t.Fatalf("%d customers created, want 1", len(customers))
		}
		c := customers[0]
		if c.Form.Get("email") != "doe@example.com" || c.Form.Get("metadata[household_id]") != household ||
			c.Form.Get("metadata[tenant_id]") != l.ID {
			t.Errorf("customer params %v", c.Form)
		}
		if !strings.HasPrefix(call.Form.Get("customer"), "cus_") {
			t.Errorf("session customer %q", call.Form.Get("customer"))
		}
	})

	t.Run("every create carries an idempotency key derived from the order or household", func(t *testing.T) {
		if call.IdempotencyKey != "checkout-session:"+orderID {
			t.Errorf("session idempotency key %q", call.IdempotencyKey)
		}
		want := "customer:" + l.ID + ":" + household + ":own:" + asSuperuser(t).ownAccount(l.ID) + ":test"
		if customers[0].IdempotencyKey != want {
			t.Errorf("customer idempotency key %q, want %q", customers[0].IdempotencyKey, want)
		}
	})

	t.Run("the league's own secret key authenticates its calls, with no connected account", func(t *testing.T) {
		for _, c := range []stripeCall{call, customers[0]} {
			if c.Key != keys.SecretKey || c.Account != "" {
				t.Errorf("%s %s with key %q, account %q", c.Method, c.Path, c.Key, c.Account)
			}
		}
	})

	t.Run("redirect URLs on the allowed origins are passed to Stripe as given", func(t *testing.T) {
		other := e.pricedKit(l, "Away kit", 2700)
		res := e.must(201, "POST", l.Base+"/checkout", map[string]any{"registration_token": token, "product_id": other,
			"custom_data": kitData(), "success_url": "https://league.example/paid?x=1", "cancel_url": "https://league.example/back"})
		c := rec.sessionFor(t, res.JSON()["order"].(map[string]any)["id"])
		if c.Form.Get("success_url") != "https://league.example/paid?x=1" || c.Form.Get("cancel_url") != "https://league.example/back" {
			t.Errorf("success_url %q, cancel_url %q", c.Form.Get("success_url"), c.Form.Get("cancel_url"))
		}
	})

	t.Run("a free order still completes at once with no Stripe call", func(t *testing.T) {
		calls := rec.count()
		free := e.product(l, freeJersey("Free jersey"))["id"]
		res := e.must(201, "POST", l.Base+"/checkout", map[string]any{"registration_token": token, "product_id": free,
			"custom_data": jerseyData(4)}).JSON()
		if res["order"].(map[string]any)["status"] != "paid" || res["checkout_url"] != nil {
			t.Errorf("free checkout %v", res)
		}
		if rec.count() != calls {
			t.Errorf("%d Stripe calls for a free order", rec.count()-calls)
		}
	})
}

func TestStripeCustomerIsCreatedOnceAndReused(t *testing.T) {
	e, rec := newRecordedEnv(t)
	l := e.newLeague()
	e.ownKeys(l)
	kit := e.pricedKit(l, "Kit", 2500)
	household, token, players := e.household(l, "Ann", "Ben")

	var sessions []stripeCall
	for _, p := range players {
		r := e.must(201, "POST", l.Base+"/checkout", map[string]any{"registration_token": token, "product_id": kit,
			"player_id": p, "custom_data": kitData()}).JSON()
		sessions = append(sessions, rec.sessionFor(t, r["order"].(map[string]any)["id"]))
	}

	t.Run("two checkouts of one household create one Stripe customer", func(t *testing.T) {
		if n := len(rec.find("POST", "/v1/customers")); n != 1 {
			t.Errorf("%d customers created", n)
		}
	})
	t.Run("both sessions name that customer", func(t *testing.T) {
		a, b := sessions[0].Form.Get("customer"), sessions[1].Form.Get("customer")
		if a == "" || a != b {
			t.Errorf("customers %q and %q", a, b)
		}
	})
	t.Run("the household has one stripe_customers row", func(t *testing.T) {
		if n := asSuperuser(t).count(`SELECT count(*) FROM stripe_customers WHERE customer_id = $1`, household); n != 1 {
			t.Errorf("%d rows", n)
		}
	})
	t.Run("another household gets its own customer", func(t *testing.T) {
		e.pendingOrder(l, kit)
		if n := len(rec.find("POST", "/v1/customers")); n != 2 {
			t.Errorf("%d customers created, want 2", n)
		}
	})
}

func TestPricedCheckoutIdempotencyKey(t *testing.T) {
	e, rec := newRecordedEnv(t)
	l := e.newLeague()
	e.ownKeys(l)
	kit := e.pricedKit(l, "Kit", 2500)
	_, token, _ := e.household(l, "Ann")
	body := map[string]any{"registration_token": token, "product_id": kit, "custom_data": kitData()}
	key := []string{"Idempotency-Key", "pay-" + randomToken(4)}

	first := e.must(201, "POST", l.Base+"/checkout", body, key...).JSON()
	again := e.must(200, "POST", l.Base+"/checkout", body, key...).JSON()
	order := first["order"].(map[string]any)

	t.Run("a replay returns the same order and checkout URL", func(t *testing.T) {
		o := again["order"].(map[string]any)
		if o["id"] != order["id"] || again["checkout_url"] != first["checkout_url"] || first["checkout_url"] == nil {
			t.Errorf("first %v\nagain %v", first, again)
		}
	})
	t.Run("a replay creates no second session and no second order", func(t *testing.T) {
		rec.sessionFor(t, order["id"])
		if n := len(rec.find("POST", "/v1/checkout/sessions")); n != 1 {
			t.Errorf("%d sessions created", n)
		}
		if n := len(e.allOrders(l)); n != 1 {
			t.Errorf("%d orders", n)
		}
	})
	t.Run("the same key with another body is a 422", func(t *testing.T) {
		other := map[string]any{"registration_token": token, "product_id": kit, "custom_data": kitData(), "success_url": "https://league.example/x"}
		isoProblem(t, e.do("POST", l.Base+"/checkout", other, key...), 422, "/problems/validation")
	})
}

func TestPricedCheckoutRefusals(t *testing.T) {
	e, rec := newRecordedEnv(t)
	l := e.newLeague()
	e.ownKeys(l)
	kit := e.pricedKit(l, "Kit", 2500)
	bare := e.newLeague()
	bareKit := e.product(bare, map[string]any{"type": "jersey", "name": "Numbered", "price_cents": 2500, "config": jerseyConfig})["id"]
	bareFree := e.product(bare, freeJersey("Free"))["id"]
	_, token, _ := e.household(l, "Ann")
	_, bareToken, _ := e.household(bare, "Bea")
	_, bareOther, _ := e.household(bare, "Cy")

	cases := []struct {
		name   string
		l      league
		body   map[string]any
		status int
		typ    string
		fields []string
	}{
		{"a success_url off the allowed origins is a 422", l, map[string]any{"registration_token": token, "product_id": kit,
			"custom_data": kitData(), "success_url": "https://evil.example/ok"}, 422, "/problems/validation", []string{"/success_url"}},
		{"a cancel_url off the allowed origins is a 422", l, map[string]any{"registration_token": token, "product_id": kit,
			"custom_data": kitData(), "cancel_url": "http://league.example/back"}, 422, "/problems/validation", []string{"/cancel_url"}},
		{"a league without Stripe settings cannot sell a priced product (503)", bare, map[string]any{"registration_token": bareToken,
			"product_id": bareKit, "custom_data": jerseyData(8)}, 503, "/problems/payments-not-configured", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name+" and leaves no order nor Stripe call", func(t *testing.T) {
			calls := rec.count()
			r := e.do("POST", tc.l.Base+"/checkout", tc.body)
			isoProblem(t, r, tc.status, tc.typ)
			if !slices.Equal(r.Fields(), tc.fields) {
				t.Errorf("fields %v, want %v", r.Fields(), tc.fields)
			}
			if n := len(e.allOrders(tc.l)); n != 0 {
				t.Errorf("%d orders", n)
			}
			if rec.count() != calls {
				t.Errorf("%d Stripe calls", rec.count()-calls)
			}
		})
	}
	t.Run("the refused number stays free for another player", func(t *testing.T) {
		e.must(201, "POST", bare.Base+"/checkout", map[string]any{"registration_token": bareOther, "product_id": bareFree,
			"custom_data": jerseyData(8)})
	})
}

func TestPricedCheckoutWhenStripeFails(t *testing.T) {
	e := newEnv(t)
	down := &env{t: t, app: buildApp(t, withStripe("http://127.0.0.1:1"))}
	l := e.newLeague()
	e.ownKeys(l)
	kit := e.product(l, map[string]any{"type": "jersey", "name": "Numbered kit", "price_cents": 2500, "config": jerseyConfig})["id"]
	_, token, _ := e.household(l, "Ann")
	_, otherToken, _ := e.household(l, "Ben")
	body := map[string]any{"registration_token": token, "product_id": kit, "custom_data": jerseyData(9)}
	key := []string{"Idempotency-Key", "down-" + randomToken(4)}

	r := down.do("POST", l.Base+"/checkout", body, key...)

	t.Run("the buyer gets a 502 problem that does not show the provider's error", func(t *testing.T) {
		isoProblem(t, r, 502, "/problems/payment-provider")
		if strings.Contains(string(r.Body), "127.0.0.1") || strings.Contains(string(r.Body), "connect") {
			t.Errorf("the problem leaks the provider's error: %s", r.Body)
		}
	})
	orders := e.allOrders(l)
	t.Run("the order is visibly failed, with the reason in its audit trail", func(t *testing.T) {
		if len(orders) != 1 || orders[0]["status"] != "failed" || orders[0]["checkout_url"] != nil {
			t.Fatalf("orders %v", orders)
		}
		o := e.order(l, orders[0]["id"])
		if got := transitions(o); !slices.Equal(got, []string{"→pending", "pending→failed"}) {
			t.Errorf("transitions %v", got)
		}
		last := o["events"].([]any)[1].(map[string]any)
		if last["actor"] != "system" || !strings.Contains(last["detail"].(string), "payment provider failed") {
			t.Errorf("event %v", last)
		}
	})
	t.Run("the jersey number is released: another player can take it", func(t *testing.T) {
		_, cyToken, _ := e.household(l, "Cy")
		isoProblem(t, down.do("POST", l.Base+"/checkout", map[string]any{"registration_token": cyToken, "product_id": kit,
			"custom_data": jerseyData(12)}), 502, "/problems/payment-provider")
		e.must(201, "POST", l.Base+"/checkout", map[string]any{"registration_token": otherToken, "product_id": kit,
			"custom_data": jerseyData(12)})
	})
	t.Run("a retry after Stripe recovers, with the same Idempotency-Key, creates a new pending order", func(t *testing.T) {
		again := e.must(201, "POST", l.Base+"/checkout", body, key...).JSON()
		o := again["order"].(map[string]any)
		if o["id"] == orders[0]["id"] || o["status"] != "pending" || again["checkout_url"] == nil {
			t.Errorf("retry %v", again)
		}
	})
	t.Run("the new order holds the number again", func(t *testing.T) {
		_, deeToken, _ := e.household(l, "Dee")
		rb := e.do("POST", l.Base+"/checkout", map[string]any{"registration_token": deeToken, "product_id": kit,
			"custom_data": jerseyData(9)})
		isoProblem(t, rb, 409, "/problems/conflict")
		if !slices.Equal(rb.Fields(), []string{"/custom_data/jersey_number"}) {
			t.Errorf("fields %v", rb.Fields())
		}
	})
}

func TestCancelExpiresTheSession(t *testing.T) {
	e, rec := newRecordedEnv(t)
	l := e.newLeague()
	keys := e.ownKeys(l)
	kit := e.product(l, map[string]any{"type": "jersey", "name": "Numbered kit", "price_cents": 2500, "config": jerseyConfig})["id"]
	_, token, _ := e.household(l, "Ann")
	_, otherToken, _ := e.household(l, "Ben")
	o := e.must(201, "POST", l.Base+"/checkout", map[string]any{"registration_token": token, "product_id": kit,
		"custom_data": jerseyData(5)}).JSON()["order"].(map[string]any)
	session := o["stripe_checkout_session_id"].(string)

	canceled := e.must(200, "POST", l.Base+"/admin/orders/"+o["id"].(string)+"/cancel", nil, bearer(l.Admin)...).JSON()

	t.Run("a pending order is canceled with an audit event saying its session expired", func(t *testing.T) {
		if canceled["status"] != "canceled" {
			t.Fatalf("order %v", canceled)
		}
		events := canceled["events"].([]any)
		last := events[len(events)-1].(map[string]any)
		if last["from"] != "pending" || last["to"] != "canceled" || last["actor"] != "staff:admin" ||
			!strings.Contains(last["detail"].(string), "checkout session expired") {
			t.Errorf("event %v", last)
		}
	})
	t.Run("its Checkout Session is expired at Stripe with the league's key", func(t *testing.T) {
		calls := rec.find("POST", "/v1/checkout/sessions/"+session+"/expire")
		if len(calls) != 1 || calls[0].Key != keys.SecretKey {
			t.Errorf("expire calls %+v", calls)
		}
	})
	t.Run("its number is free for another player", func(t *testing.T) {
		e.must(201, "POST", l.Base+"/checkout", map[string]any{"registration_token": otherToken, "product_id": kit,
			"custom_data": jerseyData(5)})
	})
	t.Run("a canceled order cannot be canceled again", func(t *testing.T) {
		isoProblem(t, e.do("POST", l.Base+"/admin/orders/"+o["id"].(string)+"/cancel", nil, bearer(l.Admin)...), 409, "/problems/conflict")
	})
}

func TestRefunds(t *testing.T) {
	e, rec := newRecordedEnv(t)
	l := e.newLeague()
	keys := e.ownKeys(l)
	kit := e.pricedKit(l, "Kit", 2500)
	hook := l.Base + "/webhooks/stripe"
	paid := e.pendingOrder(l, kit)
	if r := e.deliver(hook, sessionEvent("checkout.session.completed", paid, l.ID, "paid"), keys.WebhookSecret); r.Status != 200 {
		t.Fatalf("completed: %d %s", r.Status, r.Body)
	}
	pending := e.pendingOrder(l, kit)
	_, token, _ := e.household(l, "Fay")
	free := e.must(201, "POST", l.Base+"/checkout", map[string]any{"registration_token": token,
		"product_id": e.product(l, freeJersey("Free"))["id"], "custom_data": jerseyData(3)}).JSON()["order"].(map[string]any)
	refund := func(o map[string]any) string { return l.Base + "/admin/orders/" + o["id"].(string) + "/refund" }
	pi := paymentIntentOf(paid)

	steps := []struct {
		name     string
		order    map[string]any
		body     any
		status   int
		refunded float64 // the order's amount_refunded_cents after the step
		state    string  // and its status
		amount   string  // the amount of the Stripe refund it makes ("": none)
		key      string  // and its idempotency key
	}{
		{"a pending order cannot be refunded (409)", pending, map[string]any{}, 409, 0, "pending", "", ""},
		{"a free order cannot be refunded (409)", free, nil, 409, 0, "paid", "", ""},
		{"a zero refund is a 422", paid, map[string]any{"amount_cents": 0}, 422, 0, "paid", "", ""},
		{"a negative refund is a 422", paid, map[string]any{"amount_cents": -5}, 422, 0, "paid", "", ""},
		{"a refund over the amount is a 422", paid, map[string]any{"amount_cents": 2501}, 422, 0, "paid", "", ""},
		{"a partial refund makes the order partially_refunded", paid, map[string]any{"amount_cents": 1000}, 200, 1000,
			"partially_refunded", "1000", fmt.Sprintf("refund:%s:0:1000", paid["id"])},
		{"a refund over the rest is a 422", paid, map[string]any{"amount_cents": 1501}, 422, 1000, "partially_refunded", "", ""},
		{"a refund without an amount refunds the rest", paid, nil, 200, 2500, "refunded", "1500",
			fmt.Sprintf("refund:%s:1000:1500", paid["id"])},
		{"a refunded order cannot be refunded again (409)", paid, map[string]any{"amount_cents": 1}, 409, 2500, "refunded", "", ""},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			before := len(rec.find("POST", "/v1/refunds"))
			r := e.do("POST", refund(s.order), s.body, bearer(l.Admin)...)
			if r.Status != s.status {
				t.Fatalf("status %d, want %d: %s", r.Status, s.status, r.Body)
			}
			o := e.order(l, s.order["id"])
			if o["amount_refunded_cents"] != s.refunded || o["status"] != s.state {
				t.Errorf("order %v refunded %v, want %s %v", o["status"], o["amount_refunded_cents"], s.state, s.refunded)
			}
			calls := rec.find("POST", "/v1/refunds")[before:]
			if s.amount == "" {
				if len(calls) != 0 {
					t.Errorf("%d Stripe refunds", len(calls))
				}
				return
			}
			if r.JSON()["status"] != s.state {
				t.Errorf("response %s", r.Body)
			}
			if len(calls) != 1 {
				t.Fatalf("%d Stripe refunds, want 1", len(calls))
			}
			c := calls[0]
			if c.IdempotencyKey != s.key || c.Form.Get("payment_intent") != pi || c.Key != keys.SecretKey ||
				c.Form.Get("amount") != s.amount || c.Form.Get("metadata[order_id]") != s.order["id"] {
				t.Errorf("refund call %+v, want key %s", c, s.key)
			}
		})
	}

	t.Run("the audit trail records each refund by the admin", func(t *testing.T) {
		want := []string{"→pending", "pending→paid", "paid→partially_refunded", "partially_refunded→refunded"}
		if got := transitions(e.order(l, paid["id"])); !slices.Equal(got, want) {
			t.Errorf("transitions %v, want %v", got, want)
		}
	})
	t.Run("Stripe's charge.refunded for the refunds already recorded changes nothing", func(t *testing.T) {
		for _, total := range []int{1000, 2500} {
			if r := e.deliver(hook, chargeRefunded(paid, total), keys.WebhookSecret); r.Status != 200 {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
		}
		o := e.order(l, paid["id"])
		if len(o["events"].([]any)) != 4 || o["amount_refunded_cents"] != 2500.0 {
			t.Errorf("order %v", o)
		}
	})
}

func TestRefundAndCancelWhenStripeFails(t *testing.T) {
	e := newEnv(t)
	down := &env{t: t, app: buildApp(t, withStripe("http://127.0.0.1:1"))}
	l := e.hookLeague()
	paid := e.pendingOrder(l.league, l.Kit)
	if r := e.deliver(l.Hook, sessionEvent("checkout.session.completed", paid, l.ID, "paid"), l.Keys.WebhookSecret); r.Status != 200 {
		t.Fatalf("pay: %d %s", r.Status, r.Body)
	}
	pending := e.pendingOrder(l.league, l.Kit)
	cases := []struct {
		name   string
		order  map[string]any
		action string
		body   any
		status string
	}{
		{"a refund Stripe refuses", paid, "refund", map[string]any{"amount_cents": 1000}, "paid"},
		{"a cancel whose session Stripe cannot expire", pending, "cancel", nil, "pending"},
	}
	for _, tc := range cases {
		t.Run(tc.name+" is a 502 that leaves the order as it was", func(t *testing.T) {
			before := e.order(l.league, tc.order["id"])
			r := down.do("POST", l.Base+"/admin/orders/"+tc.order["id"].(string)+"/"+tc.action, tc.body, bearer(l.Admin)...)
			isoProblem(t, r, 502, "/problems/payment-provider")
			after := e.order(l.league, tc.order["id"])
			if after["status"] != tc.status || after["amount_refunded_cents"] != 0.0 || !slices.Equal(transitions(after), transitions(before)) {
				t.Errorf("order %v, was %v", after, before)
			}
		})
		t.Run(tc.name+" succeeds once Stripe is back", func(t *testing.T) {
			e.must(200, "POST", l.Base+"/admin/orders/"+tc.order["id"].(string)+"/"+tc.action, tc.body, bearer(l.Admin)...)
		})
	}
}

func TestConcurrentRefundsNeverExceedTheAmount(t *testing.T) {
	e, rec := newRecordedEnv(t)
	l := e.hookLeague()
	o := e.pendingOrder(l.league, l.Kit)
	if r := e.deliver(l.Hook, sessionEvent("checkout.session.completed", o, l.ID, "paid"), l.Keys.WebhookSecret); r.Status != 200 {
		t.Fatalf("pay: %d %s", r.Status, r.Body)
	}
	codes := parallel(10, func(int) int {
		return e.do("POST", l.Base+"/admin/orders/"+o["id"].(string)+"/refund", map[string]any{"amount_cents": 1000},
			bearer(l.Admin)...).Status
	})

	t.Run("two of ten concurrent refunds of 1000 from 2500 succeed and the rest are refused", func(t *testing.T) {
		if codes[200] != 2 || codes[422] != 8 {
			t.Errorf("status counts %v", codes)
		}
	})
	t.Run("Stripe was asked for exactly the two refunds recorded", func(t *testing.T) {
		if n := len(rec.find("POST", "/v1/refunds")); n != 2 {
			t.Errorf("%d Stripe refunds", n)
		}
		got := e.order(l.league, o["id"])
		if got["amount_refunded_cents"] != 2000.0 || got["status"] != "partially_refunded" {
			t.Errorf("order %v", got)
		}
	})
}

func TestConcurrentCancels(t *testing.T) {
	e, rec := newRecordedEnv(t)
	l := e.hookLeague()
	var ids []string
	for range 10 {
		ids = append(ids, e.pendingOrder(l.league, l.Kit)["id"].(string))
	}
	codes := parallel(len(ids), func(i int) int {
		return e.do("POST", l.Base+"/admin/orders/"+ids[i]+"/cancel", nil, bearer(l.Admin)...).Status
	})
	t.Run("ten concurrent cancels of pending orders all succeed", func(t *testing.T) {
		if codes[200] != len(ids) {
			t.Errorf("status counts %v", codes)
		}
	})
	t.Run("each expired its own session once", func(t *testing.T) {
		for _, id := range ids {
			o := e.order(l.league, id)
			if n := len(rec.find("POST", "/v1/checkout/sessions/"+o["stripe_checkout_session_id"].(string)+"/expire")); o["status"] != "canceled" || n != 1 {
				t.Errorf("order %s: %v with %d expire calls", id, o["status"], n)
			}
		}
	})
}
