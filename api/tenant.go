package api

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/tenants"
)

const tenantKey = "tenant"

// resolveTenant is middleware that loads the tenant named by the {tenant}
// path parameter (404 when unknown or malformed) for the handlers after it.
func resolveTenant(s *tenants.Store) fiber.Handler {
	return func(c *fiber.Ctx) error {
		t, err := s.BySlug(c.UserContext(), c.Params("tenant"))
		if errors.Is(err, apperr.ErrNotFound) {
			return &apperr.Missing{Detail: "there is no league with this slug"}
		}
		if err != nil {
			return err
		}
		c.Locals(tenantKey, t)
		return c.Next()
	}
}

// tenantOf returns the tenant resolveTenant loaded for this request.
func tenantOf(c *fiber.Ctx) tenants.Tenant {
	t, _ := c.Locals(tenantKey).(tenants.Tenant)
	return t
}
