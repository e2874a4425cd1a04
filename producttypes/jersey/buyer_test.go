package jersey_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/leaguepay/checkout/producttypes"
	"github.com/leaguepay/checkout/producttypes/jersey"
)

// buyerSchema decodes the buyer schema of config into a generic map.
func buyerSchema(t *testing.T, config string) map[string]any {
	t.Helper()
	raw, err := jersey.Type{}.BuyerSchema(producttypes.Config{Raw: json.RawMessage(config)})
	if err != nil {
		t.Fatalf("BuyerSchema: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("decode buyer schema: %v", err)
	}
	return doc
}

func required(doc map[string]any) []string {
	var names []string
	for _, r := range doc["required"].([]any) {
		names = append(names, r.(string))
	}
	return names
}

func TestBuyerSchema(t *testing.T) {
	t.Run("a required number is listed as required", func(t *testing.T) {
		doc := buyerSchema(t, youth)
		if !slices.Contains(required(doc), "jersey_number") {
			t.Errorf("required = %v, want jersey_number in it", required(doc))
		}
	})
	t.Run("an optional number is not listed as required", func(t *testing.T) {
		doc := buyerSchema(t, `{"top_sizes":["YS"],"bottom_sizes":["YS"],"number_required":false}`)
		if slices.Contains(required(doc), "jersey_number") {
			t.Errorf("required = %v, want no jersey_number", required(doc))
		}
	})
	t.Run("the number range comes from the config", func(t *testing.T) {
		doc := buyerSchema(t, `{"top_sizes":["YS"],"bottom_sizes":["YS"],"number_min":1,"number_max":55}`)
		num := doc["properties"].(map[string]any)["jersey_number"].(map[string]any)
		if num["minimum"] != 1.0 || num["maximum"] != 55.0 {
			t.Errorf("jersey_number = %v, want minimum 1 and maximum 55", num)
		}
	})
	t.Run("the size options keep the configured order", func(t *testing.T) {
		doc := buyerSchema(t, `{"top_sizes":["YL","YS"],"bottom_sizes":["YS"]}`)
		top := doc["properties"].(map[string]any)["top_size"].(map[string]any)
		if got := top["enum"].([]any); len(got) != 2 || got[0] != "YL" || got[1] != "YS" {
			t.Errorf("top_size enum = %v, want [YL YS]", got)
		}
	})
	t.Run("a name on the back is offered only when the config allows it", func(t *testing.T) {
		props := buyerSchema(t, youth)["properties"].(map[string]any)
		if _, ok := props["name_on_back"]; ok {
			t.Error("name_on_back offered although the config does not allow it")
		}
	})
	t.Run("a config without sizes has no buyer schema", func(t *testing.T) {
		if _, err := (jersey.Type{}).BuyerSchema(producttypes.Config{Raw: json.RawMessage(`{}`)}); err == nil {
			t.Error("BuyerSchema of a config without sizes succeeded")
		}
	})
}
