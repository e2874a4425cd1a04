// Package camp is a test-only product type for a holiday skills camp
// registration: the buyer registers a child for one of the camp's sessions.
// It is not registered in the product build (app/types.go); tests that want
// it pass it to app.Options.Types.
//
// Config, set per product by a product manager:
//
//   - sessions (required): a non-empty list of unique session codes, each
//     matching ^[a-z0-9-]{1,20}$.
//   - min_age and max_age: integers from 3 to 19, min_age <= max_age;
//     defaults 5 and 15. A config whose min_age is above its max_age (after
//     defaults) is refused on /config/max_age.
//   - tshirt_sizes (optional): a non-empty list of unique upper-case sizes,
//     each matching ^[A-Z0-9]{1,8}$; when given, the buyer must pick one.
//
// Buyer fields (custom_data):
//
//   - session (required): one of the configured sessions.
//   - age (required): an integer from min_age to max_age.
//   - emergency_contact (required): an object with name (1 to 80
//     characters) and phone (7 to 20 characters of digits, spaces, "+" and
//     "-"), nothing else.
//   - tshirt_size: required, and one of tshirt_sizes, when the config offers
//     sizes; refused otherwise.
//
// Normalization: string values at the top level and in emergency_contact are
// trimmed of surrounding white space; session is lower-cased and tshirt_size
// upper-cased, so " Week-1 " is accepted as "week-1" and " m" as "M".
//
// The type makes no claims, keeps no evidence and does nothing once paid.
package camp

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	"github.com/leaguepay/checkout/producttypes"
)

// Type is the camp product type.
type Type struct{}

// Optional capabilities, checked at compile time.
var (
	_ producttypes.ConfigDecoder    = Type{}
	_ producttypes.BuyerSchemer     = Type{}
	_ producttypes.Normalizer       = Type{}
	_ producttypes.ProductValidator = Type{}
)

// Default ages, used when a config leaves min_age or max_age out.
const (
	DefaultMinAge = 5
	DefaultMaxAge = 15
)

// New returns the camp product type, for registry.Register or
// app.Options.Types.
func New() producttypes.Type { return Type{} }

// configSchema is the JSON Schema of a camp product's config.
const configSchema = `{
  "type": "object", "additionalProperties": false, "required": ["sessions"],
  "properties": {
    "sessions": {"type": "array", "minItems": 1, "uniqueItems": true,
      "items": {"type": "string", "pattern": "^[a-z0-9-]{1,20}$"}},
    "min_age": {"type": "integer", "minimum": 3, "maximum": 19, "default": 5},
    "max_age": {"type": "integer", "minimum": 3, "maximum": 19, "default": 15},
    "tshirt_sizes": {"type": "array", "minItems": 1, "uniqueItems": true,
      "items": {"type": "string", "pattern": "^[A-Z0-9]{1,8}$"}}
  }
}`

// Info describes the type. Name is stored with every product: never change it.
func (Type) Info() producttypes.Info {
	return producttypes.Info{
		Name:            "camp",
		Title:           "Holiday camp",
		Description:     "A holiday skills camp registration: a session, the child's age and an emergency contact.",
		DefaultCategory: "camps",
		ConfigSchema:    json.RawMessage(configSchema),
	}
}

// config is a decoded camp config, defaults applied.
type config struct {
	Sessions    []string
	MinAge      int
	MaxAge      int
	TshirtSizes []string // nil or empty: no T-shirt is offered
}

// rawConfig is a camp config as stored. Ages are float64 because the schema's
// "integer" also accepts 5.0 or 5e0, which encoding/json will not put in an
// int.
type rawConfig struct {
	Sessions    []string `json:"sessions"`
	MinAge      *float64 `json:"min_age"`
	MaxAge      *float64 `json:"max_age"`
	TshirtSizes []string `json:"tshirt_sizes"`
}

// DecodeConfig decodes a config that passed the config schema and applies
// the default ages.
func (Type) DecodeConfig(raw json.RawMessage) (any, error) {
	return decodeConfig(raw)
}

func decodeConfig(raw json.RawMessage) (config, error) {
	var r rawConfig
	if err := json.Unmarshal(raw, &r); err != nil {
		return config{}, fmt.Errorf("camp: decode config: %w", err)
	}
	c := config{Sessions: r.Sessions, MinAge: DefaultMinAge, MaxAge: DefaultMaxAge, TshirtSizes: r.TshirtSizes}
	if r.MinAge != nil {
		c.MinAge = int(*r.MinAge)
	}
	if r.MaxAge != nil {
		c.MaxAge = int(*r.MaxAge)
	}
	return c, nil
}

// configOf returns the decoded config. The platform hands every capability
// the value DecodeConfig returned; decoding Raw again is only a fallback for
// a caller that did not decode.
func configOf(cfg producttypes.Config) (config, error) {
	if c, ok := cfg.Value.(config); ok {
		return c, nil
	}
	return decodeConfig(cfg.Raw)
}

// ValidateProduct refuses a config whose min_age is above its max_age.
func (Type) ValidateProduct(p producttypes.ProductInput) []producttypes.FieldError {
	c, err := configOf(p.Config)
	if err != nil {
		return []producttypes.FieldError{{Field: "/config", Message: "is not a valid camp config"}}
	}
	if c.MinAge > c.MaxAge {
		return []producttypes.FieldError{{
			Field:   "/config/max_age",
			Message: fmt.Sprintf("must be at least min_age (%d)", c.MinAge),
		}}
	}
	return nil
}

// BuyerSchema asks the buyer for a session, the child's age, an emergency
// contact and, when the product offers T-shirts, a T-shirt size.
func (Type) BuyerSchema(cfg producttypes.Config) (json.RawMessage, error) {
	c, err := configOf(cfg)
	if err != nil {
		return nil, err
	}
	required := []string{"session", "age", "emergency_contact"}
	props := map[string]any{
		"session": map[string]any{"type": "string", "enum": c.Sessions},
		"age":     map[string]any{"type": "integer", "minimum": c.MinAge, "maximum": c.MaxAge},
		"emergency_contact": map[string]any{
			"type": "object", "additionalProperties": false,
			"required": []string{"name", "phone"},
			"properties": map[string]any{
				"name":  map[string]any{"type": "string", "minLength": 1, "maxLength": 80},
				"phone": map[string]any{"type": "string", "pattern": "^[0-9 +-]{7,20}$"},
			},
		},
	}
	if len(c.TshirtSizes) > 0 {
		required = append(required, "tshirt_size")
		props["tshirt_size"] = map[string]any{"type": "string", "enum": c.TshirtSizes}
	}
	return json.Marshal(map[string]any{
		"type": "object", "additionalProperties": false,
		"required": required, "properties": props,
	})
}

// Normalize trims the strings at the top level and in emergency_contact,
// lower-cases session and upper-cases tshirt_size. It returns a new map and
// leaves data, and the emergency_contact object in it, as they were.
func (Type) Normalize(_ producttypes.Config, data map[string]any) map[string]any {
	out := make(map[string]any, len(data))
	for k, v := range data {
		if s, ok := v.(string); ok {
			v = strings.TrimSpace(s)
		}
		out[k] = v
	}
	if s, ok := out["session"].(string); ok {
		out["session"] = strings.ToLower(s)
	}
	if s, ok := out["tshirt_size"].(string); ok {
		out["tshirt_size"] = strings.ToUpper(s)
	}
	if ec, ok := out["emergency_contact"].(map[string]any); ok {
		ec = maps.Clone(ec)
		for k, v := range ec {
			if s, ok := v.(string); ok {
				ec[k] = strings.TrimSpace(s)
			}
		}
		out["emergency_contact"] = ec
	}
	return out
}
