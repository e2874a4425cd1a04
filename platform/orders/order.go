// Package orders is the order store and its state machine: the order
// model and statuses, the one transition function every status change goes
// through (audit trail, claims released, outbox events written in the same
// statement), the claims that keep values unique, the admin listing with
// keyset pagination, and every write of its tables (orders, order_events,
// claims, order_claims) that the packages placing, settling and importing
// orders make. It knows nothing of HTTP, payments or product types beyond
// their claims.
package orders

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Status is an order's state.
type Status string

// The order statuses.
const (
	StatusPending           Status = "pending"
	StatusPaid              Status = "paid"
	StatusFailed            Status = "failed"
	StatusExpired           Status = "expired"
	StatusCanceled          Status = "canceled"
	StatusPartiallyRefunded Status = "partially_refunded"
	StatusRefunded          Status = "refunded"
)

// transitions is the state machine: from -> allowed targets. Nothing ever
// goes backwards; a late or duplicate event finds no edge and is a no-op.
var transitions = map[Status][]Status{
	StatusPending: {StatusPaid, StatusFailed, StatusExpired, StatusCanceled},
	// paid -> canceled only for an order with no card payment behind it
	// (free or imported): Cancel checks that.
	StatusPaid:              {StatusPartiallyRefunded, StatusRefunded, StatusCanceled},
	StatusPartiallyRefunded: {StatusPartiallyRefunded, StatusRefunded},
}

// CanTransition reports whether an order may move from one status to another.
func CanTransition(from, to Status) bool {
	for _, t := range transitions[from] {
		if t == to {
			return true
		}
	}
	return false
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case StatusPending, StatusPaid, StatusFailed, StatusExpired, StatusCanceled, StatusPartiallyRefunded, StatusRefunded:
		return true
	}
	return false
}

// Live reports whether an order in status s holds its player's place for the
// product and its claims (jersey number, contract season).
func (s Status) Live() bool {
	return s == StatusPending || s == StatusPaid || s == StatusPartiallyRefunded
}

// Order is one purchase by a household for one player.
type Order struct {
	ID          uuid.UUID `json:"id"`
	ProductID   uuid.UUID `json:"product_id"`
	ProductName string    `json:"product_name"`
	ProductType string    `json:"product_type"`
	Category    string    `json:"category"`
	CustomerID  uuid.UUID `json:"customer_id"`
	PlayerID    uuid.UUID `json:"player_id"`
	PlayerName  string    `json:"player_name"`
	Status      Status    `json:"status"`
	// CheckoutID is the checkout the order was bought in; nil for an
	// imported order and for one placed before checkouts existed.
	CheckoutID *uuid.UUID `json:"checkout_id"`
	// PriceCents is the product's price; DiscountCents what the checkout's
	// discounts took off it; AmountCents what is charged, their difference.
	PriceCents              int64           `json:"price_cents"`
	DiscountCents           int64           `json:"discount_cents"`
	AmountCents             int64           `json:"amount_cents"`
	AmountRefundedCents     int64           `json:"amount_refunded_cents"`
	Currency                string          `json:"currency"`
	CustomData              json.RawMessage `json:"custom_data"`
	SchemaVersion           int             `json:"schema_version"`
	Evidence                json.RawMessage `json:"evidence,omitempty"`
	CheckoutURL             *string         `json:"checkout_url"`
	StripeCheckoutSessionID *string         `json:"stripe_checkout_session_id"`
	StripePaymentIntentID   *string         `json:"stripe_payment_intent_id,omitempty"`
	CreatedAt               time.Time       `json:"created_at"`
	UpdatedAt               time.Time       `json:"updated_at"`
	PaidAt                  *time.Time      `json:"paid_at"`
	Events                  []Event         `json:"events,omitempty"`
}

// Event is one entry of an order's audit trail.
type Event struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	From   *Status   `json:"from"`
	To     Status    `json:"to"`
	Detail string    `json:"detail"`
}

// orderFields are an order's own columns, in scanOrder's order; they need
// the orders table under the alias o.
const orderFields = `o.id, o.product_id, o.product_type, o.category, o.customer_id, o.player_id, o.status,
	o.checkout_id, o.discount_cents, o.amount_cents, o.amount_refunded_cents, o.currency, o.custom_data, o.schema_version, o.evidence,
	o.checkout_url, o.stripe_checkout_session_id, o.stripe_payment_intent_id, o.created_at, o.updated_at, o.paid_at`

// orderCols are what scanOrder reads: orderFields and the names of the
// order's product and player (read by primary key, for the rows returned
// only).
const orderCols = orderFields + `,
	coalesce((SELECT p.name FROM products p WHERE p.tenant_id = o.tenant_id AND p.id = o.product_id), '') AS product_name,
	coalesce((SELECT pl.first_name || ' ' || pl.last_name FROM players pl
		WHERE pl.tenant_id = o.tenant_id AND pl.id = o.player_id), '') AS player_name`

type scanner interface{ Scan(dest ...any) error }

// queryOrders runs q (a SELECT of orderCols over orders under the alias o)
// and reads every row it answers; what names the read in errors.
func queryOrders(ctx context.Context, tx pgx.Tx, what, q string, args ...any) ([]Order, error) {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Order, error) { return scanOrder(r) })
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return list, nil
}

func scanOrder(row scanner, extra ...any) (Order, error) {
	var o Order
	dest := append([]any{&o.ID, &o.ProductID, &o.ProductType, &o.Category, &o.CustomerID, &o.PlayerID,
		&o.Status, &o.CheckoutID, &o.DiscountCents, &o.AmountCents, &o.AmountRefundedCents, &o.Currency, &o.CustomData, &o.SchemaVersion,
		&o.Evidence, &o.CheckoutURL, &o.StripeCheckoutSessionID, &o.StripePaymentIntentID, &o.CreatedAt, &o.UpdatedAt, &o.PaidAt, &o.ProductName, &o.PlayerName}, extra...)
	err := row.Scan(dest...)
	o.PriceCents = o.AmountCents + o.DiscountCents
	o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	if o.PaidAt != nil {
		t := o.PaidAt.UTC()
		o.PaidAt = &t
	}
	return o, err
}
