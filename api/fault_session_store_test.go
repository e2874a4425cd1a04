package api_test

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leaguepay/checkout/platform/payments"
	"github.com/leaguepay/checkout/platform/payments/stripemock"
)

// TestSessionNotStoredWhenTheDatabaseFails cuts the way to PostgreSQL at
// the moment Stripe has answered the session create, so the session cannot
// be stored. The buyer gets a 503; once the database answers again the
// order is failed, its jersey number given back, its session expired at
// Stripe and its Idempotency-Key released, so the buyer's retry (same key,
// same body) places a new order at once instead of being refused 409 until
// the reconciler's orphan pass.
func TestSessionNotStoredWhenTheDatabaseFails(t *testing.T) {
	d, dbProxy := cuttableDB(t)
	hooks := newStripeHooks(t, stripemock.URL(t))
	rec := newStripeRecorderTo(t, hooks.URL)
	e := &env{t: t, app: buildAppOn(t, d, withPayments(testBox(t), payments.NewStripe(rec.URL)))}
	su := asSuperuser(t)
	l := e.newLeague()
	e.ownKeys(l)
	kit := e.product(l, map[string]any{"type": "jersey", "name": "Numbered kit", "price_cents": 2500, "config": jerseyConfig})["id"]
	_, token, _ := e.household(l, "Ann")
	body := map[string]any{"registration_token": token, "product_id": kit, "custom_data": jerseyData(9)}
	key := []string{"Idempotency-Key", "cut-" + randomToken(4)}

	var once sync.Once
	hooks.set(nil, func(r *http.Request) {
		if isSessionCreate(r) {
			once.Do(dbProxy.cut)
		}
	})
	r := e.do("POST", l.Base+"/checkout", body, key...)
	hooks.set(nil, nil)

	t.Run("the buyer gets a 503 problem that names no driver detail", func(t *testing.T) {
		isoProblem(t, r, 503, "/problems/unavailable")
		for _, s := range []string{"dial", "connection", "SQLSTATE", "EOF", "pgx", "pgconn"} {
			if strings.Contains(string(r.Body), s) {
				t.Errorf("the problem shows %q: %s", s, r.Body)
			}
		}
	})
	var orderID string
	su.scan(`SELECT id::text FROM orders WHERE tenant_id = $1`, []any{l.ID}, &orderID)
	t.Run("while the database is cut off the order is pending without its session", func(t *testing.T) {
		var status string
		var session *string
		su.scan(`SELECT status, stripe_checkout_session_id FROM orders WHERE id = $1`, []any{orderID}, &status, &session)
		if status != "pending" || session != nil {
			t.Errorf("order %s: %s, session %v", orderID, status, session)
		}
	})

	dbProxy.restore()
	var status string
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		su.scan(`SELECT status FROM orders WHERE id = $1`, []any{orderID}, &status)
		if status != "pending" || time.Now().After(deadline) {
			break
		}
	}
	t.Run("once the database answers again the order is failed, with the reason in its audit trail", func(t *testing.T) {
		if status != "failed" {
			t.Fatalf("order %s is %s 20 s after the database came back, want failed", orderID, status)
		}
		o := e.order(l, orderID)
		if got := transitions(o); !slices.Equal(got, []string{"→pending", "pending→failed"}) {
			t.Errorf("transitions %v", got)
		}
		last := o["events"].([]any)[1].(map[string]any)
		if last["actor"] != "system" || !strings.Contains(last["detail"].(string), "could not be stored") {
			t.Errorf("event %v", last)
		}
		if o["checkout_url"] != nil {
			t.Errorf("the failed order shows a checkout_url: %v", o["checkout_url"])
		}
	})
	t.Run("its session is expired at Stripe, so it can never be paid", func(t *testing.T) {
		var session *string
		su.scan(`SELECT stripe_checkout_session_id FROM orders WHERE id = $1`, []any{orderID}, &session)
		if session == nil {
			t.Fatal("the failed order does not name the session Stripe created for it")
		}
		if n := len(rec.find("POST", "/v1/checkout/sessions/"+*session+"/expire")); n != 1 {
			t.Errorf("%d expires of session %s, want 1", n, *session)
		}
	})
	t.Run("its jersey number is given back", func(t *testing.T) {
		if n := su.count(`SELECT count(*) FROM order_claims WHERE order_id = $1`, orderID) +
			su.count(`SELECT count(*) FROM claims WHERE tenant_id = $1`, l.ID); n != 0 {
			t.Errorf("%d claim rows left", n)
		}
	})
	t.Run("the buyer's retry with the same Idempotency-Key places a new order at once", func(t *testing.T) {
		res := e.do("POST", l.Base+"/checkout", body, key...)
		if res.Status != 201 {
			t.Fatalf("retry: %d %s", res.Status, res.Body)
		}
		again := res.JSON()
		o := again["order"].(map[string]any)
		if o["id"] == orderID || o["status"] != "pending" || again["checkout_url"] == nil {
			t.Errorf("retry %v", again)
		}
	})
}
