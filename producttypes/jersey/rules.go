package jersey

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"strconv"

	"github.com/leaguepay/checkout/producttypes"
)

// NumberField is the pointer a taken or malformed jersey number is reported
// under.
const NumberField = "/custom_data/jersey_number"

// CheckRules claims the jersey number within its scope (see the package
// comment for the exact scope). The player is the claim's holder: a player
// keeps a number across the products of one scope (home and away jersey),
// while another player of the scope cannot take it. Data has passed the
// buyer schema.
func (Type) CheckRules(_ context.Context, in producttypes.RuleInput) ([]producttypes.FieldError, []producttypes.Claim, error) {
	c, err := configOf(in.Config)
	if err != nil {
		return nil, nil, err
	}
	v, ok := in.Data["jersey_number"]
	if c.OptOut || !ok || v == nil {
		return nil, nil, nil
	}
	n, ok := canonicalNumber(v)
	if !ok {
		return []producttypes.FieldError{{Field: NumberField, Message: "must be a whole number"}}, nil, nil
	}
	return nil, []producttypes.Claim{{Scope: Scope(c.NumberScope, in.ProductID), Value: n, Field: NumberField,
		Holder: "player:" + in.PlayerID}}, nil
}

// Scope returns the claim scope of jersey numbers: "jersey:" + numberScope,
// or "jersey:product:" + productID when numberScope is empty.
func Scope(numberScope, productID string) string {
	if numberScope == "" {
		return "jersey:product:" + productID
	}
	return "jersey:" + numberScope
}

// canonicalNumber returns the canonical decimal of a whole number given as
// a json.Number, any Go integer or float, or a string of digits.
func canonicalNumber(v any) (string, bool) {
	switch n := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return strconv.FormatInt(i, 10), true
		}
		f, err := strconv.ParseFloat(string(n), 64)
		return canonicalFloat(f, err == nil)
	case string:
		return trimZeros(n), isDigits(n)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(rv.Uint(), 10), true
	case reflect.Float32, reflect.Float64:
		return canonicalFloat(rv.Float(), true)
	}
	return "", false
}

// canonicalFloat returns the decimal of f when it is a whole number that a
// float64 holds exactly.
func canonicalFloat(f float64, ok bool) (string, bool) {
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return "", false
	}
	return strconv.FormatInt(int64(f), 10), true
}
