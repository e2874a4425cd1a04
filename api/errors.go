package api

import (
	"context"
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/checkout"
	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/platform/ids"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/platform/payments"
	"github.com/leaguepay/checkout/platform/secrets"
	"github.com/leaguepay/checkout/platform/settlement"
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type    string              `json:"type"`
	Title   string              `json:"title"`
	Status  int                 `json:"status"`
	Detail  string              `json:"detail,omitempty"`
	Errors  []apperr.FieldError `json:"errors,omitempty"`
	OrderID string              `json:"order_id,omitempty"`
	// OrderIDs are the existing orders a household checkout's items
	// collide with (/problems/duplicate-order).
	OrderIDs []string `json:"order_ids,omitempty"`
	// RequestID is set on every 5xx, so a report can be matched to the log.
	RequestID string `json:"request_id,omitempty"`
}

// problemFor is the one mapping from errors to HTTP: domain sentinels and
// types from apperr and the domain packages (webhook replies included), a
// database that cannot be reached now (db.ErrUnavailable: 503, so clients
// retry), Fiber's own errors, and anything else as an opaque 500 (logged,
// never shown). Only here do fields become query:NAME and header:NAME.
// TestEverySentinelIsMapped finds every sentinel of the module and holds
// it to a row of this switch.
func problemFor(err error) Problem {
	var (
		filter   *apperr.BadFilter
		bad      *apperr.BadRequest
		invalid  *apperr.Invalid
		conflict *apperr.Conflict
		dup      *apperr.Duplicate
		fe       *fiber.Error
		denied   *apperr.Denied
		missing  *apperr.Missing
	)
	switch {
	case errors.Is(err, settlement.ErrBadSignature):
		return Problem{Type: "/problems/bad-request", Title: "Bad request", Status: 400, Detail: err.Error(),
			Errors: apperr.Field("header:Stripe-Signature", "does not verify this body")}
	case errors.Is(err, settlement.ErrBadPayload):
		return Problem{Type: "/problems/bad-request", Title: "Bad request", Status: 400, Detail: err.Error(),
			Errors: apperr.Field("/", "is not a Stripe event")}
	case errors.Is(err, settlement.ErrNotProcessed):
		return Problem{Type: "/problems/unavailable", Title: "Service unavailable", Status: 503,
			Detail: "the event could not be processed now; retry"}
	case errors.As(err, &filter):
		fields := make([]apperr.FieldError, len(filter.Filters))
		for i, f := range filter.Filters {
			fields[i] = apperr.FieldError{Field: "query:" + f.Field, Message: f.Message}
		}
		return Problem{Type: "/problems/bad-request", Title: "Bad request", Status: 400, Detail: filter.Detail, Errors: fields}
	case errors.Is(err, checkout.ErrKeyTooLong):
		return Problem{Type: "/problems/bad-request", Title: "Bad request", Status: 400, Detail: "bad Idempotency-Key",
			Errors: apperr.Field("header:Idempotency-Key", fmt.Sprintf("must be at most %d characters", checkout.MaxKeyLength))}
	case errors.Is(err, checkout.ErrKeyReused):
		return Problem{Type: "/problems/validation", Title: "Validation failed", Status: 422,
			Detail: "the Idempotency-Key was used with another request body",
			Errors: apperr.Field("header:Idempotency-Key", "was used with another request body")}
	case errors.Is(err, orders.ErrTransition):
		return Problem{Type: "/problems/conflict", Title: "Conflict", Status: 409,
			Detail: "the order's status does not allow this change"}
	case errors.Is(err, ids.ErrMalformed):
		return Problem{Type: "/problems/not-found", Title: "Not found", Status: 404}
	case errors.As(err, &bad):
		return Problem{Type: "/problems/bad-request", Title: "Bad request", Status: 400, Detail: bad.Detail, Errors: bad.Fields}
	case errors.As(err, &invalid):
		return Problem{Type: "/problems/validation", Title: "Validation failed", Status: 422, Detail: invalid.Detail, Errors: invalid.Fields}
	case errors.As(err, &dup):
		return Problem{Type: "/problems/duplicate-order", Title: "Duplicate order", Status: 409, Detail: dup.Detail,
			Errors: dup.Fields, OrderIDs: dup.OrderIDs}
	case errors.As(err, &conflict):
		return Problem{Type: "/problems/conflict", Title: "Conflict", Status: 409, Detail: conflict.Detail,
			Errors: conflict.Fields, OrderID: conflict.OrderID}
	case errors.As(err, &missing):
		return Problem{Type: "/problems/not-found", Title: "Not found", Status: 404, Detail: missing.Detail}
	case errors.Is(err, apperr.ErrNotFound):
		return Problem{Type: "/problems/not-found", Title: "Not found", Status: 404}
	case errors.Is(err, apperr.ErrUnauthorized):
		return Problem{Type: "/problems/unauthorized", Title: "Unauthorized", Status: 401,
			Detail: "missing or invalid credentials"}
	case errors.As(err, &denied):
		return Problem{Type: "/problems/forbidden", Title: "Forbidden", Status: 403, Detail: denied.Detail}
	case errors.Is(err, apperr.ErrForbidden):
		return Problem{Type: "/problems/forbidden", Title: "Forbidden", Status: 403,
			Detail: "these credentials may not do this"}
	case errors.Is(err, apperr.ErrPaymentProvider):
		return Problem{Type: "/problems/payment-provider", Title: "Payment provider failed", Status: 502,
			Detail: "the payment provider failed; nothing was left half-made, try again"}
	case errors.Is(err, apperr.ErrPaymentsNotConfigured):
		return Problem{Type: "/problems/payments-not-configured", Title: "Payments not configured", Status: 503,
			Detail: "this league does not take payments yet: its Stripe settings are missing"}
	case errors.Is(err, payments.ErrNotConfigured):
		return Problem{Type: "/problems/payments-not-configured", Title: "Payments not configured", Status: 503,
			Detail: "this league does not take payments yet: its Stripe settings are missing"}
	case errors.Is(err, payments.ErrRefused), errors.Is(err, payments.ErrProvider):
		return Problem{Type: "/problems/payment-provider", Title: "Payment provider failed", Status: 502,
			Detail: "the payment provider failed; nothing was left half-made, try again"}
	case errors.Is(err, secrets.ErrNoKey):
		return Problem{Type: "/problems/unavailable", Title: "Service unavailable", Status: 503,
			Detail: "the platform cannot read or store secrets: CHECKOUT_ENCRYPTION_KEY is not configured"}
	case errors.Is(err, errEncodedBody):
		return Problem{Type: "/problems/unsupported-media-type", Title: "Unsupported media type", Status: 415,
			Detail: "request bodies are taken only as sent, not compressed",
			Errors: apperr.Field("header:Content-Encoding", "must be absent or identity")}
	case errors.Is(err, errBodyBudget):
		return Problem{Type: "/problems/overloaded", Title: "Service unavailable", Status: 503,
			Detail: "the server is busy reading other requests; try again in a second"}
	case errors.Is(err, errBodyTimeout):
		return Problem{Type: "/problems/request-timeout", Title: "Request timeout", Status: 408,
			Detail: "the request body did not arrive in time"}
	case errors.Is(err, errBodyTooLarge):
		return Problem{Type: "/problems/http", Title: "Request Entity Too Large", Status: 413,
			Detail: "request bodies are limited to 1 MiB"}
	case errors.Is(err, errBodyRefused):
		return Problem{Type: "/problems/bad-request", Title: "Bad request", Status: 400,
			Detail: "this request takes no body", Errors: apperr.Field("/", "must be empty")}
	case errors.Is(err, db.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return Problem{Type: "/problems/unavailable", Title: "Service unavailable", Status: 503, Detail: "try again"}
	case errors.As(err, &fe):
		return Problem{Type: "/problems/http", Title: fiberTitle(fe), Status: fe.Code, Detail: fe.Message}
	}
	return Problem{Type: "/problems/internal", Title: "Internal error", Status: 500}
}

func fiberTitle(fe *fiber.Error) string {
	if t := fiber.ErrNotFound.Message; fe.Code == 404 {
		return t
	}
	return fe.Message
}

// maxProblemErrors bounds the field errors of one problem document.
const maxProblemErrors = 100

// errorHandler writes every error a handler returns as a problem document.
// A caught panic is logged with its stack and counted; the stack never
// reaches the response.
func (s *Server) errorHandler() fiber.ErrorHandler {
	log := s.deps.Log
	return func(c *fiber.Ctx, err error) error {
		p := problemFor(err)
		if where, stack, ok := panicOf(err); ok {
			s.deps.Metrics.Panic(where)
			log.ErrorContext(c.UserContext(), "request panicked", "request_id", RequestID(c.UserContext()),
				"method", c.Method(), "path", c.Path(), "where", where, "err", err, "stack", string(stack))
		} else if p.Status >= 500 {
			log.ErrorContext(c.UserContext(), "request failed", "request_id", RequestID(c.UserContext()),
				"method", c.Method(), "path", c.Path(), "status", p.Status, "err", err)
		}
		if p.Status >= 500 {
			p.RequestID = RequestID(c.UserContext())
		}
		if len(p.Errors) > maxProblemErrors {
			p.Errors = p.Errors[:maxProblemErrors]
		}
		if p.Status == 401 {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer`)
		}
		c.Status(p.Status)
		return c.JSON(p, "application/problem+json")
	}
}
