package tenants

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/leaguepay/checkout/platform/apperr"
)

const localsKey = "tenants.tenant"

// Resolve is Fiber middleware that loads the tenant named by the {tenant}
// path parameter (404 when unknown or malformed) for the handlers after it.
func Resolve(s *Store) fiber.Handler {
	return func(c *fiber.Ctx) error {
		t, err := s.BySlug(c.UserContext(), c.Params("tenant"))
		if errors.Is(err, apperr.ErrNotFound) {
			return &apperr.Missing{Detail: "there is no league with this slug"}
		}
		if err != nil {
			return err
		}
		c.Locals(localsKey, t)
		return c.Next()
	}
}

// From returns the tenant Resolve loaded for this request.
func From(c *fiber.Ctx) Tenant {
	t, _ := c.Locals(localsKey).(Tenant)
	return t
}
