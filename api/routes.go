package api

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/limiter"

	"github.com/leaguepay/checkout/tenants"
)

// routes is the one route table of the API.
func (s *Server) routes(app *fiber.App) {
	app.Use(s.observe(routeSet(app)), bodiesOnlyWhereTaken, refuseEncodedBodies, requestTimeout)
	app.Get("/healthz", s.healthz)
	app.Get("/readyz", s.readyz)
	if s.deps.ServeMetrics {
		// Metrics name every league and its revenue: on the public address
		// they are for the platform operator only.
		app.Get("/metrics", s.platformAuth, adaptor.HTTPHandler(s.deps.Metrics.Handler()))
	}
	app.Get("/openapi.json", s.openapi)

	p := app.Group("/v1/platform", s.platformAuth)
	p.Post("/tenants", s.takesBody, s.createTenant)
	p.Get("/tenants", s.listTenants)
	p.Patch("/tenants/:tenant", s.takesBody, s.updateTenant)
	p.Post("/tenants/:tenant/api-keys", resolveTenant(s.deps.Tenants), s.takesBody, s.platformCreateKey)

	t := app.Group("/v1/tenants/:tenant", resolveTenant(s.deps.Tenants))

	viewer, manager, admin := s.staff(tenants.RoleViewer), s.staff(tenants.RoleManager), s.staff(tenants.RoleAdmin)
	a := t.Group("/admin")
	a.Get("/product-types", viewer, s.listProductTypes)
	a.Get("/products", viewer, s.listProducts)
	a.Post("/products", manager, s.takesBody, s.createProduct)
	a.Get("/products/:id", viewer, s.getProduct)
	a.Patch("/products/:id", manager, s.takesBody, s.updateProduct)
	a.Get("/customers", viewer, s.listCustomers)
	a.Post("/customers", manager, s.takesBody, s.createCustomer)
	a.Get("/customers/:id", viewer, s.getCustomer)
	a.Post("/customers/:id/registration-token", manager, s.rotateToken)
	a.Post("/customers/:id/players", manager, s.takesBody, s.addPlayer)
	a.Get("/orders", viewer, s.listOrders)
	a.Get("/orders.csv", viewer, s.exportOrders)
	a.Get("/orders/:id", viewer, s.getOrder)
	a.Post("/orders/:id/cancel", admin, s.cancelOrder)
	a.Post("/orders/:id/refund", admin, s.takesBody, s.refundOrder)
	a.Get("/checkouts/:id", viewer, s.getCheckout)
	a.Get("/stripe", admin, s.getStripe)
	a.Put("/stripe", admin, s.takesBody, s.putStripe)
	a.Get("/api-keys", admin, s.listKeys)
	a.Post("/api-keys", admin, s.takesBody, s.createKey)
	a.Delete("/api-keys/:id", admin, s.deleteKey)
	a.Get("/discounts", viewer, s.listDiscounts)
	a.Post("/discounts", manager, s.takesBody, s.createDiscount)
	a.Get("/discounts/:id", viewer, s.getDiscount)
	a.Patch("/discounts/:id", manager, s.takesBody, s.updateDiscount)
	a.Get("/webhook-endpoints", admin, s.listEndpoints)
	a.Post("/webhook-endpoints", admin, s.takesBody, s.createEndpoint)
	a.Get("/webhook-endpoints/:id", admin, s.getEndpoint)
	a.Delete("/webhook-endpoints/:id", admin, s.deleteEndpoint)
	a.Get("/webhook-endpoints/:id/deliveries", admin, s.listDeliveries)

	t.Post("/webhooks/stripe", s.takesBody, s.tenantWebhook)
	app.Post("/v1/webhooks/stripe", s.takesBody, s.platformWebhook)

	if s.deps.Payments.Sandbox() {
		sb := app.Group("/sandbox/checkout/:tenant", resolveTenant(s.deps.Tenants))
		sb.Get("/:session", s.sandboxPage)
		sb.Post("/:session/pay", s.sandboxPay)
		sb.Post("/:session/cancel", s.sandboxCancel)
	}

	b := t.Group("", s.buyerLimiter())
	b.Get("/products", s.listPublicProducts)
	b.Get("/products/:id", s.getPublicProduct)
	b.Post("/checkout", s.takesBody, s.checkout)
	b.Post("/checkouts", s.takesBody, s.createCart)
	b.Post("/checkouts/preview", s.takesBody, s.previewCart)
	b.Get("/checkouts/:id", s.householdCheckout)
	b.Get("/orders", s.householdOrders)
}

// requestTimeout gives every handler's context a deadline, so a stuck
// database call cannot hold a request forever.
func requestTimeout(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 30*time.Second)
	defer cancel()
	c.SetUserContext(ctx)
	return c.Next()
}

// buyerLimiter bounds buyer requests per client IP and tenant (429 with
// Retry-After past it). It is per replica: see docs on scaling.
func (s *Server) buyerLimiter() fiber.Handler {
	max := s.deps.BuyerRateLimit
	if max == 0 {
		max = 300
	}
	return limiter.New(limiter.Config{
		Max:          max,
		Expiration:   time.Minute,
		KeyGenerator: func(c *fiber.Ctx) string { return c.Params("tenant") + "|" + s.clientIP(c) },
		LimitReached: func(c *fiber.Ctx) error { return fiber.ErrTooManyRequests },
	})
}
