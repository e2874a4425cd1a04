package orders

import (
	"context"
	"sync"

	"github.com/google/uuid"
)

// Observer learns of order changes once they are committed (metrics, the
// product types' paid hooks).
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

// panicked counts a contained panic with the observer, if it counts them.
func (s *Service) panicked(where string) {
	if pc, ok := s.observer.(PanicCounter); ok {
		pc.Panic(where)
	}
}

// Observers fans every change out to each of observers (nil ones skipped).
func Observers(observers ...Observer) Observer { return fanOut(observers) }

type fanOut []Observer

func (f fanOut) OrderCreated(tenantID, orderID uuid.UUID, productType string, status Status, amount int64, currency string) {
	for _, o := range f {
		if o != nil {
			o.OrderCreated(tenantID, orderID, productType, status, amount, currency)
		}
	}
}

func (f fanOut) OrderTransition(tenantID, orderID uuid.UUID, productType string, from, to Status, amount int64, currency string) {
	for _, o := range f {
		if o != nil {
			o.OrderTransition(tenantID, orderID, productType, from, to, amount, currency)
		}
	}
}

// Changes collects the order changes of one transaction so they are
// reported only if it commits: a rolled-back transition is never counted.
type Changes struct {
	mu   sync.Mutex
	list []change
}

type change struct {
	tenantID    uuid.UUID
	orderID     uuid.UUID
	productType string
	from        *Status
	to          Status
	amount      int64
	currency    string
}

type changesKey struct{}

// Track returns a context whose order changes are collected in the returned
// Changes; call Publish after the transaction commits.
func Track(ctx context.Context) (context.Context, *Changes) {
	c := &Changes{}
	return context.WithValue(ctx, changesKey{}, c), c
}

// note records a change on the context's collector, if any.
func note(ctx context.Context, tenantID uuid.UUID, o *Order, from *Status, to Status) {
	c, _ := ctx.Value(changesKey{}).(*Changes)
	if c == nil {
		return
	}
	c.mu.Lock()
	c.list = append(c.list, change{tenantID: tenantID, orderID: o.ID, productType: o.ProductType, from: from, to: to,
		amount: o.AmountCents, currency: o.Currency})
	c.mu.Unlock()
}

// Publish reports the collected changes to o (nil: nobody listens) and
// forgets them.
func (c *Changes) Publish(o Observer) {
	if o == nil || c == nil {
		return
	}
	c.mu.Lock()
	list := c.list
	c.list = nil
	c.mu.Unlock()
	for _, ch := range list {
		if ch.from == nil {
			o.OrderCreated(ch.tenantID, ch.orderID, ch.productType, ch.to, ch.amount, ch.currency)
		} else {
			o.OrderTransition(ch.tenantID, ch.orderID, ch.productType, *ch.from, ch.to, ch.amount, ch.currency)
		}
	}
}

// publish reports changes once their transaction committed (err == nil) to
// the service's observer and the paid hooks, and passes err through.
func (s *Service) publish(changes *Changes, err error) error {
	if err == nil {
		changes.Publish(Observers(s.observer, s.PaidHooks()))
	}
	return err
}

// WithObserver makes the service report committed order changes to o.
func (s *Service) WithObserver(o Observer) *Service {
	s.observer = o
	return s
}
