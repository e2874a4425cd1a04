package api

import (
	"bufio"
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/catalog"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/tenants"
)

// exportTimeout bounds one CSV export.
const exportTimeout = 10 * time.Minute

// orderFilter reads the listing's query parameters, reporting every bad one.
func (s *Server) orderFilter(c *fiber.Ctx) (orders.Filter, error) {
	q := &query{c: c}
	f := orders.Filter{
		Status:      orders.Status(c.Query("status")),
		Category:    c.Query("category"),
		Type:        c.Query("type"),
		ProductID:   q.uuid("product_id"),
		PlayerID:    q.uuid("player_id"),
		CustomerID:  q.uuid("customer_id"),
		CreatedFrom: q.time("created_from"),
		CreatedTo:   q.time("created_to"),
		Limit:       q.limit(orders.DefaultLimit, orders.MaxLimit),
		Cursor:      c.Query("cursor"),
	}
	if f.Status != "" && !f.Status.Valid() {
		q.fail("status", "must be one of pending, paid, failed, expired, canceled, partially_refunded, refunded")
	}
	if f.Category != "" && !catalog.CategoryRE.MatchString(f.Category) {
		q.fail("category", "must match ^[a-z0-9-]{1,40}$")
	}
	if _, ok := s.deps.Registry.Get(f.Type); f.Type != "" && !ok {
		q.fail("type", "is not a registered product type")
	}
	return f, q.err()
}

func (s *Server) listOrders(c *fiber.Ctx) error {
	f, err := s.orderFilter(c)
	if err != nil {
		return err
	}
	page, err := s.deps.Orders.List(c.UserContext(), tenants.From(c).ID, f)
	if err != nil {
		return err
	}
	return c.JSON(page)
}

func (s *Server) getOrder(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	o, err := s.deps.Orders.Get(c.UserContext(), tenants.From(c).ID, id)
	if err != nil {
		return err
	}
	return c.JSON(o)
}

func (s *Server) cancelOrder(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	o, err := s.deps.Orders.Cancel(c.UserContext(), tenants.From(c).ID, id, actor(c))
	if err != nil {
		return err
	}
	return c.JSON(o)
}

// exportOrders streams the CSV: the body is written after the handler
// returns, in batches, so it runs on its own context and can only log a
// failure that happens mid-stream.
func (s *Server) exportOrders(c *fiber.Ctx) error {
	f, err := s.orderFilter(c)
	if err != nil {
		return err
	}
	if f.Cursor != "" {
		return &apperr.BadRequest{Detail: "the export takes no cursor", Fields: apperr.Field("query:cursor", "is not taken by the export")}
	}
	tenantID := tenants.From(c).ID
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="orders.csv"`)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		ctx, cancel := context.WithTimeout(context.Background(), exportTimeout)
		defer cancel()
		if err := s.deps.Orders.Export(ctx, tenantID, f, w); err != nil {
			s.deps.Log.Error("order export failed", "tenant_id", tenantID, "err", err)
		}
		_ = w.Flush()
	})
	return nil
}

func (s *Server) refundOrder(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in orders.RefundInput
	if len(c.Body()) > 0 {
		if err := decode(c, &in); err != nil {
			return err
		}
	}
	o, err := s.deps.Orders.Refund(c.UserContext(), tenants.From(c).ID, id, in, actor(c))
	if err != nil {
		return err
	}
	return c.JSON(o)
}
