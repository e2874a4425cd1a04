package orders

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/platform/ids"
)

// Store reads orders: one, a tenant's listing, a household's.
type Store struct {
	db *db.DB
}

// NewStore returns the order store.
func NewStore(d *db.DB) *Store { return &Store{db: d} }

// Get returns an order with its events, or apperr.ErrNotFound.
func (s *Store) Get(ctx context.Context, tenantID, id uuid.UUID) (Order, error) {
	var o Order
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		o, err = getTx(ctx, tx, tenantID, id, false)
		if err != nil {
			return err
		}
		o.Events, err = Events(ctx, tx, tenantID, id)
		return err
	})
	return o, err
}

// Read reads an order inside tx, or apperr.ErrNotFound.
func Read(ctx context.Context, tx pgx.Tx, tenantID, id uuid.UUID) (Order, error) {
	return getTx(ctx, tx, tenantID, id, false)
}

// Lock reads and locks an order inside tx, or apperr.ErrNotFound.
func Lock(ctx context.Context, tx pgx.Tx, tenantID, id uuid.UUID) (Order, error) {
	return getTx(ctx, tx, tenantID, id, true)
}

func getTx(ctx context.Context, tx pgx.Tx, tenantID, id uuid.UUID, forUpdate bool) (Order, error) {
	q := `SELECT ` + orderCols + ` FROM orders o WHERE o.tenant_id = $1 AND o.id = $2`
	if forUpdate {
		q += ` FOR UPDATE`
	}
	o, err := scanOrder(tx.QueryRow(ctx, q, tenantID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Order{}, apperr.ErrNotFound
	}
	if err != nil {
		return Order{}, fmt.Errorf("read order: %w", err)
	}
	return o, nil
}

// Events reads an order's audit trail, oldest first.
func Events(ctx context.Context, tx pgx.Tx, tenantID, orderID uuid.UUID) ([]Event, error) {
	rows, err := tx.Query(ctx, `SELECT at, actor, from_status, to_status, detail FROM order_events
		WHERE tenant_id = $1 AND order_id = $2 ORDER BY at, id`, tenantID, orderID)
	if err != nil {
		return nil, fmt.Errorf("read order events: %w", err)
	}
	evs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Event, error) {
		var e Event
		err := r.Scan(&e.At, &e.Actor, &e.From, &e.To, &e.Detail)
		e.At = e.At.UTC()
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("read order events: %w", err)
	}
	if evs == nil {
		evs = []Event{}
	}
	return evs, nil
}

// RecordEvent appends to an order's audit trail and writes the change's
// events to the outbox, in one statement: the order's row, as the
// transaction has it now, is the events' data.
func RecordEvent(ctx context.Context, tx pgx.Tx, tenantID, orderID uuid.UUID, actor string, from *Status, to Status, detail string) error {
	evIDs, types := eventParams(from, to)
	_, err := tx.Exec(ctx, `WITH audit AS (
			INSERT INTO order_events (tenant_id, id, order_id, actor, from_status, to_status, detail)
			VALUES ($1, $2, $3, $4, $5, $6, $7)),
		`+eventsCTE("orders o", "WHERE o.tenant_id = $1 AND o.id = $3", "$5::text", "$8", "$9")+`
		SELECT count(*) FROM ev`, tenantID, ids.New(), orderID, actor, from, to, detail, evIDs, types)
	if err != nil {
		return fmt.Errorf("insert order event: %w", err)
	}
	return nil
}

// ErrTransition is returned when an order's status does not allow the
// requested change.
var ErrTransition = errors.New("orders: transition not allowed")

// Transition moves a locked order to status to inside tx, following the
// state machine: it writes the audit event, releases the order's claims
// when the order stops being live, and settles the order's checkout once
// none of its orders is pending (syncCheckout). It returns ErrTransition
// (and changes nothing) when the edge does not exist.
func Transition(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, o *Order, to Status, actor, detail string) error {
	from := o.Status
	if !CanTransition(from, to) {
		return fmt.Errorf("%w: %s to %s", ErrTransition, from, to)
	}
	err := tx.QueryRow(ctx, `UPDATE orders SET status = $3, updated_at = now(),
			paid_at = CASE WHEN $3 = 'paid' THEN coalesce(paid_at, now()) ELSE paid_at END
		WHERE tenant_id = $1 AND id = $2 RETURNING updated_at, paid_at`,
		tenantID, o.ID, to).Scan(&o.UpdatedAt, &o.PaidAt)
	if err != nil {
		return fmt.Errorf("update order status: %w", err)
	}
	o.Status = to
	if !to.Live() {
		if err := releaseClaims(ctx, tx, tenantID, o.ID); err != nil {
			return err
		}
	}
	if err := RecordEvent(ctx, tx, tenantID, o.ID, actor, &from, to, detail); err != nil {
		return err
	}
	if o.CheckoutID != nil && from == StatusPending {
		return syncCheckout(ctx, tx, tenantID, *o.CheckoutID)
	}
	return nil
}

// Settle moves the order to status to when the state machine allows it;
// otherwise (a late, repeated or out-of-order change) it changes nothing.
// found is false when the tenant has no such order.
func Settle(ctx context.Context, tx pgx.Tx, tenantID, orderID uuid.UUID, to Status, actor, detail string) (found bool, err error) {
	o, err := Lock(ctx, tx, tenantID, orderID)
	if errors.Is(err, apperr.ErrNotFound) {
		return false, nil
	}
	if err != nil || !CanTransition(o.Status, to) {
		return err == nil, err
	}
	return true, Transition(ctx, tx, tenantID, &o, to, actor, detail)
}
