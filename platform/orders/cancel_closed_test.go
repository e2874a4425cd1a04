package orders_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/platform/payments"
)

// TestCancelOfASessionStripeWillNotExpire: Stripe refuses to expire a
// complete session; what the cancel does depends on how it completed.
func TestCancelOfASessionStripeWillNotExpire(t *testing.T) {
	e := newPayingEnv(t)
	states := &sessionStates{Provider: payments.NewStripe(e.stripeURL),
		states: map[string]func(payments.Session) (payments.Session, error){}, noExpire: map[string]bool{}}
	svc := e.withProvider(states)
	product := e.product("jersey", "Closed jersey", 4500, string(jerseyConfig("closed")))
	complete := func(paymentStatus string, delta int64) func(o orders.Order) func(payments.Session) (payments.Session, error) {
		return func(o orders.Order) func(payments.Session) (payments.Session, error) {
			return func(s payments.Session) (payments.Session, error) {
				s.Status, s.PaymentStatus, s.AmountTotal, s.Currency = "complete", paymentStatus, o.AmountCents+delta, o.Currency
				return s, nil
			}
		}
	}
	cases := []struct {
		name  string
		state func(o orders.Order) func(payments.Session) (payments.Session, error)
		want  orders.Status
		check func(t *testing.T, err error, o orders.Order)
	}{
		{"a session paid for the order's amount makes the order paid and refuses the cancel", complete("paid", 0),
			orders.StatusPaid, func(t *testing.T, err error, _ orders.Order) {
				var c *apperr.Conflict
				if !errors.As(err, &c) || c.OrderID == "" {
					t.Errorf("err = %v, want a Conflict naming the order", err)
				}
			}},
		{"an async payment still processing refuses the cancel", complete("unpaid", 0),
			orders.StatusPending, func(t *testing.T, err error, _ orders.Order) {
				var c *apperr.Conflict
				if !errors.As(err, &c) {
					t.Errorf("err = %v, want a Conflict", err)
				}
			}},
		{"a session paid with another amount is canceled with a note to refund it", complete("paid", -100),
			orders.StatusCanceled, func(t *testing.T, err error, o orders.Order) {
				if err != nil {
					t.Fatalf("Cancel: %v", err)
				}
				if last := o.Events[len(o.Events)-1]; !strings.Contains(last.Detail, "refund that payment in Stripe") {
					t.Errorf("last event %q", last.Detail)
				}
			}},
		{"a session that had already expired lets the cancel go on", func(orders.Order) func(payments.Session) (payments.Session, error) {
			return func(s payments.Session) (payments.Session, error) {
				s.Status = "expired"
				return s, nil
			}
		}, orders.StatusCanceled, func(t *testing.T, err error, o orders.Order) {
			if err != nil {
				t.Fatalf("Cancel: %v", err)
			}
			if last := o.Events[len(o.Events)-1]; !strings.Contains(last.Detail, "already expired") || last.Actor != "staff:admin" {
				t.Errorf("last event %+v", last)
			}
		}},
		{"a session that is still open is the provider's failure", nil,
			orders.StatusPending, func(t *testing.T, err error, _ orders.Order) {
				if !errors.Is(err, apperr.ErrPaymentProvider) {
					t.Errorf("err = %v, want ErrPaymentProvider", err)
				}
			}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := e.pending(product.ID, 60+i)
			states.mu.Lock()
			states.noExpire[*o.StripeCheckoutSessionID] = true
			if tc.state != nil {
				states.states[*o.StripeCheckoutSessionID] = tc.state(o)
			}
			states.mu.Unlock()
			got, err := svc.Settlement.Cancel(e.ctx, e.tenant.ID, o.ID, "staff:admin")
			tc.check(t, err, got)
			after, gerr := svc.Orders.Get(e.ctx, e.tenant.ID, o.ID)
			if gerr != nil {
				t.Fatal(gerr)
			}
			if after.Status != tc.want {
				t.Errorf("status %s, want %s", after.Status, tc.want)
			}
		})
	}
}
