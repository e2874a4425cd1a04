package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"runtime/debug"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/leaguepay/checkout/platform/ids"
	"github.com/leaguepay/checkout/producttypes"
)

// requestIDRE is what an incoming X-Request-Id may look like to be kept;
// anything else is replaced, so logs cannot be forged through it.
var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

type requestIDKey struct{}

// RequestID returns the request id carried by ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

var knownMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true}

// observe is the outermost middleware: it honours or makes the request id,
// runs the chain, writes any error as its problem document so the final
// status is known, then logs the request and counts it by route template.
func (s *Server) observe(routes func() map[string]bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		rid := c.Get(fiber.HeaderXRequestID)
		if !requestIDRE.MatchString(rid) {
			rid = ids.New().String()
		}
		c.Set(fiber.HeaderXRequestID, rid)
		c.SetUserContext(context.WithValue(c.UserContext(), requestIDKey{}, rid))
		if err := safeNext(c); err != nil {
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		code, took := c.Response().StatusCode(), time.Since(start)
		route := c.Route().Path
		if !routes()[route] {
			route = "unmatched"
		}
		method := c.Method()
		if !knownMethods[method] {
			method = "OTHER"
		}
		s.deps.Metrics.HTTP(route, method, code, took)
		s.deps.Log.LogAttrs(c.UserContext(), levelFor(code), "request", slog.String("request_id", rid),
			slog.String("method", method), slog.String("route", route), slog.String("path", c.Path()),
			slog.Int("status", code), slog.Duration("duration", took))
		return nil
	}
}

// safeNext runs the rest of the chain and turns a panic in it into an
// error: the request fails with a 500 problem, the process goes on. It
// runs inside observe, the outermost middleware, so a panicking request is
// still logged and counted.
func safeNext(c *fiber.Ctx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &handlerPanic{value: v, stack: debug.Stack()}
		}
	}()
	return c.Next()
}

// handlerPanic is a panic caught in a handler or middleware.
type handlerPanic struct {
	value any
	stack []byte
}

func (p *handlerPanic) Error() string { return fmt.Sprintf("panic: %v", p.value) }

// panicOf tells whether err is a caught panic, where it happened ("handler"
// or "product_type") and its stack.
func panicOf(err error) (where string, stack []byte, ok bool) {
	var hp *handlerPanic
	var tp *producttypes.PanicError
	switch {
	case errors.As(err, &tp):
		return "product_type", tp.Stack, true
	case errors.As(err, &hp):
		return "handler", hp.stack, true
	}
	return "", nil, false
}

func levelFor(code int) slog.Level {
	if code >= 500 {
		return slog.LevelError
	}
	return slog.LevelInfo
}

// routeSet returns the app's registered route templates, computed once
// after the route table is complete.
func routeSet(app *fiber.App) func() map[string]bool {
	var once sync.Once
	var set map[string]bool
	return func() map[string]bool {
		once.Do(func() {
			set = map[string]bool{}
			for _, r := range app.GetRoutes(true) {
				if r.Method != "USE" {
					set[r.Path] = true
				}
			}
		})
		return set
	}
}
