// Package apperr holds the domain errors the stores and services return.
// Exactly one place, package api, maps them to HTTP statuses and problem
// documents; nothing below api knows about HTTP.
package apperr

import "errors"

// FieldError names one failing field by JSON Pointer into the request body
// (the API layer alone names query parameters and headers). A product
// type's producttypes.FieldError converts to it (FromTypes).
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	// Detail, when set, is the validator's own wording, for developers.
	Detail string `json:"detail,omitempty"`
}

// FromTypes converts a product type's field errors.
func FromTypes[F ~struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	Detail  string `json:"detail,omitempty"`
}](fs []F) []FieldError {
	out := make([]FieldError, len(fs))
	for i, f := range fs {
		out[i] = FieldError(f)
	}
	return out
}

var (
	// ErrNotFound: the object does not exist for this tenant (including
	// objects of other tenants and malformed ids).
	ErrNotFound = errors.New("apperr: not found")
	// ErrUnauthorized: credentials are missing or unknown.
	ErrUnauthorized = errors.New("apperr: unauthorized")
	// ErrForbidden: valid credentials that may not do this (another tenant's
	// path, or a role too low).
	ErrForbidden = errors.New("apperr: forbidden")
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

// Duplicate is a household checkout with items whose players already have
// a live order of the item's product (409): Fields name the items,
// OrderIDs the existing orders.
type Duplicate struct {
	Detail   string
	Fields   []FieldError
	OrderIDs []string
}

func (e *Duplicate) Error() string { return "apperr: duplicate order: " + e.Detail }

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

// BadFilter is a listing asked for with filters it cannot take: each
// FieldError's Field names the filter (the listing's Filter field, which the
// API takes as the query parameter of that name).
type BadFilter struct {
	Detail  string
	Filters []FieldError
}

func (e *BadFilter) Error() string { return "apperr: bad filter: " + e.Detail }

// Filter is one bad filter.
func Filter(name, message string) []FieldError {
	return []FieldError{{Field: name, Message: message}}
}
