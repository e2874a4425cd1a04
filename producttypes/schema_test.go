package producttypes_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/leaguepay/checkout/producttypes"
)

const flatSchema = `{"type":"object","additionalProperties":false,"required":["n"],
 "properties":{"n":{"type":"integer","minimum":0,"maximum":99}}}`

func validate(t *testing.T, schema, data string) []producttypes.FieldError {
	t.Helper()
	s, err := producttypes.CompileSchema(json.RawMessage(schema))
	if err != nil {
		t.Fatal(err)
	}
	v, err := producttypes.DecodeJSON([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(v, "/custom_data")
}

func fieldsOf(fes []producttypes.FieldError) []string {
	var out []string
	for _, fe := range fes {
		out = append(out, fe.Field)
	}
	return out
}

func TestValidateRefusesNumbersItCannotJudge(t *testing.T) {
	tests := []struct {
		name   string
		data   string
		fields []string
	}{
		{"an exponent of a million", `{"n":1e999999}`, []string{"/custom_data/n"}},
		{"a negative exponent of a million", `{"n":1e-999999}`, []string{"/custom_data/n"}},
		{"zero with an exponent big.Rat refuses", `{"n":0e99999999999999999999}`, []string{"/custom_data/n"}},
		{"a number of 401 digits", `{"n":1` + strings.Repeat("0", 400) + `}`, []string{"/custom_data/n"}},
		{"a number beyond float64 is refused wherever it is", `{"n":1,"x":[1,1e400]}`, []string{"/custom_data/x/1"}},
		{"a whole number with a fraction part is judged", `{"n":7.000}`, nil},
		{"a number with a small exponent is judged", `{"n":1e3}`, []string{"/custom_data/n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := validate(t, flatSchema, tt.data)
			if !reflect.DeepEqual(fieldsOf(got), tt.fields) {
				t.Fatalf("field errors %v, want fields %q", got, tt.fields)
			}
			for _, fe := range got {
				if fe.Message == "holds a value that cannot be validated" {
					t.Errorf("the validator panicked: %v", fe)
				}
			}
		})
	}
}

func TestValidateNamesTheFieldsOfAwkwardKeys(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		data   string
		want   []string
	}{
		{"a key ending in a backslash is named as it is",
			flatSchema, `{"n":1,"0000\\":0,"0000":0,"00000":0}`,
			[]string{"/custom_data/0000", "/custom_data/00000", `/custom_data/0000\`}},
		{"a key with a line break, a tab, a quote or an unprintable character is named as it is",
			flatSchema, `{"n":1,"a\nb":0,"t\t":0,"it's":0,"q\"":0,"\u200b":0}`,
			[]string{"/custom_data/a\nb", `/custom_data/it's`, `/custom_data/q"`, "/custom_data/t\t", "/custom_data/\u200b"}},
		{"a key that looks like a list of keys is one key",
			flatSchema, `{"n":1,"x', 'n":0}`,
			[]string{"/custom_data/x', 'n"}},
		{"slash and tilde are escaped as JSON Pointer says",
			flatSchema, `{"n":1,"a/b~c":0}`,
			[]string{"/custom_data/a~1b~0c"}},
		{"unevaluatedProperties false refuses an unknown member",
			`{"type":"object","properties":{"n":{}},"unevaluatedProperties":false}`, `{"n":1,"extra":2}`,
			[]string{"/custom_data/extra"}},
		{"a member checked by a schema for other members is named without percent-encoding",
			`{"type":"object","additionalProperties":{"type":"string"}}`, `{"a b":1,"é":2}`,
			[]string{"/custom_data/a b", "/custom_data/é"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 20 { // the validator lists unknown keys in map order
				if got := fieldsOf(validate(t, tt.schema, tt.data)); !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("fields %q, want %q", got, tt.want)
				}
			}
		})
	}
}
