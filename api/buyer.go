package api

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/checkout"
)

// maxIdempotencyKey is the longest Idempotency-Key taken.
const maxIdempotencyKey = 255

func (s *Server) checkout(c *fiber.Ctx) error {
	key, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	var in checkout.Input
	if err := decode(c, &in); err != nil {
		return err
	}
	t := tenantOf(c)
	res, err := s.deps.Checkout.Checkout(c.UserContext(), checkout.Request{
		TenantID:       t.ID,
		TenantSlug:     t.Slug,
		OriginAllowed:  t.OriginAllowed,
		DefaultOrigin:  t.DefaultOrigin(),
		Input:          in,
		IdempotencyKey: key,
		ClientIP:       s.clientIP(c),
	})
	if err != nil {
		return err
	}
	return created(c, res.Replayed, res)
}

// idempotencyKey is the request's Idempotency-Key header ("" when absent).
func idempotencyKey(c *fiber.Ctx) (string, error) {
	key := c.Get("Idempotency-Key")
	if !validIdempotencyKey(key) {
		return "", &apperr.BadRequest{Detail: "bad Idempotency-Key", Fields: apperr.Field("header:Idempotency-Key",
			fmt.Sprintf("must be 1 to %d printable ASCII characters (no spaces)", maxIdempotencyKey))}
	}
	return key, nil
}

// created answers what a POST made (201), or what an Idempotency-Key
// replayed (200).
func created(c *fiber.Ctx, replayed bool, body any) error {
	status := fiber.StatusCreated
	if replayed {
		status = fiber.StatusOK
	}
	return c.Status(status).JSON(body)
}

// validIdempotencyKey reports whether key (the header's value, "" when
// absent) may be used: it is stored as text and compared byte for byte, so
// it is kept to printable ASCII (0x21–0x7E), which every client can send
// and no proxy rewrites.
func validIdempotencyKey(key string) bool {
	if len(key) > maxIdempotencyKey {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return false
		}
	}
	return true
}

func (s *Server) householdOrders(c *fiber.Ctx) error {
	if err := noFilters(c); err != nil {
		return err
	}
	t := tenantOf(c)
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
