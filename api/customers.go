package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/leaguepay/checkout/platform/customers"
)

func (s *Server) createCustomer(c *fiber.Ctx) error {
	var in customers.Input
	if err := decode(c, &in); err != nil {
		return err
	}
	created, err := s.deps.Customers.Create(c.UserContext(), tenantOf(c).ID, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(created)
}

func (s *Server) getCustomer(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	cu, err := s.deps.Customers.Get(c.UserContext(), tenantOf(c).ID, id)
	if err != nil {
		return err
	}
	return c.JSON(cu)
}

func (s *Server) rotateToken(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	token, err := s.deps.Customers.RotateToken(c.UserContext(), tenantOf(c).ID, id)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"registration_token": token})
}

func (s *Server) listCustomers(c *fiber.Ctx) error {
	q := &query{c: c}
	q.only("email", "q", "limit", "cursor")
	f := customers.Filter{Email: c.Query("email"), Q: c.Query("q"), Limit: q.limit(customers.DefaultLimit, customers.MaxLimit),
		Cursor: c.Query("cursor")}
	if err := q.err(); err != nil {
		return err
	}
	page, err := s.deps.Customers.List(c.UserContext(), tenantOf(c).ID, f)
	if err != nil {
		return err
	}
	return c.JSON(page)
}

func (s *Server) addPlayer(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in customers.PlayerInput
	if err := decode(c, &in); err != nil {
		return err
	}
	p, err := s.deps.Customers.AddPlayer(c.UserContext(), tenantOf(c).ID, id, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(p)
}
