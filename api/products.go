package api

import (
	"encoding/json"

	"github.com/gofiber/fiber/v2"

	"github.com/leaguepay/checkout/platform/catalog"
)

type productTypeView struct {
	Name            string          `json:"name"`
	Title           string          `json:"title"`
	Description     string          `json:"description"`
	DefaultCategory string          `json:"default_category"`
	ConfigSchema    json.RawMessage `json:"config_schema"`
}

func (s *Server) listProductTypes(c *fiber.Ctx) error {
	out := []productTypeView{}
	for _, name := range s.deps.Registry.Names() {
		t, _ := s.deps.Registry.Info(name)
		out = append(out, productTypeView{Name: t.Name, Title: t.Title, Description: t.Description,
			DefaultCategory: t.DefaultCategory, ConfigSchema: t.ConfigSchema})
	}
	return c.JSON(fiber.Map{"data": out})
}

// productFilter reads ?active=&category=&type= (active defaults to all).
func productFilter(c *fiber.Ctx, activeParam bool) (catalog.Filter, error) {
	q := &query{c: c}
	if activeParam {
		q.only("active", "category", "type")
	} else {
		q.only("category", "type")
	}
	f := catalog.Filter{Category: c.Query("category"), Type: c.Query("type")}
	if activeParam {
		switch c.Query("active", "all") {
		case "true":
			t := true
			f.Active = &t
		case "false":
			f2 := false
			f.Active = &f2
		case "all":
		default:
			q.fail("active", "must be true, false or all")
		}
	}
	return f, q.err()
}

func (s *Server) listProducts(c *fiber.Ctx) error {
	f, err := productFilter(c, true)
	if err != nil {
		return err
	}
	list, err := s.deps.Catalog.List(c.UserContext(), tenantOf(c).ID, f)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": list})
}

func (s *Server) createProduct(c *fiber.Ctx) error {
	var in catalog.Input
	if err := decodeProduct(c, &in); err != nil {
		return err
	}
	t := tenantOf(c)
	p, err := s.deps.Catalog.Create(c.UserContext(), t.ID, t.Currency, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(p)
}

func (s *Server) getProduct(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	p, err := s.deps.Catalog.Get(c.UserContext(), tenantOf(c).ID, id)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (s *Server) updateProduct(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in catalog.Patch
	if err := decodeProduct(c, &in); err != nil {
		return err
	}
	p, err := s.deps.Catalog.Update(c.UserContext(), tenantOf(c).ID, id, in)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (s *Server) listPublicProducts(c *fiber.Ctx) error {
	f, err := productFilter(c, false)
	if err != nil {
		return err
	}
	body, err := s.deps.Catalog.PublicJSON(c.UserContext(), tenantOf(c).ID, f)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(body)
}

func (s *Server) getPublicProduct(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	p, err := s.deps.Catalog.GetPublic(c.UserContext(), tenantOf(c).ID, id)
	if err != nil {
		return err
	}
	return c.JSON(p)
}
