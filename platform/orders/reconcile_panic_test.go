package orders_test

import (
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/riverqueue/river"

	"github.com/leaguepay/checkout/app"
	"github.com/leaguepay/checkout/internal/testkit/apptest"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/platform/payments"
	"github.com/leaguepay/checkout/platform/settlement"
)

// panickingProvider is a payment provider whose session lookups panic, as
// a bug in the reconciler's path would.
type panickingProvider struct {
	payments.Provider
	lookups atomic.Int32
}

func (p *panickingProvider) GetSession(context.Context, payments.Account, string) (payments.Session, error) {
	p.lookups.Add(1)
	var m map[string]int
	//lint:ignore SA5000 the nil-map bug the reconciler's path may have, on purpose
	m["boom"]++
	return payments.Session{}, nil
}

func TestReconcilerSurvivesAPanic(t *testing.T) {
	e := newPayingEnv(t)
	product := e.product("jersey", "Stale jersey", 4500, string(jerseyConfig("stale-panic")))
	stale := e.pending(product.ID, 7)
	e.sql(`UPDATE orders SET checkout_expires_at = now() - interval '1 hour' WHERE id = $1`, stale.ID)

	p := &panickingProvider{Provider: payments.NewStripe(e.stripeURL)}
	a := apptest.New(t, apptest.Config(e.stripeURL), app.Options{Provider: p})
	worker := a.Settlement.Reconciler()
	for range 3 {
		if err := worker.Work(e.ctx, &river.Job[settlement.ReconcileArgs]{}); err != nil {
			t.Fatalf("a pass failed the job: %v", err)
		}
	}
	if n := p.lookups.Load(); n < 3 {
		t.Fatalf("three passes asked about the stale order %d times, want each to go on after the last one's panic", n)
	}
	if n := scrape(t, a, `checkout_panics_total{where="worker"}`); n < 3 {
		t.Errorf("%v worker panics counted, want one per failed pass", n)
	}
	got, err := e.orders.Get(e.ctx, e.tenant.ID, stale.ID)
	if err != nil || got.Status != orders.StatusPending {
		t.Errorf("the stale order is %v (%v), want it still pending for a later pass", got.Status, err)
	}
}

// scrape reads one series of the app's metrics (0 when absent).
func scrape(t *testing.T, a *app.App, series string) float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	a.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	return 0
}
