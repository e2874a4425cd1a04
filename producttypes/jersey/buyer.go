package jersey

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/leaguepay/checkout/producttypes"
)

// NameOnBackPattern is the pattern a name for the back of a jersey must
// match after normalization: a letter, then letters (with combining marks),
// spaces, apostrophes, hyphens and periods ("O'NEIL", "ST. JAMES",
// "SMITH-JONES", "MUÑOZ").
const NameOnBackPattern = `^\p{L}[\p{L}\p{M} .'-]*$`

// NameOnBackMaxLength is the most characters a name for the back may have.
const NameOnBackMaxLength = 12

// ReasonMaxLength is the most characters of an opt-out's optional reason.
const ReasonMaxLength = 200

const draft = "https://json-schema.org/draft/2020-12/schema"

// BuyerSchema returns the JSON Schema of a jersey buyer's custom_data for a
// config that passed the config schema and ValidateProduct. The bytes are
// deterministic: encoding/json sorts map keys.
func (Type) BuyerSchema(cfg producttypes.Config) (json.RawMessage, error) {
	c, err := configOf(cfg)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if c.OptOut {
		doc = optOutSchema()
	} else if doc, err = regularSchema(c); err != nil {
		return nil, err
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("jersey: encode buyer schema: %w", err)
	}
	return b, nil
}

func optOutSchema() map[string]any {
	return map[string]any{
		"$schema":              draft,
		"type":                 "object",
		"additionalProperties": false,
		"properties": map[string]any{
			"reason": map[string]any{
				"type": "string", "maxLength": ReasonMaxLength,
				"title": "Reason for opting out",
			},
		},
	}
}

func regularSchema(c config) (map[string]any, error) {
	if len(c.TopSizes) == 0 || len(c.BottomSizes) == 0 {
		return nil, errors.New("jersey: config offers no top or no bottom sizes")
	}
	props := map[string]any{
		"top_size":    sizeProperty("Top size", c.TopSizes),
		"bottom_size": sizeProperty("Bottom size", c.BottomSizes),
		"jersey_number": map[string]any{
			"type": "integer", "minimum": c.NumberMin, "maximum": c.NumberMax,
			"title": "Jersey number",
		},
	}
	required := []string{"bottom_size", "top_size"}
	if c.NumberRequired {
		required = append(required, "jersey_number")
	}
	if c.NameOnBack {
		props["name_on_back"] = map[string]any{
			"type": "string", "minLength": 1, "maxLength": NameOnBackMaxLength,
			"pattern": NameOnBackPattern, "title": "Name on back",
		}
	}
	return map[string]any{
		"$schema":              draft,
		"type":                 "object",
		"additionalProperties": false,
		"properties":           props,
		"required":             required,
	}, nil
}

func sizeProperty(title string, sizes []string) map[string]any {
	return map[string]any{"type": "string", "enum": sizes, "title": title}
}
