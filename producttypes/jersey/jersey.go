package jersey

import (
	"bytes"
	_ "embed" // for the config schema
	"encoding/json"
	"fmt"

	"github.com/leaguepay/checkout/producttypes"
)

//go:embed config.schema.json
var configSchema string

// Type is the jersey product type. Its zero value is ready to use.
type Type struct{}

// Compile-time proof of the optional capabilities Type implements.
var (
	_ producttypes.Type             = Type{}
	_ producttypes.ProductValidator = Type{}
	_ producttypes.Normalizer       = Type{}
	_ producttypes.RuleChecker      = Type{}
)

// New returns the jersey product type, for registry.Register.
func New() producttypes.Type { return Type{} }

// Name returns "jersey".
func (Type) Name() string { return "jersey" }

// Title returns "Jersey".
func (Type) Title() string { return "Jersey" }

// Description says what a jersey product is for.
func (Type) Description() string {
	return "A team jersey: the buyer picks top and bottom sizes, a number unique within its scope and, when allowed, a name for the back."
}

// DefaultCategory returns "uniforms".
func (Type) DefaultCategory() string { return "uniforms" }

// ConfigSchema returns the JSON Schema of a jersey product's config.
func (Type) ConfigSchema() json.RawMessage { return json.RawMessage(configSchema) }

// config is a decoded jersey product config with its defaults applied.
type config struct {
	TopSizes       []string `json:"top_sizes"`
	BottomSizes    []string `json:"bottom_sizes"`
	NumberMin      int      `json:"number_min"`
	NumberMax      int      `json:"number_max"`
	NumberRequired bool     `json:"number_required"`
	NumberScope    string   `json:"number_scope"`
	NameOnBack     bool     `json:"name_on_back"`
	OptOut         bool     `json:"opt_out"`
}

// parseConfig strictly decodes a config over the schema's defaults.
func parseConfig(raw json.RawMessage) (config, error) {
	c := config{NumberMax: 99, NumberRequired: true}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return config{}, fmt.Errorf("jersey: decode config: %w", err)
	}
	return c, nil
}

// ValidateProduct checks the rules of a jersey product that its config
// schema cannot say. It expects a config that passed the schema.
func (Type) ValidateProduct(p producttypes.ProductInput) []producttypes.FieldError {
	c, err := parseConfig(p.Config)
	if err != nil {
		return []producttypes.FieldError{{Field: "/config", Message: "must be a valid jersey config"}}
	}
	if c.OptOut {
		if p.PriceCents != 0 {
			return []producttypes.FieldError{{Field: "/price_cents", Message: "must be 0 for an opt-out jersey"}}
		}
		return nil
	}
	var fes []producttypes.FieldError
	if len(c.TopSizes) == 0 {
		fes = append(fes, producttypes.FieldError{Field: "/config/top_sizes", Message: "must offer at least one size"})
	}
	if len(c.BottomSizes) == 0 {
		fes = append(fes, producttypes.FieldError{Field: "/config/bottom_sizes", Message: "must offer at least one size"})
	}
	if c.NumberMin > c.NumberMax {
		fes = append(fes, producttypes.FieldError{Field: "/config/number_max", Message: "must not be below number_min"})
	}
	return fes
}
