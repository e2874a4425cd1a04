package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/leaguepay/checkout/platform/discounts"
)

func (s *Server) createDiscount(c *fiber.Ctx) error {
	var in discounts.Input
	if err := decode(c, &in); err != nil {
		return err
	}
	d, err := s.deps.Discounts.Create(c.UserContext(), tenantOf(c).ID, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(d)
}

func (s *Server) listDiscounts(c *fiber.Ctx) error {
	q := &query{c: c}
	q.only()
	if err := q.err(); err != nil {
		return err
	}
	list, err := s.deps.Discounts.List(c.UserContext(), tenantOf(c).ID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": list})
}

func (s *Server) getDiscount(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	d, err := s.deps.Discounts.Get(c.UserContext(), tenantOf(c).ID, id)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (s *Server) updateDiscount(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in discounts.Patch
	if err := decode(c, &in); err != nil {
		return err
	}
	d, err := s.deps.Discounts.Update(c.UserContext(), tenantOf(c).ID, id, in)
	if err != nil {
		return err
	}
	return c.JSON(d)
}
