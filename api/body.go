package api

import (
	"context"
	"errors"
	"io"
	"os"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/sync/semaphore"

	"github.com/leaguepay/checkout/platform/apperr"
)

// Request bodies are streamed (fiber.Config.StreamRequestBody): fasthttp
// reads a request's headers and at most its first 8 KiB of body before
// routing, so a client cannot make the server hold a megabyte per
// connection just by sending one and stalling. The rest of a body is read
// only by the routes that take one (takesBody, in the route table), after
// the tenant is resolved, within:
//
//   - the body budget: bytes of bodies being read or held, across all
//     connections (Deps.BodyBudget). A body that does not fit in it within
//     budgetWait is refused with 503 and Retry-After, so memory stays
//     bounded under any number of senders;
//   - Deps.BodyTimeout: the time the rest of a body may take to arrive (408).
//
// A body sent to a route that takes none is never read: methods that never
// take one (GET, HEAD, DELETE, OPTIONS) refuse it with 400, and on any other
// route the response closes the connection, so the unread rest is not
// parsed as a next request.
const (
	// DefaultBodyBudget is Deps.BodyBudget when unset: 32 bodies of the
	// largest size, well inside the chart's default memory limit.
	DefaultBodyBudget = 32 * BodyLimit
	budgetWait        = 200 * time.Millisecond
	// DefaultBodyTimeout is Deps.BodyTimeout when unset: a 1 MiB body at
	// 100 KB/s.
	DefaultBodyTimeout = 10 * time.Second
)

// Errors of the body gate, mapped in problemFor.
var (
	errBodyBudget   = errors.New("api: the server is reading as many request bodies as it may")
	errBodyTimeout  = errors.New("api: the request body did not arrive in time")
	errBodyTooLarge = errors.New("api: the request body is larger than the limit")
	errBodyRefused  = errors.New("api: this request takes no body")
)

const bodyReadKey = "api.body-read"

func newBodyBudget(bytes int64) *semaphore.Weighted {
	if bytes <= 0 {
		bytes = DefaultBodyBudget
	}
	return semaphore.NewWeighted(bytes)
}

// takesBody reads the request's body, within the budget and the body
// timeout, before the route's handler runs; the budget is given back when
// the handler returns.
func (s *Server) takesBody(c *fiber.Ctx) error {
	length := c.Request().Header.ContentLength() // -1: chunked, -2: none given
	if length > BodyLimit {
		c.Set(fiber.HeaderConnection, "close")
		return errBodyTooLarge
	}
	need := int64(length)
	if length < 0 {
		need = BodyLimit
	}
	if need > 0 {
		ctx, cancel := context.WithTimeout(c.UserContext(), budgetWait)
		err := s.bodies.Acquire(ctx, need)
		cancel()
		if err != nil {
			c.Set(fiber.HeaderConnection, "close")
			c.Set(fiber.HeaderRetryAfter, "1")
			return errBodyBudget
		}
		defer s.bodies.Release(need)
	}
	if err := readBody(c, length, s.deps.BodyTimeout); err != nil {
		c.Set(fiber.HeaderConnection, "close")
		return err
	}
	c.Locals(bodyReadKey, true)
	return c.Next()
}

// readBody reads the rest of a streamed body into the request.
func readBody(c *fiber.Ctx, length int, timeout time.Duration) error {
	stream := c.Context().RequestBodyStream()
	if stream == nil || length == 0 || length == -2 {
		return nil // nothing streamed: what there is was read with the headers
	}
	if conn := c.Context().Conn(); conn != nil {
		_ = conn.SetReadDeadline(time.Now().Add(timeout))
	}
	// Grown as bytes arrive, never to the declared length up front: a body
	// that stalls holds what it sent, not what it promised.
	buf := make([]byte, 0, 16<<10)
	buf, err := readAllInto(buf, io.LimitReader(stream, BodyLimit+1))
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return errBodyTimeout
	}
	if err != nil {
		return &apperr.BadRequest{Detail: "the request body could not be read", Fields: apperr.Field("/", "was cut off")}
	}
	if len(buf) > BodyLimit {
		return errBodyTooLarge
	}
	c.Request().SetBodyRaw(buf)
	return nil
}

func readAllInto(buf []byte, r io.Reader) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// bodiesOnlyWhereTaken is the app-level half of the gate: a body on a
// method that never takes one is refused before routing, and a request
// whose body was not read closes its connection after the response.
func bodiesOnlyWhereTaken(c *fiber.Ctx) error {
	length := c.Request().Header.ContentLength()
	hasBody := length > 0 || length == -1
	if hasBody {
		switch c.Method() {
		case fiber.MethodGet, fiber.MethodHead, fiber.MethodDelete, fiber.MethodOptions:
			c.Set(fiber.HeaderConnection, "close")
			return errBodyRefused
		}
	}
	err := c.Next()
	if hasBody && c.Locals(bodyReadKey) == nil {
		c.Set(fiber.HeaderConnection, "close")
	}
	return err
}

// requestBody is the body a takesBody route read. A handler that asks for a
// body on a route without takesBody is a wiring bug: it fails loudly rather
// than read an unbounded stream.
func requestBody(c *fiber.Ctx) ([]byte, error) {
	if c.Locals(bodyReadKey) == nil {
		return nil, errors.New("api: route reads a body but is not marked takesBody in the route table")
	}
	return c.Request().Body(), nil
}
