package jersey_test

import (
	"encoding/json"
	"testing"

	"github.com/leaguepay/checkout/producttypes"
	"github.com/leaguepay/checkout/producttypes/jersey"
)

const benchConfig = `{"top_sizes":["YS","YM","YL","AS","AM","AL","AXL"],
 "bottom_sizes":["YS","YM","YL","AS","AM","AL","AXL"],
 "number_max":99,"name_on_back":true,"number_scope":"u12-blue-2026"}`

const benchData = `{"jersey_number":" 07","top_size":"am ","bottom_size":"al","name_on_back":" o\u2019neil "}`

func compiledBuyerSchema(b *testing.B) *producttypes.Schema {
	b.Helper()
	raw, err := jersey.Type{}.BuyerSchema(producttypes.Config{Raw: json.RawMessage(benchConfig)})
	if err != nil {
		b.Fatal(err)
	}
	s, err := producttypes.CompileSchema(raw)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func decodeData(b *testing.B) map[string]any {
	b.Helper()
	v, err := producttypes.DecodeJSON([]byte(benchData))
	if err != nil {
		b.Fatal(err)
	}
	return v.(map[string]any)
}

// BenchmarkValidateCustomData measures validating one normalized jersey
// custom_data against a buyer schema compiled once. Budget: 10 µs/op.
func BenchmarkValidateCustomData(b *testing.B) {
	s := compiledBuyerSchema(b)
	n := jersey.New().(producttypes.Normalizer)
	data := n.Normalize(producttypes.Config{Raw: json.RawMessage(benchConfig)}, decodeData(b))
	if fes := s.Validate(data, "/custom_data"); len(fes) > 0 {
		b.Fatalf("benchmark data is invalid: %v", fes)
	}
	b.ReportAllocs()
	for b.Loop() {
		if fes := s.Validate(data, "/custom_data"); fes != nil {
			b.Fatal(fes)
		}
	}
}

// BenchmarkNormalizeAndValidate measures normalizing raw custom_data and
// validating it, as a checkout does after decoding the request.
func BenchmarkNormalizeAndValidate(b *testing.B) {
	s := compiledBuyerSchema(b)
	n := jersey.New().(producttypes.Normalizer)
	cfg := json.RawMessage(benchConfig)
	raw := decodeData(b)
	b.ReportAllocs()
	for b.Loop() {
		if fes := s.Validate(n.Normalize(producttypes.Config{Raw: cfg}, raw), "/custom_data"); fes != nil {
			b.Fatal(fes)
		}
	}
}
