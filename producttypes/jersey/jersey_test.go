package jersey_test

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"testing"

	"github.com/leaguepay/checkout/producttypes"
	"github.com/leaguepay/checkout/producttypes/jersey"
	"github.com/leaguepay/checkout/producttypes/producttypestest"
)

func TestConformance(t *testing.T) {
	producttypestest.Run(t, jersey.New(), os.DirFS("testdata/cases"))
}

const youth = `{"top_sizes":["YS","YM"],"bottom_sizes":["YS"],"number_scope":"u12-blue-2026"}`

func TestNormalize(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]any
		want map[string]any
	}{
		{"sizes are trimmed and upper-cased",
			map[string]any{"top_size": " ym ", "bottom_size": "ys"},
			map[string]any{"top_size": "YM", "bottom_size": "YS"}},
		{"a number typed with a leading zero becomes its canonical number",
			map[string]any{"jersey_number": " 07 "},
			map[string]any{"jersey_number": json.Number("7")}},
		{"a number typed as zeros becomes zero",
			map[string]any{"jersey_number": "00"},
			map[string]any{"jersey_number": json.Number("0")}},
		{"a number given as a number is left alone",
			map[string]any{"jersey_number": 7.0},
			map[string]any{"jersey_number": 7.0}},
		{"a number that is not digits is left for the schema to refuse",
			map[string]any{"jersey_number": "7a"},
			map[string]any{"jersey_number": "7a"}},
		{"an empty number is dropped as an unanswered optional field",
			map[string]any{"jersey_number": "  "},
			map[string]any{}},
		{"a name has its spaces collapsed, apostrophe straightened and is upper-cased",
			map[string]any{"name_on_back": "  de   la\u2019cruz "},
			map[string]any{"name_on_back": "DE LA'CRUZ"}},
		{"an empty name is dropped",
			map[string]any{"name_on_back": " "},
			map[string]any{}},
		{"a value of the wrong type is left for the schema to refuse",
			map[string]any{"top_size": 3.0, "name_on_back": []any{"X"}},
			map[string]any{"top_size": 3.0, "name_on_back": []any{"X"}}},
	}
	n := jersey.New().(producttypes.Normalizer)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := n.Normalize(producttypes.Config{Raw: json.RawMessage(youth)}, tt.in)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Normalize(%#v) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
	t.Run("the input map is not edited", func(t *testing.T) {
		in := map[string]any{"top_size": " ys"}
		n.Normalize(producttypes.Config{Raw: json.RawMessage(youth)}, in)
		if in["top_size"] != " ys" {
			t.Errorf("input changed to %#v", in)
		}
	})
}

func TestCheckRules(t *testing.T) {
	tests := []struct {
		name   string
		config string
		data   map[string]any
		want   []producttypes.Claim
		fields []string
	}{
		{"a number is claimed within the configured scope", youth,
			map[string]any{"jersey_number": json.Number("7")},
			[]producttypes.Claim{{Scope: "jersey:u12-blue-2026", Value: "7", Field: "/custom_data/jersey_number", Holder: "player:pl1"}}, nil},
		{"without a scope the number is claimed within the product", `{"top_sizes":["YS"],"bottom_sizes":["YS"]}`,
			map[string]any{"jersey_number": json.Number("7")},
			[]producttypes.Claim{{Scope: "jersey:product:p1", Value: "7", Field: "/custom_data/jersey_number", Holder: "player:pl1"}}, nil},
		{"a float64 number claims the same canonical value", youth,
			map[string]any{"jersey_number": 7.0},
			[]producttypes.Claim{{Scope: "jersey:u12-blue-2026", Value: "7", Field: "/custom_data/jersey_number", Holder: "player:pl1"}}, nil},
		{"an int number claims the same canonical value", youth,
			map[string]any{"jersey_number": 42},
			[]producttypes.Claim{{Scope: "jersey:u12-blue-2026", Value: "42", Field: "/custom_data/jersey_number", Holder: "player:pl1"}}, nil},
		{"a json.Number written as 7.0 claims 7", youth,
			map[string]any{"jersey_number": json.Number("7.0")},
			[]producttypes.Claim{{Scope: "jersey:u12-blue-2026", Value: "7", Field: "/custom_data/jersey_number", Holder: "player:pl1"}}, nil},
		{"a jersey bought without a number claims nothing", youth,
			map[string]any{"top_size": "YS"}, nil, nil},
		{"an opt-out jersey claims nothing", `{"opt_out":true,"number_scope":"u12-blue-2026"}`,
			map[string]any{"jersey_number": json.Number("7")}, nil, nil},
		{"a fractional number is refused on its field", youth,
			map[string]any{"jersey_number": 7.5}, nil, []string{"/custom_data/jersey_number"}},
	}
	rc := jersey.New().(producttypes.RuleChecker)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := producttypes.RuleInput{TenantID: "t1", ProductID: "p1", PlayerID: "pl1", Config: producttypes.Config{Raw: json.RawMessage(tt.config)}, Data: tt.data}
			fes, claims, err := rc.CheckRules(context.Background(), in)
			if err != nil {
				t.Fatalf("CheckRules: %v", err)
			}
			if !slices.Equal(claims, tt.want) {
				t.Errorf("claims = %+v, want %+v", claims, tt.want)
			}
			var fields []string
			for _, fe := range fes {
				fields = append(fields, fe.Field)
			}
			if !slices.Equal(fields, tt.fields) {
				t.Errorf("field errors = %+v, want fields %v", fes, tt.fields)
			}
		})
	}
}

func FuzzCustomData(f *testing.F) {
	producttypestest.FuzzCustomData(f, jersey.New(), os.DirFS("testdata/cases"))
}
