package orders_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/app"
	"github.com/leaguepay/checkout/internal/testkit/apptest"
	"github.com/leaguepay/checkout/internal/testkit/dbtest"
	"github.com/leaguepay/checkout/internal/testkit/stripemock"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/platform/payments"
	"github.com/leaguepay/checkout/platform/settlement"
)

// payingEnv is env whose order service sells priced products through
// Stripe (a real stripe-mock) with the tenant's own keys, as cmd/checkout
// wires it.
type payingEnv struct {
	*env
	stripeURL string
	admin     *pgx.Conn
}

func newPayingEnv(t *testing.T) *payingEnv {
	t.Helper()
	url := stripemock.Start(t)
	e := &payingEnv{env: newEnvOn(t, url, app.Options{}), stripeURL: url}
	err := e.payments().PutSettings(e.ctx, e.tenant.ID, payments.SettingsInput{
		SecretKey: ptr("sk_test_" + strings.Repeat("r", 24)), WebhookSecret: ptr("whsec_" + strings.Repeat("w", 24))})
	if err != nil {
		t.Fatalf("put stripe settings: %v", err)
	}
	e.admin, err = pgx.Connect(e.ctx, dbtest.AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.admin.Close(context.Background()) })
	return e
}

func ptr(s string) *string { return &s }

func (e *payingEnv) payments() *payments.Service { return e.app.Payments }

// replica is another order service over the same database, as a second
// replica of the service runs it.
func (e *payingEnv) replica() *settlement.Service {
	return e.withProvider(payments.NewStripe(e.stripeURL)).Settlement
}

// withProvider is a replica paying through p.
func (e *payingEnv) withProvider(p payments.Provider) *app.App {
	return apptest.New(e.t, apptest.Config(e.stripeURL), app.Options{Provider: p})
}

// sql runs a statement as the database owner.
func (e *payingEnv) sql(q string, args ...any) {
	e.t.Helper()
	if _, err := e.admin.Exec(e.ctx, q, args...); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
}

// pending checks out a numbered jersey for a new household and returns the
// pending order.
func (e *payingEnv) pending(productID uuid.UUID, number int) orders.Order {
	e.t.Helper()
	h, token := e.household(fmt.Sprintf("pay-%d-%s@example.com", number, uuid.NewString()[:6]), "Pat Doe")
	res, err := e.checkout(token, productID, h.Players[0].ID, jerseyData(number))
	if err != nil || res.Order.Status != orders.StatusPending || res.Order.StripeCheckoutSessionID == nil {
		e.t.Fatalf("checkout: %+v, %v", res, err)
	}
	return res.Order
}

// transitionsFromPending counts the audit events moving order id out of
// pending.
func (e *payingEnv) transitionsFromPending(id uuid.UUID) int {
	e.t.Helper()
	var n int
	if err := e.admin.QueryRow(e.ctx, `SELECT count(*) FROM order_events WHERE order_id = $1 AND from_status = 'pending'`,
		id).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// fixtureOutcome is what the reconciler must make of a stale order, given
// what stripe-mock's fixture says of its session.
func fixtureOutcome(t *testing.T, sess payments.Session, o orders.Order) (orders.Status, string) {
	t.Helper()
	switch {
	case sess.Status == "complete" && sess.PaymentStatus == "paid" && sess.AmountTotal == o.AmountCents && sess.Currency == o.Currency:
		return orders.StatusPaid, "session found paid"
	case sess.Status == "complete" && sess.PaymentStatus == "paid":
		return orders.StatusPending, "" // an amount mismatch is never paid
	case sess.Status == "open":
		return orders.StatusExpired, "session expired by the reconciler"
	}
	return orders.StatusExpired, "session found " + sess.Status
}

func TestReconcile(t *testing.T) {
	e := newPayingEnv(t)
	kit := e.product("jersey", "Kit", 2500, string(jerseyConfig("reconcile-"+uuid.NewString()[:8])))

	stale := e.pending(kit.ID, 1)
	e.sql(`UPDATE orders SET checkout_expires_at = now() - interval '1 hour' WHERE id = $1`, stale.ID)
	orphan := e.pending(kit.ID, 2)
	e.sql(`UPDATE orders SET stripe_checkout_session_id = NULL, checkout_url = NULL, checkout_expires_at = NULL,
		created_at = now() - interval '11 minutes' WHERE id = $1`, orphan.ID)
	young := e.pending(kit.ID, 3)
	e.sql(`UPDATE orders SET stripe_checkout_session_id = NULL, checkout_url = NULL, checkout_expires_at = NULL,
		created_at = now() - interval '9 minutes' WHERE id = $1`, young.ID)
	graced := e.pending(kit.ID, 4)
	e.sql(`UPDATE orders SET checkout_expires_at = now() - interval '30 seconds' WHERE id = $1`, graced.ID)
	open := e.pending(kit.ID, 5)
	sum, lines := e.importCSV("legacy_id,customer_email,player_first_name,player_last_name,product_id,status,created_at,custom_data\n" +
		"rec-1,legacy@example.com,Lee,Doe," + kit.ID.String() + ",pending,2024-01-01T00:00:00Z," + csvQuote(jerseyData(6)) + "\n")
	if sum.Imported != 1 {
		t.Fatalf("import: %+v %v", sum, lines)
	}
	legacy := e.byLegacyID("rec-1")

	acct, err := e.payments().Account(e.ctx, e.tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := e.payments().GetSession(e.ctx, acct, *stale.StripeCheckoutSessionID)
	if err != nil {
		t.Fatalf("read the fixture session: %v", err)
	}
	wantStatus, wantDetail := fixtureOutcome(t, sess, stale)
	t.Logf("stripe-mock's session fixture is status %q, payment_status %q: the stale order should end %s",
		sess.Status, sess.PaymentStatus, wantStatus)

	if _, err := e.settling.Reconcile(e.ctx); err != nil {
		t.Fatalf("Reconcile: %v", err)
	}

	t.Run("an order past its session's expiry is settled by what Stripe says of the session", func(t *testing.T) {
		o, _ := e.orders.Get(e.ctx, e.tenant.ID, stale.ID)
		if o.Status != wantStatus {
			t.Fatalf("status %s, want %s", o.Status, wantStatus)
		}
		last := o.Events[len(o.Events)-1]
		if wantDetail != "" && (last.Actor != "reconciler" || last.Detail != wantDetail) {
			t.Errorf("event %+v, want the reconciler's %q", last, wantDetail)
		}
	})
	t.Run("a pending order that never got a session fails after ten minutes", func(t *testing.T) {
		o, _ := e.orders.Get(e.ctx, e.tenant.ID, orphan.ID)
		last := o.Events[len(o.Events)-1]
		if o.Status != orders.StatusFailed || last.Actor != "reconciler" || last.Detail != "no checkout session was ever created" {
			t.Errorf("status %s, event %+v", o.Status, last)
		}
	})
	for name, id := range map[string]uuid.UUID{
		"a pending order without a session younger than ten minutes":         young.ID,
		"an order whose session expired within the grace for a late webhook": graced.ID,
		"an order whose session is still open":                               open.ID,
		"an imported legacy pending order, which has no session of ours":     legacy.ID,
	} {
		t.Run(name+" is left pending", func(t *testing.T) {
			if o, _ := e.orders.Get(e.ctx, e.tenant.ID, id); o.Status != orders.StatusPending || len(o.Events) != 1 {
				t.Errorf("status %s, events %+v", o.Status, o.Events)
			}
		})
	}
	t.Run("the settled orders' jersey numbers are free again", func(t *testing.T) {
		numbers := map[int]bool{1: wantStatus == orders.StatusPending || wantStatus == orders.StatusPaid, 2: false}
		for n, held := range numbers {
			h, token := e.household(fmt.Sprintf("again-%d-%s@example.com", n, uuid.NewString()[:6]), "Ray Doe")
			_, err := e.checkout(token, kit.ID, h.Players[0].ID, jerseyData(n))
			if held != (err != nil) {
				t.Errorf("number %d: held %t, checkout err %v", n, held, err)
			}
		}
	})
	t.Run("a second pass changes nothing", func(t *testing.T) {
		before := map[uuid.UUID]int{}
		for _, id := range []uuid.UUID{stale.ID, orphan.ID} {
			before[id] = e.transitionsFromPending(id)
		}
		if _, err := e.settling.Reconcile(e.ctx); err != nil {
			t.Fatal(err)
		}
		for id, n := range before {
			if got := e.transitionsFromPending(id); got != n {
				t.Errorf("order %s: %d transitions from pending, was %d", id, got, n)
			}
		}
	})
}

func TestReconcileInSeveralReplicas(t *testing.T) {
	e := newPayingEnv(t)
	kit := e.product("jersey", "Kit", 2500, string(jerseyConfig("replicas-"+uuid.NewString()[:8])))
	var ids []uuid.UUID
	for i := range 12 {
		o := e.pending(kit.ID, 10+i)
		ids = append(ids, o.ID)
	}
	e.sql(`UPDATE orders SET checkout_expires_at = now() - interval '1 hour' WHERE id = ANY($1)`, ids[:6])
	e.sql(`UPDATE orders SET stripe_checkout_session_id = NULL, checkout_url = NULL, checkout_expires_at = NULL,
		created_at = now() - interval '1 hour' WHERE id = ANY($1)`, ids[6:])

	replicas := []*settlement.Service{e.replica(), e.replica(), e.replica()}
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, len(replicas))
	for i, r := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = r.Reconcile(e.ctx)
		}()
	}
	close(start)
	wg.Wait()

	t.Run("every replica's pass succeeds", func(t *testing.T) {
		for i, err := range errs {
			if err != nil {
				t.Errorf("replica %d: %v", i, err)
			}
		}
	})
	t.Run("each stale order is settled exactly once", func(t *testing.T) {
		for _, id := range ids {
			if n := e.transitionsFromPending(id); n != 1 {
				o, _ := e.orders.Get(e.ctx, e.tenant.ID, id)
				t.Errorf("order %s: %d transitions from pending: %+v", id, n, o.Events)
			}
		}
	})
}

// csvQuote quotes a CSV field.
func csvQuote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
