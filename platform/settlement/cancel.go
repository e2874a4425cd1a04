package settlement

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/catalog"
	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/platform/outbox"
	"github.com/leaguepay/checkout/platform/payments"
)

// Service settles orders: cancels, refunds, the reconciler and the paid
// hooks. (Stripe's events arrive through Webhooks.)
type Service struct {
	db       *db.DB
	catalog  *catalog.Service
	orders   *orders.Store
	payments *payments.Service
	panics   PanicCounter
	nudger   *outbox.Nudger
	log      *slog.Logger
	purgedAt atomic.Int64 // unix nanoseconds of the last purge of webhook event ids
}

// PanicCounter counts contained panics (metrics): where is "worker" or
// "product_type".
type PanicCounter interface {
	Panic(where string)
}

// NewService returns the settlement service.
func NewService(d *db.DB, c *catalog.Service, o *orders.Store, pay *payments.Service, panics PanicCounter,
	n *outbox.Nudger, log *slog.Logger) *Service {
	return &Service{db: d, catalog: c, orders: o, payments: pay, panics: panics, nudger: n, log: log}
}

// panicked counts a contained panic.
func (s *Service) panicked(where string) { s.panics.Panic(where) }

// account resolves the tenant's payment account ahead of a transaction;
// its error is reported only if the transaction turns out to need it.
func (s *Service) account(ctx context.Context, tenantID uuid.UUID) (payments.Account, error) {
	acct, err := s.payments.Account(ctx, tenantID)
	if err != nil {
		return acct, payments.Classify(err)
	}
	return acct, nil
}

// Cancel cancels a pending order on behalf of actor, expiring its checkout
// session first so it can no longer be paid; a pending order of a
// household checkout cancels the whole checkout (every pending order of
// it, and its promotion code's redemption is given back). Any other status
// is a Conflict; a provider that fails leaves the orders as they were (502).
func (s *Service) Cancel(ctx context.Context, tenantID, id uuid.UUID, actor string) (orders.Order, error) {
	acct, acctErr := s.account(ctx, tenantID)
	var o orders.Order
	var paidMeanwhile bool
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		checkoutID, found, err := orders.CheckoutOf(ctx, tx, tenantID, id)
		if err != nil || !found {
			return cmp.Or(err, apperr.ErrNotFound)
		}
		if checkoutID != nil {
			if _, err := orders.LockCheckout(ctx, tx, tenantID, *checkoutID); err != nil {
				return err
			}
		}
		if o, err = orders.Lock(ctx, tx, tenantID, id); err != nil {
			return err
		}
		detail := "canceled by staff"
		switch {
		case o.Status == orders.StatusPaid && noCardPayment(o):
			detail += ": no card payment behind it (a free or imported order)"
		case o.Status != orders.StatusPending:
			return &apperr.Conflict{Detail: fmt.Sprintf("only a pending order, or a paid one with no card payment "+
				"(free or imported), can be canceled; this one is %s%s", o.Status, refundHint(o))}
		}
		if o.Status == orders.StatusPending && o.StripeCheckoutSessionID != nil {
			if acctErr != nil {
				return acctErr
			}
			if _, err := s.payments.ExpireSession(ctx, acct, *o.StripeCheckoutSessionID); err != nil {
				note, cerr := s.sessionClosed(ctx, tx, tenantID, &o, acct, err, actor)
				if cerr != nil || note == "" {
					paidMeanwhile = cerr == nil
					return cerr // paid meanwhile: commit the payment, refuse the cancel
				}
				detail += note
			} else {
				detail += "; checkout session expired"
			}
		}
		wasPending := o.Status == orders.StatusPending
		if err := orders.Transition(ctx, tx, tenantID, &o, orders.StatusCanceled, actor, detail); err != nil {
			return err
		}
		if wasPending && checkoutID != nil {
			if _, err := EndCheckout(ctx, tx, tenantID, *checkoutID, orders.StatusCanceled, actor,
				"canceled with order "+o.ID.String()+" of its checkout"); err != nil {
				return err
			}
		}
		o.Events, err = orders.Events(ctx, tx, tenantID, id)
		return err
	})
	if err == nil {
		s.nudger.Nudge()
	}
	if err == nil && paidMeanwhile {
		err = &apperr.Conflict{Detail: "the order was paid meanwhile; refund it instead", OrderID: o.ID.String()}
	}
	return o, err
}

// noCardPayment reports whether nothing was paid by card for o: a free
// order, or one imported from the league's old system.
func noCardPayment(o orders.Order) bool {
	return o.StripePaymentIntentID == nil && o.StripeCheckoutSessionID == nil && o.AmountRefundedCents == 0
}

func refundHint(o orders.Order) string {
	if o.Status == orders.StatusPaid || o.Status == orders.StatusPartiallyRefunded {
		return "; refund it instead"
	}
	return ""
}

// sessionClosed decides a cancel whose session Stripe would not expire
// (expireErr). A session that had already expired lets the cancel go on; a
// session paid for its checkout's amount makes the checkout's orders paid
// (MarkPaid) and returns an empty note (the caller commits that and refuses
// the cancel); an async payment still processing is a Conflict; a session paid
// with another amount (never marked paid) lets staff cancel, with a note to
// refund that payment in Stripe. Anything else is the provider's failure.
func (s *Service) sessionClosed(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, o *orders.Order, acct payments.Account,
	expireErr error, actor string) (string, error) {
	sess, err := s.payments.GetSession(ctx, acct, *o.StripeCheckoutSessionID)
	if err == nil && sess.Status == "expired" {
		return "; its checkout session had already expired", nil
	}
	if err != nil || sess.Status != "complete" {
		return "", payments.Classify(expireErr)
	}
	if sess.PaymentStatus != "paid" {
		return "", &apperr.Conflict{Detail: "the buyer's payment is still processing; it cannot be canceled now"}
	}
	out, err := MarkPaid(ctx, tx, tenantID, o.ID, sess.AmountTotal, sess.Currency, sess.PaymentIntentID, actor,
		"session found paid while canceling")
	if err != nil || out != OutcomeAmountMismatch {
		return "", err
	}
	return fmt.Sprintf("; its session was paid %d %s, not the checkout's amount: refund that payment in Stripe",
		sess.AmountTotal, sess.Currency), nil
}
