package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/leaguepay/checkout/platform/leaguehooks"
)

func (s *Server) createEndpoint(c *fiber.Ctx) error {
	var in leaguehooks.EndpointInput
	if err := decode(c, &in); err != nil {
		return err
	}
	e, err := s.deps.LeagueHooks.Create(c.UserContext(), tenantOf(c).ID, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(e)
}

func (s *Server) listEndpoints(c *fiber.Ctx) error {
	q := &query{c: c}
	q.only()
	if err := q.err(); err != nil {
		return err
	}
	list, err := s.deps.LeagueHooks.List(c.UserContext(), tenantOf(c).ID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": list})
}

func (s *Server) getEndpoint(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	e, err := s.deps.LeagueHooks.Get(c.UserContext(), tenantOf(c).ID, id)
	if err != nil {
		return err
	}
	return c.JSON(e)
}

func (s *Server) deleteEndpoint(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.deps.LeagueHooks.Delete(c.UserContext(), tenantOf(c).ID, id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) listDeliveries(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	q := &query{c: c}
	q.only("limit", "cursor")
	limit := q.limit(leaguehooks.DefaultLimit, leaguehooks.MaxLimit)
	if err := q.err(); err != nil {
		return err
	}
	page, err := s.deps.LeagueHooks.Attempts(c.UserContext(), tenantOf(c).ID, id, limit, c.Query("cursor"))
	if err != nil {
		return err
	}
	return c.JSON(page)
}
