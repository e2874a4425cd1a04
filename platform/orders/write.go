package orders

import (
	"context"
	"errors"
	"fmt"
	"time"

	sq "github.com/Masterminds/squirrel"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/platform/ids"
	"github.com/leaguepay/checkout/platform/outbox"
	"github.com/leaguepay/checkout/producttypes"
)

// This file is every write of the orders table and its companions
// (order_events, claims, order_claims) that other packages make: placing
// (checkout), settling (settlement) and importing (orderio) call these, so
// the table's SQL lives with its owner.

// Cols are what Scan reads: an order's columns and the names of its
// product and player; they need the orders table under the alias o.
const Cols = orderCols

// Scan reads a row of Cols, then extra.
func Scan(row pgx.Row, extra ...any) (Order, error) { return scanOrder(row, extra...) }

// ErrProductChanged is an insert that found the product no longer as it
// was checked (price, currency, schema version, active): the checkout
// re-reads it and checks again.
var ErrProductChanged = errors.New("orders: the product changed during the checkout")

// insertCTE inserts the order of a checkout ($1 tenant, $2 id, $3 product,
// $4 type, $5 category, $8 status, $9 amount, $10 currency, $11 custom data,
// $12 schema version, $13 evidence, $14 event id, $15 detail, events at
// idsParam and typesParam, its checkout, discount and line at the
// expressions of p) for customerExpr and playerExpr FROM from, while the
// product is as checked, with its audit entry and its outbox events. One
// live order per player and product is the partial unique index's: a
// duplicate inserts nothing.
func insertCTE(customerExpr, playerExpr, from, idsParam, typesParam string, p line) string {
	return `o AS (
		INSERT INTO orders AS o (tenant_id, id, product_id, product_type, category, customer_id, player_id,
			status, amount_cents, currency, custom_data, schema_version, evidence, paid_at, checkout_id, discount_cents, line)
		SELECT $1, $2, $3, $4, $5, ` + customerExpr + `, ` + playerExpr + `, $8, $9, $10, $11, $12, $13,
			CASE WHEN $8 = 'paid' THEN now() END, ` + p.checkout + `, ` + p.discount + `, ` + p.index + `
		FROM ` + from + `
		ON CONFLICT (tenant_id, product_id, player_id) WHERE status IN ('pending', 'paid', 'partially_refunded')
		DO NOTHING
		RETURNING ` + orderFields + `),
	audit AS (
		INSERT INTO order_events (tenant_id, id, order_id, actor, from_status, to_status, detail)
		SELECT $1, $14, o.id, 'buyer', NULL, o.status, $15 FROM o),
	` + eventsCTE("o", "", "NULL", idsParam, typesParam)
}

// line names the SQL of an order's place in its checkout: the checkout's
// id, the line's discount and its index.
type line struct{ checkout, discount, index string }

// productAsChecked is the CTE that finds the product as it was checked:
// its price is the order's amount ($9) plus the line's discount.
func productAsChecked(discount string) string {
	return `product AS (
		SELECT p.name FROM products p WHERE p.tenant_id = $1 AND p.id = $3 AND p.active
			AND p.schema_version = $12 AND p.price_cents = $9 + ` + discount + ` AND p.currency = $10)`
}

// Insert writes a new order, its first event and its claims inside tx. The
// insert happens only while the product is as it was checked, else
// ErrProductChanged. The one-live-order index and the claims' primary key
// make concurrent duplicates fail here, in the database, whatever the
// timing: the loser gets a Conflict.
//
// The order belongs to the checkout o.CheckoutID (inserted before it, in
// tx), as its line-th item, with o.DiscountCents taken off its price.
func Insert(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, o *Order, line int, claims []producttypes.Claim, detail string) error {
	q := `WITH ` + productAsChecked("$21::bigint") + `,
		` + insertCTE("$6", "$7", "product", "$18", "$19", lineParams) + `
		SELECT o.*, $16::text, $17::text FROM o`
	evIDs, types := eventParams(nil, o.Status)
	inserted, err := scanOrder(tx.QueryRow(ctx, q, tenantID, o.ID, o.ProductID, o.ProductType, o.Category, o.CustomerID,
		o.PlayerID, o.Status, o.AmountCents, o.Currency, o.CustomData, o.SchemaVersion, o.Evidence, ids.New(), detail,
		o.ProductName, o.PlayerName, evIDs, types, o.CheckoutID, o.DiscountCents, line))
	if errors.Is(err, pgx.ErrNoRows) {
		var existing *uuid.UUID
		err := tx.QueryRow(ctx, `SELECT (SELECT id FROM orders WHERE tenant_id = $1 AND product_id = $2 AND player_id = $3
			AND status IN ('pending', 'paid', 'partially_refunded'))`, tenantID, o.ProductID, o.PlayerID).Scan(&existing)
		if err != nil {
			return fmt.Errorf("find existing order: %w", err)
		}
		if existing == nil {
			return ErrProductChanged
		}
		return &apperr.Conflict{Detail: "the player already has a pending or paid order for this product", OrderID: existing.String()}
	}
	if err != nil {
		return fmt.Errorf("insert order: %w", err)
	}
	*o = inserted
	return AcquireClaims(ctx, tx, tenantID, o.ID, claims)
}

var lineParams = line{checkout: "$20::uuid", discount: "$21::bigint", index: "$22::int"}

// OneTripInsert is Insert for a pipelined batch that runs as one implicit
// transaction: the household is found by its token hash ($6), the player
// is $7 (or, when NULL, the household's only one), and the row answers the
// order, its product's and player's names, the household's name and email
// and its Stripe customer on the account ref $16 (customerOnAccount renders
// that lookup) — or no row, when anything is not as expected. Its events
// are at $17 and $18 (EventParams). The order is the one item of the
// checkout $19, which the statement inserts with it, and the checkout's
// events are at $20 and $21 (CheckoutEventParams).
func OneTripInsert(customerOnAccount func(tenant, customer, accountRef string) string) string {
	return `WITH hh AS (
		SELECT c.id FROM customers c WHERE c.tenant_id = $1 AND c.token_hash = $6),
	pl AS (
		SELECT p.id, p.first_name || ' ' || p.last_name AS name FROM players p, hh
		WHERE p.tenant_id = $1 AND p.customer_id = hh.id AND ($7::uuid IS NULL OR p.id = $7::uuid)
			AND ($7::uuid IS NOT NULL OR (SELECT count(*) FROM players q WHERE q.tenant_id = $1 AND q.customer_id = hh.id) = 1)),
	` + productAsChecked("0") + `,
	` + insertCTE("hh.id", "pl.id", "product, hh, pl", "$17", "$18", line{checkout: "$19::uuid", discount: "0", index: "0"}) + `,
	co AS (
		INSERT INTO checkouts AS c (tenant_id, id, customer_id, status, subtotal_cents, amount_cents, currency)
		SELECT $1, o.checkout_id, o.customer_id, CASE WHEN o.status = 'paid' THEN 'complete' ELSE 'open' END,
			o.amount_cents, o.amount_cents, o.currency FROM o
		RETURNING c.*),
	` + outbox.WriteCTE("cev", `SELECT $1::uuid, e.id, e.type, c.id, NULL::text, `+
		checkoutJSONWith(`(SELECT jsonb_build_array(oj.j) FROM oj)`)+`
		FROM co AS c, unnest($20::uuid[], $21::text[]) AS e (id, type)`) + `
	SELECT o.*, (SELECT name FROM product), (SELECT name FROM pl), c.name, c.email,
		coalesce(` + customerOnAccount("$1", "o.customer_id", "$16::text") + `, '')
	FROM o JOIN customers c ON c.tenant_id = $1 AND c.id = o.customer_id`
}

// EventParams are the ids and types of a new order's events in status.
func EventParams(status Status) ([]uuid.UUID, []string) { return eventParams(nil, status) }

// KeepSession records on a still pending order the session its checkout
// left behind: expiresAt set (a session the provider would not expire, for
// the reconciler to settle) or nil (an expired one, named for the record).
func KeepSession(ctx context.Context, tx pgx.Tx, tenantID, orderID uuid.UUID, sessionID string, expiresAt *time.Time) error {
	q := `UPDATE orders SET stripe_checkout_session_id = $3 WHERE tenant_id = $1 AND id = $2 AND status = 'pending'`
	args := []any{tenantID, orderID, sessionID}
	if expiresAt != nil {
		q = `UPDATE orders SET stripe_checkout_session_id = $3, checkout_expires_at = $4, updated_at = now()
			WHERE tenant_id = $1 AND id = $2 AND status = 'pending' AND stripe_checkout_session_id IS NULL`
		args = append(args, *expiresAt)
	}
	if _, err := tx.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("keep checkout session: %w", err)
	}
	return nil
}

// SetPaymentIntent keeps the payment intent a later refund finds the order
// by (once: a first one is never replaced).
func SetPaymentIntent(ctx context.Context, tx pgx.Tx, tenantID, orderID uuid.UUID, paymentIntent string) error {
	if _, err := tx.Exec(ctx, `UPDATE orders SET stripe_payment_intent_id = $3 WHERE tenant_id = $1 AND id = $2
		AND stripe_payment_intent_id IS NULL`, tenantID, orderID, paymentIntent); err != nil {
		return fmt.Errorf("store payment intent: %w", err)
	}
	return nil
}

// RecordRefund raises a locked order's refunded total to total and moves
// its status to match; a total not above the recorded one is a no-op. note,
// when not empty, opens the audit entry (how the refund came to the order).
func RecordRefund(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, o *Order, total int64, actor, note string) error {
	if total <= o.AmountRefundedCents || total > o.AmountCents {
		return nil
	}
	to := StatusPartiallyRefunded
	if total == o.AmountCents {
		to = StatusRefunded
	}
	if !CanTransition(o.Status, to) {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE orders SET amount_refunded_cents = $3 WHERE tenant_id = $1 AND id = $2`,
		tenantID, o.ID, total); err != nil {
		return fmt.Errorf("record refund: %w", err)
	}
	detail := fmt.Sprintf("refunded %d of %d %s in total", total, o.AmountCents, o.Currency)
	if note != "" {
		detail = note + "; " + detail
	}
	o.AmountRefundedCents = total
	return Transition(ctx, tx, tenantID, o, to, actor, detail)
}

// InsertImported writes an order imported from a league's old system, as
// it was there (its status, times and refunds), with its first event.
func InsertImported(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, o *Order, legacyID, detail string) error {
	refunded := int64(0)
	if o.Status == StatusRefunded {
		refunded = o.AmountCents
	}
	_, err := tx.Exec(ctx, `INSERT INTO orders (tenant_id, id, product_id, product_type, category, customer_id,
		player_id, status, amount_cents, amount_refunded_cents, currency, custom_data, schema_version, evidence,
		legacy_ref, created_at, updated_at, paid_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, $17)`,
		tenantID, o.ID, o.ProductID, o.ProductType, o.Category, o.CustomerID, o.PlayerID, o.Status, o.AmountCents,
		refunded, o.Currency, o.CustomData, o.SchemaVersion, o.Evidence, legacyID, o.CreatedAt, o.PaidAt)
	if err != nil {
		if db.IsUniqueViolation(err, "orders_one_live_per_player") {
			return &apperr.Conflict{Detail: "the player already has a live order for this product"}
		}
		return fmt.Errorf("insert order: %w", err)
	}
	return RecordEvent(ctx, tx, tenantID, o.ID, "import", nil, o.Status, detail)
}

// ImportedExists reports whether the tenant has an order imported as legacyID.
func ImportedExists(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, legacyID string) (bool, error) {
	var exists bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM orders WHERE tenant_id = $1 AND legacy_ref = $2)`,
		tenantID, legacyID).Scan(&exists)
	return exists, err
}

// NextStale locks the tenant's oldest pending order that no other
// transaction holds and is stale: its session expired more than grace ago,
// or it never got a session (and is not imported) and is older than
// orphanAfter. ok is false when there is none.
func NextStale(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, grace, orphanAfter time.Duration) (id uuid.UUID, session *string, ok bool, err error) {
	err = tx.QueryRow(ctx, `SELECT id, stripe_checkout_session_id FROM orders
		WHERE tenant_id = $1 AND status = 'pending'
		  AND ((checkout_expires_at IS NOT NULL AND checkout_expires_at < now() - make_interval(secs => $2))
		    OR (stripe_checkout_session_id IS NULL AND legacy_ref IS NULL
		        AND created_at < now() - make_interval(secs => $3)))
		ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
		tenantID, grace.Seconds(), orphanAfter.Seconds()).Scan(&id, &session)
	if errors.Is(err, pgx.ErrNoRows) {
		return uuid.Nil, nil, false, nil
	}
	return id, session, err == nil, err
}

// Postpone makes a stale order stale again in after (less grace).
func Postpone(ctx context.Context, tx pgx.Tx, tenantID, id uuid.UUID, after, grace time.Duration) error {
	_, err := tx.Exec(ctx, `UPDATE orders SET checkout_expires_at = now() + make_interval(secs => $3)
		WHERE tenant_id = $1 AND id = $2`, tenantID, id, after.Seconds()-grace.Seconds())
	return err
}

// Where narrows q (over orders o) to the tenant's orders matching f.
func (f Filter) Where(q sq.SelectBuilder, tenantID uuid.UUID) sq.SelectBuilder {
	return f.where(q, tenantID)
}

// Position is a place in the newest-first order of a listing.
type Position = cursor

// After narrows q to the orders after pos.
func After(q sq.SelectBuilder, pos Position) sq.SelectBuilder { return after(q, pos) }
