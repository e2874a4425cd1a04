package settlement

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/orders"
)

// Outcome is what settling an order did, as webhook metrics count it.
type Outcome string

// The outcomes of settling.
const (
	// OutcomeProcessed: the event was applied, or was a late or repeated
	// one that the state machine turned into a no-op.
	OutcomeProcessed Outcome = "processed"
	// OutcomeIgnored: the event names no order of this tenant.
	OutcomeIgnored Outcome = "ignored"
	// OutcomeAmountMismatch: the payment's amount or currency differs from
	// the order's; the order is not marked paid.
	OutcomeAmountMismatch Outcome = "amount_mismatch"
)

// A checkout's orders are settled together: a payment, a failure or an
// expiry of its session applies to every pending order of it, in one
// transaction, and refunds of its payment intent are allocated over its
// orders. Every path takes the checkout's lock before its orders' locks.

// MarkPaid marks a pending order paid when amount and currency match it —
// or, for an order of a checkout, the checkout's every pending order when
// they match the checkout (MarkCheckoutPaid) — keeping the payment intent a
// later charge.refunded finds them by.
func MarkPaid(ctx context.Context, tx pgx.Tx, tenantID, orderID uuid.UUID, amount int64, currency, paymentIntent, actor, detail string) (Outcome, error) {
	checkoutID, found, err := orders.CheckoutOf(ctx, tx, tenantID, orderID)
	if err != nil || !found {
		return OutcomeIgnored, err
	}
	if checkoutID != nil {
		return MarkCheckoutPaid(ctx, tx, tenantID, *checkoutID, amount, currency, paymentIntent, actor, detail)
	}
	if err := lockPaymentIntent(ctx, tx, tenantID, paymentIntent); err != nil {
		return "", err
	}
	o, err := orders.Lock(ctx, tx, tenantID, orderID)
	if err != nil {
		return "", err
	}
	if amount != o.AmountCents || currency != o.Currency {
		return OutcomeAmountMismatch, nil
	}
	if err := payOrder(ctx, tx, tenantID, &o, paymentIntent, actor, detail); err != nil {
		return "", err
	}
	return OutcomeProcessed, applyEarlyRefund(ctx, tx, tenantID, paymentIntent, actor)
}

// MarkCheckoutPaid marks every pending order of a checkout paid when amount
// and currency are the checkout's, in line order, and then the checkout
// complete (orders.Transition does, with the last one).
func MarkCheckoutPaid(ctx context.Context, tx pgx.Tx, tenantID, checkoutID uuid.UUID, amount int64, currency,
	paymentIntent, actor, detail string) (Outcome, error) {
	if err := lockPaymentIntent(ctx, tx, tenantID, paymentIntent); err != nil {
		return "", err
	}
	c, err := orders.ReadCheckout(ctx, tx, tenantID, checkoutID, true)
	if errors.Is(err, apperr.ErrNotFound) {
		return OutcomeIgnored, nil
	}
	if err != nil {
		return "", err
	}
	if amount != c.AmountCents || currency != c.Currency {
		return OutcomeAmountMismatch, nil
	}
	if paymentIntent != "" {
		if err := orders.SetCheckoutPaymentIntent(ctx, tx, tenantID, checkoutID, paymentIntent); err != nil {
			return "", err
		}
	}
	pending, err := orders.PendingOrders(ctx, tx, tenantID, checkoutID)
	if err != nil {
		return "", err
	}
	for i := range pending {
		if err := payOrder(ctx, tx, tenantID, &pending[i], paymentIntent, actor, detail); err != nil {
			return "", err
		}
	}
	return OutcomeProcessed, applyEarlyRefund(ctx, tx, tenantID, paymentIntent, actor)
}

// payOrder keeps the payment intent on a locked order and marks it paid
// when the state machine allows it.
func payOrder(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, o *orders.Order, paymentIntent, actor, detail string) error {
	if paymentIntent != "" {
		if err := orders.SetPaymentIntent(ctx, tx, tenantID, o.ID, paymentIntent); err != nil {
			return err
		}
		o.StripePaymentIntentID = &paymentIntent
	}
	if !orders.CanTransition(o.Status, orders.StatusPaid) {
		return nil
	}
	return orders.Transition(ctx, tx, tenantID, o, orders.StatusPaid, actor, detail)
}

// lockPaymentIntent serializes, until the transaction ends, the paid and
// refunded events of one payment intent: without it a refund that finds no
// order yet and a payment that finds no refund yet could both commit, and
// the refund would be lost. The lock is taken before the orders' row locks,
// in both paths.
func lockPaymentIntent(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, paymentIntent string) error {
	if paymentIntent == "" {
		return nil
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
		tenantID.String()+":"+paymentIntent); err != nil {
		return fmt.Errorf("lock payment intent: %w", err)
	}
	return nil
}

// applyEarlyRefund applies a charge.refunded that arrived before the orders
// were known to be paid by paymentIntent.
func applyEarlyRefund(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, paymentIntent, actor string) error {
	if paymentIntent == "" {
		return nil
	}
	var total *int64
	if err := tx.QueryRow(ctx, `SELECT max(amount_refunded) FROM webhook_events
		WHERE tenant_id = $1 AND payment_intent = $2 AND type = 'charge.refunded'`, tenantID, paymentIntent).Scan(&total); err != nil {
		return fmt.Errorf("find early refunds: %w", err)
	}
	if total == nil {
		return nil
	}
	paid, err := orders.LockByPaymentIntent(ctx, tx, tenantID, paymentIntent)
	if err != nil {
		return err
	}
	return allocateRefund(ctx, tx, tenantID, paid, *total, actor)
}

// MarkFailed ends a pending order failed — every pending order of its
// checkout, when it has one.
func MarkFailed(ctx context.Context, tx pgx.Tx, tenantID, orderID uuid.UUID, actor, detail string) (Outcome, error) {
	return end(ctx, tx, tenantID, orderID, orders.StatusFailed, actor, detail)
}

// MarkExpired ends a pending order expired — every pending order of its
// checkout, when it has one.
func MarkExpired(ctx context.Context, tx pgx.Tx, tenantID, orderID uuid.UUID, actor, detail string) (Outcome, error) {
	return end(ctx, tx, tenantID, orderID, orders.StatusExpired, actor, detail)
}

func end(ctx context.Context, tx pgx.Tx, tenantID, orderID uuid.UUID, to orders.Status, actor, detail string) (Outcome, error) {
	checkoutID, found, err := orders.CheckoutOf(ctx, tx, tenantID, orderID)
	if err != nil || !found {
		return OutcomeIgnored, err
	}
	if checkoutID != nil {
		return EndCheckout(ctx, tx, tenantID, *checkoutID, to, actor, detail)
	}
	if _, err := orders.Settle(ctx, tx, tenantID, orderID, to, actor, detail); err != nil {
		return "", err
	}
	return OutcomeProcessed, nil
}

// EndCheckout moves every pending order of a checkout to status to
// (failed, expired, canceled), and with the last one the checkout, which
// gives its promotion code's redemption back.
func EndCheckout(ctx context.Context, tx pgx.Tx, tenantID, checkoutID uuid.UUID, to orders.Status, actor, detail string) (Outcome, error) {
	if found, err := orders.LockCheckout(ctx, tx, tenantID, checkoutID); err != nil || !found {
		return OutcomeIgnored, err
	}
	pending, err := orders.PendingOrders(ctx, tx, tenantID, checkoutID)
	if err != nil {
		return "", err
	}
	for i := range pending {
		if err := orders.Transition(ctx, tx, tenantID, &pending[i], to, actor, detail); err != nil {
			return "", err
		}
	}
	return OutcomeProcessed, nil
}

// ApplyRefunded records the total refunded of the payment intent over the
// orders it paid: partially_refunded below an order's amount, refunded at
// it. What the orders do not record yet — a refund made outside the API —
// is allocated from the checkout's last item to its first, each order up
// to its amount; each affected order's audit entry says so. A total not
// above what is recorded (a late or repeated event, or refunds made through
// the API) changes nothing.
func ApplyRefunded(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, paymentIntent string, refunded int64, actor string) (Outcome, error) {
	if err := lockPaymentIntent(ctx, tx, tenantID, paymentIntent); err != nil {
		return "", err
	}
	paid, err := orders.LockByPaymentIntent(ctx, tx, tenantID, paymentIntent)
	if err != nil || len(paid) == 0 {
		return OutcomeIgnored, err
	}
	return OutcomeProcessed, allocateRefund(ctx, tx, tenantID, paid, refunded, actor)
}

// allocateRefund raises the refunded totals of paid (locked, in line
// order) so that they add up to total, taking from the last order first.
func allocateRefund(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, paid []orders.Order, total int64, actor string) error {
	rest := total
	for _, o := range paid {
		rest -= o.AmountRefundedCents
	}
	for i := len(paid) - 1; i >= 0 && rest > 0; i-- {
		o := &paid[i]
		take := min(rest, o.AmountCents-o.AmountRefundedCents)
		if take <= 0 {
			continue
		}
		note := ""
		if len(paid) > 1 {
			note = fmt.Sprintf("a refund made outside the API: %d %s of it allocated to this order", take, o.Currency)
		}
		if err := orders.RecordRefund(ctx, tx, tenantID, o, o.AmountRefundedCents+take, actor, note); err != nil {
			return err
		}
		rest -= take
	}
	return nil
}
