// Package api is the HTTP face of the checkout platform: one Fiber app, one
// route table (routes.go), middleware for tenant resolution, authentication
// and limits, handlers per resource, and one error-to-problem mapping
// (errors.go).
package api

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/sync/semaphore"

	"github.com/leaguepay/checkout/platform/catalog"
	"github.com/leaguepay/checkout/platform/checkout"
	"github.com/leaguepay/checkout/platform/customers"
	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/platform/discounts"
	"github.com/leaguepay/checkout/platform/leaguehooks"
	"github.com/leaguepay/checkout/platform/metrics"
	"github.com/leaguepay/checkout/platform/orderio"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/platform/payments"
	"github.com/leaguepay/checkout/platform/settlement"
	"github.com/leaguepay/checkout/producttypes"
	"github.com/leaguepay/checkout/tenants"
)

// Deps is what the API needs; cmd/checkout wires it.
type Deps struct {
	DB        *db.DB
	Registry  *producttypes.Registry
	Tenants   *tenants.Store
	Catalog   *catalog.Service
	Customers *customers.Store
	Orders    *orders.Store
	// Checkout places orders; Settlement cancels and refunds them; OrderIO
	// exports them.
	Checkout   *checkout.Service
	Settlement *settlement.Service
	OrderIO    *orderio.Service
	Payments   *payments.Service
	Webhooks   *settlement.Webhooks
	// Discounts keeps the leagues' discounts.
	Discounts *discounts.Store
	// LeagueHooks keeps the leagues' webhook endpoints.
	LeagueHooks *leaguehooks.Service
	Metrics     *metrics.Metrics
	// ServeMetrics serves /metrics on the API's own address (the default;
	// CHECKOUT_METRICS_ADDR serves it elsewhere instead).
	ServeMetrics bool
	// Draining makes /readyz answer 503 once set (on SIGTERM).
	Draining      *atomic.Bool
	Log           *slog.Logger
	PlatformToken string
	// BuyerRateLimit is the number of buyer requests one client IP may make
	// per minute per tenant (0: the default of 300).
	BuyerRateLimit int
	// TrustedProxies are the proxies (IPs or CIDRs) whose X-Forwarded-For
	// names the client, for rate limits and contract evidence (see
	// Server.clientIP). New panics on an entry that is neither.
	TrustedProxies []string
	// BodyBudget bounds the bytes of request bodies read or held at once,
	// across all connections (0: DefaultBodyBudget). See body.go.
	BodyBudget int64
	// BodyTimeout bounds how long the rest of a body may take to arrive
	// once its route starts reading it (0: DefaultBodyTimeout).
	BodyTimeout time.Duration
}

// marshalJSON encodes v without HTML escaping.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// BodyLimit is the largest request body accepted (larger: 413).
const BodyLimit = 1 << 20

// Server holds the dependencies the handlers use.
type Server struct {
	deps Deps
	// proxies are Deps.TrustedProxies, parsed once (see clientIP). Fiber's
	// own ProxyHeader is not used: it takes the leftmost valid address of
	// X-Forwarded-For, which the client writes.
	proxies []netip.Prefix
	bodies  *semaphore.Weighted // the body budget
}

// New builds the Fiber app with every route of the contract.
func New(deps Deps) *fiber.App {
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	if deps.BodyTimeout <= 0 {
		deps.BodyTimeout = DefaultBodyTimeout
	}
	s := &Server{deps: deps, proxies: parseProxies(deps.TrustedProxies), bodies: newBodyBudget(deps.BodyBudget)}
	cfg := fiber.Config{
		AppName:               "checkout",
		BodyLimit:             BodyLimit,
		DisableStartupMessage: true,
		// Immutable copies every string Fiber hands out, so values taken from
		// params, queries and bodies may outlive the handler safely.
		Immutable: true,
		// Bodies are read by the routes that take one, within a budget
		// (body.go), never buffered whole before routing.
		StreamRequestBody: true,
		// JSON as written: "<= 30", not "\u003c= 30" (encoding/json escapes
		// HTML characters by default; nothing here is embedded in HTML).
		JSONEncoder:  marshalJSON,
		ReadTimeout:  30 * time.Second,
		WriteTimeout: 60 * time.Second,
		IdleTimeout:  120 * time.Second,
	}
	cfg.ErrorHandler = s.errorHandler()
	app := fiber.New(cfg)
	s.routes(app)
	return app
}
