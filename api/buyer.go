package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/tenants"
)

func (s *Server) checkout(c *fiber.Ctx) error {
	var in orders.CheckoutInput
	if err := decode(c, &in); err != nil {
		return err
	}
	t := tenants.From(c)
	res, err := s.deps.Orders.Checkout(c.UserContext(), orders.CheckoutRequest{
		TenantID:       t.ID,
		TenantSlug:     t.Slug,
		OriginAllowed:  t.OriginAllowed,
		DefaultOrigin:  t.DefaultOrigin(),
		Input:          in,
		IdempotencyKey: c.Get("Idempotency-Key"),
		ClientIP:       c.IP(),
	})
	if err != nil {
		return err
	}
	status := fiber.StatusCreated
	if res.Replayed {
		status = fiber.StatusOK
	}
	return c.Status(status).JSON(res)
}

func (s *Server) householdOrders(c *fiber.Ctx) error {
	t := tenants.From(c)
	household, err := s.deps.Customers.ByToken(c.UserContext(), t.ID, c.Get("X-Registration-Token"))
	if err != nil {
		return err
	}
	list, err := s.deps.Orders.ForHousehold(c.UserContext(), t.ID, household.ID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": list})
}
