package contract

import (
	"bytes"
	_ "embed" // for the config schema
	"encoding/json"
	"fmt"
	"slices"

	"github.com/leaguepay/checkout/producttypes"
)

//go:embed config.schema.json
var configSchema string

// defaultSignerRelationships is who may sign when a config does not say.
var defaultSignerRelationships = []string{"parent", "guardian", "player"}

// Type is the player contract product type. Its zero value is ready to use.
type Type struct{}

// Compile-time proof of the optional capabilities Type implements.
var (
	_ producttypes.Type        = Type{}
	_ producttypes.Normalizer  = Type{}
	_ producttypes.RuleChecker = Type{}
	_ producttypes.Evidencer   = Type{}
)

// New returns the player contract product type, for registry.Register.
func New() producttypes.Type { return Type{} }

// Name returns "contract".
func (Type) Name() string { return "contract" }

// Title returns "Player contract".
func (Type) Title() string { return "Player contract" }

// Description says what a contract product is for.
func (Type) Description() string {
	return "A player contract for one season: a parent, guardian or the player accepts a versioned set of terms."
}

// DefaultCategory returns "contracts".
func (Type) DefaultCategory() string { return "contracts" }

// ConfigSchema returns the JSON Schema of a contract product's config.
func (Type) ConfigSchema() json.RawMessage { return json.RawMessage(configSchema) }

// config is a decoded contract product config with its defaults applied.
type config struct {
	Season              string   `json:"season"`
	TermsText           string   `json:"terms_text"`
	TermsURL            string   `json:"terms_url"`
	TermsVersion        string   `json:"terms_version"`
	SignerRelationships []string `json:"signer_relationships"`
}

// parseConfig strictly decodes a config and applies its defaults.
func parseConfig(raw json.RawMessage) (config, error) {
	var c config
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return config{}, fmt.Errorf("contract: decode config: %w", err)
	}
	if c.SignerRelationships == nil {
		c.SignerRelationships = slices.Clone(defaultSignerRelationships)
	}
	return c, nil
}
