package settlement

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/platform/payments"
)

// RefundInput is the body of a refund; no amount means the rest.
type RefundInput struct {
	AmountCents *int64 `json:"amount_cents"`
}

// Refund refunds part or the rest of a paid order through the provider, then
// records it. The order stays locked while the provider is called, so two
// refunds of one order are serialized; the provider call carries an
// idempotency key derived from the order, what was refunded before and the
// amount, so a retried request does not refund twice.
func (s *Service) Refund(ctx context.Context, tenantID, id uuid.UUID, in RefundInput, actor string) (orders.Order, error) {
	acct, acctErr := s.account(ctx, tenantID)
	var o orders.Order
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		if o, err = orders.Lock(ctx, tx, tenantID, id); err != nil {
			return err
		}
		amount, err := refundAmount(o, in)
		if err != nil {
			return err
		}
		if acctErr != nil {
			return acctErr
		}
		_, err = s.payments.Refund(ctx, acct, payments.RefundRequest{
			IdempotencyKey:  fmt.Sprintf("refund:%s:%d:%d", o.ID, o.AmountRefundedCents, amount),
			PaymentIntentID: *o.StripePaymentIntentID, AmountCents: amount, OrderID: o.ID.String()})
		if err != nil {
			return payments.Classify(err)
		}
		if err := orders.RecordRefund(ctx, tx, tenantID, &o, o.AmountRefundedCents+amount, actor, ""); err != nil {
			return err
		}
		o.Events, err = orders.Events(ctx, tx, tenantID, id)
		return err
	})
	if err == nil {
		s.nudger.Nudge()
	}
	return o, err
}

// refundAmount checks a refund against the order: only paid or partially
// refunded orders with a recorded payment, and no more than the rest.
func refundAmount(o orders.Order, in RefundInput) (int64, error) {
	if o.Status != orders.StatusPaid && o.Status != orders.StatusPartiallyRefunded {
		return 0, &apperr.Conflict{Detail: fmt.Sprintf("only a paid order can be refunded; this one is %s", o.Status)}
	}
	rest := o.AmountCents - o.AmountRefundedCents
	if o.StripePaymentIntentID == nil || rest == 0 {
		return 0, &apperr.Conflict{Detail: "this order has no card payment to refund (free or imported)"}
	}
	amount := rest
	if in.AmountCents != nil {
		amount = *in.AmountCents
	}
	if amount <= 0 || amount > rest {
		return 0, &apperr.Invalid{Detail: "the refund is invalid",
			Fields: apperr.Field("/amount_cents", fmt.Sprintf("must be 1 to %d (what is left to refund)", rest))}
	}
	return amount, nil
}
