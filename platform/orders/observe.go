package orders

import (
	"encoding/json"

	"github.com/google/uuid"

	"github.com/leaguepay/checkout/platform/outbox"
)

// Observer learns of committed order changes (metrics). The outbox's
// dispatcher drives it, through EventObserver, once the change committed:
// a rolled-back change is never reported.
type Observer interface {
	// OrderCreated is called for every new order, with its first status.
	OrderCreated(tenantID, orderID uuid.UUID, productType string, status Status, amount int64, currency string)
	// OrderTransition is called for every status change.
	OrderTransition(tenantID, orderID uuid.UUID, productType string, from, to Status, amount int64, currency string)
}

// PanicCounter is implemented by observers that count contained panics
// (metrics): where is "worker" or "product_type".
type PanicCounter interface {
	Panic(where string)
}

// EventObserver turns the outbox's order events into o's calls: one
// OrderCreated per order.created, one OrderTransition per change of status.
func EventObserver(o Observer) outbox.Observer { return eventObserver{o} }

type eventObserver struct{ o Observer }

// EventOrder is what the outbox's followers read of an order event's data.
type EventOrder struct {
	ID          uuid.UUID `json:"id"`
	ProductType string    `json:"product_type"`
	Status      Status    `json:"status"`
	AmountCents int64     `json:"amount_cents"`
	Currency    string    `json:"currency"`
}

func (e eventObserver) Observe(events []outbox.Event) {
	for _, ev := range events {
		var o EventOrder
		if !isOrderEvent(ev.Type) || json.Unmarshal(ev.Data, &o) != nil {
			continue
		}
		switch {
		case ev.Type == EventCreated:
			e.o.OrderCreated(ev.TenantID, o.ID, o.ProductType, o.Status, o.AmountCents, o.Currency)
		case ev.FromStatus != nil:
			e.o.OrderTransition(ev.TenantID, o.ID, o.ProductType, Status(*ev.FromStatus), o.Status, o.AmountCents, o.Currency)
		}
	}
}

func isOrderEvent(t string) bool {
	switch t {
	case EventCreated, EventPaid, EventCanceled, EventExpired, EventRefunded, EventFailed:
		return true
	}
	return false
}
