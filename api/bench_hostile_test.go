package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/leaguepay/checkout/api"
)

// hostileBodies are 1 MiB bodies (just under the limit) shaped to be as
// costly as possible for each step a checkout body goes through.
func hostileBodies() map[string]string {
	fill := func(prefix, unit, sep, suffix string) string {
		n := (api.BodyLimit - len(prefix) - len(suffix)) / (len(unit) + len(sep))
		return prefix + strings.TrimSuffix(strings.Repeat(unit+sep, n), sep) + suffix
	}
	var keys strings.Builder
	keys.WriteString(`{"registration_token":"x","custom_data":{`)
	for i := 0; keys.Len() < api.BodyLimit-32; i++ {
		if i > 0 {
			keys.WriteString(",")
		}
		fmt.Fprintf(&keys, `"k%d":%d`, i, i)
	}
	keys.WriteString("}}")
	return map[string]string{
		"empty-objects": fill(`{"registration_token":"x","custom_data":[`, "{}", ",", "]}"),
		"long-number":   fill(`{"registration_token":"x","custom_data":{"jersey_number":`, "9", "", "}}"),
		"deep-nesting":  `{"custom_data":` + strings.Repeat("[", 300000) + strings.Repeat("]", 300000) + `}`,
		"unknown-keys":  keys.String(),
		"long-string":   fill(`{"registration_token":"`, "x", "", `"}`),
	}
}

// BenchmarkHostileBody is the worst case of one request without
// credentials: a 1 MiB body of each hostile shape, posted to the checkout,
// refused before any decoding (B/op is the memory one costs).
func BenchmarkHostileBody(b *testing.B) {
	e := &env{t: b, app: buildApp(b, nil)}
	l := e.newLeague()
	for name, body := range hostileBodies() {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if r := e.do("POST", l.Base+"/checkout", body); r.Status != 400 {
					b.Fatalf("status %d: %.200s", r.Status, r.Body)
				}
			}
		})
	}
}
