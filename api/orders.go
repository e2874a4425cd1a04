package api

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/catalog"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/platform/settlement"
)

// exportTimeout bounds one CSV export.
const exportTimeout = 10 * time.Minute

// orderFilter reads the listing's query parameters, reporting every bad one.
func (s *Server) orderFilter(c *fiber.Ctx, params ...string) (orders.Filter, error) {
	q := &query{c: c}
	q.only(params...)
	f := orders.Filter{
		Status:      orders.Status(c.Query("status")),
		Category:    c.Query("category"),
		Type:        c.Query("type"),
		ProductID:   q.uuid("product_id"),
		PlayerID:    q.uuid("player_id"),
		CheckoutID:  q.uuid("checkout_id"),
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

// orderFilters are the query parameters that filter the orders list and
// the CSV export.
var orderFilters = []string{"status", "category", "type", "product_id", "player_id", "customer_id", "checkout_id",
	"created_from", "created_to"}

func (s *Server) listOrders(c *fiber.Ctx) error {
	f, err := s.orderFilter(c, append(orderFilters, "limit", "cursor")...)
	if err != nil {
		return err
	}
	page, err := s.deps.Orders.List(c.UserContext(), tenantOf(c).ID, f)
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
	o, err := s.deps.Orders.Get(c.UserContext(), tenantOf(c).ID, id)
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
	o, err := s.deps.Settlement.Cancel(c.UserContext(), tenantOf(c).ID, id, actor(c))
	if err != nil {
		return err
	}
	return c.JSON(o)
}

// exportOrders streams the CSV: the body is written after the handler
// returns, in batches, so it runs on its own context and can only log a
// failure that happens mid-stream. Such a failure aborts the connection, so
// the client sees a broken transfer rather than a complete-looking file.
// The download may last as long as the client keeps reading, up to
// exportTimeout (see exportWriter).
func (s *Server) exportOrders(c *fiber.Ctx) error {
	f, err := s.orderFilter(c, append(orderFilters, "cursor")...) // a cursor gets its own message below
	if err != nil {
		return err
	}
	if f.Cursor != "" {
		return &apperr.BadRequest{Detail: "the export takes no cursor", Fields: apperr.Field("query:cursor", "is not taken by the export")}
	}
	tenantID := tenantOf(c).ID
	// c is recycled once the handler returns; the stream keeps only these.
	conn, idle := c.Context().Conn(), c.App().Server().WriteTimeout
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+exportFilename(tenantOf(c).Slug, time.Now())+`"`)
	if c.Method() == fiber.MethodHead {
		// The headers alone: a stream writer would send a chunked body
		// (at least its final chunk) after a HEAD response, which corrupts
		// a keep-alive connection.
		return nil
	}
	rid := RequestID(c.UserContext())
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		// The stream runs on a goroutine of its own, outside observe's
		// recovery: a panic here must end this download, not the process.
		defer func() {
			if v := recover(); v != nil {
				s.deps.Metrics.Panic("handler")
				s.deps.Log.Error("order export panicked", "request_id", rid, "tenant_id", tenantID,
					"err", fmt.Sprint(v), "stack", string(debug.Stack()))
				_ = conn.Close()
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), exportTimeout)
		defer cancel()
		end, _ := ctx.Deadline()
		out := &exportWriter{ctx: ctx, w: w, conn: conn, idle: idle, end: end}
		if err := s.deps.OrderIO.Export(ctx, tenantID, f, out); err != nil {
			s.deps.Log.Error("order export failed", "tenant_id", tenantID, "err", err)
			// Closing the connection is the one sure way to make the client
			// see a broken download: fasthttp cannot end this response (the
			// final chunk) before the stream writer returns, and it may set
			// its own write deadline after any we set here.
			_ = conn.Close()
			return
		}
		if idle == 0 {
			// Without a WriteTimeout fasthttp never sets a deadline, so it
			// would not replace ours for the connection's next response.
			_ = conn.SetWriteDeadline(time.Time{})
		}
		_ = w.Flush()
	})
	return nil
}

// exportFilename names the league and the day: "blue-league-orders-2026-12-01.csv"
// (a slug is only lowercase letters, digits and dashes, so it needs no quoting).
func exportFilename(slug string, now time.Time) string {
	return slug + "-orders-" + now.UTC().Format("2006-01-02") + ".csv"
}

// exportWriter is the export's view of the response stream. Before each
// write it moves the connection's write deadline idle (the server's
// WriteTimeout) ahead, never past end, so the deadline bounds a pause in the
// download rather than its length.
//
// The server's WriteTimeout alone would cut every export that takes longer
// to download, however steadily the client reads. In fasthttp (v1.51,
// server.go serveConn) the connection's write deadline is set once per
// response, to now+WriteTimeout, after the handler returns and just before
// writeResponse; writeBodyChunked then copies the whole stream to the
// connection and nothing refreshes the deadline. The stream writer runs on
// its own goroutine (stream.go NewStreamReader, started by
// SetBodyStreamWriter) behind an in-memory pipe of four buffered writes
// (fasthttputil.PipeConns), so all but its first few kilobytes are written
// after that single SetWriteDeadline, and only as fast as the client reads:
// our extension is not overwritten, a client that keeps reading is never
// cut, and one that stalls for WriteTimeout still is. serveConn sets the
// deadline afresh for the connection's next response.
type exportWriter struct {
	ctx  context.Context
	w    io.Writer
	conn net.Conn
	idle time.Duration // 0: no idle bound, only end
	end  time.Time
}

func (e *exportWriter) Write(p []byte) (int, error) {
	if err := e.ctx.Err(); err != nil {
		return 0, err
	}
	deadline := e.end
	if e.idle > 0 {
		if t := time.Now().Add(e.idle); t.Before(deadline) {
			deadline = t
		}
	}
	if err := e.conn.SetWriteDeadline(deadline); err != nil {
		return 0, fmt.Errorf("extend write deadline: %w", err)
	}
	return e.w.Write(p)
}

func (s *Server) refundOrder(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in settlement.RefundInput
	if body, err := requestBody(c); err != nil {
		return err
	} else if len(body) > 0 {
		if err := decode(c, &in); err != nil {
			return err
		}
	}
	o, err := s.deps.Settlement.Refund(c.UserContext(), tenantOf(c).ID, id, in, actor(c))
	if err != nil {
		return err
	}
	return c.JSON(o)
}
