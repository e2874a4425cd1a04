package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/leaguepay/checkout/platform/checkout"
)

// cartRequest reads a household checkout's body and headers.
func (s *Server) cartRequest(c *fiber.Ctx, idempotent bool) (checkout.CartRequest, error) {
	key := ""
	if idempotent {
		var err error
		if key, err = idempotencyKey(c); err != nil {
			return checkout.CartRequest{}, err
		}
	}
	var in checkout.CartInput
	if err := decode(c, &in); err != nil {
		return checkout.CartRequest{}, err
	}
	t := tenantOf(c)
	return checkout.CartRequest{TenantID: t.ID, TenantSlug: t.Slug, OriginAllowed: t.OriginAllowed,
		DefaultOrigin: t.DefaultOrigin(), Input: in, IdempotencyKey: key, ClientIP: s.clientIP(c)}, nil
}

func (s *Server) createCart(c *fiber.Ctx) error {
	req, err := s.cartRequest(c, true)
	if err != nil {
		return err
	}
	res, err := s.deps.Checkout.Cart(c.UserContext(), req)
	if err != nil {
		return err
	}
	return created(c, res.Replayed, res)
}

// previewCart answers a household checkout as it would be placed now; it
// takes no Idempotency-Key (it writes nothing): one sent is ignored.
func (s *Server) previewCart(c *fiber.Ctx) error {
	req, err := s.cartRequest(c, false)
	if err != nil {
		return err
	}
	p, err := s.deps.Checkout.Preview(c.UserContext(), req)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"checkout": p})
}

// householdCheckout is a buyer's read of one of the household's checkouts.
func (s *Server) householdCheckout(c *fiber.Ctx) error {
	if err := noFilters(c); err != nil {
		return err
	}
	t := tenantOf(c)
	household, err := s.deps.Customers.ByToken(c.UserContext(), t.ID, c.Get("X-Registration-Token"))
	if err != nil {
		return err
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	co, err := s.deps.Orders.GetCheckout(c.UserContext(), t.ID, id, &household.ID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"checkout": co})
}

func (s *Server) getCheckout(c *fiber.Ctx) error {
	if err := noFilters(c); err != nil {
		return err
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	co, err := s.deps.Orders.GetCheckout(c.UserContext(), tenantOf(c).ID, id, nil)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"checkout": co})
}
