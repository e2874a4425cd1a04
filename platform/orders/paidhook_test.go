package orders_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/app"
	"github.com/leaguepay/checkout/internal/testkit/apptest"
	"github.com/leaguepay/checkout/internal/testkit/dbtest"
	"github.com/leaguepay/checkout/internal/testkit/stripemock"
	"github.com/leaguepay/checkout/platform/catalog"
	"github.com/leaguepay/checkout/platform/checkout"
	"github.com/leaguepay/checkout/platform/customers"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/platform/payments"
	"github.com/leaguepay/checkout/producttypes"
	"github.com/leaguepay/checkout/tenants"
)

// hooked is a product type with a PaidHook that records the orders paid.
type hooked struct {
	mu   sync.Mutex
	paid []string
}

func (*hooked) Info() producttypes.Info {
	return producttypes.Info{Name: "hooked", Title: "Hooked", Description: "records paid orders", DefaultCategory: "tests",
		ConfigSchema: json.RawMessage(`{"type":"object"}`)}
}

func (h *hooked) OnPaid(_ context.Context, o producttypes.PaidOrder) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.paid = append(h.paid, o.OrderID)
	return nil
}

func (h *hooked) calls(orderID uuid.UUID) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, id := range h.paid {
		if id == orderID.String() {
			n++
		}
	}
	return n
}

// settled waits for the hook to run for the order (it runs from the
// outbox, after the commit) and then a little longer, so a second run
// would be seen too, and answers how many times it ran.
func (h *hooked) settled(orderID uuid.UUID) int {
	for deadline := time.Now().Add(10 * time.Second); h.calls(orderID) == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	return h.calls(orderID)
}

var _ producttypes.PaidHook = (*hooked)(nil)

func TestPaidHookRunsWhoeverSettlesThePayment(t *testing.T) {
	ctx := context.Background()
	hook := &hooked{}
	url := stripemock.Start(t)
	states := &sessionStates{Provider: payments.NewStripe(url),
		states: map[string]func(payments.Session) (payments.Session, error){}}
	a := apptest.New(t, apptest.Config(url), app.Options{Types: []producttypes.Type{hook}, Provider: states})
	d, cat, pay, svc := a.DB, a.Catalog, a.Payments, a
	ten, err := a.Tenants.Create(ctx, tenants.NewTenant{Slug: "hook-" + uuid.NewString()[:8], Name: "Hooks"})
	if err != nil {
		t.Fatal(err)
	}
	if err := pay.PutSettings(ctx, ten.ID, payments.SettingsInput{SecretKey: ptr("sk_test_" + strings.Repeat("h", 24)),
		WebhookSecret: ptr("whsec_" + strings.Repeat("h", 24))}); err != nil {
		t.Fatal(err)
	}
	buy := func(price int64) orders.Order {
		t.Helper()
		p, err := cat.Create(ctx, ten.ID, ten.Currency, catalog.Input{Type: "hooked", Name: "Thing", PriceCents: &price, Config: json.RawMessage(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		c, err := customers.NewStore(d).Create(ctx, ten.ID, customers.Input{Name: "H", Email: "h@example.com",
			Players: []customers.PlayerInput{{FirstName: "H", LastName: "H"}}})
		if err != nil {
			t.Fatal(err)
		}
		res, err := svc.Checkout.Checkout(ctx, checkout.Request{TenantID: ten.ID, TenantSlug: ten.Slug, OriginAllowed: ten.OriginAllowed,
			Input: checkout.Input{RegistrationToken: c.RegistrationToken, ProductID: p.ID.String()}})
		if err != nil {
			t.Fatal(err)
		}
		return res.Order
	}
	t.Run("a free checkout runs the hook once", func(t *testing.T) {
		o := buy(0)
		if n := hook.settled(o.ID); n != 1 {
			t.Errorf("hook ran %d times, want 1", n)
		}
	})
	t.Run("a payment the reconciler finds runs the hook once", func(t *testing.T) {
		o := buy(1500)
		if n := hook.calls(o.ID); n != 0 {
			t.Fatalf("hook ran %d times for a pending order", n)
		}
		states.mu.Lock()
		states.states[*o.StripeCheckoutSessionID] = func(s payments.Session) (payments.Session, error) {
			s.Status, s.PaymentStatus, s.AmountTotal, s.Currency = "complete", "paid", o.AmountCents, o.Currency
			return s, nil
		}
		states.mu.Unlock()
		admin := asAdmin(t)
		if _, err := admin.Exec(ctx, `UPDATE orders SET checkout_expires_at = now() - interval '1 hour' WHERE id = $1`, o.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Settlement.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		if n := hook.settled(o.ID); n != 1 {
			t.Errorf("hook ran %d times, want 1", n)
		}
	})
}

func asAdmin(t *testing.T) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dbtest.AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}
