// Package metrics holds the platform's Prometheus metrics, on a registry of
// its own (never the global default). Label values come only from known
// sets: tenants are labelled by the slug of a tenant that exists, event
// types and routes from fixed lists, so a flood of requests for unknown
// tenants or forged webhooks creates no new series.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/platform/outbox"
)

// Metrics is every metric family of the contract.
type Metrics struct {
	Registry *prometheus.Registry

	ordersCreated   *prometheus.CounterVec
	transitions     *prometheus.CounterVec
	revenue         *prometheus.CounterVec
	webhookEvents   *prometheus.CounterVec
	webhookDuration prometheus.Histogram
	stripeRequests  *prometheus.CounterVec
	stripeDuration  *prometheus.HistogramVec
	httpRequests    *prometheus.CounterVec
	httpDuration    *prometheus.HistogramVec
	panics          *prometheus.CounterVec
	outboxLag       prometheus.Histogram
	checkouts       checkoutFamilies
	slugOf          func(ctx context.Context, tenantID uuid.UUID) (string, bool)
}

// New registers every family, the Go runtime and process collectors, and
// the pool's gauges on a fresh registry. slugOf names a tenant by id; an
// unknown id is labelled "unknown".
func New(pool *pgxpool.Pool, slugOf func(ctx context.Context, tenantID uuid.UUID) (string, bool)) *Metrics {
	m := &Metrics{Registry: prometheus.NewRegistry(), slugOf: slugOf}
	f := factory{m.Registry}
	m.ordersCreated = f.counter("checkout_orders_created_total", "Orders created, by first status.", "tenant", "product_type", "status")
	m.transitions = f.counter("checkout_order_transitions_total", "Order status changes.", "tenant", "product_type", "from", "to")
	m.revenue = f.counter("checkout_order_revenue_cents_total", "Amounts of orders that became paid, in minor units.", "tenant", "product_type", "currency")
	m.webhookEvents = f.counter("checkout_webhook_events_total", "Stripe webhook deliveries, by outcome.", "tenant", "type", "outcome")
	m.checkouts = newCheckoutFamilies(f)
	m.panics = f.counter("checkout_panics_total", "Panics caught and contained, by where they happened (handler, product_type, worker).", "where")
	for where := range panicPlaces {
		m.panics.WithLabelValues(where) // every series exists from the start, at 0
	}
	m.webhookDuration = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "checkout_webhook_duration_seconds",
		Help: "Time to verify and apply one webhook delivery.", Buckets: prometheus.DefBuckets})
	m.stripeRequests = f.counter("checkout_stripe_requests_total", "Calls to the payment provider.", "operation", "outcome")
	m.stripeDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "checkout_stripe_request_duration_seconds",
		Help: "Payment provider call latency.", Buckets: prometheus.DefBuckets}, []string{"operation"})
	m.httpRequests = f.counter("checkout_http_requests_total", "HTTP requests, by route template.", "route", "method", "code")
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "checkout_http_request_duration_seconds",
		Help: "HTTP request latency, by route template.", Buckets: prometheus.DefBuckets}, []string{"route", "method"})
	m.outboxLag = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "checkout_outbox_lag_seconds",
		Help:    "Time from a committed change to its event's dispatch (metrics, paid hooks, league deliveries).",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}})
	m.Registry.MustRegister(m.webhookDuration, m.stripeDuration, m.httpDuration, m.outboxLag,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if pool != nil {
		m.Registry.MustRegister(newPoolCollector(pool))
	}
	return m
}

type factory struct{ r *prometheus.Registry }

func (f factory) counter(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	f.r.MustRegister(c)
	return c
}

func (m *Metrics) tenant(id uuid.UUID) string {
	if m.slugOf == nil {
		return "unknown"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if slug, ok := m.slugOf(ctx, id); ok {
		return slug
	}
	return "unknown"
}

// OrderCreated implements orders.Observer.
func (m *Metrics) OrderCreated(tenantID, _ uuid.UUID, productType string, status orders.Status, amount int64, currency string) {
	slug := m.tenant(tenantID)
	m.ordersCreated.WithLabelValues(slug, productType, string(status)).Inc()
	if status == orders.StatusPaid {
		m.revenue.WithLabelValues(slug, productType, currency).Add(float64(amount))
	}
}

// OrderTransition implements orders.Observer.
func (m *Metrics) OrderTransition(tenantID, _ uuid.UUID, productType string, from, to orders.Status, amount int64, currency string) {
	slug := m.tenant(tenantID)
	m.transitions.WithLabelValues(slug, productType, string(from), string(to)).Inc()
	if to == orders.StatusPaid {
		m.revenue.WithLabelValues(slug, productType, currency).Add(float64(amount))
	}
}

var _ orders.Observer = (*Metrics)(nil)

// knownEventTypes are the webhook types labelled as themselves; every
// other type is "other", an unparsed delivery "unknown".
var knownEventTypes = map[string]bool{
	"checkout.session.completed": true, "checkout.session.async_payment_succeeded": true,
	"checkout.session.async_payment_failed": true, "checkout.session.expired": true, "charge.refunded": true,
}

// Webhook counts one delivery. tenant is a resolved tenant's slug or
// "unknown"; eventType may be anything (it is folded into a known set).
func (m *Metrics) Webhook(tenant, eventType, outcome string, took time.Duration) {
	switch {
	case eventType == "":
		eventType = "unknown"
	case !knownEventTypes[eventType]:
		eventType = "other"
	}
	m.webhookEvents.WithLabelValues(tenant, eventType, outcome).Inc()
	m.webhookDuration.Observe(took.Seconds())
}

// TenantSlug names a tenant by id for labels ("unknown" when it has none).
func (m *Metrics) TenantSlug(id uuid.UUID) string {
	if id == uuid.Nil {
		return "unknown"
	}
	return m.tenant(id)
}

// HTTP counts one request. route must be a route template.
func (m *Metrics) HTTP(route, method string, code int, took time.Duration) {
	m.httpRequests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
	m.httpDuration.WithLabelValues(route, method).Observe(took.Seconds())
}

// panicPlaces are the values of checkout_panics_total's "where" label.
var panicPlaces = map[string]bool{"handler": true, "product_type": true, "worker": true}

// Panic counts one contained panic. where is "handler", "product_type" or
// "worker" (anything else is counted as "handler"). A nil *Metrics counts
// nothing, so code that recovers needs no check of its own.
func (m *Metrics) Panic(where string) {
	if m == nil {
		return
	}
	if !panicPlaces[where] {
		where = "handler"
	}
	m.panics.WithLabelValues(where).Inc()
}

// OutboxLag is the outbox observer that times each event from its change's
// commit to its dispatch.
func (m *Metrics) OutboxLag() outbox.Observer { return outboxLag{m.outboxLag} }

type outboxLag struct{ h prometheus.Histogram }

func (l outboxLag) Observe(events []outbox.Event) {
	now := time.Now()
	for _, ev := range events {
		l.h.Observe(now.Sub(ev.CreatedAt).Seconds())
	}
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}
