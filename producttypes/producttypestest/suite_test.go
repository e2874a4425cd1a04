package producttypestest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/leaguepay/checkout/producttypes"
)

// colour is a tiny well-behaved type; its fields let a test break one part
// of the contract at a time.
type colour struct {
	name      string
	buyer     string
	normalize func(map[string]any) map[string]any
	counter   *int
}

const colourBuyer = `{"type":"object","additionalProperties":false,
 "required":["colour"],"properties":{"colour":{"enum":["red","blue"]}}}`

func newColour() *colour {
	return &colour{name: "colour", buyer: colourBuyer, normalize: lowerColour}
}

func lowerColour(d map[string]any) map[string]any {
	if s, ok := d["colour"].(string); ok {
		d["colour"] = strings.ToLower(strings.TrimSpace(s))
	}
	return d
}

func (c *colour) Info() producttypes.Info {
	return producttypes.Info{Name: c.name, Title: "Colour", Description: "A colour choice.", DefaultCategory: "colours",
		ConfigSchema: json.RawMessage(`{"type":"object","additionalProperties":false,
	 "properties":{"max":{"type":"integer","minimum":1}}}`)}
}

func (c *colour) BuyerSchema(producttypes.Config) (json.RawMessage, error) {
	if c.counter != nil {
		*c.counter++
		return json.RawMessage(fmt.Sprintf(`{"type":"object","additionalProperties":false,"$comment":"%d"}`, *c.counter)), nil
	}
	return json.RawMessage(c.buyer), nil
}

func (c *colour) Normalize(_ producttypes.Config, d map[string]any) map[string]any {
	return c.normalize(d)
}

func (c *colour) CheckRules(_ context.Context, in producttypes.RuleInput) ([]producttypes.FieldError, []producttypes.Claim, error) {
	if in.Data["colour"] == "blue" {
		return []producttypes.FieldError{{Field: "/custom_data/colour", Message: "is sold out"}}, nil, nil
	}
	return nil, []producttypes.Claim{{Scope: "colour", Value: in.PlayerID, Field: "/player_id"}}, nil
}

const goodCase = `{
 "name": "a colour product",
 "config": {"max": 2},
 "valid": [{"colour": "red"}, {"colour": " RED "}],
 "invalid": [
  {"data": {"colour": "green"}, "fields": ["/custom_data/colour"]},
  {"data": {"colour": "blue"}, "fields": ["/custom_data/colour"]},
  {"data": {"colour": "red", "x": 1}, "fields": ["/custom_data/x"]}
 ],
 "invalid_configs": [
  {"name": "max must be positive", "config": {"max": 0}, "fields": ["/config/max"]}
 ]
}`

func cases(files ...string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for i, f := range files {
		fsys[fmt.Sprintf("case%d.json", i)] = &fstest.MapFile{Data: []byte(f)}
	}
	return fsys
}

func TestRun(t *testing.T) {
	t.Run("a well-behaved type passes the whole suite", func(t *testing.T) {
		Run(t, newColour(), cases(goodCase))
	})
}

// failures runs every check of the suite on typ and one case file and
// returns the failures as one string.
func failures(t *testing.T, typ producttypes.Type, file string) string {
	t.Helper()
	reg, errs := checkType(typ)
	if reg == nil {
		return fmt.Sprint(errs)
	}
	loaded, err := LoadCases(cases(file))
	if err != nil {
		return err.Error()
	}
	for _, c := range loaded {
		errs = append(errs, checkCase(typ, reg, c)...)
	}
	return fmt.Sprint(errs)
}

func TestSuiteCatchesBrokenTypes(t *testing.T) {
	tests := []struct {
		name  string
		typ   func() *colour
		file  string
		wants string
	}{
		{"a well-behaved type has no failures", newColour, goodCase, "[]"},
		{"a buyer schema without additionalProperties false is reported", func() *colour {
			c := newColour()
			c.buyer = strings.Replace(colourBuyer, `"additionalProperties":false,`, "", 1)
			return c
		}, goodCase, `"additionalProperties": false`},
		{"a malformed name is reported", func() *colour {
			c := newColour()
			c.name = "Colour"
			return c
		}, goodCase, "does not match"},
		{"a buyer schema that changes between calls is reported", func() *colour {
			c := newColour()
			c.counter = new(int)
			return c
		}, goodCase, "not deterministic"},
		{"a normalizer that is not idempotent is reported", func() *colour {
			c := newColour()
			c.normalize = func(d map[string]any) map[string]any {
				d["colour"] = fmt.Sprint(d["colour"], "!")
				return d
			}
			return c
		}, goodCase, "not idempotent"},
		{"a panicking normalizer is reported, not a crash", func() *colour {
			c := newColour()
			c.normalize = func(map[string]any) map[string]any { panic("boom") }
			return c
		}, goodCase, "panicked in normalize: boom"},
		{"an invalid entry refused on another field is reported", newColour,
			strings.Replace(goodCase, `"fields": ["/custom_data/x"]`, `"fields": ["/custom_data/colour"]`, 1),
			"refused with fields [/custom_data/x], want [/custom_data/colour]"},
		{"a valid entry the schema refuses is reported", newColour,
			strings.Replace(goodCase, `{"colour": "red"},`, `{"colour": "green"},`, 1),
			"validation refused it"},
		{"an invalid config that is accepted is reported", newColour,
			strings.Replace(goodCase, `{"max": 0}`, `{"max": 3}`, 1),
			"was accepted, want refused with fields [/config/max]"},
		{"a case file with an unknown key is refused", newColour,
			strings.Replace(goodCase, `"valid"`, `"vaild"`, 1), `unknown field "vaild"`},
		{"a case file without valid entries is refused", newColour,
			`{"name": "empty", "config": {}}`, `"valid" needs at least one entry`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := failures(t, tt.typ(), tt.file)
			if !strings.Contains(got, tt.wants) {
				t.Errorf("failures = %s\nwant them to mention %q", got, tt.wants)
			}
		})
	}
}

func TestLoadCases(t *testing.T) {
	t.Run("a folder without case files is an error", func(t *testing.T) {
		if _, err := LoadCases(fstest.MapFS{}); err == nil {
			t.Error("LoadCases of an empty folder succeeded")
		}
	})
}
