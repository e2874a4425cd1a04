package settlement

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/leaguepay/checkout/platform/jobs"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/platform/outbox"
	"github.com/leaguepay/checkout/producttypes"
)

// PaidHookArgs is the job that runs a product type's PaidHook for one paid
// order, after the payment committed, whoever settled it: a free checkout,
// a webhook, the reconciler. It is retried when the hook fails.
type PaidHookArgs struct {
	TenantID uuid.UUID `json:"tenant_id"`
	OrderID  uuid.UUID `json:"order_id"`
}

// Kind is River's name for the job.
func (PaidHookArgs) Kind() string { return "settlement.paid_hook" }

// PaidHooks follows the outbox: for every order.paid event of a type with a
// PaidHook it answers a PaidHookArgs job, which the dispatcher inserts in
// its transaction, and works those jobs.
type PaidHooks struct {
	river.WorkerDefaults[PaidHookArgs]
	s *Service
}

// PaidHooks returns the service's paid-hook follower and worker.
func (s *Service) PaidHooks() *PaidHooks { return &PaidHooks{s: s} }

// Probe: the events alone tell (an order.paid of a type with a hook).
func (h *PaidHooks) Probe() string { return "" }

// Wants reports whether events pay an order of a type with a PaidHook.
func (h *PaidHooks) Wants(events []outbox.Event, _ bool) bool {
	for _, ev := range events {
		var o orders.EventOrder
		if ev.Type != orders.EventPaid || json.Unmarshal(ev.Data, &o) != nil {
			continue
		}
		if typ, ok := h.s.catalog.Registry().Get(o.ProductType); ok && producttypes.HasPaidHook(typ) {
			return true
		}
	}
	return false
}

// Follow answers the paid hooks of events.
func (h *PaidHooks) Follow(_ context.Context, _ pgx.Tx, events []outbox.Event) ([]river.InsertManyParams, error) {
	var params []river.InsertManyParams
	for _, ev := range events {
		var o orders.EventOrder
		if ev.Type != orders.EventPaid || json.Unmarshal(ev.Data, &o) != nil {
			continue
		}
		if typ, ok := h.s.catalog.Registry().Get(o.ProductType); ok && producttypes.HasPaidHook(typ) {
			params = append(params, river.InsertManyParams{Args: PaidHookArgs{TenantID: ev.TenantID, OrderID: o.ID},
				InsertOpts: &river.InsertOpts{Queue: jobs.QueueDefault, MaxAttempts: 10}})
		}
	}
	return params, nil
}

// Work calls the order's type's PaidHook. An error is logged and retried by
// the job system; a panic (a bug in the type) is logged, counted and not
// retried. Neither undoes the payment.
func (h *PaidHooks) Work(ctx context.Context, job *river.Job[PaidHookArgs]) error {
	s := h.s
	o, err := s.orders.Get(ctx, job.Args.TenantID, job.Args.OrderID)
	if err != nil {
		return fmt.Errorf("paid hook: read order: %w", err)
	}
	if o.Status != orders.StatusPaid && o.Status != orders.StatusPartiallyRefunded {
		return nil // refunded in the same transaction (an early refund): nothing to act on
	}
	typ, ok := s.catalog.Registry().Get(o.ProductType)
	if !ok || !producttypes.HasPaidHook(typ) {
		return nil
	}
	p, err := s.catalog.Get(ctx, job.Args.TenantID, o.ProductID)
	if err != nil {
		return fmt.Errorf("paid hook: read product: %w", err)
	}
	cfg, err := s.catalog.TypeConfig(p)
	if err != nil {
		return fmt.Errorf("paid hook: %w", err)
	}
	var data map[string]any
	_ = json.Unmarshal(o.CustomData, &data)
	err = producttypes.OnPaidOf(ctx, typ, producttypes.PaidOrder{TenantID: job.Args.TenantID.String(), OrderID: o.ID.String(),
		ProductID: p.ID.String(), PlayerID: o.PlayerID.String(), AmountCents: o.AmountCents,
		Currency: o.Currency, Config: cfg, Data: data})
	var pe *producttypes.PanicError
	if errors.As(err, &pe) {
		s.panicked("product_type")
		s.log.Error("paid hook panicked", "type", o.ProductType, "order_id", o.ID, "err", err, "stack", string(pe.Stack))
		return river.JobCancel(err)
	} else if err != nil {
		s.log.Error("paid hook failed", "type", o.ProductType, "order_id", o.ID, "err", err)
	}
	return err
}
