package api_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/leaguepay/checkout/app"
	"github.com/leaguepay/checkout/internal/testkit/apptest"
	"github.com/leaguepay/checkout/internal/testkit/dbtest"
	"github.com/leaguepay/checkout/internal/testkit/stripemock"
	"github.com/leaguepay/checkout/platform/db"
)

// hookLeague is a league with its own Stripe keys and a priced kit.
type hookLeague struct {
	league
	Keys stripeKeys
	Kit  string
	Hook string // its webhook path
}

func (e *env) hookLeague() hookLeague {
	e.t.Helper()
	l := e.newLeague()
	return hookLeague{league: l, Keys: e.ownKeys(l), Kit: e.pricedKit(l, "Kit", 2500), Hook: l.Base + "/webhooks/stripe"}
}

// with returns ev changed by fn.
func with(ev stripeEvent, fn func(*stripeEvent)) stripeEvent {
	fn(&ev)
	return ev
}

// delivery is one event sent to a league's webhook and the outcome its 200
// must report.
type delivery struct {
	ev      stripeEvent
	outcome string
}

func TestWebhookSettlesOrders(t *testing.T) {
	e := newEnv(t)
	l := e.hookLeague()
	completed := func(o map[string]any, ps string) stripeEvent {
		return sessionEvent("checkout.session.completed", o, l.ID, ps)
	}
	event := func(typ string) func(o map[string]any, ps string) stripeEvent {
		return func(o map[string]any, ps string) stripeEvent { return sessionEvent(typ, o, l.ID, ps) }
	}
	succeeded, failed, expired := event("checkout.session.async_payment_succeeded"),
		event("checkout.session.async_payment_failed"), event("checkout.session.expired")

	cases := []struct {
		name        string
		deliveries  func(o map[string]any) []delivery
		status      string
		transitions []string // after the first "→pending"
	}{
		{"checkout.session.completed with payment_status paid marks the order paid",
			func(o map[string]any) []delivery { return []delivery{{completed(o, "paid"), "processed"}} },
			"paid", []string{"pending→paid"}},
		{"checkout.session.completed with payment_status unpaid leaves it pending",
			func(o map[string]any) []delivery { return []delivery{{completed(o, "unpaid"), "processed"}} },
			"pending", nil},
		{"an unpaid completion, then async_payment_succeeded, marks it paid",
			func(o map[string]any) []delivery {
				return []delivery{{completed(o, "unpaid"), "processed"}, {succeeded(o, "paid"), "processed"}}
			}, "paid", []string{"pending→paid"}},
		{"an unpaid completion, then async_payment_failed, marks it failed",
			func(o map[string]any) []delivery {
				return []delivery{{completed(o, "unpaid"), "processed"}, {failed(o, "unpaid"), "processed"}}
			}, "failed", []string{"pending→failed"}},
		{"checkout.session.expired marks it expired",
			func(o map[string]any) []delivery { return []delivery{{expired(o, "unpaid"), "processed"}} },
			"expired", []string{"pending→expired"}},
		{"expired after paid leaves it paid",
			func(o map[string]any) []delivery {
				return []delivery{{completed(o, "paid"), "processed"}, {expired(o, "unpaid"), "processed"}}
			}, "paid", []string{"pending→paid"}},
		{"async_payment_failed after paid leaves it paid",
			func(o map[string]any) []delivery {
				return []delivery{{completed(o, "paid"), "processed"}, {failed(o, "unpaid"), "processed"}}
			}, "paid", []string{"pending→paid"}},
		{"a late completion after expiry does not revive the order",
			func(o map[string]any) []delivery {
				return []delivery{{expired(o, "unpaid"), "processed"}, {completed(o, "paid"), "processed"}}
			}, "expired", []string{"pending→expired"}},
		{"a redelivered event id is a duplicate that changes nothing",
			func(o map[string]any) []delivery {
				ev := completed(o, "paid")
				return []delivery{{ev, "processed"}, {ev, "duplicate"}, {ev, "duplicate"}}
			}, "paid", []string{"pending→paid"}},
		{"async_payment_succeeded after a paid completion is a no-op",
			func(o map[string]any) []delivery {
				return []delivery{{completed(o, "paid"), "processed"}, {succeeded(o, "paid"), "processed"}}
			}, "paid", []string{"pending→paid"}},
		{"an event of another API version is accepted",
			func(o map[string]any) []delivery {
				return []delivery{{with(completed(o, "paid"), func(ev *stripeEvent) { ev.APIVersion = "2020-08-27" }), "processed"}}
			}, "paid", []string{"pending→paid"}},
		{"an event with an expanded payment_intent object is read",
			func(o map[string]any) []delivery {
				return []delivery{{with(completed(o, "paid"), func(ev *stripeEvent) {
					ev.Object = cloneMap(ev.Object)
					ev.Object["payment_intent"] = map[string]any{"id": paymentIntentOf(o), "object": "payment_intent"}
				}), "processed"}}
			}, "paid", []string{"pending→paid"}},
	}
	su := asSuperuser(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := e.pendingOrder(l.league, l.Kit)
			for i, d := range tc.deliveries(o) {
				r := e.deliver(l.Hook, d.ev, l.Keys.WebhookSecret)
				if r.Status != 200 || r.JSON()["outcome"] != d.outcome {
					t.Fatalf("delivery %d (%s): status %d, want 200 %s: %s", i, d.ev.Type, r.Status, d.outcome, r.Body)
				}
				if n := su.eventRows(d.ev.ID); n != 1 {
					t.Errorf("delivery %d: %d webhook_events rows", i, n)
				}
			}
			got := e.order(l.league, o["id"])
			if got["status"] != tc.status {
				t.Errorf("status %v, want %s", got["status"], tc.status)
			}
			if want := append([]string{"→pending"}, tc.transitions...); !slices.Equal(transitions(got), want) {
				t.Errorf("transitions %v, want %v", transitions(got), want)
			}
			if tc.status == "paid" {
				if got["paid_at"] == nil || got["stripe_payment_intent_id"] != paymentIntentOf(o) {
					t.Errorf("paid order without paid_at or payment intent: %v", got)
				}
			} else if got["paid_at"] != nil {
				t.Errorf("paid_at %v on a %v order", got["paid_at"], got["status"])
			}
		})
	}
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func TestWebhookConcurrentDeliveries(t *testing.T) {
	e := newEnv(t)
	l := e.hookLeague()
	o := e.pendingOrder(l.league, l.Kit)
	ev := sessionEvent("checkout.session.completed", o, l.ID, "paid")
	payload := ev.payload()
	header := sign(payload, l.Keys.WebhookSecret)

	var mu sync.Mutex
	outcomes := map[string]int{}
	codes := parallel(50, func(int) int {
		r := e.do("POST", l.Hook, payload, "Stripe-Signature", header)
		mu.Lock()
		outcomes[fmt.Sprint(r.JSON()["outcome"])]++
		mu.Unlock()
		return r.Status
	})

	t.Run("all fifty copies of one event are answered 200", func(t *testing.T) {
		if codes[200] != 50 {
			t.Errorf("status counts %v", codes)
		}
	})
	t.Run("one copy is processed and forty-nine are duplicates", func(t *testing.T) {
		if outcomes["processed"] != 1 || outcomes["duplicate"] != 49 {
			t.Errorf("outcomes %v", outcomes)
		}
	})
	t.Run("the order moved from pending to paid exactly once", func(t *testing.T) {
		got := e.order(l.league, o["id"])
		if got["status"] != "paid" || !slices.Equal(transitions(got), []string{"→pending", "pending→paid"}) {
			t.Errorf("status %v, transitions %v", got["status"], transitions(got))
		}
	})
	t.Run("the event id is recorded once", func(t *testing.T) {
		if n := asSuperuser(t).eventRows(ev.ID); n != 1 {
			t.Errorf("%d rows", n)
		}
	})
}

func TestWebhookAmountMismatch(t *testing.T) {
	e := newEnv(t)
	l := e.hookLeague()
	su := asSuperuser(t)
	cases := []struct {
		name   string
		change func(obj map[string]any)
	}{
		{"an amount below the order's", func(obj map[string]any) { obj["amount_total"] = 100 }},
		{"an amount above the order's", func(obj map[string]any) { obj["amount_total"] = 2600 }},
		{"another currency", func(obj map[string]any) { obj["currency"] = "eur" }},
		{"no amount at all", func(obj map[string]any) { delete(obj, "amount_total") }},
	}
	for _, tc := range cases {
		for _, typ := range []string{"checkout.session.completed", "checkout.session.async_payment_succeeded"} {
			t.Run(fmt.Sprintf("%s with %s is answered 200 and leaves the order pending", typ, tc.name), func(t *testing.T) {
				o := e.pendingOrder(l.league, l.Kit)
				ev := sessionEvent(typ, o, l.ID, "paid")
				ev.Object = cloneMap(ev.Object)
				tc.change(ev.Object)
				r := e.deliver(l.Hook, ev, l.Keys.WebhookSecret)
				if r.Status != 200 || r.JSON()["outcome"] != "amount_mismatch" {
					t.Fatalf("status %d: %s", r.Status, r.Body)
				}
				if got := e.order(l.league, o["id"]); got["status"] != "pending" || len(got["events"].([]any)) != 1 || got["paid_at"] != nil {
					t.Errorf("order %v", got)
				}
				if out := su.eventOutcome(l.ID, ev.ID); out != "amount_mismatch" {
					t.Errorf("webhook_events outcome %q", out)
				}
			})
		}
	}
}

func TestWebhookChargeRefunded(t *testing.T) {
	e := newEnv(t)
	l := e.hookLeague()
	o := e.pendingOrder(l.league, l.Kit)
	if r := e.deliver(l.Hook, sessionEvent("checkout.session.completed", o, l.ID, "paid"), l.Keys.WebhookSecret); r.Status != 200 {
		t.Fatalf("pay: %d %s", r.Status, r.Body)
	}
	steps := []struct {
		name     string
		ev       stripeEvent
		outcome  string
		status   string
		refunded float64
		events   int
	}{
		{"a partial refund makes the order partially_refunded", chargeRefunded(o, 1000), "processed", "partially_refunded", 1000, 3},
		{"a larger partial refund raises the refunded total", chargeRefunded(o, 1500), "processed", "partially_refunded", 1500, 4},
		{"a late event with a smaller total changes nothing", chargeRefunded(o, 1000), "processed", "partially_refunded", 1500, 4},
		{"the full amount refunded makes it refunded", chargeRefunded(o, 2500), "processed", "refunded", 2500, 5},
		{"a total above the amount changes nothing", chargeRefunded(o, 9999), "processed", "refunded", 2500, 5},
		{"a refund of another payment intent is ignored", with(chargeRefunded(o, 100), func(ev *stripeEvent) {
			ev.Object = cloneMap(ev.Object)
			ev.Object["payment_intent"] = "pi_test_unknown"
		}), "ignored", "refunded", 2500, 5},
		{"a refund without a payment intent is ignored", with(chargeRefunded(o, 100), func(ev *stripeEvent) {
			ev.Object = cloneMap(ev.Object)
			delete(ev.Object, "payment_intent")
		}), "ignored", "refunded", 2500, 5},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			r := e.deliver(l.Hook, s.ev, l.Keys.WebhookSecret)
			if r.Status != 200 || r.JSON()["outcome"] != s.outcome {
				t.Fatalf("status %d, want 200 %s: %s", r.Status, s.outcome, r.Body)
			}
			got := e.order(l.league, o["id"])
			if got["status"] != s.status || got["amount_refunded_cents"] != s.refunded || len(got["events"].([]any)) != s.events {
				t.Errorf("order %v refunded %v with %d events, want %s %v with %d", got["status"], got["amount_refunded_cents"],
					len(got["events"].([]any)), s.status, s.refunded, s.events)
			}
		})
	}
	t.Run("a charge.refunded of a pending order's intent changes nothing", func(t *testing.T) {
		p := e.pendingOrder(l.league, l.Kit)
		if r := e.deliver(l.Hook, chargeRefunded(p, 2500), l.Keys.WebhookSecret); r.Status != 200 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		if got := e.order(l.league, p["id"]); got["status"] != "pending" || got["amount_refunded_cents"] != 0.0 {
			t.Errorf("order %v", got)
		}
	})
	t.Run("a refund that arrives before the completed event is applied when the order is paid", func(t *testing.T) {
		p := e.pendingOrder(l.league, l.Kit)
		if r := e.deliver(l.Hook, chargeRefunded(p, 1000), l.Keys.WebhookSecret); r.Status != 200 {
			t.Fatalf("refund first: %d %s", r.Status, r.Body)
		}
		if r := e.deliver(l.Hook, sessionEvent("checkout.session.completed", p, l.ID, "paid"), l.Keys.WebhookSecret); r.Status != 200 {
			t.Fatalf("then pay: %d %s", r.Status, r.Body)
		}
		got := e.order(l.league, p["id"])
		if got["status"] != "partially_refunded" || got["amount_refunded_cents"] != 1000.0 {
			t.Errorf("order %v with %v refunded, want partially_refunded with 1000", got["status"], got["amount_refunded_cents"])
		}
		if want := []string{"→pending", "pending→paid", "paid→partially_refunded"}; fmt.Sprint(transitions(got)) != fmt.Sprint(want) {
			t.Errorf("transitions %v, want %v", transitions(got), want)
		}
	})
}

func TestWebhookIgnoresEventsItCannotPlace(t *testing.T) {
	e := newEnv(t)
	l, other := e.hookLeague(), e.hookLeague()
	su := asSuperuser(t)
	o := e.pendingOrder(l.league, l.Kit)
	otherOrder := e.pendingOrder(other.league, other.Kit)
	meta := func(m map[string]any) func(*stripeEvent) {
		return func(ev *stripeEvent) {
			ev.Object = cloneMap(ev.Object)
			ev.Object["metadata"] = m
		}
	}
	paid := func(fn func(*stripeEvent)) stripeEvent {
		return with(sessionEvent("checkout.session.completed", o, l.ID, "paid"), fn)
	}
	cases := []struct {
		name string
		ev   stripeEvent
	}{
		{"a numeric order_id from a legacy integration", paid(func(ev *stripeEvent) {
			meta(map[string]any{"order_id": "12345", "tenant_id": l.ID})(ev)
			ev.Object["client_reference_id"] = "12345"
		})},
		{"an order_id that is not a UUID", paid(meta(map[string]any{"order_id": "'; DROP TABLE orders; --", "tenant_id": l.ID}))},
		{"an order id no order has", paid(func(ev *stripeEvent) {
			id := "0190f1d4-1111-7222-8333-444455556666"
			meta(map[string]any{"order_id": id, "tenant_id": l.ID})(ev)
			ev.Object["client_reference_id"] = id
		})},
		{"another league's order id", paid(func(ev *stripeEvent) {
			meta(map[string]any{"order_id": otherOrder["id"], "tenant_id": l.ID})(ev)
			ev.Object["client_reference_id"] = otherOrder["id"]
		})},
		{"metadata naming another league", paid(meta(map[string]any{"order_id": o["id"], "tenant_id": other.ID}))},
		{"metadata without a tenant", paid(meta(map[string]any{"order_id": o["id"]}))},
		{"no metadata and no client_reference_id", paid(func(ev *stripeEvent) {
			ev.Object = cloneMap(ev.Object)
			delete(ev.Object, "metadata")
			delete(ev.Object, "client_reference_id")
		})},
		{"an event type the platform does not handle", stripeEvent{ID: newEventID(), Type: "payment_intent.succeeded",
			Object: map[string]any{"id": paymentIntentOf(o), "object": "payment_intent", "amount": 2500, "currency": "usd",
				"metadata": map[string]any{"order_id": o["id"], "tenant_id": l.ID}}}},
		{"an event whose object is not an object", stripeEvent{ID: newEventID(), Type: "checkout.session.completed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name+" is answered 200, recorded as ignored, and changes nothing", func(t *testing.T) {
			r := e.deliver(l.Hook, tc.ev, l.Keys.WebhookSecret)
			if r.Status != 200 || r.JSON()["outcome"] != "ignored" {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			if out := su.eventOutcome(l.ID, tc.ev.ID); out != "ignored" {
				t.Errorf("webhook_events outcome %q", out)
			}
			for _, x := range []struct {
				l league
				o map[string]any
			}{{l.league, o}, {other.league, otherOrder}} {
				if got := e.order(x.l, x.o["id"]); got["status"] != "pending" || len(got["events"].([]any)) != 1 {
					t.Errorf("order %v", got)
				}
			}
		})
	}
	t.Run("the same event with proper metadata still settles the order", func(t *testing.T) {
		r := e.deliver(l.Hook, sessionEvent("checkout.session.completed", o, l.ID, "paid"), l.Keys.WebhookSecret)
		if r.Status != 200 || e.order(l.league, o["id"])["status"] != "paid" {
			t.Errorf("status %d: %s", r.Status, r.Body)
		}
	})
}

func TestWebhookSignatures(t *testing.T) {
	e := newEnv(t)
	l, other := e.hookLeague(), e.hookLeague()
	bare := e.newLeague()
	connected := e.newLeague()
	e.connectAccount(connected)
	su := asSuperuser(t)
	o := e.pendingOrder(l.league, l.Kit)
	ev := sessionEvent("checkout.session.completed", o, l.ID, "paid")
	payload := ev.payload()
	now := time.Now()
	sig := func(secret string, at time.Time) string {
		return hex.EncodeToString(webhook.ComputeSignature(at, payload, secret))
	}
	header := func(at time.Time, sigs ...string) string {
		h := fmt.Sprintf("t=%d", at.Unix())
		for _, s := range sigs {
			h += ",v1=" + s
		}
		return h
	}

	refused := []struct {
		name    string
		path    string
		body    []byte
		headers []string
	}{
		{"no Stripe-Signature header", l.Hook, payload, nil},
		{"an empty Stripe-Signature header", l.Hook, payload, []string{"Stripe-Signature", ""}},
		{"a header that is not a signature", l.Hook, payload, []string{"Stripe-Signature", "nonsense"}},
		{"a timestamp without a signature", l.Hook, payload, []string{"Stripe-Signature", fmt.Sprintf("t=%d", now.Unix())}},
		{"a signature without a timestamp", l.Hook, payload, []string{"Stripe-Signature", "v1=" + sig(l.Keys.WebhookSecret, now)}},
		{"a signature made with a wrong secret", l.Hook, payload, []string{"Stripe-Signature", header(now, sig("whsec_wrong0123456789", now))}},
		{"another league's valid signature", l.Hook, payload, []string{"Stripe-Signature", header(now, sig(other.Keys.WebhookSecret, now))}},
		{"the platform's signature", l.Hook, payload, []string{"Stripe-Signature", header(now, sig(testPayments.PlatformWebhookSecret, now))}},
		{"a signature ten minutes old", l.Hook, payload, []string{"Stripe-Signature",
			webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: l.Keys.WebhookSecret,
				Timestamp: now.Add(-10 * time.Minute)}).Header}},
		{"a signature whose timestamp was changed", l.Hook, payload, []string{"Stripe-Signature",
			header(now, sig(l.Keys.WebhookSecret, now.Add(-time.Second)))}},
		{"a body changed after signing", l.Hook, []byte(strings.Replace(string(payload), `"paid"`, `"paid" `, 1)),
			[]string{"Stripe-Signature", header(now, sig(l.Keys.WebhookSecret, now))}},
		{"a v0 signature only", l.Hook, payload, []string{"Stripe-Signature",
			fmt.Sprintf("t=%d,v0=%s", now.Unix(), sig(l.Keys.WebhookSecret, now))}},
		{"a league without Stripe settings", bare.Base + "/webhooks/stripe", payload, []string{"Stripe-Signature", header(now, sig(l.Keys.WebhookSecret, now))}},
		{"a Connect league's own endpoint, which has no secret of its own", connected.Base + "/webhooks/stripe", payload,
			[]string{"Stripe-Signature", header(now, sig(l.Keys.WebhookSecret, now))}},
	}
	for _, tc := range refused {
		t.Run(tc.name+" is a 400 that records and changes nothing", func(t *testing.T) {
			r := e.do("POST", tc.path, tc.body, tc.headers...)
			isoProblem(t, r, 400, "/problems/bad-request")
			if n := su.eventRows(ev.ID); n != 0 {
				t.Errorf("%d webhook_events rows", n)
			}
			if got := e.order(l.league, o["id"]); got["status"] != "pending" {
				t.Errorf("order %v", got)
			}
		})
	}

	t.Run("a signed body that is not JSON is a 400", func(t *testing.T) {
		body := []byte("not json")
		isoProblem(t, e.do("POST", l.Hook, body, "Stripe-Signature", sign(body, l.Keys.WebhookSecret)), 400, "/problems/bad-request")
	})
	t.Run("a signed JSON body that is not an event is a 400", func(t *testing.T) {
		body := []byte(`{"hello":"world"}`)
		isoProblem(t, e.do("POST", l.Hook, body, "Stripe-Signature", sign(body, l.Keys.WebhookSecret)), 400, "/problems/bad-request")
	})
	t.Run("an unknown league's path is a 404", func(t *testing.T) {
		isoProblem(t, e.do("POST", "/v1/tenants/no-such-league/webhooks/stripe", payload, "Stripe-Signature",
			header(now, sig(l.Keys.WebhookSecret, now))), 404, "/problems/not-found")
	})

	const oldSecret = "whsec_oldsecret0123456789"
	rotations := []struct {
		name  string
		order func(old, cur string) []string
	}{
		{"old secret first, new second", func(old, cur string) []string { return []string{old, cur} }},
		{"new secret first, old second", func(old, cur string) []string { return []string{cur, old} }},
	}
	for _, tc := range rotations {
		t.Run("during a secret rotation a header with two v1 signatures is accepted: "+tc.name, func(t *testing.T) {
			o := e.pendingOrder(l.league, l.Kit)
			p := sessionEvent("checkout.session.completed", o, l.ID, "paid").payload()
			old := hex.EncodeToString(webhook.ComputeSignature(now, p, oldSecret))
			cur := hex.EncodeToString(webhook.ComputeSignature(now, p, l.Keys.WebhookSecret))
			r := e.do("POST", l.Hook, p, "Stripe-Signature", header(now, tc.order(old, cur)...))
			if r.Status != 200 || r.JSON()["outcome"] != "processed" {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			if got := e.order(l.league, o["id"]); got["status"] != "paid" {
				t.Errorf("order %v", got)
			}
		})
	}
	t.Run("a header with two v1 signatures, neither by the league's secret, is a 400", func(t *testing.T) {
		h := header(now, sig(oldSecret, now), sig(other.Keys.WebhookSecret, now))
		isoProblem(t, e.do("POST", l.Hook, payload, "Stripe-Signature", h), 400, "/problems/bad-request")
	})
}

func TestConnectWebhooks(t *testing.T) {
	e, rec := newRecordedEnv(t)
	l, other := e.newLeague(), e.hookLeague()
	acct := e.connectAccount(l)
	kit := e.pricedKit(l, "Kit", 2500)
	o := e.pendingOrder(l, kit)
	otherOrder := e.pendingOrder(other.league, other.Kit)
	su := asSuperuser(t)
	platform := "/v1/webhooks/stripe"
	secret := testPayments.PlatformWebhookSecret
	connect := func(ev stripeEvent, account string) stripeEvent { ev.Account = account; return ev }

	t.Run("a Connect league's checkout runs on its account under the platform's key", func(t *testing.T) {
		c := rec.sessionFor(t, o["id"])
		if c.Account != acct || c.Key != testPayments.PlatformSecretKey {
			t.Errorf("session created on account %q with key %q", c.Account, c.Key)
		}
		for _, cu := range rec.find("POST", "/v1/customers") {
			if cu.Form.Get("metadata[tenant_id]") == l.ID && (cu.Account != acct || !strings.HasSuffix(cu.IdempotencyKey, ":connect:"+acct)) {
				t.Errorf("customer created on %q with idempotency key %q", cu.Account, cu.IdempotencyKey)
			}
		}
	})

	ignored := []struct {
		name string
		ev   stripeEvent
	}{
		{"an event for an account no league uses", connect(sessionEvent("checkout.session.completed", o, l.ID, "paid"), "acct_"+randomToken(8))},
		{"an event without an account", sessionEvent("checkout.session.completed", o, l.ID, "paid")},
		{"an event on the league's account naming another league's order", connect(sessionEvent("checkout.session.completed",
			otherOrder, other.ID, "paid"), acct)},
	}
	for _, tc := range ignored {
		t.Run(tc.name+" is answered 200 and ignored", func(t *testing.T) {
			r := e.deliver(platform, tc.ev, secret)
			if r.Status != 200 || r.JSON()["outcome"] != "ignored" {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			for _, x := range []struct {
				l league
				o map[string]any
			}{{l, o}, {other.league, otherOrder}} {
				if got := e.order(x.l, x.o["id"]); got["status"] != "pending" {
					t.Errorf("order %v", got)
				}
			}
		})
	}
	t.Run("the other league's order is left to its own endpoint", func(t *testing.T) {
		if n := su.count(`SELECT count(*) FROM webhook_events WHERE tenant_id = $1`, other.ID); n != 0 {
			t.Errorf("%d events recorded for the other league", n)
		}
	})
	t.Run("a Connect event signed with a league's own secret is a 400", func(t *testing.T) {
		ev := connect(sessionEvent("checkout.session.completed", o, l.ID, "paid"), acct)
		isoProblem(t, e.deliver(platform, ev, other.Keys.WebhookSecret), 400, "/problems/bad-request")
		if n := su.eventRows(ev.ID); n != 0 {
			t.Errorf("%d rows", n)
		}
	})

	paid := connect(sessionEvent("checkout.session.completed", o, l.ID, "paid"), acct)
	t.Run("an event on the league's account, signed with the platform's secret, settles its order", func(t *testing.T) {
		r := e.deliver(platform, paid, secret)
		if r.Status != 200 || r.JSON()["outcome"] != "processed" {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		if got := e.order(l, o["id"]); got["status"] != "paid" || !slices.Equal(transitions(got), []string{"→pending", "pending→paid"}) {
			t.Errorf("order %v", got)
		}
		if out := su.eventOutcome(l.ID, paid.ID); out != "processed" {
			t.Errorf("outcome %q", out)
		}
	})
	t.Run("its redelivery is a duplicate", func(t *testing.T) {
		if r := e.deliver(platform, paid, secret); r.Status != 200 || r.JSON()["outcome"] != "duplicate" {
			t.Errorf("status %d: %s", r.Status, r.Body)
		}
	})
	t.Run("a refund of a Connect order runs on its account", func(t *testing.T) {
		e.must(200, "POST", l.Base+"/admin/orders/"+o["id"].(string)+"/refund", map[string]any{"amount_cents": 500}, bearer(l.Admin)...)
		calls := rec.find("POST", "/v1/refunds")
		if len(calls) != 1 || calls[0].Account != acct || calls[0].Key != testPayments.PlatformSecretKey {
			t.Errorf("refund calls %+v", calls)
		}
	})
}

func TestWebhookWhileTheDatabaseIsDown(t *testing.T) {
	e := newEnv(t)
	l := e.hookLeague()
	connectLeague := e.newLeague()
	acct := e.connectAccount(connectLeague)
	o := e.pendingOrder(l.league, l.Kit)
	co := e.pendingOrder(connectLeague, e.pricedKit(connectLeague, "Kit", 2500))
	su := asSuperuser(t)

	// down is a replica whose database went away after it had resolved the
	// league (its tenant cache still answers).
	proxied, proxy := cuttableDB(t)
	down := &env{t: t, app: apptest.Wire(t, apptest.Config(stripemock.URL(t)), app.Options{DB: proxied}).HTTP}
	down.must(200, "GET", l.Base+"/products", nil)
	proxy.cut()
	// dark is a replica whose database is gone from the start.
	broken, err := db.Open(context.Background(), dbtest.AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	broken.Close() // every later query fails: the database is gone
	dark := &env{t: t, app: apptest.Wire(t, apptest.Config(stripemock.URL(t)), app.Options{DB: broken}).HTTP}

	ev := sessionEvent("checkout.session.completed", o, l.ID, "paid")
	cev := sessionEvent("checkout.session.completed", co, connectLeague.ID, "paid")
	cev.Account = acct
	cases := []struct {
		name   string
		app    *env
		path   string
		ev     stripeEvent
		secret string
		status int // 0: any 5xx
	}{
		{"a league's event reaching a replica whose database is down is a 503", down, l.Hook, ev, l.Keys.WebhookSecret, 503},
		{"a Connect event reaching a replica whose database is down is a 503", down, "/v1/webhooks/stripe", cev, testPayments.PlatformWebhookSecret, 503},
		{"a league's event reaching a replica that cannot even resolve the league is a 5xx", dark, l.Hook, ev, l.Keys.WebhookSecret, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name+" so Stripe retries, and nothing is written", func(t *testing.T) {
			r := tc.app.deliver(tc.path, tc.ev, tc.secret)
			if tc.status == 0 && r.Status >= 500 {
				tc.status = r.Status
			}
			isoProblem(t, r, tc.status, "")
			if strings.Contains(string(r.Body), "closed pool") {
				t.Errorf("the problem leaks the driver's error: %s", r.Body)
			}
			if n := su.eventRows(tc.ev.ID); n != 0 {
				t.Errorf("%d webhook_events rows", n)
			}
		})
	}
	retries := []struct {
		name   string
		l      league
		o      map[string]any
		path   string
		ev     stripeEvent
		secret string
	}{
		{"the league's event", l.league, o, l.Hook, ev, l.Keys.WebhookSecret},
		{"the Connect event", connectLeague, co, "/v1/webhooks/stripe", cev, testPayments.PlatformWebhookSecret},
	}
	for _, tc := range retries {
		t.Run("Stripe's retries of "+tc.name+" on a healthy replica apply it once", func(t *testing.T) {
			for i, want := range []string{"processed", "duplicate"} {
				r := e.deliver(tc.path, tc.ev, tc.secret)
				if r.Status != 200 || r.JSON()["outcome"] != want {
					t.Fatalf("retry %d: status %d, want 200 %s: %s", i, r.Status, want, r.Body)
				}
			}
			if got := e.order(tc.l, tc.o["id"]); got["status"] != "paid" || !slices.Equal(transitions(got), []string{"→pending", "pending→paid"}) {
				t.Errorf("order %v", got)
			}
		})
	}
}

// TestRefundRacingThePayment delivers, at the same time, the completed
// event of an order and a refund of its payment, many times: the refund is
// never lost, whichever commits first.
func TestRefundRacingThePayment(t *testing.T) {
	e := newEnv(t)
	l := e.hookLeague()
	for i := 0; i < 15; i++ {
		o := e.pendingOrder(l.league, l.Kit)
		paid := sessionEvent("checkout.session.completed", o, l.ID, "paid")
		refund := chargeRefunded(o, 1000)
		var wg sync.WaitGroup
		for _, ev := range []stripeEvent{paid, refund} {
			wg.Add(1)
			go func(ev stripeEvent) {
				defer wg.Done()
				if r := e.deliver(l.Hook, ev, l.Keys.WebhookSecret); r.Status != 200 {
					t.Errorf("deliver %s: %d %s", ev.Type, r.Status, r.Body)
				}
			}(ev)
		}
		wg.Wait()
		if got := e.order(l.league, o["id"]); got["status"] != "partially_refunded" || got["amount_refunded_cents"] != 1000.0 {
			t.Fatalf("round %d: order %v with %v refunded, want partially_refunded with 1000", i, got["status"], got["amount_refunded_cents"])
		}
	}
}

func TestWebhookSecretRotatedOnAnotherReplica(t *testing.T) {
	a := newEnv(t)
	b := &env{t: t, app: buildApp(t, nil)} // a second replica over the same database
	l := a.hookLeague()
	ev := func() stripeEvent {
		return stripeEvent{ID: newEventID(), Type: "customer.created", Object: map[string]any{"id": "cus_x", "object": "customer"}}
	}
	// Replica a has the account cached with the first secret.
	if r := a.deliver(l.Hook, ev(), l.Keys.WebhookSecret); r.Status != 200 {
		t.Fatalf("first delivery: %d %s", r.Status, r.Body)
	}
	rotated := b.ownKeys(l.league)
	t.Run("an event signed with the new secret is taken by the replica that cached the old one", func(t *testing.T) {
		if r := a.deliver(l.Hook, ev(), rotated.WebhookSecret); r.Status != 200 {
			t.Errorf("status %d, want 200: %s", r.Status, r.Body)
		}
	})
	t.Run("the old secret is refused once the new one is read", func(t *testing.T) {
		if r := a.deliver(l.Hook, ev(), l.Keys.WebhookSecret); r.Status != 400 {
			t.Errorf("status %d, want 400: %s", r.Status, r.Body)
		}
	})
}
