package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leaguepay/checkout/internal/testkit/stripemock"
)

// TestDatabaseCutWhileStripeAnswers cuts the way to PostgreSQL at the
// moment Stripe has answered a priced checkout's call, so what Stripe made
// cannot be stored: the session and, with it, the household's new Stripe
// customer. The buyer gets a 503; once the database answers again
// the order is failed, its jersey number given back, its session (if any)
// expired at Stripe and its Idempotency-Key released, so the buyer's retry
// (same key, same body) places a new order at once instead of being
// refused 409 until the reconciler's orphan pass.
func TestDatabaseCutWhileStripeAnswers(t *testing.T) {
	d, dbProxy := cuttableDB(t)
	hooks := newStripeHooks(t, stripemock.URL(t))
	rec := newStripeRecorderTo(t, hooks.URL)
	e := &env{t: t, app: buildAppOn(t, d, withStripe(rec.URL))}
	su := asSuperuser(t)
	l := e.newLeague()
	e.ownKeys(l)
	kit := e.product(l, map[string]any{"type": "jersey", "name": "Numbered kit", "price_cents": 2500, "config": jerseyConfig})["id"]

	cases := []struct {
		name    string
		cutWhen func(*http.Request) bool
		detail  string // of the order's failed event
		session bool   // the session was created
	}{
		{"right after Stripe created the session", isSessionCreate, "could not be stored", true},
		// A new customer is stored with the session, in one statement batch:
		// cut after its creation, the session is still created, then not
		// stored, and expired.
		{"right after Stripe created the household's customer", func(r *http.Request) bool {
			return r.Method == http.MethodPost && r.URL.Path == "/v1/customers"
		}, "could not be stored", true},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			household, token, _ := e.household(l, fmt.Sprintf("Kid%d", i))
			body := map[string]any{"registration_token": token, "product_id": kit, "custom_data": jerseyData(30 + i)}
			key := []string{"Idempotency-Key", "cut-" + randomToken(4)}
			var once sync.Once
			hooks.set(nil, func(r *http.Request) {
				if c.cutWhen(r) {
					once.Do(dbProxy.cut)
				}
			})
			r := e.do("POST", l.Base+"/checkout", body, key...)
			hooks.set(nil, nil)
			orderID := dbCutChecks(t, su, dbProxy, r, household)
			t.Run("once the database answers again the order is failed, with the reason in its audit trail", func(t *testing.T) {
				o := e.order(l, orderID)
				if got := transitions(o); !slices.Equal(got, []string{"→pending", "pending→failed"}) {
					t.Errorf("transitions %v", got)
				}
				last := o["events"].([]any)[1].(map[string]any)
				if last["actor"] != "system" || !strings.Contains(last["detail"].(string), c.detail) {
					t.Errorf("event %v", last)
				}
				if o["checkout_url"] != nil {
					t.Errorf("the failed order shows a checkout_url: %v", o["checkout_url"])
				}
			})
			t.Run("a session Stripe created is expired, so it can never be paid", func(t *testing.T) {
				var session *string
				su.scan(`SELECT stripe_checkout_session_id FROM orders WHERE id = $1`, []any{orderID}, &session)
				switch {
				case !c.session && session != nil:
					t.Errorf("the order names session %s, but none was created", *session)
				case c.session && session == nil:
					t.Error("the failed order does not name the session Stripe created for it")
				case c.session:
					if n := len(rec.find("POST", "/v1/checkout/sessions/"+*session+"/expire")); n != 1 {
						t.Errorf("%d expires of session %s, want 1", n, *session)
					}
				}
			})
			t.Run("its jersey number is given back", func(t *testing.T) {
				if n := su.count(`SELECT count(*) FROM order_claims WHERE order_id = $1`, orderID) +
					su.count(`SELECT count(*) FROM claims WHERE tenant_id = $1 AND value = $2`, l.ID, fmt.Sprint(30+i)); n != 0 {
					t.Errorf("%d claim rows left", n)
				}
			})
			t.Run("the buyer's retry with the same Idempotency-Key places a new order at once", func(t *testing.T) {
				res := e.do("POST", l.Base+"/checkout", body, key...)
				if res.Status != 201 {
					t.Fatalf("retry: %d %s", res.Status, res.Body)
				}
				o := res.JSON()["order"].(map[string]any)
				if o["id"] == orderID || o["status"] != "pending" || res.JSON()["checkout_url"] == nil {
					t.Errorf("retry %s", res.Body)
				}
			})
		})
	}
}

// dbCutChecks checks the answer of a checkout whose database was cut, and
// the order it left, restores the database and waits until the order is
// no longer pending, returning its id.
func dbCutChecks(t *testing.T, su *superuser, dbProxy *tcpProxy, r resp, household string) string {
	t.Helper()
	t.Run("the buyer gets a 503 problem that names no driver detail", func(t *testing.T) {
		isoProblem(t, r, 503, "/problems/unavailable")
		for _, s := range []string{"dial", "connection", "SQLSTATE", "EOF", "pgx", "pgconn"} {
			if strings.Contains(string(r.Body), s) {
				t.Errorf("the problem shows %q: %s", s, r.Body)
			}
		}
	})
	var orderID, status string
	var session *string
	su.scan(`SELECT id::text, status, stripe_checkout_session_id FROM orders WHERE customer_id = $1`,
		[]any{household}, &orderID, &status, &session)
	t.Run("while the database is cut off the order is pending without its session", func(t *testing.T) {
		if status != "pending" || session != nil {
			t.Errorf("order %s: %s, session %v", orderID, status, session)
		}
	})
	dbProxy.restore()
	for deadline := time.Now().Add(20 * time.Second); status == "pending"; time.Sleep(50 * time.Millisecond) {
		su.scan(`SELECT status FROM orders WHERE id = $1`, []any{orderID}, &status)
		if time.Now().After(deadline) {
			t.Fatalf("order %s is still pending 20 s after the database came back", orderID)
		}
	}
	if status != "failed" {
		t.Fatalf("order %s is %s once the database came back, want failed", orderID, status)
	}
	return orderID
}
