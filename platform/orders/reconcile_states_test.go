package orders_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/leaguepay/checkout/platform/checkout"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/platform/payments"
)

// sessionStates passes every call to stripe-mock but answers GetSession for
// chosen sessions with a state stripe-mock's fixtures never take (a
// complete session with an async payment still processing, a paid one, a
// provider error): what the reconciler does with each is the subject here.
type sessionStates struct {
	payments.Provider
	mu       sync.Mutex
	states   map[string]func(payments.Session) (payments.Session, error)
	noExpire map[string]bool // sessions whose expiry Stripe refuses (already complete)
}

func (p *sessionStates) ExpireSession(ctx context.Context, a payments.Account, id string) (payments.Session, error) {
	p.mu.Lock()
	refuse := p.noExpire[id]
	p.mu.Unlock()
	if refuse {
		return payments.Session{}, fmt.Errorf("%w: this session is complete", payments.ErrRefused)
	}
	return p.Provider.ExpireSession(ctx, a, id)
}

func (p *sessionStates) GetSession(ctx context.Context, a payments.Account, id string) (payments.Session, error) {
	sess, err := p.Provider.GetSession(ctx, a, id)
	p.mu.Lock()
	f := p.states[id]
	p.mu.Unlock()
	if f == nil || err != nil {
		return sess, err
	}
	return f(sess)
}

func TestReconcileSessionStates(t *testing.T) {
	e := newPayingEnv(t)
	states := &sessionStates{Provider: payments.NewStripe(e.stripeURL), states: map[string]func(payments.Session) (payments.Session, error){}}
	svc := e.withProvider(states)
	product := e.product("jersey", "Async jersey", 4500, string(jerseyConfig("async")))

	cases := []struct {
		name     string
		state    func(o orders.Order) func(payments.Session) (payments.Session, error)
		want     orders.Status
		postpone time.Duration // 0: settled, not postponed
	}{
		{"an async payment still processing stays pending and is asked again hours later",
			func(orders.Order) func(payments.Session) (payments.Session, error) {
				return func(s payments.Session) (payments.Session, error) {
					s.Status, s.PaymentStatus = "complete", "unpaid"
					return s, nil
				}
			}, orders.StatusPending, 6 * time.Hour},
		{"a session found paid for the order's amount pays the order",
			func(o orders.Order) func(payments.Session) (payments.Session, error) {
				return func(s payments.Session) (payments.Session, error) {
					s.Status, s.PaymentStatus, s.AmountTotal, s.Currency = "complete", "paid", o.AmountCents, o.Currency
					s.PaymentIntentID = "pi_reconciled"
					return s, nil
				}
			}, orders.StatusPaid, 0},
		{"a session paid with another amount stays pending for staff and is not asked every minute",
			func(o orders.Order) func(payments.Session) (payments.Session, error) {
				return func(s payments.Session) (payments.Session, error) {
					s.Status, s.PaymentStatus, s.AmountTotal, s.Currency = "complete", "paid", o.AmountCents-1, o.Currency
					return s, nil
				}
			}, orders.StatusPending, 6 * time.Hour},
		{"a provider error leaves the order pending and retries in minutes",
			func(orders.Order) func(payments.Session) (payments.Session, error) {
				return func(payments.Session) (payments.Session, error) { return payments.Session{}, errors.New("stripe down") }
			}, orders.StatusPending, 10 * time.Minute},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := e.pending(product.ID, 10+i)
			states.mu.Lock()
			states.states[*o.StripeCheckoutSessionID] = tc.state(o)
			states.mu.Unlock()
			e.sql(`UPDATE orders SET checkout_expires_at = now() - interval '1 hour' WHERE id = $1`, o.ID)
			if _, err := svc.Settlement.Reconcile(e.ctx); err != nil {
				t.Fatalf("Reconcile: %v", err)
			}
			got, err := svc.Orders.Get(e.ctx, e.tenant.ID, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tc.want {
				t.Fatalf("status %s, want %s", got.Status, tc.want)
			}
			var next time.Time
			if err := e.admin.QueryRow(e.ctx, `SELECT checkout_expires_at FROM orders WHERE id = $1`, o.ID).Scan(&next); err != nil {
				t.Fatal(err)
			}
			if tc.postpone > 0 {
				// The next check is due `postpone` from now (expiry + grace).
				due := next.Add(2 * time.Minute)
				if d := time.Until(due); d < tc.postpone-time.Minute || d > tc.postpone+time.Minute {
					t.Errorf("next check in %s, want about %s", d.Round(time.Second), tc.postpone)
				}
			}
		})
	}
	t.Run("an order that cannot be settled does not stop the others", func(t *testing.T) {
		stuck := e.pending(product.ID, 40)
		other := e.pending(product.ID, 41)
		states.mu.Lock()
		states.states[*stuck.StripeCheckoutSessionID] = func(payments.Session) (payments.Session, error) {
			return payments.Session{}, errors.New("stripe down")
		}
		states.mu.Unlock()
		e.sql(`UPDATE orders SET checkout_expires_at = now() - interval '1 hour' WHERE id = ANY($1)`, []uuid.UUID{stuck.ID, other.ID})
		if _, err := svc.Settlement.Reconcile(e.ctx); err != nil {
			t.Fatal(err)
		}
		got, _ := svc.Orders.Get(e.ctx, e.tenant.ID, other.ID)
		if got.Status == orders.StatusPending {
			t.Errorf("the other order is still pending behind the stuck one")
		}
	})
}

// TestRetentionPurgesExpiredRetryRecords: the reconciler's pass purges old
// webhook event ids, the checkout's purge job expired idempotency keys.
func TestRetentionPurgesExpiredRetryRecords(t *testing.T) {
	e := newPayingEnv(t)
	e.sql(`INSERT INTO idempotency_keys (tenant_id, key, request_hash, created_at) VALUES
		($1, 'old', '\x00', now() - interval '3 days'), ($1, 'fresh', '\x00', now() - interval '1 day')`, e.tenant.ID)
	e.sql(`INSERT INTO webhook_events (tenant_id, event_id, type, outcome, received_at) VALUES
		($1, 'evt_old', 't', 'processed', now() - interval '100 days'), ($1, 'evt_fresh', 't', 'processed', now() - interval '10 days')`, e.tenant.ID)
	if _, err := e.replica().Reconcile(e.ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.app.Checkout.Purger().Work(e.ctx, &river.Job[checkout.PurgeArgs]{}); err != nil {
		t.Fatal(err)
	}
	var keys, events []string
	rows, _ := e.admin.Query(e.ctx, `SELECT key FROM idempotency_keys WHERE tenant_id = $1 ORDER BY key`, e.tenant.ID)
	for rows.Next() {
		var k string
		_ = rows.Scan(&k)
		keys = append(keys, k)
	}
	rows, _ = e.admin.Query(e.ctx, `SELECT event_id FROM webhook_events WHERE tenant_id = $1 ORDER BY event_id`, e.tenant.ID)
	for rows.Next() {
		var k string
		_ = rows.Scan(&k)
		events = append(events, k)
	}
	if fmt.Sprint(keys) != "[fresh]" || fmt.Sprint(events) != "[evt_fresh]" {
		t.Errorf("after the pass: keys %v, events %v; want only the fresh ones", keys, events)
	}
}

// TestReconcileHouseholdCheckouts: the reconciler settles a household
// checkout whole — a session found paid for the checkout's amount pays
// every order of it, an expired one ends every order — however many of
// its orders are due.
func TestReconcileHouseholdCheckouts(t *testing.T) {
	e := newPayingEnv(t)
	states := &sessionStates{Provider: payments.NewStripe(e.stripeURL), states: map[string]func(payments.Session) (payments.Session, error){}}
	svc := e.withProvider(states)
	product := e.product("jersey", "Cart jersey", 3000, string(jerseyConfig("cart-reconcile")))
	cart := func(n int) orders.Checkout {
		t.Helper()
		h, token := e.household(fmt.Sprintf("cart-%d-%s@example.com", n, uuid.NewString()[:6]), "Ann Doe", "Ben Doe")
		res, err := e.placing.Cart(e.ctx, checkout.CartRequest{TenantID: e.tenant.ID, OriginAllowed: e.tenant.OriginAllowed,
			Input: checkout.CartInput{RegistrationToken: token, Items: []checkout.CartItem{
				{ProductID: product.ID.String(), PlayerID: ptr(h.Players[0].ID.String()), CustomData: []byte(jerseyData(n))},
				{ProductID: product.ID.String(), PlayerID: ptr(h.Players[1].ID.String()), CustomData: []byte(jerseyData(n + 1))}}}})
		if err != nil || res.Checkout.Status != orders.CheckoutOpen || res.Checkout.SessionID == nil {
			t.Fatalf("cart: %+v, %v", res, err)
		}
		return res.Checkout
	}
	for i, tc := range []struct {
		name   string
		state  func(c orders.Checkout) func(payments.Session) (payments.Session, error)
		status orders.Status
		whole  orders.CheckoutStatus
	}{
		{"a session found paid for the checkout's amount pays both orders", func(c orders.Checkout) func(payments.Session) (payments.Session, error) {
			return func(s payments.Session) (payments.Session, error) {
				s.Status, s.PaymentStatus, s.AmountTotal, s.Currency = "complete", "paid", c.AmountCents, c.Currency
				s.PaymentIntentID = "pi_cart_reconciled"
				return s, nil
			}
		}, orders.StatusPaid, orders.CheckoutComplete},
		{"an expired session ends both orders", func(orders.Checkout) func(payments.Session) (payments.Session, error) {
			return func(s payments.Session) (payments.Session, error) {
				s.Status = "expired"
				return s, nil
			}
		}, orders.StatusExpired, orders.CheckoutExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cart(60 + 2*i) // jersey numbers 60 and 61, then 62 and 63
			states.mu.Lock()
			states.states[*c.SessionID] = tc.state(c)
			states.mu.Unlock()
			e.sql(`UPDATE orders SET checkout_expires_at = now() - interval '1 hour' WHERE checkout_id = $1`, c.ID)
			if _, err := svc.Settlement.Reconcile(e.ctx); err != nil {
				t.Fatalf("Reconcile: %v", err)
			}
			got, err := svc.Orders.GetCheckout(e.ctx, e.tenant.ID, c.ID, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tc.whole || got.Items[0].Status != tc.status || got.Items[1].Status != tc.status {
				t.Errorf("checkout %s, orders %s and %s; want %s, %s", got.Status, got.Items[0].Status, got.Items[1].Status,
					tc.whole, tc.status)
			}
		})
	}
}
