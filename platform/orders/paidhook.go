package orders

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/leaguepay/checkout/producttypes"
)

// PaidHooks is the Observer that runs product types' PaidHook once an
// order's payment is committed, whoever settled it: a free checkout, a
// webhook or the reconciler. The service publishes its own changes to it;
// wire it wherever order changes are published outside the service (the
// webhook handler).
func (s *Service) PaidHooks() Observer { return paidHooks{s} }

type paidHooks struct{ s *Service }

func (h paidHooks) OrderCreated(tenantID, orderID uuid.UUID, productType string, status Status, _ int64, _ string) {
	if status == StatusPaid {
		h.s.runPaidHook(tenantID, orderID, productType)
	}
}

func (h paidHooks) OrderTransition(tenantID, orderID uuid.UUID, productType string, _, to Status, _ int64, _ string) {
	if to == StatusPaid {
		h.s.runPaidHook(tenantID, orderID, productType)
	}
}

// runPaidHook calls the order's type's PaidHook, if it has one. A hook
// error is logged: it never undoes the payment.
func (s *Service) runPaidHook(tenantID, orderID uuid.UUID, productType string) {
	typ, ok := s.catalog.Registry().Get(productType)
	if !ok || !producttypes.HasPaidHook(typ) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	o, err := s.Get(ctx, tenantID, orderID)
	if err != nil {
		s.log.Error("paid hook: read order", "order_id", orderID, "err", err)
		return
	}
	if o.Status != StatusPaid && o.Status != StatusPartiallyRefunded {
		return // refunded in the same transaction (an early refund): nothing to act on
	}
	p, err := s.catalog.Get(ctx, tenantID, o.ProductID)
	if err != nil {
		s.log.Error("paid hook: read product", "order_id", orderID, "err", err)
		return
	}
	var data map[string]any
	_ = json.Unmarshal(o.CustomData, &data)
	err = producttypes.OnPaidOf(ctx, typ, producttypes.PaidOrder{TenantID: tenantID.String(), OrderID: orderID.String(),
		ProductID: p.ID.String(), PlayerID: o.PlayerID.String(), AmountCents: o.AmountCents,
		Currency: o.Currency, Config: p.Config, Data: data})
	var pe *producttypes.PanicError
	if errors.As(err, &pe) {
		s.panicked("product_type")
		s.log.Error("paid hook panicked", "type", productType, "order_id", orderID, "err", err, "stack", string(pe.Stack))
	} else if err != nil {
		s.log.Error("paid hook failed", "type", productType, "order_id", orderID, "err", err)
	}
}
