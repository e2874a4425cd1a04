package metrics

import (
	"encoding/json"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/platform/outbox"
)

// checkoutFamilies count committed checkouts from the outbox: created,
// completed, the discounts completed checkouts gave (in minor units, by
// kind) and the promotion codes redeemed. Labels: the tenant's slug, the
// discount's kind (sibling or promotion), the currency.
type checkoutFamilies struct {
	created, completed, redemptions *prometheus.CounterVec
	discounts                       *prometheus.CounterVec
}

func newCheckoutFamilies(f factory) checkoutFamilies {
	return checkoutFamilies{
		created:   f.counter("checkout_checkouts_created_total", "Checkouts placed (a POST /checkout is a checkout of one item).", "tenant"),
		completed: f.counter("checkout_checkouts_completed_total", "Checkouts completed (paid, or free at once).", "tenant"),
		discounts: f.counter("checkout_discount_cents_total",
			"Discounts given by completed checkouts, in minor units, by kind (sibling, promotion).", "tenant", "kind", "currency"),
		redemptions: f.counter("checkout_promotion_redemptions_total",
			"Promotion codes redeemed by checkouts placed (a checkout that ends unpaid gives its redemption back; this counts it once).", "tenant"),
	}
}

// Checkouts is the outbox observer that feeds the checkout families.
func (m *Metrics) Checkouts() outbox.Observer { return checkoutObserver{m} }

type checkoutObserver struct{ m *Metrics }

// eventCheckout is what the families read of a checkout event's data.
type eventCheckout struct {
	Currency  string `json:"currency"`
	Discounts []struct {
		Kind        string `json:"kind"`
		AmountCents int64  `json:"amount_cents"`
	} `json:"discounts"`
}

func (o checkoutObserver) Observe(events []outbox.Event) {
	f := o.m.checkouts
	for _, ev := range events {
		if ev.Type != orders.EventCheckoutCreated && ev.Type != orders.EventCheckoutCompleted {
			continue
		}
		var c eventCheckout
		if json.Unmarshal(ev.Data, &c) != nil {
			continue
		}
		slug := o.m.tenant(ev.TenantID)
		if ev.Type == orders.EventCheckoutCreated || ev.FromStatus == nil {
			// A new checkout: open (created), or complete at once (its one
			// event is completed, from no status).
			f.created.WithLabelValues(slug).Inc()
			for _, d := range c.Discounts {
				if d.Kind == "promotion" {
					f.redemptions.WithLabelValues(slug).Inc()
				}
			}
		}
		if ev.Type == orders.EventCheckoutCreated {
			continue
		}
		f.completed.WithLabelValues(slug).Inc()
		for _, d := range c.Discounts {
			if d.Kind == "sibling" || d.Kind == "promotion" {
				f.discounts.WithLabelValues(slug, d.Kind, c.Currency).Add(float64(d.AmountCents))
			}
		}
	}
}
