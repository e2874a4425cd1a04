package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/leaguepay/checkout/tenants"
)

func (s *Server) createTenant(c *fiber.Ctx) error {
	var in tenants.NewTenant
	if err := decode(c, &in); err != nil {
		return err
	}
	t, err := s.deps.Tenants.Create(c.UserContext(), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(t)
}

func (s *Server) listTenants(c *fiber.Ctx) error {
	if err := noFilters(c); err != nil {
		return err
	}
	list, err := s.deps.Tenants.List(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": list})
}

func (s *Server) updateTenant(c *fiber.Ctx) error {
	var in tenants.TenantPatch
	if err := decode(c, &in); err != nil {
		return err
	}
	t, err := s.deps.Tenants.Update(c.UserContext(), c.Params("tenant"), in)
	if err != nil {
		return err
	}
	return c.JSON(t)
}

func (s *Server) platformCreateKey(c *fiber.Ctx) error {
	return s.createKey(c)
}
