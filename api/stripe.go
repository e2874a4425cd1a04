package api

import (
	"bytes"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/leaguepay/checkout/platform/payments"
	"github.com/leaguepay/checkout/platform/settlement"
)

func (s *Server) getStripe(c *fiber.Ctx) error {
	t := tenantOf(c)
	v, err := s.deps.Payments.Settings(c.UserContext(), t.ID, t.Slug)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (s *Server) putStripe(c *fiber.Ctx) error {
	var in payments.SettingsInput
	if err := decode(c, &in); err != nil {
		return err
	}
	if err := s.deps.Payments.PutSettings(c.UserContext(), tenantOf(c).ID, in); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// tenantWebhook receives events signed with the tenant's own secret.
func (s *Server) tenantWebhook(c *fiber.Ctx) error {
	start := time.Now()
	res, err := s.deps.Webhooks.Tenant(c.UserContext(), tenantOf(c).ID, rawBody(c), c.Get("Stripe-Signature"))
	s.countWebhook(tenantOf(c).Slug, res, start)
	return webhookReply(c, res, err)
}

// platformWebhook receives Connect events signed with the platform's secret.
func (s *Server) platformWebhook(c *fiber.Ctx) error {
	start := time.Now()
	res, err := s.deps.Webhooks.Platform(c.UserContext(), rawBody(c), c.Get("Stripe-Signature"))
	s.countWebhook(s.deps.Metrics.TenantSlug(res.TenantID), res, start)
	return webhookReply(c, res, err)
}

// rawBody is a copy of the request body exactly as received (read by
// takesBody). Unlike c.Body() it never inflates a Content-Encoding
// (refuseEncodedBodies refuses those before any handler runs); the copy may
// outlive the handler.
func rawBody(c *fiber.Ctx) []byte {
	body, err := requestBody(c)
	if err != nil {
		panic(err) // a route table bug: caught by observe, fails this request
	}
	return bytes.Clone(body)
}

// countWebhook counts a delivery under a tenant label that names an existing
// tenant (or "unknown"), never a value taken from the request.
func (s *Server) countWebhook(tenant string, res settlement.Result, start time.Time) {
	s.deps.Metrics.Webhook(tenant, res.Type, string(res.Outcome), time.Since(start))
}

// webhookReply answers Stripe: 200 for processed, duplicate and ignored
// events; an error goes to the one mapping (problemFor): 400 for a bad
// signature or body, 503 for an event not processed now (Stripe retries).
func webhookReply(c *fiber.Ctx, res settlement.Result, err error) error {
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"received": true, "outcome": res.Outcome})
}
