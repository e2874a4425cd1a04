// Package apperr holds the domain errors the stores and services return.
// Exactly one place, package api, maps them to HTTP statuses and problem
// documents; nothing below api knows about HTTP.
package apperr

import (
	"errors"

	"github.com/leaguepay/checkout/producttypes"
)

// FieldError names one failing field by JSON Pointer into the request body,
// or "query:NAME" for a query parameter.
type FieldError = producttypes.FieldError

var (
	// ErrNotFound: the object does not exist for this tenant (including
	// objects of other tenants and malformed ids).
	ErrNotFound = errors.New("apperr: not found")
	// ErrUnauthorized: credentials are missing or unknown.
	ErrUnauthorized = errors.New("apperr: unauthorized")
	// ErrForbidden: valid credentials that may not do this (another tenant's
	// path, or a role too low).
	ErrForbidden = errors.New("apperr: forbidden")
	// ErrNotImplemented: a documented feature this build does not offer yet.
	ErrNotImplemented = errors.New("apperr: not implemented")
	// ErrPaymentProvider: the payment provider failed; nothing was left
	// half-made.
	ErrPaymentProvider = errors.New("apperr: payment provider failed")
	// ErrPaymentsNotConfigured: the league has no payment account yet, so
	// priced products cannot be sold.
	ErrPaymentsNotConfigured = errors.New("apperr: this league does not take payments yet")
)

// Invalid is a request that is well-formed but breaks a rule (422).
type Invalid struct {
	Detail string
	Fields []FieldError
}

func (e *Invalid) Error() string { return "apperr: invalid: " + e.Detail }

// BadRequest is a request that cannot be read: malformed JSON, an unknown
// field, a bad query parameter (400).
type BadRequest struct {
	Detail string
	Fields []FieldError
}

func (e *BadRequest) Error() string { return "apperr: bad request: " + e.Detail }

// Conflict is a request that collides with existing state (409). OrderID is
// set when the collision is with an existing order.
type Conflict struct {
	Detail  string
	OrderID string
	Fields  []FieldError
}

func (e *Conflict) Error() string { return "apperr: conflict: " + e.Detail }

// Denied is ErrForbidden with words saying what would be allowed (the role
// a route needs).
type Denied struct{ Detail string }

func (e *Denied) Error() string { return "apperr: forbidden: " + e.Detail }

// Is makes a Denied an ErrForbidden.
func (e *Denied) Is(target error) bool { return target == ErrForbidden }

// Missing is ErrNotFound with words saying what is missing (an unknown
// league).
type Missing struct{ Detail string }

func (e *Missing) Error() string { return "apperr: not found: " + e.Detail }

// Is makes a Missing an ErrNotFound.
func (e *Missing) Is(target error) bool { return target == ErrNotFound }

// Field returns a one-field slice, for the common single-field errors.
func Field(pointer, message string) []FieldError {
	return []FieldError{{Field: pointer, Message: message}}
}
