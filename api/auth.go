package api

import (
	"crypto/subtle"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/tenants"
)

func bearer(c *fiber.Ctx) string {
	h := c.Get(fiber.HeaderAuthorization)
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// platformAuth admits the platform operator. With no platform token
// configured the platform API does not exist (404).
func (s *Server) platformAuth(c *fiber.Ctx) error {
	if s.deps.PlatformToken == "" {
		return apperr.ErrNotFound
	}
	got := bearer(c)
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.deps.PlatformToken)) != 1 {
		return apperr.ErrUnauthorized
	}
	return c.Next()
}

const roleKey = "api.role"

// staff admits tenant staff whose API key's role allows need. It runs after
// resolveTenant.
func (s *Server) staff(need tenants.Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		key := bearer(c)
		if key == "" {
			return apperr.ErrUnauthorized
		}
		role, err := s.deps.Tenants.Keys().Authenticate(c.UserContext(), tenantOf(c), key)
		if err != nil {
			return err
		}
		if !role.Allows(need) {
			return &apperr.Denied{Detail: fmt.Sprintf("this needs a key with the %s role or a higher one; this key's role is %s", need, role)}
		}
		c.Locals(roleKey, role)
		return c.Next()
	}
}

// actor names the caller in audit events.
func actor(c *fiber.Ctx) string {
	if r, ok := c.Locals(roleKey).(tenants.Role); ok {
		return "staff:" + string(r)
	}
	return "buyer"
}
