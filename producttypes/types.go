package producttypes

import (
	"context"
	"encoding/json"
	"time"
)

// Type is what every product type implements: its static description.
// Everything else a type can do is an optional one-method capability below,
// found by type assertion (ConfigDecoder, BuyerSchemer, Normalizer,
// ProductValidator, RuleChecker, Evidencer, PaidHook).
type Type interface {
	// Info is read once, at registration.
	Info() Info
}

// Info is a type's static description.
type Info struct {
	// Name is the stable lowercase identifier stored with every product
	// (^[a-z][a-z0-9_-]{0,39}$).
	Name string
	// Title is a human readable name for admin tools.
	Title string
	// Description says what the type is for.
	Description string
	// DefaultCategory is the category a new product gets when none is
	// given (^[a-z0-9-]{1,40}$).
	DefaultCategory string
	// ConfigSchema is the JSON Schema (draft 2020-12) that a product's
	// config must satisfy; compiled once, at registration. Nil accepts only
	// an empty object.
	ConfigSchema json.RawMessage
}

// Config is a product's config as every capability sees it: its JSON as
// stored, and the value the type's ConfigDecoder made of it — decoded once
// per product version, after the config passed ConfigSchema (nil for a type
// without a decoder).
type Config struct {
	Raw   json.RawMessage
	Value any
}

// ConfigDecoder is implemented by types whose capabilities read their
// config: DecodeConfig turns a config that passed the schema into the value
// the others find in Config.Value (apply defaults here). An error refuses
// the product's config.
type ConfigDecoder interface {
	DecodeConfig(raw json.RawMessage) (any, error)
}

// BuyerSchemer is implemented by types that take data from the buyer: it
// turns a product's config into the JSON Schema that custom_data must
// satisfy (the product's custom_fields). It must be deterministic: the same
// config gives the same bytes. A type without one takes no data (an empty
// object).
type BuyerSchemer interface {
	BuyerSchema(cfg Config) (json.RawMessage, error)
}

// FieldError names one failing field of a request. Field is a JSON Pointer
// into the request body (for example "/custom_data/jersey_number").
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	// Detail, when set, is the validator's own wording (the pattern, the
	// bound and the value found), for developers; Message is for people.
	Detail string `json:"detail,omitempty"`
}

// Normalizer is implemented by types that clean buyer data before it is
// validated (trim spaces, upper-case sizes). Normalize must be idempotent and
// must not fail: data it does not understand is returned unchanged for the
// schema to reject.
type Normalizer interface {
	Normalize(cfg Config, data map[string]any) map[string]any
}

// ProductValidator is implemented by types with product rules that a config
// schema cannot say (an opt-out jersey must be free). Field pointers are
// relative to the product body ("/price_cents", "/config/number_max").
type ProductValidator interface {
	ValidateProduct(p ProductInput) []FieldError
}

// ProductInput is what a ProductValidator sees of a product being written.
type ProductInput struct {
	PriceCents int64
	Currency   string
	Config     Config
}

// RuleChecker is implemented by types with business rules beyond the schema.
// It returns field errors (the checkout is refused with 422) and claims:
// values that must be unique within a scope across the tenant's live orders
// (pending or paid). The platform stores claims under a unique index in the
// same transaction as the order, so concurrent checkouts cannot both win; a
// taken claim is refused with 409 naming Claim.Field.
type RuleChecker interface {
	CheckRules(ctx context.Context, in RuleInput) ([]FieldError, []Claim, error)
}

// RuleInput is what a RuleChecker sees of a checkout. Data has been
// normalized and has passed the buyer schema.
type RuleInput struct {
	TenantID  string
	ProductID string
	PlayerID  string
	Config    Config
	Data      map[string]any
}

// Claim reserves Value within Scope while an order holding it is pending or
// paid. Field is the JSON Pointer reported when the value is already taken
// (for example "/custom_data/jersey_number").
//
// Holder says who may share the value: orders whose claims carry the same
// non-empty Holder may hold it together (a player keeps number 10 on both
// the home and the away jersey of a team); an empty Holder makes the value
// exclusive to a single order (one contract per player and season).
type Claim struct {
	Scope  string
	Value  string
	Field  string
	Holder string
}

// Evidencer is implemented by types that stamp server-side evidence on an
// order (a contract keeps the terms hash, the acceptance time and the
// client's IP). The returned object is stored with the order as "evidence".
type Evidencer interface {
	Evidence(ctx context.Context, in EvidenceInput) (map[string]any, error)
}

// EvidenceInput is what an Evidencer sees of a checkout.
type EvidenceInput struct {
	Config   Config
	Data     map[string]any
	ClientIP string
	At       time.Time
}

// PaidHook is implemented by types that act when an order becomes paid. It
// runs after the payment is committed; an error is logged, never undoes the
// payment.
type PaidHook interface {
	OnPaid(ctx context.Context, order PaidOrder) error
}

// PaidOrder is what a PaidHook sees of the order that was paid.
type PaidOrder struct {
	TenantID    string
	OrderID     string
	ProductID   string
	PlayerID    string
	AmountCents int64
	Currency    string
	Config      Config
	Data        map[string]any
}
