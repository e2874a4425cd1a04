package jsonlimit_test

import (
	"strings"
	"testing"

	"github.com/leaguepay/checkout/platform/jsonlimit"
)

func TestCheck(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 40)
	manyEmpty := "[" + strings.TrimSuffix(strings.Repeat("{},", 340000), ",") + "]"
	manyKeys := "{" + strings.TrimSuffix(strings.Repeat(`"k":1,`, 1), ",")
	var b strings.Builder
	b.WriteString(`{"custom_data":{`)
	for i := range 1500 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"k` + strings.Repeat("x", 3) + string(rune('a'+i%26)) + strings.Repeat("y", i%7) + `_` + itoa(i) + `":1`)
	}
	b.WriteString("}}")
	cases := []struct {
		name, doc, field, message string
	}{
		{"a long member name is refused on its object", `{"o":{"` + strings.Repeat("k", 200) + `":1}}`, "/o", "has a member name longer than 128 bytes"},
		{"a plain object passes", `{"a":[1,2,{"b":"c"}],"n":-1.5e10}`, "", ""},
		{"an empty body is not JSON", ``, "/", "is not valid JSON"},
		{"a million-digit number is refused where it is", `{"custom_data":{"jersey_number":` + strings.Repeat("9", 1000000) + `}}`,
			"/custom_data/jersey_number", "is a number longer than 32 characters"},
		{"a huge exponent is refused", `{"config":{"top_sizes":[1e999999]}}`, "/config/top_sizes/0", "is a number whose exponent is beyond ±308"},
		{"a huge negative exponent is refused", `{"x":[0,1E-400]}`, "/x/1", "is a number whose exponent is beyond ±308"},
		{"an exponent of 308 passes", `{"x":1e308}`, "", ""},
		{"deep nesting is refused", deep, "", "nests deeper than 32 levels"},
		{"340,000 empty objects are refused", manyEmpty, "", "must hold at most 1000 members"},
		{"1,500 unknown custom_data keys are refused", b.String(), "/custom_data", "must hold at most 1000 members"},
		{"a duplicate member is refused", `{"a":1,"a":2}`, "/a", "names a member twice"},
		{"invalid UTF-8 is refused", "{\"a\":\"\xff\"}", "/a", "is not valid UTF-8 text"},
		{"a lone surrogate is refused", `{"a":"\ud800"}`, "/a", "is not valid UTF-8 text"},
		{"a long string is refused", `{"a":"` + strings.Repeat("x", 300<<10) + `"}`, "/a", "is longer than 262144 bytes"},
		{"truncated JSON is refused", `{"a":`, "", "ends before the JSON value does"},
		{"a lone number is one value", `12`, "", ""},
		{"trailing data is refused", `{} {}`, "", "has data after the JSON value"},
		{"an unclosed key list", manyKeys, "", "ends before the JSON value does"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := jsonlimit.Check([]byte(c.doc), jsonlimit.Default)
			if c.message == "" {
				if v != nil {
					t.Fatalf("refused: %v", v)
				}
				return
			}
			if v == nil {
				t.Fatal("passed, want refused")
			}
			if v.Message != c.message || (c.field != "" && v.Pointer() != c.field) {
				t.Errorf("got %q %q, want %q %q", v.Pointer(), v.Message, c.field, c.message)
			}
			if len(v.Message) > 100 {
				t.Errorf("the message echoes the document: %d bytes", len(v.Message))
			}
		})
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// BenchmarkCheck is the limit check alone on 1 MiB documents: a valid one
// (walked to the end) and hostile ones (refused at their first excess).
func BenchmarkCheck(b *testing.B) {
	const size = 1 << 20
	valid := `{"a":[` + strings.TrimSuffix(strings.Repeat(`"`+strings.Repeat("x", 1000)+`",`, size/1003), ",") + `]}`
	docs := map[string]string{
		"valid-long-strings": strings.Replace(valid, `"a":[`, `"a":[`, 1),
		"empty-objects":      "[" + strings.TrimSuffix(strings.Repeat("{},", size/3), ",") + "]",
		"long-number":        `{"n":` + strings.Repeat("9", size) + `}`,
	}
	for name, doc := range docs {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			lim := jsonlimit.Default
			lim.MaxMembers = 2000
			for b.Loop() {
				_ = jsonlimit.Check([]byte(doc), lim)
			}
		})
	}
}
