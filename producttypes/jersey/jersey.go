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
	_ producttypes.ConfigDecoder    = Type{}
	_ producttypes.BuyerSchemer     = Type{}
	_ producttypes.ProductValidator = Type{}
	_ producttypes.Normalizer       = Type{}
	_ producttypes.RuleChecker      = Type{}
)

// New returns the jersey product type, for registry.Register.
func New() producttypes.Type { return Type{} }

// Info describes the jersey type.
func (Type) Info() producttypes.Info {
	return producttypes.Info{Name: "jersey", Title: "Jersey", Description: "A team jersey: the buyer picks top and bottom sizes, a number unique within its scope and, when allowed, a name for the back.",
		DefaultCategory: "uniforms", ConfigSchema: json.RawMessage(configSchema)}
}

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

// DecodeConfig decodes a config that passed the config schema, once per
// product version, into the config every capability reads.
func (Type) DecodeConfig(raw json.RawMessage) (any, error) { return parseConfig(raw) }

// configOf is the decoded config of cfg (decoded here when the caller did
// not: a capability called directly).
func configOf(cfg producttypes.Config) (config, error) {
	if c, ok := cfg.Value.(config); ok {
		return c, nil
	}
	return parseConfig(cfg.Raw)
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
	c, err := configOf(p.Config)
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
