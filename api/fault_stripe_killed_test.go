package api_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/leaguepay/checkout/app"
	"github.com/leaguepay/checkout/internal/testkit/stripemock"
	"github.com/leaguepay/checkout/platform/config"
	"github.com/leaguepay/checkout/platform/payments"
)

// killingProvider is the Stripe provider with a trap for one call: once
// armed, the next session create kills stripe-mock before it goes on. The
// order service calls it after the order's insert has committed and
// before the session is created, so the process dies exactly between the
// two.
type killingProvider struct {
	payments.Provider
	kill  func()
	armed atomic.Bool
}

func (p *killingProvider) CreateSession(ctx context.Context, a payments.Account, r payments.SessionRequest) (payments.Session, error) {
	if p.armed.CompareAndSwap(true, false) {
		p.kill()
	}
	return p.Provider.CreateSession(ctx, a, r)
}

// withKillingProvider wires the payment side to sm through a
// killingProvider.
func withKillingProvider(sm *stripemock.Server, gw **killingProvider) tweak {
	return func(c *config.Config, o *app.Options) {
		c.StripeAPIURL = sm.URL
		*gw = &killingProvider{Provider: payments.NewStripe(sm.URL), kill: sm.Kill}
		o.Provider = *gw
	}
}

// TestStripeKilledBetweenOrderAndSession kills a league's stripe-mock after
// a priced checkout's order is inserted and before its session is created.
func TestStripeKilledBetweenOrderAndSession(t *testing.T) {
	sm := stripemock.StartServer(t)
	var gw *killingProvider
	e := &env{t: t, app: buildApp(t, withKillingProvider(sm, &gw))}
	su := asSuperuser(t)
	l := e.newLeague()
	e.ownKeys(l) // checked against this stripe-mock
	kit := e.pricedKit(l, "Training kit", 1500)
	numbered := e.product(l, map[string]any{"type": "jersey", "name": "Home jersey", "price_cents": 2500, "config": jerseyConfig})["id"]
	optOut := e.product(l, freeJersey("Free jersey"))["id"] // the same number scope
	_, annToken, _ := e.household(l, "Ann")
	_, benToken, _ := e.household(l, "Ben")
	// Ann's Stripe customer exists, so the session create is the first
	// Stripe call her next checkout makes.
	e.must(201, "POST", l.Base+"/checkout", map[string]any{"registration_token": annToken, "product_id": kit, "custom_data": kitData()})

	gw.armed.Store(true)
	r := e.do("POST", l.Base+"/checkout", map[string]any{"registration_token": annToken, "product_id": numbered,
		"custom_data": jerseyData(9)})

	t.Run("stripe-mock is gone", func(t *testing.T) {
		if res, err := http.Get(sm.URL + "/v1/customers/cus_1"); err == nil {
			res.Body.Close()
			t.Fatal("stripe-mock still answers")
		}
	})
	t.Run("the buyer gets a 502 problem that shows nothing of the failure", func(t *testing.T) {
		isoProblem(t, r, 502, "/problems/payment-provider")
		for _, s := range []string{"127.0.0.1", "connect", "refused", "dial", "stripe-mock"} {
			if strings.Contains(string(r.Body), s) {
				t.Errorf("the problem shows %q: %s", s, r.Body)
			}
		}
	})
	list := e.allOrders(l, "product_id", numbered.(string))
	t.Run("the order is visibly failed, with the reason in its audit trail", func(t *testing.T) {
		if len(list) != 1 || list[0]["status"] != "failed" || list[0]["checkout_url"] != nil {
			t.Fatalf("orders %v", list)
		}
		o := e.order(l, list[0]["id"])
		if got := transitions(o); !slices.Equal(got, []string{"→pending", "pending→failed"}) {
			t.Errorf("transitions %v", got)
		}
		if last := o["events"].([]any)[1].(map[string]any); !strings.Contains(last["detail"].(string), "payment provider failed") {
			t.Errorf("event %v", last)
		}
	})
	t.Run("its claim is released: another player takes number 9 right after", func(t *testing.T) {
		if n := su.count(`SELECT count(*) FROM order_claims WHERE order_id = $1`, list[0]["id"]); n != 0 {
			t.Errorf("%d claim links left on the failed order", n)
		}
		res := e.do("POST", l.Base+"/checkout", map[string]any{"registration_token": benToken, "product_id": optOut,
			"custom_data": jerseyData(9)})
		if res.Status != 201 {
			t.Errorf("Ben's checkout of number 9: %d %s", res.Status, res.Body)
		}
	})

	sm.Restart(t)
	t.Run("once stripe-mock runs again the next checkout works", func(t *testing.T) {
		res := e.do("POST", l.Base+"/checkout", map[string]any{"registration_token": annToken, "product_id": numbered,
			"custom_data": jerseyData(10)})
		if res.Status != 201 {
			t.Fatalf("checkout: %d %s", res.Status, res.Body)
		}
		o := res.JSON()["order"].(map[string]any)
		if o["status"] != "pending" || res.JSON()["checkout_url"] == nil || o["stripe_checkout_session_id"] == nil {
			t.Errorf("checkout %s", res.Body)
		}
	})
}
