package orders

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/catalog"
	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/platform/ids"
)

// Service runs the order lifecycle.
type Service struct {
	db       *db.DB
	catalog  *catalog.Service
	gateway  Gateway
	panics   PanicCounter
	log      *slog.Logger
	purgedAt atomic.Int64 // unix nanoseconds of the last purge of retry records
}

// NewService returns an order service selling priced products through
// gateway and counting contained panics with panics.
func NewService(d *db.DB, c *catalog.Service, gateway Gateway, panics PanicCounter, log *slog.Logger) *Service {
	return &Service{db: d, catalog: c, gateway: gateway, panics: panics, log: log}
}

// panicked counts a contained panic.
func (s *Service) panicked(where string) { s.panics.Panic(where) }

// Get returns an order with its events, or apperr.ErrNotFound.
func (s *Service) Get(ctx context.Context, tenantID, id uuid.UUID) (Order, error) {
	var o Order
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		o, err = getTx(ctx, tx, tenantID, id, false)
		if err != nil {
			return err
		}
		o.Events, err = events(ctx, tx, tenantID, id)
		return err
	})
	return o, err
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

func events(ctx context.Context, tx pgx.Tx, tenantID, orderID uuid.UUID) ([]Event, error) {
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

// recordEvent appends to an order's audit trail and writes the change's
// events to the outbox, in one statement: the order's row, as the
// transaction has it now, is the events' data.
func recordEvent(ctx context.Context, tx pgx.Tx, tenantID, orderID uuid.UUID, actor string, from *Status, to Status, detail string) error {
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
// state machine: it writes the audit event and releases the order's claims
// when the order stops being live. It returns ErrTransition (and changes
// nothing) when the edge does not exist.
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
	return recordEvent(ctx, tx, tenantID, o.ID, actor, &from, to, detail)
}

// Cancel cancels a pending order on behalf of actor, expiring its checkout
// session first so it can no longer be paid. Any other status is a Conflict;
// a provider that fails leaves the order as it was (502).
func (s *Service) Cancel(ctx context.Context, tenantID, id uuid.UUID, actor string) (Order, error) {
	acct, acctErr := s.account(ctx, tenantID)
	var o Order
	var paidMeanwhile bool
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		if o, err = getTx(ctx, tx, tenantID, id, true); err != nil {
			return err
		}
		detail := "canceled by staff"
		switch {
		case o.Status == StatusPaid && o.noCardPayment():
			detail += ": no card payment behind it (a free or imported order)"
		case o.Status != StatusPending:
			return &apperr.Conflict{Detail: fmt.Sprintf("only a pending order, or a paid one with no card payment "+
				"(free or imported), can be canceled; this one is %s%s", o.Status, refundHint(o))}
		}
		if o.Status == StatusPending && o.StripeCheckoutSessionID != nil {
			if acctErr != nil {
				return acctErr
			}
			if _, err := s.gateway.ExpireSession(ctx, acct, *o.StripeCheckoutSessionID); err != nil {
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
		if err := Transition(ctx, tx, tenantID, &o, StatusCanceled, actor, detail); err != nil {
			return err
		}
		o.Events, err = events(ctx, tx, tenantID, id)
		return err
	})
	if err == nil && paidMeanwhile {
		err = &apperr.Conflict{Detail: "the order was paid meanwhile; refund it instead", OrderID: o.ID.String()}
	}
	return o, err
}

// noCardPayment reports whether nothing was paid by card for o: a free
// order, or one imported from the league's old system.
func (o Order) noCardPayment() bool {
	return o.StripePaymentIntentID == nil && o.StripeCheckoutSessionID == nil && o.AmountRefundedCents == 0
}

func refundHint(o Order) string {
	if o.Status == StatusPaid || o.Status == StatusPartiallyRefunded {
		return "; refund it instead"
	}
	return ""
}

// BySession returns the tenant's order paid through checkout session id, or
// apperr.ErrNotFound.
func (s *Service) BySession(ctx context.Context, tenantID uuid.UUID, sessionID string) (Order, error) {
	var o Order
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		o, err = scanOrder(tx.QueryRow(ctx, `SELECT `+orderCols+` FROM orders o
			WHERE o.tenant_id = $1 AND o.stripe_checkout_session_id = $2`, tenantID, sessionID))
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.ErrNotFound
		}
		return err
	})
	return o, err
}
