package orders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/discounts"
	"github.com/leaguepay/checkout/platform/ids"
	"github.com/leaguepay/checkout/platform/outbox"
)

// A checkout is what a household pays at once: its orders (one per item,
// in the request's order) share one payment session, one discount
// computation and one settlement. This file is the checkouts table's
// store: placing writes a checkout with InsertCheckout before its orders;
// its status follows its orders, through Transition (syncCheckout): open
// while one is pending, then complete when one was paid, else expired,
// canceled or failed — and then its promotion code's redemption is given
// back.

// CheckoutStatus is a checkout's state.
type CheckoutStatus string

// The checkout statuses. CheckoutPreview is never stored: it is what a
// preview answers.
const (
	CheckoutOpen     CheckoutStatus = "open"
	CheckoutComplete CheckoutStatus = "complete"
	CheckoutExpired  CheckoutStatus = "expired"
	CheckoutCanceled CheckoutStatus = "canceled"
	CheckoutFailed   CheckoutStatus = "failed"
	CheckoutPreview  CheckoutStatus = "preview"
)

// The events a checkout's changes write to the outbox; their data is the
// checkout as the API shows it (checkoutJSON).
const (
	EventCheckoutCreated   = "checkout.created"
	EventCheckoutCompleted = "checkout.completed"
	EventCheckoutExpired   = "checkout.expired"
	EventCheckoutCanceled  = "checkout.canceled"
	EventCheckoutFailed    = "checkout.failed"
)

// Checkout is a household's checkout with its orders.
type Checkout struct {
	ID            uuid.UUID      `json:"id"`
	Status        CheckoutStatus `json:"status"`
	CustomerID    uuid.UUID      `json:"customer_id"`
	Items         []Order        `json:"items"`
	SubtotalCents int64          `json:"subtotal_cents"`
	DiscountCents int64          `json:"discount_cents"`
	AmountCents   int64          `json:"amount_cents"`
	Currency      string         `json:"currency"`
	Discounts     []Applied      `json:"discounts"`
	CheckoutURL   *string        `json:"checkout_url"`
	ExpiresAt     *time.Time     `json:"expires_at"`
	CreatedAt     time.Time      `json:"created_at"`
	SessionID     *string        `json:"-"`
	PaymentIntent *string        `json:"-"`
}

// Applied is one discount's share of a checkout, as the API shows it.
type Applied struct {
	Kind        string      `json:"kind"`
	DiscountID  uuid.UUID   `json:"discount_id"`
	Code        *string     `json:"code"`
	AmountCents int64       `json:"amount_cents"`
	OrderIDs    []uuid.UUID `json:"order_ids"`
}

// InsertCheckout writes a new checkout (its items follow, with Insert)
// inside tx.
func InsertCheckout(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, c *Checkout) error {
	if c.Discounts == nil {
		c.Discounts = []Applied{}
	}
	applied, err := json.Marshal(c.Discounts)
	if err != nil {
		return fmt.Errorf("encode discounts: %w", err)
	}
	err = tx.QueryRow(ctx, `INSERT INTO checkouts (tenant_id, id, customer_id, status, subtotal_cents, discount_cents,
			amount_cents, currency, discounts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING created_at`,
		tenantID, c.ID, c.CustomerID, c.Status, c.SubtotalCents, c.DiscountCents, c.AmountCents, c.Currency,
		applied).Scan(&c.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert checkout: %w", err)
	}
	c.CreatedAt = c.CreatedAt.UTC()
	return nil
}

// CheckoutCreated is the statement (for a batch or a transaction) that
// writes a new checkout's event once its orders are written
// (CheckoutEventParams). It writes nothing for a
// checkout that is not there (a batch whose insert wrote nothing).
func CheckoutCreated(tenantID, checkoutID uuid.UUID, status CheckoutStatus) (string, []any) {
	evIDs, types := CheckoutEventParams(status)
	return checkoutEventsSQL, []any{tenantID, checkoutID, nil, evIDs, types}
}

// checkoutEventsSQL writes events ($4 ids, $5 types) of checkout $2 as it
// is now, changed from status $3 (NULL for a new one).
var checkoutEventsSQL = `WITH ` + outbox.WriteCTE("ev", `SELECT $1::uuid, e.id, e.type, c.id, $3::text, `+checkoutJSON+`
	FROM checkouts c, unnest($4::uuid[], $5::text[]) AS e (id, type) WHERE c.tenant_id = $1 AND c.id = $2`) + `
	SELECT count(*) FROM ev`

// checkoutJSON renders the checkout under the alias c, with its items, as
// the API shows it (Checkout's JSON); TestOutboxEvents holds the two
// together.
var checkoutJSON = checkoutJSONWith(`coalesce((SELECT jsonb_agg(` + orderJSON + ` ORDER BY o.line)
		FROM orders o WHERE o.tenant_id = $1 AND o.checkout_id = c.id), '[]'::jsonb)`)

// checkoutJSONWith renders the checkout under the alias c with items, the
// SQL of its items' array.
func checkoutJSONWith(items string) string {
	return `jsonb_build_object(
	'id', c.id, 'status', c.status, 'customer_id', c.customer_id, 'items', ` + items + `,
	'subtotal_cents', c.subtotal_cents, 'discount_cents', c.discount_cents, 'amount_cents', c.amount_cents,
	'currency', c.currency, 'discounts', c.discounts, 'checkout_url', c.checkout_url,
	'expires_at', to_char(c.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
	'created_at', to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))`
}

// CheckoutEventParams are the ids and types of a new checkout's events in
// status: one change, one event — created for an open checkout, completed
// (from no status) for one that is complete at once.
func CheckoutEventParams(status CheckoutStatus) ([]uuid.UUID, []string) {
	types := []string{EventCheckoutCreated}
	if status == CheckoutComplete {
		types = []string{EventCheckoutCompleted}
	}
	return []uuid.UUID{ids.New()}, types
}

const checkoutCols = `c.id, c.status, c.customer_id, c.subtotal_cents, c.discount_cents, c.amount_cents, c.currency,
	c.discounts, c.checkout_url, c.expires_at, c.created_at, c.stripe_checkout_session_id, c.stripe_payment_intent_id`

func scanCheckout(row pgx.Row) (Checkout, error) {
	var c Checkout
	var applied []byte // the discounts, as stored
	err := row.Scan(&c.ID, &c.Status, &c.CustomerID, &c.SubtotalCents, &c.DiscountCents, &c.AmountCents, &c.Currency,
		&applied, &c.CheckoutURL, &c.ExpiresAt, &c.CreatedAt, &c.SessionID, &c.PaymentIntent)
	if err != nil {
		return c, err
	}
	c.CreatedAt = c.CreatedAt.UTC()
	if c.ExpiresAt != nil {
		t := c.ExpiresAt.UTC()
		c.ExpiresAt = &t
	}
	if err := json.Unmarshal(applied, &c.Discounts); err != nil {
		return c, fmt.Errorf("decode checkout discounts: %w", err)
	}
	if c.Discounts == nil {
		c.Discounts = []Applied{}
	}
	return c, nil
}

// GetCheckout returns a checkout with its items, or apperr.ErrNotFound.
// household, when not nil, must be the checkout's customer (a buyer's
// read), else it is not found either.
func (s *Store) GetCheckout(ctx context.Context, tenantID, id uuid.UUID, household *uuid.UUID) (Checkout, error) {
	var c Checkout
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		if c, err = ReadCheckout(ctx, tx, tenantID, id, false); err != nil {
			return err
		}
		if household != nil && *household != c.CustomerID {
			return apperr.ErrNotFound
		}
		return nil
	})
	return c, err
}

// CheckoutBySession returns the tenant's checkout paid through session id,
// with its items, or apperr.ErrNotFound.
func (s *Store) CheckoutBySession(ctx context.Context, tenantID uuid.UUID, sessionID string) (Checkout, error) {
	var c Checkout
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var id uuid.UUID
		err := tx.QueryRow(ctx, `SELECT id FROM checkouts WHERE tenant_id = $1 AND stripe_checkout_session_id = $2`,
			tenantID, sessionID).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("find checkout by session: %w", err)
		}
		c, err = ReadCheckout(ctx, tx, tenantID, id, false)
		return err
	})
	return c, err
}

// ReadCheckout reads a checkout and its items inside tx, locking the
// checkout when lock is set, or apperr.ErrNotFound.
func ReadCheckout(ctx context.Context, tx pgx.Tx, tenantID, id uuid.UUID, lock bool) (Checkout, error) {
	q := `SELECT ` + checkoutCols + ` FROM checkouts c WHERE c.tenant_id = $1 AND c.id = $2`
	if lock {
		q += ` FOR UPDATE`
	}
	c, err := scanCheckout(tx.QueryRow(ctx, q, tenantID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Checkout{}, apperr.ErrNotFound
	}
	if err != nil {
		return Checkout{}, fmt.Errorf("read checkout: %w", err)
	}
	if c.Items, err = queryOrders(ctx, tx, "read checkout items", `SELECT `+orderCols+` FROM orders o
		WHERE o.tenant_id = $1 AND o.checkout_id = $2 ORDER BY o.line`, tenantID, id); err != nil {
		return Checkout{}, err
	}
	return c, nil
}

// StoreCheckoutSession is the statement (for a batch) that stores a paid
// checkout's session on it and on its orders and answers the orders
// (Cols), in line order.
func StoreCheckoutSession(tenantID, checkoutID uuid.UUID, url, sessionID string, expiresAt time.Time) (string, []any) {
	return `WITH c AS (
			UPDATE checkouts SET checkout_url = $3, stripe_checkout_session_id = $4, expires_at = $5, updated_at = now()
			WHERE tenant_id = $1 AND id = $2),
		o AS (
			UPDATE orders AS o SET checkout_url = $3, stripe_checkout_session_id = $4, checkout_expires_at = $5,
				updated_at = now()
			WHERE tenant_id = $1 AND checkout_id = $2 RETURNING o.*)
		SELECT ` + orderCols + ` FROM o ORDER BY o.line`, []any{tenantID, checkoutID, url, sessionID, expiresAt}
}

// SetCheckoutPaymentIntent keeps the payment intent that paid a checkout.
func SetCheckoutPaymentIntent(ctx context.Context, tx pgx.Tx, tenantID, checkoutID uuid.UUID, paymentIntent string) error {
	if _, err := tx.Exec(ctx, `UPDATE checkouts SET stripe_payment_intent_id = $3 WHERE tenant_id = $1 AND id = $2
		AND stripe_payment_intent_id IS DISTINCT FROM $3`, tenantID, checkoutID, paymentIntent); err != nil {
		return fmt.Errorf("keep checkout payment intent: %w", err)
	}
	return nil
}

// syncCheckout moves an open checkout to the status its orders now give
// it, once none of them is pending: complete when one was paid, else
// canceled, failed or expired. It writes the change's event, and a
// checkout that ends unpaid gives its promotion code's redemption back, in
// the same transaction.
func syncCheckout(ctx context.Context, tx pgx.Tx, tenantID, checkoutID uuid.UUID) error {
	var to CheckoutStatus
	err := tx.QueryRow(ctx, `WITH s AS (
			SELECT CASE WHEN bool_or(status = 'pending') THEN 'open'
				WHEN bool_or(status IN ('paid', 'partially_refunded', 'refunded')) THEN 'complete'
				WHEN bool_or(status = 'canceled') THEN 'canceled'
				WHEN bool_or(status = 'failed') THEN 'failed'
				ELSE 'expired' END AS status
			FROM orders WHERE tenant_id = $1 AND checkout_id = $2)
		UPDATE checkouts c SET status = s.status, updated_at = now() FROM s
		WHERE c.tenant_id = $1 AND c.id = $2 AND c.status = 'open' AND s.status <> 'open'
		RETURNING c.status`, tenantID, checkoutID).Scan(&to)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("settle checkout: %w", err)
	}
	event := map[CheckoutStatus]string{CheckoutComplete: EventCheckoutCompleted, CheckoutExpired: EventCheckoutExpired,
		CheckoutCanceled: EventCheckoutCanceled, CheckoutFailed: EventCheckoutFailed}[to]
	if _, err := tx.Exec(ctx, checkoutEventsSQL, tenantID, checkoutID, string(CheckoutOpen),
		[]uuid.UUID{ids.New()}, []string{event}); err != nil {
		return fmt.Errorf("write checkout event: %w", err)
	}
	if to != CheckoutComplete {
		return discounts.Release(ctx, tx, tenantID, checkoutID)
	}
	return nil
}

// CheckoutOf reads (without locking) the checkout an order belongs to
// (nil for an order of none); found is false when the tenant has no such
// order.
func CheckoutOf(ctx context.Context, tx pgx.Tx, tenantID, orderID uuid.UUID) (checkoutID *uuid.UUID, found bool, err error) {
	err = tx.QueryRow(ctx, `SELECT checkout_id FROM orders WHERE tenant_id = $1 AND id = $2`, tenantID, orderID).Scan(&checkoutID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read order's checkout: %w", err)
	}
	return checkoutID, true, nil
}

// LockCheckout locks a checkout's row until the transaction ends. Every
// path that settles a checkout's orders takes it before their rows, so two
// of them cannot deadlock.
// found is false when the tenant has no such checkout.
func LockCheckout(ctx context.Context, tx pgx.Tx, tenantID, checkoutID uuid.UUID) (found bool, err error) {
	err = tx.QueryRow(ctx, `SELECT true FROM checkouts WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
		tenantID, checkoutID).Scan(&found)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("lock checkout: %w", err)
	}
	return true, nil
}

// PendingOrders reads and locks the checkout's pending orders, in line
// order.
func PendingOrders(ctx context.Context, tx pgx.Tx, tenantID, checkoutID uuid.UUID) ([]Order, error) {
	return queryOrders(ctx, tx, "lock checkout orders", `SELECT `+orderCols+` FROM orders o
		WHERE o.tenant_id = $1 AND o.checkout_id = $2 AND o.status = 'pending' ORDER BY o.line FOR UPDATE`,
		tenantID, checkoutID)
}

// LockByPaymentIntent reads and locks the orders paid by paymentIntent: a
// checkout's, in line order (or the one order of a session made before
// checkouts existed).
func LockByPaymentIntent(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, paymentIntent string) ([]Order, error) {
	return queryOrders(ctx, tx, "lock orders by payment intent", `SELECT `+orderCols+` FROM orders o
		WHERE o.tenant_id = $1 AND o.stripe_payment_intent_id = $2 ORDER BY o.line NULLS FIRST, o.created_at, o.id FOR UPDATE`,
		tenantID, paymentIntent)
}
