package producttypes_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/leaguepay/checkout/producttypes"
)

// named is a type that is nothing but its Info.
type named producttypes.Info

func (n named) Info() producttypes.Info { return producttypes.Info(n) }

func typeNamed(name string) named {
	return named{Name: name, Title: "T", Description: "D", DefaultCategory: "tests"}
}

type panicking struct{}

func (panicking) Info() producttypes.Info { panic("no info") }

func TestRegistryRules(t *testing.T) {
	panics := []struct {
		name  string
		types []producttypes.Type
		want  string
	}{
		{"a nil type", []producttypes.Type{nil}, "nil"},
		{"an empty name", []producttypes.Type{typeNamed("")}, "empty name"},
		{"a malformed name", []producttypes.Type{typeNamed("Jersey!")}, "is not"},
		{"a name too long", []producttypes.Type{typeNamed("a" + strings.Repeat("b", 40))}, "is not"},
		{"a duplicate name", []producttypes.Type{typeNamed("hat"), typeNamed("hat")}, "twice"},
		{"a malformed default category", []producttypes.Type{named{Name: "hat", DefaultCategory: "Hats"}}, "category"},
		{"a config schema that does not compile", []producttypes.Type{named{Name: "hat", DefaultCategory: "hats",
			ConfigSchema: json.RawMessage(`{"type": 7}`)}}, "config schema"},
		{"an Info that panics", []producttypes.Type{panicking{}}, "panicked"},
	}
	for _, c := range panics {
		t.Run(c.name+" panics", func(t *testing.T) {
			defer func() {
				v := recover()
				if v == nil || !strings.Contains(v.(string), c.want) {
					t.Errorf("Register panicked with %v, want a panic mentioning %q", v, c.want)
				}
			}()
			producttypes.NewRegistry().Register(c.types...)
		})
	}
	t.Run("names are sorted and Info is what the type said, read once", func(t *testing.T) {
		r := producttypes.NewRegistry()
		r.Register(typeNamed("zebra"), typeNamed("apple"), typeNamed("mango"))
		if got := r.Names(); !slices.Equal(got, []string{"apple", "mango", "zebra"}) {
			t.Errorf("Names = %v", got)
		}
		info, ok := r.Info("mango")
		if !ok || info.Title != "T" || info.DefaultCategory != "tests" {
			t.Errorf("Info = %+v, %v", info, ok)
		}
		if _, ok := r.Get("pear"); ok {
			t.Error("an unregistered type was found")
		}
	})
	t.Run("a type without a config schema takes an empty object only", func(t *testing.T) {
		r := producttypes.NewRegistry()
		r.Register(typeNamed("plain"))
		if fields, err := r.ValidateConfig("plain", json.RawMessage(`{}`), "/config"); err != nil || len(fields) > 0 {
			t.Errorf("{} refused: %v %v", fields, err)
		}
		if fields, _ := r.ValidateConfig("plain", json.RawMessage(`{"x":1}`), "/config"); len(fields) == 0 {
			t.Error(`{"x":1} accepted`)
		}
	})
}
