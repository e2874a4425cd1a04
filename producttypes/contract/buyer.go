package contract

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/leaguepay/checkout/producttypes"
)

// SignerNameMaxLength is the most characters a signer's name may have.
const SignerNameMaxLength = 120

const draft = "https://json-schema.org/draft/2020-12/schema"

// BuyerSchema returns the JSON Schema of a contract buyer's custom_data for
// a config that passed the config schema. The bytes are deterministic:
// encoding/json sorts map keys.
func (Type) BuyerSchema(cfg producttypes.Config) (json.RawMessage, error) {
	c, err := configOf(cfg)
	if err != nil {
		return nil, err
	}
	if c.TermsVersion == "" {
		return nil, errors.New("contract: config has no terms_version")
	}
	props := map[string]any{
		"signer_name": map[string]any{
			"type": "string", "minLength": 1, "maxLength": SignerNameMaxLength,
			"pattern": `^\S(?:.*\S)?$`, "title": "Signer's full name",
		},
		"signer_relationship": map[string]any{
			"type": "string", "enum": c.SignerRelationships,
			"title": "Relationship to the player",
		},
		"accept_terms":  map[string]any{"const": true, "title": "I accept the terms"},
		"terms_version": map[string]any{"const": c.TermsVersion, "title": "Terms version"},
	}
	doc := map[string]any{
		"$schema":              draft,
		"type":                 "object",
		"additionalProperties": false,
		"properties":           props,
		"required":             []string{"accept_terms", "signer_name", "signer_relationship", "terms_version"},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("contract: encode buyer schema: %w", err)
	}
	return b, nil
}
