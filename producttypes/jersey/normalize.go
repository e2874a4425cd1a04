package jersey

import (
	"encoding/json"
	"strings"

	"github.com/leaguepay/checkout/producttypes"
)

// Normalize cleans a buyer's custom_data before validation; see the package
// comment for the rules. It returns a new map, never edits data, and leaves
// values it does not understand for the schema to refuse.
func (Type) Normalize(_ producttypes.Config, data map[string]any) map[string]any {
	out := make(map[string]any, len(data))
	for k, v := range data {
		if s, ok := v.(string); ok {
			v = strings.TrimSpace(s)
		}
		out[k] = v
	}
	for _, k := range []string{"top_size", "bottom_size"} {
		if s, ok := out[k].(string); ok {
			out[k] = strings.ToUpper(s)
		}
	}
	if s, ok := out["jersey_number"].(string); ok {
		switch {
		case s == "":
			delete(out, "jersey_number")
		case isDigits(s):
			out["jersey_number"] = json.Number(trimZeros(s))
		}
	}
	if s, ok := out["name_on_back"].(string); ok {
		if s = normalizeName(s); s == "" {
			delete(out, "name_on_back")
		} else {
			out["name_on_back"] = s
		}
	}
	return out
}

// normalizeName collapses white space, straightens apostrophes and
// upper-cases a name for the back of a jersey.
func normalizeName(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, "\u2019", "'")
	return strings.ToUpper(s)
}

// isDigits reports whether s is a non-empty run of ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// trimZeros drops the leading zeros of a run of digits, keeping one digit.
func trimZeros(s string) string {
	t := strings.TrimLeft(s, "0")
	if t == "" {
		return "0"
	}
	return t
}
