package settlement

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

// checkoutID is the checkout an event is about: metadata.checkout_id
// (every session made since household checkouts has one); ok is false
// without one, for the tenant.
func (o object) checkoutID(tenantID uuid.UUID) (uuid.UUID, bool) {
	if o.Metadata["tenant_id"] != tenantID.String() || o.Metadata["checkout_id"] == "" {
		return uuid.Nil, false
	}
	id, err := ids.Parse(o.Metadata["checkout_id"])
	return id, err == nil
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

// stepKind is what an event asks of the orders.
type stepKind int

const (
	stepIgnore   stepKind = iota // not an event about an order of this tenant: 200, ignored
	stepNone                     // a completed session that is not paid yet: processed, nothing changes
	stepPaid                     // the order is paid, if amount and currency match
	stepFailed                   // the order's payment failed
	stepExpired                  // the order's session expired
	stepRefunded                 // the order paid by paymentIntent has amount refunded in all
)

// step is what an event asks of the orders, decided from the event alone
// (no database), so every signed payload's fate can be checked by itself.
type step struct {
	kind stepKind
	// checkoutID is the checkout the session paid (uuid.Nil for a session
	// made before checkouts, which names its order only).
	checkoutID    uuid.UUID
	orderID       uuid.UUID
	paymentIntent string
	amount        int64 // a session's amount_total, a charge's amount_refunded
	currency      string
}

// decide reads the event's object and says what the event asks. A payment
// intent id that could not be stored is not one of Stripe's: the event is
// ignored.
func decide(tenantID uuid.UUID, event stripe.Event) step {
	var obj object
	if err := json.Unmarshal(event.Data.Raw, &obj); err != nil {
		return step{}
	}
	pi := obj.paymentIntentID()
	if !storable(pi) {
		return step{}
	}
	if event.Type == "charge.refunded" {
		if pi == "" {
			return step{}
		}
		return step{kind: stepRefunded, paymentIntent: pi, amount: obj.AmountRefunded}
	}
	checkoutID, isCheckout := obj.checkoutID(tenantID)
	orderID, ok := obj.orderID(tenantID)
	if isCheckout {
		ok, orderID = true, uuid.Nil
	}
	if !isSessionEvent(event.Type) || !ok {
		return step{}
	}
	s := step{checkoutID: checkoutID, orderID: orderID, paymentIntent: pi, amount: obj.AmountTotal, currency: obj.Currency}
	switch event.Type {
	case "checkout.session.completed":
		s.kind = stepNone
		if obj.PaymentStatus == "paid" {
			s.kind = stepPaid
		}
	case "checkout.session.async_payment_succeeded":
		s.kind = stepPaid
	case "checkout.session.async_payment_failed":
		s.kind = stepFailed
	case "checkout.session.expired":
		s.kind = stepExpired
	}
	return s
}

// apply settles the order an event is about and says how it went.
func apply(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, event stripe.Event) (Outcome, *uuid.UUID, error) {
	const actor = "stripe"
	detail := fmt.Sprintf("%s (%s)", event.Type, event.ID)
	s := decide(tenantID, event)
	out := OutcomeProcessed
	var err error
	switch s.kind {
	case stepIgnore:
		return OutcomeIgnored, nil, nil
	case stepRefunded:
		// Kept with the event: a refund that beats the completed event to
		// us is applied when the order is paid (MarkPaid).
		if _, err := tx.Exec(ctx, `UPDATE webhook_events SET payment_intent = $3, amount_refunded = $4
			WHERE tenant_id = $1 AND event_id = $2`, tenantID, event.ID, s.paymentIntent, s.amount); err != nil {
			return "", nil, fmt.Errorf("keep refund event: %w", err)
		}
		out, err = ApplyRefunded(ctx, tx, tenantID, s.paymentIntent, s.amount, actor)
		return out, nil, err
	case stepNone:
	case stepPaid:
		if s.checkoutID != uuid.Nil {
			out, err = MarkCheckoutPaid(ctx, tx, tenantID, s.checkoutID, s.amount, s.currency, s.paymentIntent, actor, detail)
		} else {
			out, err = MarkPaid(ctx, tx, tenantID, s.orderID, s.amount, s.currency, s.paymentIntent, actor, detail)
		}
	case stepFailed, stepExpired:
		to := map[stepKind]orders.Status{stepFailed: orders.StatusFailed, stepExpired: orders.StatusExpired}[s.kind]
		if s.checkoutID != uuid.Nil {
			out, err = EndCheckout(ctx, tx, tenantID, s.checkoutID, to, actor, detail)
		} else {
			out, err = end(ctx, tx, tenantID, s.orderID, to, actor, detail)
		}
	}
	if s.checkoutID != uuid.Nil {
		return out, nil, err // the event is the checkout's: no one order
	}
	return out, &s.orderID, err
}

func isSessionEvent(t stripe.EventType) bool {
	switch t {
	case "checkout.session.completed", "checkout.session.async_payment_succeeded",
		"checkout.session.async_payment_failed", "checkout.session.expired":
		return true
	}
	return false
}
