package orders_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/platform/payments"
)

// panickingGateway is a payment gateway whose session lookups panic, as a
// bug in the reconciler's path would.
type panickingGateway struct {
	orders.Gateway
	lookups atomic.Int32
}

func (g *panickingGateway) GetSession(context.Context, payments.Account, string) (payments.Session, error) {
	g.lookups.Add(1)
	var m map[string]int
	//lint:ignore SA5000 the nil-map bug the reconciler's path may have, on purpose
	m["boom"]++
	return payments.Session{}, nil
}

// panicCount is an observer that counts contained panics.
type panicCount struct{ worker atomic.Int32 }

func (*panicCount) OrderCreated(uuid.UUID, uuid.UUID, string, orders.Status, int64, string) {}
func (*panicCount) OrderTransition(uuid.UUID, uuid.UUID, string, orders.Status, orders.Status, int64, string) {
}
func (p *panicCount) Panic(where string) {
	if where == "worker" {
		p.worker.Add(1)
	}
}

func TestReconcilerSurvivesAPanic(t *testing.T) {
	e := newPayingEnv(t)
	product := e.product("jersey", "Stale jersey", 4500, string(jerseyConfig("stale-panic")))
	stale := e.pending(product.ID, 7)
	e.sql(`UPDATE orders SET checkout_expires_at = now() - interval '1 hour' WHERE id = $1`, stale.ID)

	gw := &panickingGateway{Gateway: e.payments()}
	counted := &panicCount{}
	svc := orders.NewService(e.db, e.catalog, slog.New(slog.NewTextHandler(io.Discard, nil))).
		WithGateway(gw).WithObserver(counted)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); svc.RunReconciler(ctx, 10*time.Millisecond) }()
	deadline := time.Now().Add(20 * time.Second)
	for gw.lookups.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if n := gw.lookups.Load(); n < 3 {
		t.Fatalf("the reconciler asked about the stale order %d times in 20 s, want it to go on after a panic", n)
	}
	if n := counted.worker.Load(); n < 2 {
		t.Errorf("%d worker panics counted, want one per failed pass", n)
	}
	got, err := e.orders.Get(e.ctx, e.tenant.ID, stale.ID)
	if err != nil || got.Status != orders.StatusPending {
		t.Errorf("the stale order is %v (%v), want it still pending for a later pass", got.Status, err)
	}
}
