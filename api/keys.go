package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/leaguepay/checkout/tenants"
)

func (s *Server) createKey(c *fiber.Ctx) error {
	var in tenants.KeyInput
	if err := decode(c, &in); err != nil {
		return err
	}
	k, err := s.deps.Tenants.Keys().Create(c.UserContext(), tenantOf(c).ID, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(k)
}

func (s *Server) listKeys(c *fiber.Ctx) error {
	if err := noFilters(c); err != nil {
		return err
	}
	keys, err := s.deps.Tenants.Keys().List(c.UserContext(), tenantOf(c).ID)
	if err != nil {
		return err
	}
	if keys == nil {
		keys = []tenants.APIKey{}
	}
	return c.JSON(fiber.Map{"data": keys})
}

func (s *Server) deleteKey(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.deps.Tenants.Keys().Delete(c.UserContext(), tenantOf(c).ID, id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
