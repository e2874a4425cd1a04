package producttypes

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// fieldErrors turns the validator's error tree for v into field errors, one
// per failing field and message (unsorted).
func fieldErrors(ve *jsonschema.ValidationError, v any, prefix string) []FieldError {
	seen := map[FieldError]bool{}
	var out []FieldError
	add := func(field, msg string, detail ...string) {
		fe := FieldError{Field: prefixOrRoot(field), Message: msg}
		if len(detail) > 0 && detail[0] != msg {
			fe.Detail = detail[0]
		}
		if !seen[fe] {
			seen[fe] = true
			out = append(out, fe)
		}
	}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		loc := instanceLocation(e.InstanceLocation)
		base := prefix + loc
		switch {
		case strings.HasSuffix(e.KeywordLocation, "/required"):
			for _, p := range quotedNames(e.Message) {
				add(base+"/"+escapePointer(p), "is required")
			}
		case strings.HasSuffix(e.KeywordLocation, "/additionalProperties"):
			for _, p := range notAllowed(v, loc, e.Message) {
				add(base+"/"+escapePointer(p), "is not an allowed field")
			}
		case strings.HasSuffix(e.KeywordLocation, "/unevaluatedProperties"):
			// Reported at the property itself ("not allowed").
			add(base, "is not an allowed field")
		default:
			if human := humanMessage(e); human != "" {
				add(base, human, e.Message)
			} else {
				add(base, e.Message)
			}
		}
	}
	walk(ve)
	return out
}

// instanceLocation turns the validator's instance location into a JSON
// Pointer: the validator percent-encodes each token as a URL path segment
// ("a b" is "a%20b").
func instanceLocation(loc string) string {
	if u, err := url.PathUnescape(loc); err == nil {
		return u
	}
	return loc
}

// notAllowed returns the members of the object at the JSON Pointer loc in v
// that the validator's "additionalProperties 'a', 'b' not allowed" message
// lists. The object's own keys are looked up in the list, quoted as the
// validator quotes them, because its quoting cannot always be read back:
// the key a\ is quoted 'a\', which reads as an escaped quote.
func notAllowed(v any, loc, msg string) []string {
	obj, ok := resolvePointer(v, loc).(map[string]any)
	if !ok {
		return quotedNames(msg)
	}
	list := strings.TrimSuffix(strings.TrimPrefix(msg, "additionalProperties "), " not allowed")
	var names []string
	for k := range obj {
		if listed(list, validatorQuote(k)) {
			names = append(names, k)
		}
	}
	return names
}

// listed reports whether q is one item of the validator's list of quoted
// names ("'a', 'b'"). Inside an item every ' is escaped, so an item starts
// at a ' that begins the list or follows ", ", and ends before ", '" or
// the end of the list.
func listed(list, q string) bool {
	for from := 0; from < len(list); {
		i := strings.Index(list[from:], q)
		if i < 0 {
			return false
		}
		start, end := from+i, from+i+len(q)
		rest := list[end:]
		if (start == 0 || strings.HasSuffix(list[:start], ", ")) && (rest == "" || strings.HasPrefix(rest, ", '")) {
			return true
		}
		from = start + 1
	}
	return false
}

// validatorQuote quotes a name exactly as the validator does in its
// messages: Go's %q, then \" written as " and ' as \'.
func validatorQuote(s string) string {
	s = fmt.Sprintf("%q", s)
	s = strings.ReplaceAll(s, `\"`, `"`)
	s = strings.ReplaceAll(s, `'`, `\'`)
	return "'" + s[1:len(s)-1] + "'"
}

// resolvePointer returns the value the JSON Pointer ptr names in v, or nil.
func resolvePointer(v any, ptr string) any {
	if ptr == "" {
		return v
	}
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch n := v.(type) {
		case map[string]any:
			v = n[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n) {
				return nil
			}
			v = n[i]
		default:
			return nil
		}
	}
	return v
}

var quotedRE = regexp.MustCompile(`'((?:[^'\\]|\\.)*)'`)

// quotedNames extracts the property names the validator quotes in its
// "missing properties" messages (names the schema wrote).
func quotedNames(msg string) []string {
	var names []string
	for _, m := range quotedRE.FindAllStringSubmatch(msg, -1) {
		names = append(names, unquoteName(m[1]))
	}
	return names
}

// unquoteName reverses validatorQuote for a name that does not end in a
// backslash: "\n", "\t", "\\" and "\u200b" are given back as the characters
// they stand for.
func unquoteName(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == '\'':
			b.WriteByte('\'')
			i++
		case s[i] == '\\' && i+1 < len(s):
			b.WriteString(s[i : i+2])
			i++
		case s[i] == '"':
			b.WriteString(`\"`)
		default:
			b.WriteByte(s[i])
		}
	}
	b.WriteByte('"')
	if u, err := strconv.Unquote(b.String()); err == nil {
		return u
	}
	return s
}

// escapePointer escapes one JSON Pointer reference token (RFC 6901).
func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
