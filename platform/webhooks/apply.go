package webhooks

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stripe/stripe-go/v76"

	"github.com/leaguepay/checkout/platform/ids"
	"github.com/leaguepay/checkout/platform/orders"
)

// object is the part of an event's data.object the handler reads, the same
// for every API version it has seen: a Checkout Session or a Charge.
type object struct {
	ID                string            `json:"id"`
	ClientReferenceID string            `json:"client_reference_id"`
	Metadata          map[string]string `json:"metadata"`
	PaymentStatus     string            `json:"payment_status"`
	AmountTotal       int64             `json:"amount_total"`
	AmountRefunded    int64             `json:"amount_refunded"`
	Currency          string            `json:"currency"`
	PaymentIntent     json.RawMessage   `json:"payment_intent"` // an id, or the expanded object
}

// paymentIntentID reads payment_intent whether it is an id or an object.
func (o object) paymentIntentID() string {
	var id string
	if json.Unmarshal(o.PaymentIntent, &id) == nil {
		return id
	}
	var obj struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(o.PaymentIntent, &obj)
	return obj.ID
}

// orderID is the order an event is about: metadata.order_id, else
// client_reference_id. Every session the platform creates names its tenant
// in metadata.tenant_id; metadata naming another tenant or none, or an id
// that is not a UUID (a hand-made session, a foreign integration), gives
// ok=false: the event is answered 200 and ignored, never retried forever.
func (o object) orderID(tenantID uuid.UUID) (uuid.UUID, bool) {
	if o.Metadata["tenant_id"] != tenantID.String() {
		return uuid.Nil, false
	}
	raw := o.Metadata["order_id"]
	if raw == "" {
		raw = o.ClientReferenceID
	}
	id, err := ids.Parse(raw)
	return id, err == nil
}

// apply settles the order an event is about and says how it went.
func apply(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, event stripe.Event) (orders.Outcome, *uuid.UUID, error) {
	var obj object
	if err := json.Unmarshal(event.Data.Raw, &obj); err != nil {
		return orders.OutcomeIgnored, nil, nil
	}
	const actor = "stripe"
	detail := fmt.Sprintf("%s (%s)", event.Type, event.ID)
	if event.Type == "charge.refunded" {
		pi := obj.paymentIntentID()
		if pi == "" {
			return orders.OutcomeIgnored, nil, nil
		}
		// Kept with the event: a refund that beats the completed event to
		// us is applied when the order is paid (orders.MarkPaid).
		if _, err := tx.Exec(ctx, `UPDATE webhook_events SET payment_intent = $3, amount_refunded = $4
			WHERE tenant_id = $1 AND event_id = $2`, tenantID, event.ID, pi, obj.AmountRefunded); err != nil {
			return "", nil, fmt.Errorf("keep refund event: %w", err)
		}
		out, err := orders.ApplyRefunded(ctx, tx, tenantID, pi, obj.AmountRefunded, actor)
		return out, nil, err
	}
	if !isSessionEvent(event.Type) {
		return orders.OutcomeIgnored, nil, nil
	}
	orderID, ok := obj.orderID(tenantID)
	if !ok {
		return orders.OutcomeIgnored, nil, nil
	}
	var out orders.Outcome
	var err error
	switch event.Type {
	case "checkout.session.completed":
		out = orders.OutcomeProcessed
		if obj.PaymentStatus == "paid" {
			out, err = orders.MarkPaid(ctx, tx, tenantID, orderID, obj.AmountTotal, obj.Currency, obj.paymentIntentID(), actor, detail)
		}
	case "checkout.session.async_payment_succeeded":
		out, err = orders.MarkPaid(ctx, tx, tenantID, orderID, obj.AmountTotal, obj.Currency, obj.paymentIntentID(), actor, detail)
	case "checkout.session.async_payment_failed":
		out, err = orders.MarkFailed(ctx, tx, tenantID, orderID, actor, detail)
	case "checkout.session.expired":
		out, err = orders.MarkExpired(ctx, tx, tenantID, orderID, actor, detail)
	}
	return out, &orderID, err
}

func isSessionEvent(t stripe.EventType) bool {
	switch t {
	case "checkout.session.completed", "checkout.session.async_payment_succeeded",
		"checkout.session.async_payment_failed", "checkout.session.expired":
		return true
	}
	return false
}
