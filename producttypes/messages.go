package producttypes

import (
	"regexp"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// Messages a parent can read. The JSON Schema library words its errors for
// developers ("does not match pattern '^\p{L}[\p{L}\p{M} .'-]*$'", "must be
// <= 99 but found 150"); each keyword a product type's schema uses gets a
// sentence of its own here, and the library's words are kept in
// FieldError.Detail for developers.

var (
	boundRE  = regexp.MustCompile(`(?:>=|<=|>|<)\s*(-?[0-9][0-9.eE+-]*)`)
	lengthRE = regexp.MustCompile(`must be (?:>=|<=) ([0-9]+)`)
	typeRE   = regexp.MustCompile(`expected (\w+)`)
	enumRE   = regexp.MustCompile(`must be one of (.*)$`)
	constRE  = regexp.MustCompile(`must be (.*)$`)
)

// kinds are the JSON types in words.
var kinds = map[string]string{"string": "text", "integer": "a whole number", "number": "a number",
	"boolean": "true or false", "object": "an object", "array": "a list", "null": "null"}

// humanMessage is the parent's sentence for one leaf error of the
// validator, or "" to keep the library's own.
func humanMessage(e *jsonschema.ValidationError) string {
	keyword := e.KeywordLocation[strings.LastIndex(e.KeywordLocation, "/")+1:]
	first := func(re *regexp.Regexp) string {
		if m := re.FindStringSubmatch(e.Message); m != nil {
			return m[1]
		}
		return ""
	}
	switch keyword {
	case "minimum":
		return "must be at least " + first(boundRE)
	case "maximum":
		return "must be at most " + first(boundRE)
	case "exclusiveMinimum":
		return "must be more than " + first(boundRE)
	case "exclusiveMaximum":
		return "must be less than " + first(boundRE)
	case "minLength":
		if n := first(lengthRE); n == "1" {
			return "must not be empty"
		} else if n != "" {
			return "must be at least " + n + " characters long"
		}
	case "maxLength":
		if n := first(lengthRE); n != "" {
			return "must be at most " + n + " characters long"
		}
	case "minItems":
		if n := first(lengthRE); n != "" {
			return "must list at least " + n
		}
	case "maxItems":
		if n := first(lengthRE); n != "" {
			return "must list at most " + n
		}
	case "pattern":
		return "has characters or a form that is not allowed here"
	case "format":
		return "is not in the expected format"
	case "type":
		if k, ok := kinds[first(typeRE)]; ok {
			return "must be " + k
		}
	case "enum":
		if list := first(enumRE); list != "" {
			return "must be one of " + list
		}
	case "const":
		if v := first(constRE); v != "" {
			return "must be " + v
		}
	case "uniqueItems":
		return "must not list the same value twice"
	case "multipleOf":
		return "is not an allowed step"
	}
	return ""
}
