package api

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
)

func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// readyz answers 200 when the database answers and every embedded migration
// is applied, 503 otherwise.
func (s *Server) readyz(c *fiber.Ctx) error {
	if s.deps.Draining.Load() {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "draining"})
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	current, err := s.deps.DB.MigrationsCurrent(ctx)
	switch {
	case err != nil:
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "database unavailable"})
	case !current:
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "migrations pending"})
	}
	return c.JSON(fiber.Map{"status": "ready"})
}
