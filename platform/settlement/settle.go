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

// lockOrder reads and locks an order for settling; a missing one is
// OutcomeIgnored.
func lockOrder(ctx context.Context, tx pgx.Tx, tenantID, orderID uuid.UUID) (orders.Order, bool, error) {
	o, err := orders.Lock(ctx, tx, tenantID, orderID)
	if errors.Is(err, apperr.ErrNotFound) {
		return orders.Order{}, false, nil
	}
	return o, err == nil, err
}

// settle moves an order to status to when the state machine allows it.
func settle(ctx context.Context, tx pgx.Tx, tenantID, orderID uuid.UUID, to orders.Status, actor, detail string) (Outcome, error) {
	found, err := orders.Settle(ctx, tx, tenantID, orderID, to, actor, detail)
	if !found {
		return OutcomeIgnored, err
	}
	return OutcomeProcessed, err
}

// MarkPaid marks a pending order paid when amount and currency match it,
// keeping the payment intent a later charge.refunded finds it by.
func MarkPaid(ctx context.Context, tx pgx.Tx, tenantID, orderID uuid.UUID, amount int64, currency, paymentIntent, actor, detail string) (Outcome, error) {
	if err := lockPaymentIntent(ctx, tx, tenantID, paymentIntent); err != nil {
		return "", err
	}
	o, ok, err := lockOrder(ctx, tx, tenantID, orderID)
	if err != nil || !ok {
		return OutcomeIgnored, err
	}
	if amount != o.AmountCents || currency != o.Currency {
		return OutcomeAmountMismatch, nil
	}
	if paymentIntent != "" {
		if err := orders.SetPaymentIntent(ctx, tx, tenantID, orderID, paymentIntent); err != nil {
			return "", err
		}
	}
	if !orders.CanTransition(o.Status, orders.StatusPaid) {
		return OutcomeProcessed, nil
	}
	if err := orders.Transition(ctx, tx, tenantID, &o, orders.StatusPaid, actor, detail); err != nil {
		return "", err
	}
	return OutcomeProcessed, applyEarlyRefund(ctx, tx, tenantID, &o, paymentIntent, actor)
}

// lockPaymentIntent serializes, until the transaction ends, the paid and
// refunded events of one payment intent: without it a refund that finds no
// order yet and a payment that finds no refund yet could both commit, and
// the refund would be lost. The lock is taken before the order's row lock,
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

// applyEarlyRefund applies a charge.refunded that arrived before the order
// was known to be paid by paymentIntent.
func applyEarlyRefund(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, o *orders.Order, paymentIntent, actor string) error {
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
	return orders.RecordRefund(ctx, tx, tenantID, o, *total, actor)
}

// MarkFailed marks a pending order failed.
func MarkFailed(ctx context.Context, tx pgx.Tx, tenantID, orderID uuid.UUID, actor, detail string) (Outcome, error) {
	return settle(ctx, tx, tenantID, orderID, orders.StatusFailed, actor, detail)
}

// MarkExpired marks a pending order expired.
func MarkExpired(ctx context.Context, tx pgx.Tx, tenantID, orderID uuid.UUID, actor, detail string) (Outcome, error) {
	return settle(ctx, tx, tenantID, orderID, orders.StatusExpired, actor, detail)
}

// ApplyRefunded records the total refunded of the order paid by
// paymentIntent: partially_refunded below its amount, refunded at it. A
// total not above what is recorded (a late or repeated event) changes
// nothing.
func ApplyRefunded(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, paymentIntent string, refunded int64, actor string) (Outcome, error) {
	if err := lockPaymentIntent(ctx, tx, tenantID, paymentIntent); err != nil {
		return "", err
	}
	id, found, err := orders.ByPaymentIntent(ctx, tx, tenantID, paymentIntent)
	if err != nil || !found {
		return OutcomeIgnored, err
	}
	o, ok, err := lockOrder(ctx, tx, tenantID, id)
	if err != nil || !ok {
		return OutcomeIgnored, err
	}
	return OutcomeProcessed, orders.RecordRefund(ctx, tx, tenantID, &o, refunded, actor)
}
