package camp_test

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/leaguepay/checkout/internal/testtypes/camp"
	"github.com/leaguepay/checkout/producttypes"
	"github.com/leaguepay/checkout/producttypes/producttypestest"
)

func TestConformance(t *testing.T) {
	producttypestest.Run(t, camp.New(), os.DirFS("testdata/cases"))
}

func FuzzCustomData(f *testing.F) {
	producttypestest.FuzzCustomData(f, camp.New(), os.DirFS("testdata/cases"))
}

func decodedConfig(t *testing.T, raw string) producttypes.Config {
	t.Helper()
	cfg, err := producttypes.DecodeConfigOf(camp.New(), json.RawMessage(raw))
	if err != nil {
		t.Fatalf("decode config %s: %v", raw, err)
	}
	return cfg
}

func TestNormalize(t *testing.T) {
	cfg := decodedConfig(t, `{"sessions": ["week-1"], "tshirt_sizes": ["M"]}`)
	tests := []struct {
		name string
		in   map[string]any
		want map[string]any
	}{
		{
			name: "the session is trimmed and lower-cased and the size trimmed and upper-cased",
			in:   map[string]any{"session": " Week-1\t", "tshirt_size": " m ", "age": json.Number("7")},
			want: map[string]any{"session": "week-1", "tshirt_size": "M", "age": json.Number("7")},
		},
		{
			name: "the emergency contact's strings are trimmed in a new object",
			in: map[string]any{"emergency_contact": map[string]any{
				"name": "  Ann Lee ", "phone": " +1 555-0100 ", "extra": 3.0}},
			want: map[string]any{"emergency_contact": map[string]any{
				"name": "Ann Lee", "phone": "+1 555-0100", "extra": 3.0}},
		},
		{
			name: "values that are not strings are left for the schema to reject",
			in:   map[string]any{"session": 3.0, "emergency_contact": "Ann", "tshirt_size": nil},
			want: map[string]any{"session": 3.0, "emergency_contact": "Ann", "tshirt_size": nil},
		},
		{
			name: "unknown top-level strings are only trimmed",
			in:   map[string]any{"colour": " Red "},
			want: map[string]any{"colour": "Red"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inCopy, _ := json.Marshal(tt.in)
			got, err := producttypes.NormalizeData(camp.New(), cfg, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Normalize(%v) = %v, want %v", tt.in, got, tt.want)
			}
			if after, _ := json.Marshal(tt.in); string(after) != string(inCopy) {
				t.Errorf("Normalize changed its input: %s, was %s", after, inCopy)
			}
		})
	}
}

func TestValidateProduct(t *testing.T) {
	tests := []struct {
		name   string
		config string
		fields []string
	}{
		{"the default ages are accepted", `{"sessions": ["a"]}`, nil},
		{"equal ages are accepted", `{"sessions": ["a"], "min_age": 9, "max_age": 9}`, nil},
		{"a minimum above the maximum is refused on max_age", `{"sessions": ["a"], "min_age": 12, "max_age": 10}`, []string{"/config/max_age"}},
		{"a minimum above the default maximum is refused on max_age", `{"sessions": ["a"], "min_age": 16}`, []string{"/config/max_age"}},
		{"a maximum below the default minimum is refused on max_age", `{"sessions": ["a"], "max_age": 4}`, []string{"/config/max_age"}},
		{"ages written as 6.0 and 1.2e1 are read as integers", `{"sessions": ["a"], "min_age": 6.0, "max_age": 1.2e1}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := decodedConfig(t, tt.config)
			errs, err := producttypes.ValidateProductOf(camp.New(), producttypes.ProductInput{PriceCents: 15000, Currency: "usd", Config: cfg})
			if err != nil {
				t.Fatal(err)
			}
			var fields []string
			for _, e := range errs {
				fields = append(fields, e.Field)
				if e.Message == "" {
					t.Errorf("field error %q has no message", e.Field)
				}
			}
			if !reflect.DeepEqual(fields, tt.fields) {
				t.Errorf("ValidateProduct(%s) fields = %v, want %v", tt.config, fields, tt.fields)
			}
		})
	}
}
