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
	_ producttypes.Type          = Type{}
	_ producttypes.ConfigDecoder = Type{}
	_ producttypes.BuyerSchemer  = Type{}
	_ producttypes.Normalizer    = Type{}
	_ producttypes.RuleChecker   = Type{}
	_ producttypes.Evidencer     = Type{}
)

// New returns the player contract product type, for registry.Register.
func New() producttypes.Type { return Type{} }

// Info describes the contract type.
func (Type) Info() producttypes.Info {
	return producttypes.Info{Name: "contract", Title: "Player contract", Description: "A player contract for one season: a parent, guardian or the player accepts a versioned set of terms.",
		DefaultCategory: "contracts", ConfigSchema: json.RawMessage(configSchema)}
}

// config is a decoded contract product config with its defaults applied.
type config struct {
	Season              string   `json:"season"`
	TermsText           string   `json:"terms_text"`
	TermsURL            string   `json:"terms_url"`
	TermsVersion        string   `json:"terms_version"`
	SignerRelationships []string `json:"signer_relationships"`
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
